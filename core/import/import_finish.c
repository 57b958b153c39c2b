/* import_finish.c: the importer's last step (import_model.h): numbers for
 * what had none, the mandates an objective refers to, indicators split and
 * their target numbers found in the expected results, the plan's dates. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_cells.h"
#include "import_model.h"
#include "fold.h"
#include "strset.h"
#include "text.h"
#include "words.h"

#define zs cn_import_dup
#define fold cn_import_fold
#define report cn_import_report


/* "(référence aux mandats 2, 3 et 5)" → mandates "2 3 5", removed from text. */
static void take_mandates(cn_import *im, obj_t *o)
{
    const char *f = fold(im, o->text);
    const char *r = strstr(f, "(reference au");
    if (!r)
        r = strstr(f, "(ref. au");
    if (!r)
        r = strstr(f, "(en lien avec le mandat");
    if (!r)
        return;
    const char *close = strchr(r, ')');
    if (!close)
        close = r + strlen(r);
    char *list = NULL;
    for (const char *p = r; p < close; p++)
        if (isdigit((unsigned char)*p) && !isdigit((unsigned char)p[-1])) {
            char d[8];
            size_t k = 0;
            while (isdigit((unsigned char)p[k]) && k < 6)
                d[k] = p[k], k++;
            d[k] = '\0';
            list = cn_zcat(im->z, list, " ", d);
        }
    if (!list)
        return;
    o->mandates = list;
    /* Cut the same span out of the original: count characters, not bytes,
     * since folding removed accents. */
    size_t chars_before = 0, chars_span = 0;
    for (const char *p = f; p < r; p++)
        chars_before += ((unsigned char)*p & 0xC0) != 0x80;
    for (const char *p = r; p < close + (*close == ')'); p++)
        chars_span += ((unsigned char)*p & 0xC0) != 0x80;
    const char *a = o->text;
    for (size_t i = 0; i < chars_before && *a; a++)
        i += (((unsigned char)a[1] & 0xC0) != 0x80);
    const char *b = a;
    for (size_t i = 0; i < chars_span && *b; b++)
        i += (((unsigned char)b[1] & 0xC0) != 0x80);
    char *before = cn_zdup(im->z, o->text, (size_t)(a - o->text));
    size_t bl = strlen(before);
    while (bl && before[bl - 1] == ' ')
        before[--bl] = '\0';
    o->text = cn_zcat(im->z, before, " ", b[0] == ' ' ? b + 1 : b);
}

static long french_number(const char *w)
{
    static const struct {
        const char *word;
        long n;
    } words[] = {{"deux", 2},  {"trois", 3},  {"quatre", 4},  {"cinq", 5},     {"six", 6},       {"sept", 7},
                 {"huit", 8},  {"neuf", 9},   {"dix", 10},    {"douze", 12},   {"quinze", 15},   {"vingt", 20},
                 {"trente", 30}, {"quarante", 40}, {"cinquante", 50}, {"cent", 100}, {"mille", 1000}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(w, words[i].word) == 0)
            return words[i].n;
    return -1;
}

/* The word of s after position p (letters, digits, apostrophes dropped at
 * the front: "d'amis" → "amis"), folded into out; returns where it ends. */
static const char *next_word(const char *p, char *out, size_t cap, const char **start)
{
    while (*p && !(isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80))
        p++;
    const char *s = p;
    while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80 || *p == '\''))
        p++;
    const char *apo = memchr(s, '\'', (size_t)(p - s));
    if (apo && apo - s <= 2)
        s = apo + 1;
    if (start)
        *start = s;
    char raw[128];
    size_t n = (size_t)(p - s) < sizeof raw - 1 ? (size_t)(p - s) : sizeof raw - 1;
    memcpy(raw, s, n);
    raw[n] = '\0';
    cn_fold(raw, out, cap);
    return p;
}

static void stem(char *w)
{
    size_t n = strlen(w);
    if (n > 3 && (w[n - 1] == 's' || w[n - 1] == 'x'))
        w[n - 1] = '\0';
}

/* "Nombre de membres" and "Adhésion de 200 membres…": target 200, unit
 * "membres". The counted noun is looked for right after a number, one
 * word apart at most ("6 capsules vidéo"). */
/* The counted thing of an indicator's name, as written: "Nombre de
 * nouveaux membres" → "nouveaux membres", "Nombre d'amis facebook" → "amis
 * facebook"; at most three words, up to a preposition or a capital. */
static char *unit_of(cn_import *im, const char *name, size_t lead_chars)
{
    const char *p = name;
    for (size_t i = 0; i < lead_chars && *p;) {
        p++;
        if (((unsigned char)*p & 0xC0) != 0x80)
            i++;
    }
    static const char *const stops[] = {"de", "d'", "du", "des", "aux", "au", "à", "et", "par", "sur", "pour", "en",
                                        "qui", "dans", "avec", NULL};
    const char *end = p;
    for (int words = 0; *end && words < 3; words++) {
        const char *w = end;
        while (*w == ' ')
            w++;
        size_t len = strcspn(w, " ");
        bool stop = !len || *w == '(' || (words > 0 && cn_starts_upper(w));
        for (int i = 0; stops[i] && !stop; i++)
            stop = (strlen(stops[i]) == len && strncmp(w, stops[i], len) == 0) ||
                   (strcmp(stops[i], "d'") == 0 && strncmp(w, "d'", 2) == 0);
        if (stop)
            break;
        end = w + len;
    }
    return end > p ? cn_zdup(im->z, p, (size_t)(end - p)) : NULL;
}

static void find_target(cn_import *im, ind_t *ind, const char *results)
{
    const char *f = fold(im, ind->name);
    static const char *const leads[] = {"nombre de ", "nombre d'", "nombre des ", "nb de ", "nb d'", "quantite de ",
                                        "nombre total de ", NULL};
    const char *noun = NULL;
    size_t lead_chars = 0;
    for (int i = 0; leads[i]; i++)
        if (cn_import_starts(f, leads[i])) {
            noun = f + strlen(leads[i]);
            lead_chars = strlen(leads[i]);
        }
    if (!noun || !results)
        return;
    char key[128];
    next_word(noun, key, sizeof key, NULL);
    stem(key);
    if (strlen(key) < 3)
        return;
    const char *p = results;
    while (*p) {
        char w[128];
        const char *ws;
        p = next_word(p, w, sizeof w, &ws);
        if (!w[0])
            break;
        long value = -1;
        if (isdigit((unsigned char)w[0]) && strspn(w, "0123456789") == strlen(w))
            value = atol(w);
        else
            value = french_number(w);
        if (value <= 0)
            continue;
        const char *q = p;
        for (int k = 0; k < 2; k++) {
            char x[128];
            const char *xs;
            q = next_word(q, x, sizeof x, &xs);
            char st[128];
            snprintf(st, sizeof st, "%s", x);
            stem(st);
            if (strcmp(st, key) == 0) {
                ind->target = (double)value;
                ind->has_target = true;
                ind->unit = unit_of(im, ind->name, lead_chars);
                if (!ind->unit)
                    ind->unit = cn_zdup(im->z, xs, (size_t)(q - xs));
                return;
            }
        }
    }
}

/* An indicators cell, its lines joined by spaces: "Nombre de formations
 * Nombre de participants" is two indicators. */
static void split_indicators(cn_import *im, int act, const char *cell)
{
    static const char *const leads[] = {"Nombre ", "Nb ", "Taux ", "Pourcentage ", "Proportion ", "% ", NULL};
    const char *start = cell;
    for (const char *p = cell;; p++) {
        bool cut = !*p || *p == '\n';
        if (!cut && p > cell && p[-1] == ' ')
            for (int i = 0; leads[i]; i++)
                if (cn_import_starts(p, leads[i]))
                    cut = true;
        if (!cut)
            continue;
        size_t len = (size_t)(p - start);
        while (len && (start[len - 1] == ' ' || start[len - 1] == '\n'))
            len--;
        if (len) {
            ind_t *ind = PUSH(im, ind);
            if (ind) {
                ind->act = act;
                ind->name = cn_zdup(im->z, start, len);
            }
        }
        if (!*p)
            break;
        start = *p == '\n' ? p + 1 : p;
    }
}

static void add_years(char out[11], const char *date, int years, int days)
{
    int y, m, d;
    sscanf(date, "%d-%d-%d", &y, &m, &d);
    y += years;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        d = 28;
    if (days == -1) {
        if (--d == 0) {
            static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            if (--m == 0) {
                m = 12;
                y--;
            }
            d = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
        }
    }
    snprintf(out, 11, "%04d-%02d-%02d", (y % 10000 + 10000) % 10000, (m % 13 + 13) % 13, (d % 32 + 32) % 32);
}

static void finish_plan(cn_import *im)
{
    if (im->opt_title)
        im->title = zs(im, im->opt_title);
    if (!im->title) {
        im->title = zs(im, L("Plan d'action", "Action plan"));
        report(im, 0, "assumed", im->title,
               L("aucune ligne « Plan d'action … » : titre par défaut (--title pour le choisir)",
                 "no \"Plan d'action …\" line: default title (--title to choose it)"));
    }
    int y1 = 0, y2 = 0;
    if (im->period)
        sscanf(im->period, "%d-%d", &y1, &y2);
    if (y2 < y1)
        y2 = y1;
    char start[11], end[11];
    if (im->opt_start)
        snprintf(start, sizeof start, "%s", im->opt_start);
    else if (im->adopted_on)
        snprintf(start, sizeof start, "%s", im->adopted_on);
    else if (y1 && im->start_month) {
        /* The title says when the plan's years begin: "(avril à mars)". */
        snprintf(start, sizeof start, "%04d-%02d-01", y1, im->start_month);
        report(im, 0, "assumed", start,
               L("date de début : le 1er du mois que le titre nomme, de la première année du plan (--plan-start pour "
                 "la donner)",
                 "start date: the 1st of the month the title names, in the plan's first year (--plan-start to give "
                 "it)"));
    } else if (y1) {
        snprintf(start, sizeof start, "%04d-04-01", y1);
        report(im, 0, "assumed", start,
               L("date de début supposée : le 1er avril de la première année du plan (--plan-start pour la donner)",
                 "assumed start date: 1 April of the plan's first year (--plan-start to give it)"));
    } else
        start[0] = '\0';
    if (start[0]) {
        im->start_date = zs(im, start);
        int span = y1 ? (y2 > y1 ? y2 - y1 : 1) : 0;
        if (span) {
            add_years(end, start, span, -1);
            im->end_date = zs(im, end);
        }
    }
}

/* The first "<parent><sep><k>" not taken, k counting on from where the
 * parent's last search stopped (numbers are only ever added). */
static void next_free(cn_strset *taken, cn_strset *next_k, const char *parent, const char *sep, char *out, size_t cap)
{
    void *v = NULL;
    intptr_t k = cn_strset_get(next_k, parent, &v) ? (intptr_t)v : 1;
    for (;; k++) {
        snprintf(out, cap, "%s%s%ld", parent, sep, (long)k);
        if (!cn_strset_get(taken, out, NULL))
            break;
    }
    cn_strset_put(next_k, parent, (void *)(k + 1));
}

static void finish_numbers(cn_import *im)
{
    /* Orientations: the next free integer. */
    long next = 1;
    for (size_t i = 0; i < im->n_ori; i++)
        if (!im->ori[i].dropped && im->ori[i].number && atol(im->ori[i].number) >= next)
            next = atol(im->ori[i].number) + 1;
    for (size_t i = 0; i < im->n_ori; i++)
        if (!im->ori[i].number) {
            char n[24];
            snprintf(n, sizeof n, "%ld", next++);
            im->ori[i].number = zs(im, n);
        }
    /* Objectives: an orientation's only objective takes its number, others
     * "<orientation>.<k>"; numbers never repeat. The numbers taken and the
     * next k of each parent are kept in sets, so that thousands of rows
     * number in linear time (adversary F1a: a scan per k was cubic). */
    cn_strset *taken = cn_strset_new(), *next_k = cn_strset_new();
    int *siblings = calloc(im->n_ori + 1, sizeof *siblings); /* [n_ori]: objectives with no orientation */
    if (!taken || !next_k || !siblings)
        goto done;
    for (size_t i = 0; i < im->n_obj; i++)
        if (!im->obj[i].dropped)
            siblings[im->obj[i].ori >= 0 ? (size_t)im->obj[i].ori : im->n_ori]++;
    for (size_t i = 0; i < im->n_obj; i++) {
        obj_t *o = &im->obj[i];
        if (o->dropped)
            continue;
        if (o->number && cn_strset_get(taken, o->number, NULL)) {
            report(im, o->line, "assumed", o->text,
                   L("numéro d'objectif déjà pris : un autre lui est donné", "objective number taken: it gets another"));
            o->number = NULL;
        }
        if (o->number)
            cn_strset_put(taken, o->number, NULL);
    }
    for (size_t i = 0; i < im->n_obj; i++) {
        obj_t *o = &im->obj[i];
        if (o->dropped || o->number)
            continue;
        const char *parent = o->ori >= 0 ? im->ori[o->ori].number : NULL;
        char n[80];
        if (parent && siblings[o->ori] == 1 && !cn_strset_get(taken, parent, NULL))
            snprintf(n, sizeof n, "%s", parent);
        else
            next_free(taken, next_k, parent ? parent : "", parent ? "." : "", n, sizeof n);
        o->number = zs(im, n);
        cn_strset_put(taken, o->number, NULL);
        take_mandates(im, o);
    }
    for (size_t i = 0; i < im->n_obj; i++)
        if (!im->obj[i].dropped && !im->obj[i].mandates)
            take_mandates(im, &im->obj[i]);
    /* Actions: "<objective>.<k>". */
    cn_strset_free(&taken);
    cn_strset_free(&next_k);
    if (!(taken = cn_strset_new()) || !(next_k = cn_strset_new()))
        goto done;
    for (size_t i = 0; i < im->n_act; i++) {
        act_t *a = &im->act[i];
        if (a->dropped)
            continue;
        if (a->number && cn_strset_get(taken, a->number, NULL)) {
            char msg[160];
            snprintf(msg, sizeof msg, L("l'action %s existe déjà : un autre numéro lui est donné",
                                        "action %s already exists: it gets another number"),
                     a->number);
            report(im, a->line, "assumed", a->text, msg);
            a->number = NULL;
        }
        if (a->number)
            cn_strset_put(taken, a->number, NULL);
    }
    for (size_t i = 0; i < im->n_act; i++) {
        act_t *a = &im->act[i];
        if (a->dropped || a->number)
            continue;
        char n[96];
        next_free(taken, next_k, im->obj[a->obj].number, ".", n, sizeof n);
        a->number = zs(im, n);
        cn_strset_put(taken, a->number, NULL);
    }
done:
    cn_strset_free(&taken);
    cn_strset_free(&next_k);
    free(siblings);
}

/* Each objective's expected results, all its actions' together. */
static char **gather_results(cn_import *im)
{
    char **all = calloc(im->n_obj + 1, sizeof *all);
    if (!all)
        return NULL;
    /* Sized first, then filled: one pass each. */
    size_t *len = calloc(im->n_obj + 1, sizeof *len);
    if (!len) {
        free(all);
        return NULL;
    }
    for (size_t k = 0; k < im->n_act; k++)
        if (im->act[k].expected && im->act[k].obj >= 0)
            len[im->act[k].obj] += strlen(im->act[k].expected) + 1;
    for (size_t o = 0; o < im->n_obj; o++) {
        if (len[o] && (all[o] = msgpack_zone_malloc(im->z, len[o] + 1)))
            all[o][0] = '\0';
        len[o] = 0; /* now: bytes written */
    }
    for (size_t k = 0; k < im->n_act; k++) {
        int o = im->act[k].obj;
        if (!im->act[k].expected || o < 0 || !all[o])
            continue;
        size_t n = strlen(im->act[k].expected);
        if (len[o])
            all[o][len[o]++] = ' ';
        memcpy(all[o] + len[o], im->act[k].expected, n + 1);
        len[o] += n;
    }
    free(len);
    return all;
}

/* How many of the words of an indicator's name (those that say what it
 * counts: four letters or more, "nombre", "taux"… left out) are in text,
 * as words of the same stem ("conférences" and "conférence", "formations"
 * and "formation"). */
static int shared_words(const char *name, const char *text)
{
    static const char *const generic[] = {"nombre", "taux", "pourcentage", "proportion", "niveau", "total", "moyenne",
                                          "realise", "realisee", "tenue", "organise", "organisee", "avec", "dans",
                                          "pour", "leur", "leurs", NULL};
    int shared = 0;
    char w[128], t[128];
    for (const char *p = name; *p;) {
        p = next_word(p, w, sizeof w, NULL);
        stem(w);
        bool skip = strlen(w) < 4;
        for (int i = 0; generic[i] && !skip; i++)
            skip = strcmp(w, generic[i]) == 0;
        if (skip)
            continue;
        bool found = false;
        for (const char *q = text; *q && !found;) {
            q = next_word(q, t, sizeof t, NULL);
            stem(t);
            found = strcmp(w, t) == 0 || (strlen(w) >= 7 && strlen(t) >= 7 && strncmp(w, t, 7) == 0);
        }
        shared += found;
    }
    return shared;
}

static const char *num_of(const act_t *a) { return a->number ? a->number : "?"; }

/* An indicator measures the action of its row: that is what the table
 * says. A cell of indicators beside several actions does not say which
 * one each measures: the words of its name choose when they name one of
 * them only, else it stays with the first, and the report says which. An
 * indicator whose words name another action of the objective, not its
 * row's, stays where the table put it, and the report says so. */
static void place_indicators(cn_import *im)
{
    for (size_t i = 0; i < im->n_ind; i++) {
        ind_t *ind = &im->ind[i];
        act_t *row = &im->act[ind->act];
        if (row->ind_row_n > 1) {
            int best = -1, best_score = 0, ties = 0;
            for (int k = 0; k < row->ind_row_n && ind->act + k < (int)im->n_act; k++) {
                int score = shared_words(ind->name, im->act[ind->act + k].text);
                if (score > best_score)
                    best = ind->act + k, best_score = score, ties = 0;
                else if (score && score == best_score)
                    ties++;
            }
            int last_k = ind->act + row->ind_row_n - 1 < (int)im->n_act ? ind->act + row->ind_row_n - 1 : (int)im->n_act - 1;
            const act_t *last = &im->act[last_k];
            char message[700];
            if (best == ind->act && !ties)
                continue; /* the first, as the table has it, and its words say so too */
            if (best >= 0 && !ties) {
                ind->act = best;
                snprintf(message, sizeof message,
                         L("indicateur de la cellule de plusieurs actions (%s à %s) : rattaché à %s, que ses mots "
                           "désignent ; à vérifier",
                           "indicator in the cell of several actions (%s to %s): attached to %s, which its words "
                           "name; to check"),
                         num_of(row), num_of(last), num_of(&im->act[best]));
            } else {
                snprintf(message, sizeof message,
                         L("indicateur de la cellule de plusieurs actions (%s à %s), dont ses mots ne désignent "
                           "aucune en particulier : rattaché à la première, %s ; à vérifier",
                           "indicator in the cell of several actions (%s to %s), none of which its words name in "
                           "particular: attached to the first, %s; to check"),
                         num_of(row), num_of(last), num_of(row));
            }
            report(im, row->line, "assumed", ind->name, message);
            continue;
        }
        if (shared_words(ind->name, row->text) || (row->expected && shared_words(ind->name, row->expected)))
            continue;
        const act_t *named = NULL;
        int named_score = 0, ties = 0;
        for (size_t k = 0; k < im->n_act; k++) {
            const act_t *a = &im->act[k];
            if (a == row || a->dropped || a->obj != row->obj)
                continue;
            int score = shared_words(ind->name, a->text); /* not its results: a cell often merged over several */
            if (score > named_score)
                named = a, named_score = score, ties = 0;
            else if (score && score == named_score)
                ties++;
        }
        if (named && !ties) {
            char message[700];
            snprintf(message, sizeof message,
                     L("indicateur sur la rangée de l'action %s, mais ses mots désignent l'action %s « %s » : rattaché "
                       "à %s, comme le tableau le dit ; à vérifier",
                       "indicator on the row of action %s, but its words name action %s \"%s\": attached to %s, "
                       "as the table says; to check"),
                     num_of(row), num_of(named), named->text, num_of(row));
            report(im, row->line, "assumed", ind->name, message);
        }
    }
}

static void finish_indicators(cn_import *im)
{
    char **all_results = NULL;
    for (size_t i = 0; i < im->n_act; i++)
        if (!im->act[i].dropped && im->act[i].indicators)
            split_indicators(im, (int)i, im->act[i].indicators);
    place_indicators(im);
    for (size_t i = 0; i < im->n_ind; i++) {
        ind_t *ind = &im->ind[i];
        act_t *a = &im->act[ind->act];
        /* "Adhésion de 200 membres" in the results, else "Tenir deux
         * forums" in the action itself. */
        find_target(im, ind, a->expected);
        if (!ind->has_target)
            find_target(im, ind, a->text);
        if (ind->has_target)
            continue;
        /* A results cell merged over several rows lands in one of them:
         * look in the whole objective's results too (gathered once per
         * objective: per indicator it was quadratic). */
        if (!all_results && !(all_results = gather_results(im)))
            continue;
        find_target(im, ind, all_results[a->obj]);
    }
    free(all_results);
}

/* A heading read without its text ("1.1" alone on its line) gets its
 * number as text, said in the report with its line: the document the
 * import builds must be one the model accepts, whatever the text. */
static void finish_texts(cn_import *im)
{
    for (size_t i = 0; i < im->n_ori; i++) {
        ori_t *o = &im->ori[i];
        if (o->dropped || (o->statement && *o->statement))
            continue;
        char text[96];
        snprintf(text, sizeof text, L("Orientation %s", "Orientation %s"), o->number ? o->number : "?");
        o->statement = zs(im, text);
        report(im, o->line, "assumed", text,
               L("orientation sans énoncé : son numéro lui en sert", "orientation without a statement: its number is used"));
    }
    for (size_t i = 0; i < im->n_obj; i++) {
        obj_t *o = &im->obj[i];
        if (o->dropped || (o->text && *o->text))
            continue;
        char text[96];
        snprintf(text, sizeof text, L("Objectif %s", "Objective %s"), o->number ? o->number : "?");
        o->text = zs(im, text);
        report(im, o->line, "assumed", text,
               L("objectif sans texte : son numéro lui en sert", "objective without a text: its number is used"));
    }
    for (size_t i = 0; i < im->n_act; i++) {
        act_t *a = &im->act[i];
        if (a->dropped || (a->text && *a->text))
            continue;
        char text[112];
        snprintf(text, sizeof text, L("Action %s", "Action %s"), a->number ? a->number : "?");
        a->text = zs(im, text);
        report(im, a->line, "assumed", text,
               L("action sans texte : son numéro lui en sert", "action without a text: its number is used"));
    }
}

/* s without its spaces (folded texts compared whatever their line breaks). */
static char *squeezed(cn_import *im, const char *s)
{
    char *out = msgpack_zone_malloc(im->scratch, strlen(s) + 1), *w = out;
    for (; out && *s; s++)
        if (!isspace((unsigned char)*s))
            *w++ = *s;
    if (out)
        *w = '\0';
    return out ? out : "";
}

/* With a note giving bold a state ("les actions en gras sont réalisées ou
 * en cours"), each action the document has in bold (its text is most of a
 * bold item) and no état of its own takes that state, said in the report;
 * without bold (a copied text keeps none), the report says so. */
static void finish_bold(cn_import *im)
{
    if (!im->bold_note)
        return;
    const char *status = cn_status_from_words(im->bold_note);
    char **bold = im->nbold ? msgpack_zone_malloc(im->scratch, im->nbold * sizeof *bold) : NULL;
    for (size_t k = 0; bold && k < im->nbold; k++)
        bold[k] = squeezed(im, im->bold[k]);
    char *numbers = NULL;
    int found = 0;
    for (size_t i = 0; bold && i < im->n_act; i++) {
        act_t *a = &im->act[i];
        if (a->dropped || !a->text || (a->progress && *a->progress))
            continue;
        const char *t = squeezed(im, fold(im, a->text));
        size_t tn = strlen(t);
        for (size_t k = 0; tn >= 8 && k < im->nbold; k++)
            if (strstr(bold[k], t) && tn * 10 >= strlen(bold[k]) * 6) {
                a->progress = cn_zcat(im->z, L("En gras dans le document :", "In bold in the document:"), " ",
                                      im->bold_note);
                numbers = cn_zcat(im->z, numbers, ", ", a->number ? a->number : "?");
                found++;
                break;
            }
    }
    char message[600];
    if (found)
        snprintf(message, sizeof message,
                 L("%d action(s) en gras dans le document (%s) : l'état « %s » que cette note leur donne",
                   "%d action(s) in bold in the document (%s): the state \"%s\" this note gives them"),
                 found, numbers, cn_word(status, cn_lang_get() == CN_LANG_EN));
    else
        snprintf(message, sizeof message, "%s",
                 im->nbold ? L("aucune action en gras trouvée : les états restent ceux du tableau",
                               "no action found in bold: the states stay the table's")
                           : L("le texte ne dit pas ce qui est en gras : importez le document lui-même (.docx, "
                               ".odt) pour que les actions en gras prennent cet état",
                               "the text does not say what is in bold: import the document itself (.docx, .odt) "
                               "for the actions in bold to take this state"));
    report(im, im->bold_note_line, "assumed", im->bold_note, message);
}

void cn_import_finish(cn_import *im)
{
    finish_plan(im);
    finish_numbers(im);
    finish_texts(im);
    finish_indicators(im);
    finish_bold(im);
}

