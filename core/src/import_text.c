/* import_text.c: see import_text.h. The line reader is read_line(); tables
 * go through table_row(), lists and summaries through outline_line();
 * finish() then numbers, cleans and completes what was read. */
#include "import_text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echeance.h"
#include "import_cells.h"
#include "mp.h"
#include "text.h"

enum field { F_NONE, F_ORIENT, F_OBJ, F_ACT, F_TARGETS, F_SCHED, F_YEAR, F_EXPECTED, F_RESP, F_IND, F_STATUS, F_OTHER };
#define NFIELDS (F_OTHER + 1)
#define MAX_COLS 40
#define MAX_ITEMS 32

typedef struct {
    char *number, *statement;
    int line, last_line;
    bool table, dropped;
} ori_t;

typedef struct {
    char *number, *text, *mandates;
    int ori, line;
    bool dropped;
} obj_t;

typedef struct {
    char *number, *text, *targets, *schedule, *expected, *responsible, *progress, *indicators;
    int obj, line;
    bool dropped;
} act_t;

typedef struct {
    int act;
    char *name, *unit;
    double target;
    bool has_target;
} ind_t;

typedef struct {
    char *a, *b;
} pair_t;

typedef struct {
    int line;
    const char *kind;
    char *text, *message;
} note_t;

typedef enum { S_NONE, S_CONTEXT, S_MISSION, S_MANDATES, S_GLOSSARY } section_t;

#define ARRAY(T, name) \
    T *name;           \
    size_t n_##name, cap_##name

struct cn_import {
    msgpack_zone *z;
    const char *opt_start, *opt_title, *today;
    char *title, *period, *adopted_on, *mission, *start_date, *end_date;
    ARRAY(pair_t, mandates);
    ARRAY(ori_t, ori);
    ARRAY(obj_t, obj);
    ARRAY(act_t, act);
    ARRAY(ind_t, ind);
    ARRAY(pair_t, terms);
    ARRAY(note_t, notes);
    ARRAY(char *, seen); /* folded single-cell lines, to skip page titles repeated at page breaks */
    /* reading state */
    int line;
    enum field cols[MAX_COLS], header_cols[MAX_COLS]; /* in force; as the header row named them */
    char *col_label[MAX_COLS];
    int ncols;
    bool table, after_header, expect_years;
    bool tabbed; /* the line being read has several cells: it belongs to a table */
    int cur_ori, cur_obj, row_first, row_n;
    bool obj_from_text; /* the current objective came from a paragraph or heading, not a number */
    bool objective_heading;
    section_t sec;
};

#define PUSH(im, name) ((im)->n_##name < (im)->cap_##name || grow((void **)&(im)->name, &(im)->cap_##name, sizeof *(im)->name) \
                            ? memset(&(im)->name[(im)->n_##name], 0, sizeof *(im)->name), &(im)->name[(im)->n_##name++]    \
                            : NULL)

static bool grow(void **p, size_t *cap, size_t size)
{
    size_t n = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static char *zs(cn_import *im, const char *s) { return s ? cn_zdup(im->z, s, strlen(s)) : NULL; }

static char *fold(cn_import *im, const char *s)
{
    size_t n = strlen(s) * 2 + 1;
    char *out = msgpack_zone_malloc(im->z, n);
    if (!out)
        return "";
    cn_fold(s, out, n);
    /* Typographic apostrophes and dashes compare as plain ones. */
    char *w = out;
    for (const char *r = out; *r;) {
        if ((unsigned char)r[0] == 0xE2 && (unsigned char)r[1] == 0x80 &&
            ((unsigned char)r[2] == 0x99 || (unsigned char)r[2] == 0x98)) {
            *w++ = '\'';
            r += 3;
        } else if ((unsigned char)r[0] == 0xE2 && (unsigned char)r[1] == 0x80 &&
                   ((unsigned char)r[2] == 0x93 || (unsigned char)r[2] == 0x94)) {
            *w++ = '-';
            r += 3;
        } else
            *w++ = *r++;
    }
    *w = '\0';
    return out;
}

static bool starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static void report(cn_import *im, int line, const char *kind, const char *text, const char *message)
{
    note_t *n = PUSH(im, notes);
    if (!n)
        return;
    n->line = line;
    n->kind = kind;
    n->text = zs(im, text);
    n->message = zs(im, message);
}

/* ---- headers ----------------------------------------------------------- */

/* The field a table header names, from its folded text. */
static enum field header_field(const char *f)
{
    static const struct {
        const char *prefix;
        enum field field;
    } names[] = {
        {"indicateur", F_IND},       {"orientation", F_ORIENT},  {"axe", F_ORIENT},          {"enjeu", F_ORIENT},
        {"objectif", F_OBJ},         {"moyen", F_ACT},           {"action", F_ACT},          {"activite", F_ACT},
        {"mesure", F_ACT},           {"strategie", F_ACT},       {"cible", F_TARGETS},       {"clientele", F_TARGETS},
        {"public", F_TARGETS},       {"population", F_TARGETS},  {"echeance", F_SCHED},      {"echeancier", F_SCHED},
        {"calendrier", F_SCHED},     {"periode", F_SCHED},       {"quand", F_SCHED},         {"resultat", F_EXPECTED},
        {"livrable", F_EXPECTED},    {"effet", F_EXPECTED},      {"responsable", F_RESP},    {"porteur", F_RESP},
        {"qui", F_RESP},             {"maitre d'oeuvre", F_RESP}, {"etat", F_STATUS},         {"avancement", F_STATUS},
        {"statut", F_STATUS},        {"suivi", F_STATUS},        {"partenaire", F_OTHER},    {"collaborat", F_OTHER},
        {"ressource", F_OTHER},      {"budget", F_OTHER},        {"cout", F_OTHER},          {"financement", F_OTHER},
        {"commentaire", F_OTHER},    {"remarque", F_OTHER},      {"note", F_OTHER},          {"priorite", F_OTHER},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (starts(f, names[i].prefix))
            return names[i].field;
    return F_NONE;
}

/* A table header row: at least two cells naming known columns, one of
 * them the objectives or the actions, every cell short. */
static bool read_header(cn_import *im, char **cells, int n)
{
    enum field cols[MAX_COLS] = {0};
    char *labels[MAX_COLS] = {0};
    int known = 0;
    bool key = false;
    if (n > MAX_COLS)
        return false;
    for (int i = 0; i < n; i++) {
        if (!cells[i][0])
            continue;
        if (strlen(cells[i]) > 80)
            return false;
        char num[64];
        if (cn_num_prefix(cells[i], num))
            return false;
        cols[i] = header_field(fold(im, cells[i]));
        labels[i] = cells[i];
        if (cols[i] == F_NONE)
            cols[i] = F_OTHER;
        else if (cols[i] != F_OTHER)
            known++;
        key = key || cols[i] == F_OBJ || cols[i] == F_ACT;
    }
    if (known < 2 || !key)
        return false;
    bool same = im->table && im->ncols == n && memcmp(im->header_cols, cols, sizeof(enum field) * (size_t)n) == 0;
    if (!same) {
        memcpy(im->cols, cols, sizeof cols);
        memcpy(im->header_cols, cols, sizeof cols);
        memcpy(im->col_label, labels, sizeof labels);
        im->ncols = n;
    }
    /* A header seen again is a page break: the next row may finish cells
     * the page cut. */
    im->after_header = same;
    im->table = true;
    im->expect_years = true;
    return true;
}

/* The row under a header that names the sub-columns of the échéance
 * ("An 1", "An 2", … or years, seasons): every cell short and under the
 * échéance or under no header. */
static bool read_year_header(cn_import *im, char **cells, int n)
{
    int found = 0;
    for (int i = 0; i < n; i++) {
        if (!cells[i][0])
            continue;
        if (i >= im->ncols || strlen(cells[i]) > 24 || (im->cols[i] != F_SCHED && im->cols[i] != F_NONE &&
                                                          im->cols[i] != F_YEAR))
            return false;
        found++;
    }
    if (!found)
        return false;
    for (int i = 0; i < n; i++)
        if (cells[i][0]) {
            im->cols[i] = F_YEAR;
            im->col_label[i] = cells[i];
        }
    return true;
}

/* ---- entities ---------------------------------------------------------- */

static void new_orientation(cn_import *im, const char *num, const char *statement, bool table);

static int new_objective(cn_import *im, const char *num, const char *text, bool from_text)
{
    obj_t *o = PUSH(im, obj);
    if (!o)
        return -1;
    o->number = num && *num ? zs(im, num) : NULL;
    o->text = zs(im, text);
    o->ori = im->cur_ori;
    o->line = im->line;
    o->dropped = im->cur_ori >= 0 && im->ori[im->cur_ori].dropped;
    im->cur_obj = (int)(im->n_obj - 1);
    im->obj_from_text = from_text;
    return im->cur_obj;
}

/* Actions met before any objective get one, named after their orientation. */
static int objective_for_action(cn_import *im)
{
    if (im->cur_obj >= 0 && (im->cur_ori < 0 || im->obj[im->cur_obj].ori == im->cur_ori))
        return im->cur_obj;
    const char *text = im->cur_ori >= 0 ? im->ori[im->cur_ori].statement
                                        : L("Actions sans objectif dans le document", "Actions with no objective in the document");
    int o = new_objective(im, NULL, text, true);
    report(im, im->line, "assumed", text,
           L("des actions n'ont pas d'objectif au-dessus d'elles : un objectif a été créé pour elles",
             "actions have no objective above them: an objective was created for them"));
    return o;
}

/* "…ensemble, etc.); an 1." → the échéance "an 1", cut from the text. */
static const char *schedule_in_text(cn_import *im, char **text)
{
    const char *f = fold(im, *text);
    size_t n = strlen(f);
    while (n && (f[n - 1] == '.' || f[n - 1] == ' '))
        n--;
    size_t k = n;
    while (k && (isdigit((unsigned char)f[k - 1]) || f[k - 1] == '-' || f[k - 1] == ' ' || f[k - 1] == ','))
        k--;
    if (k == n || k < 4 || strncmp(f + k - 2, "an", 2) != 0 || (f[k - 3] != ' ' && f[k - 3] != ';'))
        return NULL;
    k -= 2;
    size_t cut = k;
    while (cut && (f[cut - 1] == ' ' || f[cut - 1] == ';' || f[cut - 1] == ','))
        cut--;
    if (cut == k || !(f[cut] == ';' || f[cut] == ','))
        return NULL;
    /* The fold keeps ASCII bytes in place only up to the first accent:
     * count from the end instead, the tail being ASCII. */
    size_t tail = strlen(f) - cut, len = strlen(*text);
    char *sched = cn_zdup(im->z, *text + len - (strlen(f) - k), strlen(f) - k);
    for (size_t e = sched ? strlen(sched) : 0; e && (sched[e - 1] == '.' || sched[e - 1] == ' ');)
        sched[--e] = '\0';
    *text = cn_zdup(im->z, *text, len - tail);
    return sched;
}

/* "…abordables (printemps 2023)" → the échéance "printemps 2023". */
static const char *dates_in_parens(cn_import *im, char **text)
{
    size_t n = strlen(*text);
    if (n < 4 || (*text)[n - 1] != ')')
        return NULL;
    const char *open = strrchr(*text, '(');
    if (!open || open == *text)
        return NULL;
    char *inner = cn_zdup(im->z, open + 1, (size_t)(*text + n - 1 - open - 1));
    cn_window w[8];
    size_t k = inner ? cn_echeance_parse(inner, NULL, w, 8) : 0;
    for (size_t i = 0; i < k; i++)
        if (w[i].kind == CN_WIN_UNKNOWN)
            return NULL;
    if (!k)
        return NULL;
    size_t keep = (size_t)(open - *text);
    while (keep && (*text)[keep - 1] == ' ')
        keep--;
    *text = cn_zdup(im->z, *text, keep);
    return inner;
}

static int new_action(cn_import *im, const char *num, const char *text)
{
    int obj = objective_for_action(im);
    act_t *a = PUSH(im, act);
    if (!a)
        return -1;
    a->number = num && *num ? zs(im, num) : NULL;
    a->text = zs(im, text);
    a->schedule = a->text ? (char *)schedule_in_text(im, &a->text) : NULL;
    if (a->text && !a->schedule)
        a->schedule = (char *)dates_in_parens(im, &a->text);
    a->obj = obj;
    a->line = im->line;
    a->dropped = obj >= 0 && im->obj[obj].dropped;
    return (int)(im->n_act - 1);
}

static void new_orientation(cn_import *im, const char *num, const char *statement, bool table)
{
    bool dropped = false;
    if (num && *num)
        for (size_t i = 0; i < im->n_ori; i++) {
            ori_t *e = &im->ori[i];
            if (e->dropped || !e->number || strcmp(e->number, num) != 0)
                continue;
            if (strcmp(fold(im, e->statement), fold(im, statement)) == 0) { /* the same heading, repeated */
                im->cur_ori = (int)i;
                im->cur_obj = -1;
                return;
            }
            if (e->table == table) {
                char msg[160];
                snprintf(msg, sizeof msg, L("l'orientation %s existe déjà (ligne %d) : un autre numéro lui est donné",
                                            "orientation %s already exists (line %d): it gets another number"),
                         num, e->line);
                report(im, im->line, "assumed", statement, msg);
                num = NULL;
                break;
            }
            /* A summary and the detailed table of the same orientation:
             * the table is kept. */
            ori_t *summary = table ? e : NULL;
            if (summary) {
                summary->dropped = true;
                for (size_t k = 0; k < im->n_obj; k++)
                    if (im->obj[k].ori == (int)i)
                        im->obj[k].dropped = true;
                for (size_t k = 0; k < im->n_act; k++)
                    if (im->act[k].obj >= 0 && im->obj[im->act[k].obj].dropped)
                        im->act[k].dropped = true;
            } else
                dropped = true;
            char msg[200];
            snprintf(msg, sizeof msg,
                     L("lignes %d à %d : résumé de l'orientation %s, remplacé par son tableau détaillé (ligne %d)",
                       "lines %d to %d: summary of orientation %s, replaced by its detailed table (line %d)"),
                     summary ? e->line : im->line, summary ? e->last_line : im->line, num, summary ? im->line : e->line);
            report(im, summary ? e->line : im->line, "superseded", summary ? e->statement : statement, msg);
            break;
        }
    ori_t *o = PUSH(im, ori);
    if (!o)
        return;
    o->number = num && *num ? zs(im, num) : NULL;
    o->statement = zs(im, statement);
    o->line = o->last_line = im->line;
    o->table = table;
    o->dropped = dropped;
    im->cur_ori = (int)(im->n_ori - 1);
    im->cur_obj = -1;
    im->objective_heading = false;
}

/* "Orientation 1 : …", "ORIENTATION 2: SOUTENIR", "Axe 3 - …". */
static bool orientation_line(cn_import *im, const char *text)
{
    const char *f = fold(im, text);
    static const char *const words[] = {"orientation", "axe", "enjeu", "grande orientation", NULL};
    for (int i = 0; words[i]; i++) {
        size_t n = strlen(words[i]);
        if (strncmp(f, words[i], n) != 0)
            continue;
        size_t k = n;
        if (f[k] == 's')
            k++;
        if (f[k] != ' ' && f[k] != ':' && !isdigit((unsigned char)f[k]))
            continue;
        while (f[k] == ' ')
            k++;
        if (starts(f + k, "no ") || starts(f + k, "n° "))
            k += 3;
        char num[16] = "";
        size_t d = 0;
        while (isdigit((unsigned char)f[k]) && d < 6)
            num[d++] = f[k++];
        num[d] = '\0';
        while (f[k] == ' ')
            k++;
        if (f[k] != ':' && f[k] != '-' && f[k] != '.' && f[k] != ')')
            continue;
        k++;
        while (f[k] == ' ')
            k++;
        /* The folded text has the original's length up to here only when
         * the heading word had no accent: find the same point in text. */
        const char *rest = text;
        for (const char *p = text; *p; p++)
            if (*p == ':' || *p == '-' || *p == '.' || *p == ')') {
                if (p > text && (isdigit((unsigned char)p[-1]) || p[-1] == ' ' || isalpha((unsigned char)p[-1]))) {
                    rest = p + 1;
                    break;
                }
            }
        while (*rest == ' ')
            rest++;
        if (!*rest)
            return false;
        new_orientation(im, num, rest, im->table || im->tabbed);
        return true;
    }
    return false;
}

/* ---- plan details ------------------------------------------------------ */

/* "2018-2023", "2017 - 2020", "2023-24", or one year. */
static bool find_period(const char *s, int *y1, int *y2)
{
    for (const char *p = s; *p; p++) {
        if (!(p[0] == '1' || p[0] == '2') || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
            !isdigit((unsigned char)p[3]) || (p > s && isdigit((unsigned char)p[-1])) || isdigit((unsigned char)p[4]))
            continue;
        *y1 = atoi(p);
        *y2 = *y1;
        const char *q = p + 4;
        while (*q == ' ')
            q++;
        if (*q == '-' || *q == '/' || starts(q, "–") || starts(q, "à")) {
            q += (unsigned char)*q < 0x80 ? 1 : (starts(q, "à") ? 2 : 3);
            while (*q == ' ')
                q++;
            if (isdigit((unsigned char)q[0]) && isdigit((unsigned char)q[1])) {
                int y = atoi(q);
                if (y < 100)
                    y += (*y1 / 100) * 100;
                if (y >= *y1 && y <= *y1 + 20)
                    *y2 = y;
            }
        }
        return *y1 >= 1970 && *y1 <= 2200;
    }
    return false;
}

static bool plan_title_line(cn_import *im, const char *text, const char *f)
{
    if (!(starts(f, "plan d'action") || starts(f, "plan strategique") || starts(f, "plan de travail") ||
          starts(f, "plan annuel") || starts(f, "plan triennal") || starts(f, "plan quinquennal")) ||
        strlen(text) > 200)
        return false;
    int y1, y2;
    bool has_period = find_period(text, &y1, &y2);
    if (!im->title) {
        im->title = zs(im, text);
        if (has_period) {
            char period[16];
            snprintf(period, sizeof period, y2 != y1 ? "%d-%d" : "%d", y1, y2);
            im->period = zs(im, period);
        }
    }
    return true; /* later ones are the same title at the top of a page */
}

static bool adoption_line(cn_import *im, const char *text, const char *f)
{
    if (!(starts(f, "adopte") || starts(f, "plan adopte") || starts(f, "date d'adoption")) || strlen(text) > 160)
        return false;
    cn_window w[4];
    size_t n = cn_echeance_parse(text, NULL, w, 4);
    for (size_t i = 0; i < n; i++)
        if (w[i].kind == CN_WIN_DATED && strcmp(w[i].start, w[i].end) == 0) {
            if (!im->adopted_on)
                im->adopted_on = zs(im, w[i].start);
            return true;
        }
    return false;
}

/* Headings that open a section of the document: returns true when text is one. */
static bool section_heading(cn_import *im, const char *text, const char *f)
{
    if (strlen(text) > 120)
        return false;
    char num[64];
    if (cn_num_prefix(text, num))
        return false;
    if (starts(f, "mission")) {
        im->sec = S_MISSION;
        const char *colon = strchr(text, ':');
        if (colon && colon[1])
            im->mission = cn_zcat(im->z, im->mission, "\n\n", colon + 1 + (colon[1] == ' '));
        return true;
    }
    if (starts(f, "mandat") || starts(f, "les mandats") || starts(f, "nos mandats")) {
        im->sec = S_MANDATES;
        return true;
    }
    static const char *const glossary[] = {"liste d'acronymes", "liste des acronymes", "acronymes", "sigles",
                                           "liste des sigles", "sigles et acronymes", "glossaire", "lexique",
                                           "abreviations", "liste des abreviations", NULL};
    for (int i = 0; glossary[i]; i++)
        if (starts(f, glossary[i])) {
            im->sec = S_GLOSSARY;
            im->table = false;
            return true;
        }
    static const char *const context[] = {"contexte", "mise en contexte", "introduction", "preambule", "historique",
                                          "mot de", "presentation", NULL};
    for (int i = 0; context[i]; i++)
        if (starts(f, context[i])) {
            im->sec = S_CONTEXT;
            report(im, im->line, "context", text,
                   L("titre d'une section de contexte : le modèle du plan n'a pas de champ pour elle",
                     "heading of a context section: the plan model has no field for it"));
            return true;
        }
    if (starts(f, "objectif")) {
        const char *p = f + 8;
        if (*p == 's')
            p++;
        while (*p == ' ')
            p++;
        static const char *const kinds[] = {"specifiques", "specifique", "generaux", "general", NULL};
        for (int i = 0; kinds[i]; i++)
            if (starts(p, kinds[i])) {
                p += strlen(kinds[i]);
                break;
            }
        while (*p == ' ')
            p++;
        if (*p != ':' && *p)
            return false;
        const char *colon = strchr(text, ':');
        const char *rest = colon ? colon + 1 : "";
        while (*rest == ' ')
            rest++;
        if (*rest)
            new_objective(im, NULL, rest, true);
        else
            im->objective_heading = true;
        im->sec = S_NONE;
        return true;
    }
    return false;
}

/* "CISSS\tCentre intégré…", "CISSS : Centre…", "CISSS – Centre…". */
static bool glossary_line(cn_import *im, char **cells, int n, const char *text)
{
    const char *term = NULL, *def = NULL;
    int filled = 0;
    for (int i = 0; i < n; i++)
        if (cells[i][0]) {
            if (!term)
                term = cells[i];
            else if (!def)
                def = cells[i];
            filled++;
        }
    if (filled == 2) {
        pair_t *p = PUSH(im, terms);
        if (p) {
            p->a = zs(im, term);
            p->b = zs(im, def);
        }
        return p != NULL;
    }
    static const char *const seps[] = {" : ", " – ", " - ", ": ", " = ", NULL};
    for (int i = 0; seps[i]; i++) {
        const char *s = strstr(text, seps[i]);
        if (s && s - text <= 24 && s > text) {
            pair_t *p = PUSH(im, terms);
            if (!p)
                return false;
            p->a = cn_zdup(im->z, text, (size_t)(s - text));
            p->b = zs(im, s + strlen(seps[i]));
            return true;
        }
    }
    return false;
}

static bool mandate_line(cn_import *im, char **cells, int n, const char *text)
{
    char num[64];
    const char *body = NULL;
    int filled = 0, first = -1;
    for (int i = 0; i < n; i++)
        if (cells[i][0]) {
            filled++;
            if (first < 0)
                first = i;
        }
    if (filled == 2 && strspn(cells[first], "0123456789") == strlen(cells[first]) && strlen(cells[first]) <= 3) {
        snprintf(num, sizeof num, "%s", cells[first]);
        for (int i = first + 1; i < n; i++)
            if (cells[i][0])
                body = cells[i];
    } else {
        size_t k = cn_num_prefix(text, num);
        if (!k || cn_num_depth(num) != 1)
            return false;
        body = text + k;
    }
    pair_t *p = PUSH(im, mandates);
    if (!p)
        return false;
    p->a = zs(im, num);
    p->b = zs(im, body);
    return true;
}

/* ---- tables ------------------------------------------------------------ */

static bool marked(const char *cell, const char *f)
{
    static const char *const marks[] = {"x", "xx", "oui", "*", "•", "✓", "✔", "√", "■", "●", "v", NULL};
    for (int i = 0; marks[i]; i++)
        if (strcmp(f, marks[i]) == 0)
            return true;
    (void)cell;
    return false;
}

static bool ends_sentence(const char *s)
{
    size_t n = strlen(s);
    return n && (s[n - 1] == '.' || s[n - 1] == '!' || s[n - 1] == '?');
}

static bool continues(const char *cell)
{
    char num[64];
    return cell && (cn_starts_lower(cell) || cell[0] == '(') && !cn_num_prefix(cell, num);
}

static char **act_field(act_t *a, enum field f)
{
    switch (f) {
    case F_ACT: return &a->text;
    case F_TARGETS: return &a->targets;
    case F_SCHED: return &a->schedule;
    case F_EXPECTED: return &a->expected;
    case F_RESP: return &a->responsible;
    case F_IND: return &a->indicators;
    case F_STATUS: return &a->progress;
    default: return NULL;
    }
}

static size_t count_lines(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Gives the text of field f of this row to the row's actions: by their
 * numbers when the cell repeats them, in order when it has one item per
 * action, else the same text to each (indicators to the first only). */
static void distribute(cn_import *im, enum field f, const char *cell)
{
    int n = im->row_n;
    const char *nums[MAX_ITEMS];
    char *parts[MAX_ITEMS + 1];
    int numbered = 0;
    for (int i = 0; i < n; i++) {
        const char *num = im->act[im->row_first + i].number;
        nums[i] = num ? num : "";
        numbered += num != NULL;
    }
    size_t found = numbered ? cn_cell_by_number(im->z, cell, nums, (size_t)n, parts) : 0;
    for (int i = 0; i < n; i++) {
        act_t *a = &im->act[im->row_first + i];
        char **dst = act_field(a, f);
        const char *text;
        if (found)
            text = cn_zcat(im->z, parts[n], " ", parts[i]);
        else if (n > 1 && count_lines(cell) == (size_t)n) {
            const char *p = cell;
            for (int k = 0; k < i; k++)
                p = strchr(p, '\n') + 1;
            const char *nl = strchr(p, '\n');
            text = cn_zdup(im->z, p, nl ? (size_t)(nl - p) : strlen(p));
        } else if (f == F_IND && i > 0)
            text = NULL;
        else
            text = cell;
        if (text && *text)
            *dst = cn_zcat(im->z, *dst, f == F_TARGETS || f == F_IND ? "\n" : " ", text);
    }
}

static void table_row(cn_import *im, char **cells, int n)
{
    char *c[NFIELDS] = {0};
    char *years = NULL;
    for (int i = 0; i < n; i++) {
        if (!cells[i][0])
            continue;
        enum field f = i < im->ncols ? im->cols[i] : F_OTHER;
        if (f == F_YEAR) {
            if (marked(cells[i], fold(im, cells[i])))
                years = cn_zcat(im->z, years, ", ", im->col_label[i]);
            else
                c[F_SCHED] = cn_zcat(im->z, c[F_SCHED], " ", cells[i]);
            continue;
        }
        if (f == F_NONE || f == F_OTHER) {
            char msg[200];
            snprintf(msg, sizeof msg, L("colonne « %s » : le modèle du plan n'a pas de champ pour elle",
                                        "column \"%s\": the plan model has no field for it"),
                     i < im->ncols && im->col_label[i] ? im->col_label[i] : "?");
            report(im, im->line, "unplaced", cells[i], msg);
            continue;
        }
        c[f] = cn_zcat(im->z, c[f], "\n", cells[i]);
    }
    if (c[F_ORIENT]) {
        if (im->cur_ori < 0 || strcmp(fold(im, im->ori[im->cur_ori].statement), fold(im, c[F_ORIENT])) != 0) {
            char num[64] = "";
            size_t k = cn_num_prefix(c[F_ORIENT], num);
            if (!orientation_line(im, c[F_ORIENT]))
                new_orientation(im, num, c[F_ORIENT] + k, true);
        }
    }
    /* The first row after a repeated header finishes the cells the page
     * break cut: text that starts in lower case and has no number. */
    if (im->after_header) {
        im->after_header = false;
        if (continues(c[F_OBJ]) && im->cur_obj >= 0) {
            obj_t *o = &im->obj[im->cur_obj];
            o->text = cn_zcat(im->z, o->text, " ", c[F_OBJ]);
            c[F_OBJ] = NULL;
        }
        if (im->n_act > 0) {
            act_t *last = &im->act[im->n_act - 1];
            for (int f = F_ACT; f < NFIELDS; f++) {
                char **dst = act_field(last, (enum field)f);
                if (!dst || !continues(c[f]) || (f != F_ACT && (!*dst || ends_sentence(*dst))))
                    continue;
                *dst = cn_zcat(im->z, *dst, " ", c[f]);
                c[f] = NULL;
            }
        }
    }
    if (c[F_OBJ]) {
        char num[64] = "";
        size_t k = cn_num_prefix(c[F_OBJ], num);
        new_objective(im, num, c[F_OBJ] + k, false);
    }
    if (c[F_ACT]) {
        cn_item items[MAX_ITEMS];
        size_t m = cn_cell_items(im->z, c[F_ACT], items, MAX_ITEMS);
        im->row_first = (int)im->n_act;
        im->row_n = 0;
        for (size_t i = 0; i < m; i++)
            if (new_action(im, items[i].num, items[i].text) >= 0)
                im->row_n++;
    } else {
        bool rest = years != NULL;
        for (int f = F_TARGETS; f < NFIELDS; f++)
            rest = rest || c[f];
        if (!rest)
            return;
        if (im->n_act == 0 || im->act[im->n_act - 1].obj != im->cur_obj) {
            for (int f = F_TARGETS; f < NFIELDS; f++)
                if (c[f])
                    report(im, im->line, "unplaced", c[f],
                           L("cette cellule n'est sur la ligne d'aucune action", "this cell is on no action's row"));
            return;
        }
        /* A row that only continues the action above (a cell split in two). */
        im->row_first = (int)im->n_act - 1;
        im->row_n = 1;
    }
    if (im->row_n == 0)
        return;
    for (int f = F_TARGETS; f < NFIELDS; f++)
        if (c[f] && f != F_YEAR)
            distribute(im, (enum field)f, c[f]);
    if (years)
        for (int i = 0; i < im->row_n; i++) {
            act_t *a = &im->act[im->row_first + i];
            a->schedule = cn_zcat(im->z, a->schedule, ", ", years);
        }
}

/* ---- lists and summaries ----------------------------------------------- */

static bool is_bullet_line(const char *s, size_t *skip)
{
    static const char *const marks[] = {"- ", "– ", "• ", "* ", "· ", "▪ ", "", NULL};
    for (int i = 0; marks[i] && marks[i][0]; i++)
        if (starts(s, marks[i])) {
            *skip = strlen(marks[i]);
            return true;
        }
    return false;
}

static void outline_line(cn_import *im, const char *text)
{
    char num[64];
    size_t k;
    if (is_bullet_line(text, &k)) {
        if (im->cur_ori < 0 && im->cur_obj < 0) {
            report(im, im->line, "unplaced", text,
                   L("puce hors de toute orientation ou objectif", "bullet outside any orientation or objective"));
            return;
        }
        im->row_first = new_action(im, NULL, text + k);
        im->row_n = 1;
        return;
    }
    if ((k = cn_num_prefix(text, num)) > 0) {
        int depth = cn_num_depth(num);
        if (depth == 1 && !im->objective_heading) {
            new_orientation(im, num, text + k, im->table || im->tabbed);
            return;
        }
        bool action = depth >= 3 || (depth == 2 && im->cur_obj >= 0 && im->obj_from_text &&
                                      (im->cur_ori < 0 || im->obj[im->cur_obj].ori == im->cur_ori));
        if (action) {
            im->row_first = new_action(im, num, text + k);
            im->row_n = 1;
        } else
            new_objective(im, num, text + k, false);
        im->objective_heading = false;
        return;
    }
    if (im->objective_heading) {
        new_objective(im, NULL, text, true);
        im->objective_heading = false;
        return;
    }
    if (cn_starts_lower(text) && im->n_act > 0 && im->act[im->n_act - 1].line >= im->line - 2) {
        act_t *a = &im->act[im->n_act - 1];
        a->text = cn_zcat(im->z, a->text, " ", text);
        return;
    }
    if (im->cur_ori >= 0 && !im->table) {
        new_objective(im, NULL, text, true);
        return;
    }
    report(im, im->line, "unplaced", text,
           L("texte hors de toute orientation, section ou tableau reconnu",
             "text outside any orientation, section or table the importer knows"));
}

/* ---- one line ---------------------------------------------------------- */

static bool seen_before(cn_import *im, const char *f)
{
    for (size_t i = 0; i < im->n_seen; i++)
        if (strcmp(im->seen[i], f) == 0)
            return true;
    char **s = PUSH(im, seen);
    if (s)
        *s = (char *)f;
    return false;
}

static void read_line(cn_import *im, char **cells, int n)
{
    int filled = 0, first = -1;
    for (int i = 0; i < n; i++)
        if (cells[i][0]) {
            filled++;
            if (first < 0)
                first = i;
        }
    if (!filled)
        return;
    im->tabbed = n > 1;
    char *text = NULL;
    for (int i = 0; i < n; i++)
        if (cells[i][0])
            text = cn_zcat(im->z, text, " ", cells[i]);
    for (char *p = text; *p; p++)
        if (*p == '\n')
            *p = ' ';
    const char *f = fold(im, text);
    char num[64];
    bool single = filled == 1;
    /* Page titles repeat at every page break. */
    if (single && strlen(text) <= 160 && !cn_num_prefix(text, num) && seen_before(im, f) &&
        !(im->sec == S_MISSION || im->sec == S_CONTEXT))
        return;
    if (n > 1 && read_header(im, cells, n)) {
        im->sec = S_NONE;
        return;
    }
    if (im->expect_years) {
        im->expect_years = false;
        if (n > 1 && read_year_header(im, cells, n))
            return;
    }
    if (cells[first] == text || single || strstr(f, "orientation") == f) {
        if (single && orientation_line(im, text)) {
            im->sec = S_NONE;
            return;
        }
    }
    if (single && plan_title_line(im, text, f)) {
        im->sec = S_NONE;
        return;
    }
    if (single && adoption_line(im, text, f))
        return;
    if (single && section_heading(im, text, f))
        return;
    switch (im->sec) {
    case S_GLOSSARY:
        if (glossary_line(im, cells, n, text))
            return;
        report(im, im->line, "unplaced", text, L("ligne du lexique sans terme ni définition",
                                                 "glossary line without a term and a definition"));
        return;
    case S_MANDATES:
        if (mandate_line(im, cells, n, text))
            return;
        im->sec = S_NONE;
        break;
    case S_MISSION:
        if (single && !cn_num_prefix(text, num)) {
            im->mission = cn_zcat(im->z, im->mission, "\n\n", text);
            return;
        }
        im->sec = S_NONE;
        break;
    case S_CONTEXT:
        if (single && !cn_num_prefix(text, num) && !strstr(f, "\t")) {
            report(im, im->line, "context", text,
                   L("texte de contexte : le modèle du plan n'a pas de champ pour lui",
                     "context text: the plan model has no field for it"));
            return;
        }
        im->sec = S_NONE;
        break;
    case S_NONE:
        break;
    }
    if (im->table && n > 1) {
        table_row(im, cells, n);
        return;
    }
    outline_line(im, text);
}

/* ---- finishing --------------------------------------------------------- */

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

static bool number_taken(char **nums, size_t n, const char *num)
{
    for (size_t i = 0; i < n; i++)
        if (nums[i] && strcmp(nums[i], num) == 0)
            return true;
    return false;
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
static void find_target(cn_import *im, ind_t *ind, const char *results)
{
    const char *f = fold(im, ind->name);
    static const char *const leads[] = {"nombre de ", "nombre d'", "nombre des ", "nb de ", "nb d'", "quantite de ",
                                        "nombre total de ", NULL};
    const char *noun = NULL;
    for (int i = 0; leads[i]; i++)
        if (starts(f, leads[i]))
            noun = f + strlen(leads[i]);
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
                if (starts(p, leads[i]))
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
    else if (y1) {
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
     * "<orientation>.<k>"; numbers never repeat. */
    char **taken = calloc(im->n_obj + im->n_act + 1, sizeof *taken);
    if (!taken)
        return;
    size_t nt = 0;
    for (size_t i = 0; i < im->n_obj; i++) {
        obj_t *o = &im->obj[i];
        if (o->dropped)
            continue;
        if (o->number && number_taken(taken, nt, o->number)) {
            report(im, o->line, "assumed", o->text,
                   L("numéro d'objectif déjà pris : un autre lui est donné", "objective number taken: it gets another"));
            o->number = NULL;
        }
        if (o->number)
            taken[nt++] = o->number;
    }
    for (size_t i = 0; i < im->n_obj; i++) {
        obj_t *o = &im->obj[i];
        if (o->dropped || o->number)
            continue;
        const char *parent = o->ori >= 0 ? im->ori[o->ori].number : NULL;
        int siblings = 0;
        for (size_t k = 0; k < im->n_obj; k++)
            siblings += !im->obj[k].dropped && im->obj[k].ori == o->ori;
        char n[80];
        if (parent && siblings == 1 && !number_taken(taken, nt, parent))
            snprintf(n, sizeof n, "%s", parent);
        else
            for (int k = 1;; k++) {
                if (parent)
                    snprintf(n, sizeof n, "%s.%d", parent, k);
                else
                    snprintf(n, sizeof n, "%d", k);
                if (!number_taken(taken, nt, n))
                    break;
            }
        o->number = zs(im, n);
        taken[nt++] = o->number;
        take_mandates(im, o);
    }
    for (size_t i = 0; i < im->n_obj; i++)
        if (!im->obj[i].dropped && !im->obj[i].mandates)
            take_mandates(im, &im->obj[i]);
    /* Actions: "<objective>.<k>". */
    nt = 0;
    for (size_t i = 0; i < im->n_act; i++) {
        act_t *a = &im->act[i];
        if (a->dropped)
            continue;
        if (a->number && number_taken(taken, nt, a->number)) {
            char msg[160];
            snprintf(msg, sizeof msg, L("l'action %s existe déjà : un autre numéro lui est donné",
                                        "action %s already exists: it gets another number"),
                     a->number);
            report(im, a->line, "assumed", a->text, msg);
            a->number = NULL;
        }
        if (a->number)
            taken[nt++] = a->number;
    }
    for (size_t i = 0; i < im->n_act; i++) {
        act_t *a = &im->act[i];
        if (a->dropped || a->number)
            continue;
        char n[96];
        for (int k = 1;; k++) {
            snprintf(n, sizeof n, "%s.%d", im->obj[a->obj].number, k);
            if (!number_taken(taken, nt, n))
                break;
        }
        a->number = zs(im, n);
        taken[nt++] = a->number;
    }
    free(taken);
}

static void finish_indicators(cn_import *im)
{
    for (size_t i = 0; i < im->n_act; i++)
        if (!im->act[i].dropped && im->act[i].indicators)
            split_indicators(im, (int)i, im->act[i].indicators);
    for (size_t i = 0; i < im->n_ind; i++) {
        ind_t *ind = &im->ind[i];
        act_t *a = &im->act[ind->act];
        find_target(im, ind, a->expected);
        if (ind->has_target)
            continue;
        /* A results cell merged over several rows lands in one of them:
         * look in the whole objective's results too. */
        char *all = NULL;
        for (size_t k = 0; k < im->n_act; k++)
            if (im->act[k].obj == a->obj && im->act[k].expected)
                all = cn_zcat(im->z, all, " ", im->act[k].expected);
        find_target(im, ind, all);
    }
}

static void finish(cn_import *im)
{
    finish_plan(im);
    finish_numbers(im);
    finish_indicators(im);
}

/* ---- reading ----------------------------------------------------------- */

cn_import *cn_import_read(const char *text, size_t len, const cn_import_opts *opts)
{
    cn_import *im = calloc(1, sizeof *im);
    if (!im)
        return NULL;
    im->z = msgpack_zone_new(8192);
    if (!im->z) {
        free(im);
        return NULL;
    }
    im->opt_start = opts ? zs(im, opts->plan_start) : NULL;
    im->opt_title = opts ? zs(im, opts->title) : NULL;
    im->today = opts && opts->today ? zs(im, opts->today) : NULL;
    im->cur_ori = im->cur_obj = -1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3, len -= 3;
    const char *end = text + len;
    for (const char *p = text; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        im->line++;
        char *cells[MAX_COLS * 2];
        int nc = 0;
        const char *c = p;
        while (nc < MAX_COLS * 2) {
            const char *tab = memchr(c, '\t', (size_t)(p + n - c));
            size_t cl = tab ? (size_t)(tab - c) : (size_t)(p + n - c);
            if (cl && c[cl - 1] == '\r')
                cl--;
            cells[nc++] = cn_cell_clean(im->z, c, cl);
            if (!cells[nc - 1])
                break;
            if (!tab)
                break;
            c = tab + 1;
        }
        if (nc && cells[nc - 1])
            read_line(im, cells, nc);
        if (im->cur_ori >= 0)
            im->ori[im->cur_ori].last_line = im->line;
        p += n + 1;
    }
    finish(im);
    return im;
}

void cn_import_free(cn_import **imp)
{
    cn_import *im = *imp;
    if (!im)
        return;
    free(im->mandates);
    free(im->ori);
    free(im->obj);
    free(im->act);
    free(im->ind);
    free(im->terms);
    free(im->notes);
    free(im->seen);
    msgpack_zone_free(im->z);
    free(im);
    *imp = NULL;
}

/* ---- packing ----------------------------------------------------------- */

static void pk_opt(msgpack_packer *pk, const char *key, const char *value)
{
    cn_pk_str(pk, key);
    if (value && *value)
        cn_pk_str(pk, value);
    else
        msgpack_pack_nil(pk);
}

/* "CLDS\nMembres; Partenaires" → ["CLDS", "Membres", "Partenaires"]. */
static void pk_list(cn_import *im, msgpack_packer *pk, const char *s)
{
    char *items[64];
    size_t n = 0;
    for (const char *p = s; p && *p && n < 64;) {
        size_t len = strcspn(p, "\n;");
        char *item = cn_zdup(im->z, p, len);
        char *t = item;
        while (t && *t == ' ')
            t++;
        size_t tl = t ? strlen(t) : 0;
        while (tl && t[tl - 1] == ' ')
            t[--tl] = '\0';
        if (tl)
            items[n++] = t;
        p += len + (p[len] ? 1 : 0);
    }
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        cn_pk_str(pk, items[i]);
}

const char *cn_status_from_words(const char *text)
{
    static const char *const codes[] = {"planned", "in_progress", "done", "ongoing", "postponed", "cancelled", NULL};
    for (int i = 0; codes[i]; i++)
        if (strcmp(text, codes[i]) == 0)
            return codes[i];
    size_t cap = strlen(text) * 2 + 1;
    char *f = malloc(cap);
    if (!f)
        return NULL;
    cn_fold(text, f, cap);
    static const struct {
        const char *word, *status;
    } words[] = {
        {"annule", "cancelled"},    {"abandonne", "cancelled"},   {"cancel", "cancelled"},
        {"reporte", "postponed"},   {"postpone", "postponed"},    {"en continu", "ongoing"},
        {"continu", "ongoing"},     {"ongoing", "ongoing"},       {"non debute", "planned"},
        {"non realise", "planned"}, {"pas commence", "planned"},  {"a venir", "planned"},
        {"a faire", "planned"},     {"prevu", "planned"},         {"planned", "planned"},
        {"en cours", "in_progress"}, {"partiel", "in_progress"},  {"amorce", "in_progress"},
        {"debute", "in_progress"},  {"in progress", "in_progress"}, {"realise", "done"},
        {"termine", "done"},        {"complete", "done"},         {"acheve", "done"},
        {"fait", "done"},           {"done", "done"},
    };
    const char *found = NULL;
    for (size_t i = 0; i < sizeof words / sizeof words[0] && !found; i++)
        if (strstr(f, words[i].word))
            found = words[i].status;
    free(f);
    return found;
}

static size_t live(const cn_import *im, int kind)
{
    size_t n = 0;
    if (kind == 0)
        for (size_t i = 0; i < im->n_ori; i++)
            n += !im->ori[i].dropped;
    else if (kind == 1)
        for (size_t i = 0; i < im->n_obj; i++)
            n += !im->obj[i].dropped;
    else
        for (size_t i = 0; i < im->n_act; i++)
            n += !im->act[i].dropped;
    return n;
}

void cn_import_pack_document(const cn_import *cim, msgpack_packer *pk)
{
    cn_import *im = (cn_import *)cim; /* packing allocates scratch strings in the zone */
    msgpack_pack_map(pk, 7);
    cn_pk_kstr(pk, "format", "concertd.plan");
    cn_pk_kint(pk, "version", 1);
    cn_pk_str(pk, "plan");
    msgpack_pack_map(pk, 8);
    pk_opt(pk, "title", im->title);
    pk_opt(pk, "period", im->period);
    pk_opt(pk, "start_date", im->start_date);
    pk_opt(pk, "end_date", im->end_date);
    pk_opt(pk, "adopted_on", im->adopted_on);
    pk_opt(pk, "mission", im->mission);
    cn_pk_kstr(pk, "status", "active");
    cn_pk_str(pk, "mandates");
    msgpack_pack_array(pk, im->n_mandates);
    for (size_t i = 0; i < im->n_mandates; i++) {
        msgpack_pack_map(pk, 2);
        cn_pk_kstr(pk, "number", im->mandates[i].a);
        cn_pk_kstr(pk, "text", im->mandates[i].b);
    }
    cn_pk_str(pk, "orientations");
    msgpack_pack_array(pk, live(im, 0));
    for (size_t i = 0; i < im->n_ori; i++) {
        if (im->ori[i].dropped)
            continue;
        msgpack_pack_map(pk, 2);
        cn_pk_kstr(pk, "number", im->ori[i].number);
        cn_pk_kstr(pk, "statement", im->ori[i].statement);
    }
    cn_pk_str(pk, "objectives");
    msgpack_pack_array(pk, live(im, 1));
    for (size_t i = 0; i < im->n_obj; i++) {
        obj_t *o = &im->obj[i];
        if (o->dropped)
            continue;
        msgpack_pack_map(pk, 4);
        cn_pk_kstr(pk, "number", o->number);
        pk_opt(pk, "orientation", o->ori >= 0 ? im->ori[o->ori].number : NULL);
        cn_pk_kstr(pk, "text", o->text);
        cn_pk_str(pk, "mandates");
        char *m = o->mandates ? cn_zdup(im->z, o->mandates, strlen(o->mandates)) : NULL;
        for (char *p = m; p && *p; p++)
            if (*p == ' ')
                *p = '\n';
        pk_list(im, pk, m);
    }
    cn_pk_str(pk, "actions");
    msgpack_pack_array(pk, live(im, 2));
    for (size_t i = 0; i < im->n_act; i++) {
        act_t *a = &im->act[i];
        if (a->dropped)
            continue;
        const char *status = a->progress ? cn_status_from_words(a->progress) : NULL;
        msgpack_pack_map(pk, 10);
        cn_pk_kstr(pk, "number", a->number);
        cn_pk_kstr(pk, "objective", im->obj[a->obj].number);
        cn_pk_kstr(pk, "text", a->text);
        pk_opt(pk, "priority", NULL);
        cn_pk_str(pk, "targets");
        pk_list(im, pk, a->targets);
        pk_opt(pk, "schedule", a->schedule);
        pk_opt(pk, "expected_result", a->expected);
        pk_opt(pk, "responsible", a->responsible);
        cn_pk_kstr(pk, "status", status ? status : "planned");
        cn_pk_str(pk, "notes");
        if (a->progress && im->today) {
            msgpack_pack_array(pk, 1);
            msgpack_pack_map(pk, 4);
            cn_pk_kstr(pk, "date", im->today);
            char *t = cn_zcat(im->z, L("État d'avancement :", "Progress:"), " ", a->progress);
            for (char *p = t; p && *p; p++)
                if (*p == '\n')
                    *p = ' ';
            cn_pk_kstr(pk, "text", t);
            pk_opt(pk, "status_from", NULL);
            pk_opt(pk, "status_to", status);
        } else
            msgpack_pack_array(pk, 0);
    }
    cn_pk_str(pk, "indicators");
    size_t ni = 0;
    for (size_t i = 0; i < im->n_ind; i++)
        ni += !im->act[im->ind[i].act].dropped;
    msgpack_pack_array(pk, ni);
    for (size_t i = 0; i < im->n_ind; i++) {
        ind_t *ind = &im->ind[i];
        if (im->act[ind->act].dropped)
            continue;
        msgpack_pack_map(pk, 7);
        cn_pk_kstr(pk, "action", im->act[ind->act].number);
        cn_pk_kstr(pk, "name", ind->name);
        pk_opt(pk, "unit", ind->unit);
        cn_pk_str(pk, "target");
        if (ind->has_target)
            msgpack_pack_double(pk, ind->target);
        else
            msgpack_pack_nil(pk);
        pk_opt(pk, "target_date", NULL);
        pk_opt(pk, "baseline", NULL);
        cn_pk_str(pk, "measurements");
        msgpack_pack_array(pk, 0);
    }
}

void cn_import_pack_glossary(const cn_import *im, msgpack_packer *pk)
{
    msgpack_pack_map(pk, im->n_terms);
    for (size_t i = 0; i < im->n_terms; i++) {
        cn_pk_str(pk, im->terms[i].a);
        cn_pk_str(pk, im->terms[i].b);
    }
}

size_t cn_import_glossary_count(const cn_import *im) { return im->n_terms; }

void cn_import_pack_report(const cn_import *im, msgpack_packer *pk)
{
    msgpack_pack_array(pk, im->n_notes);
    for (size_t i = 0; i < im->n_notes; i++) {
        const note_t *n = &im->notes[i];
        msgpack_pack_map(pk, 4);
        cn_pk_kint(pk, "line", n->line);
        cn_pk_kstr(pk, "kind", n->kind);
        cn_pk_kstr(pk, "text", n->text ? n->text : "");
        cn_pk_kstr(pk, "message", n->message ? n->message : "");
    }
}

size_t cn_import_report_count(const cn_import *im) { return im->n_notes; }
