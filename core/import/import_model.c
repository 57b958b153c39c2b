/* import_model.c: the plan under construction, shared by the readers
 * (import_text.c, import_table.c) and the last step (import_finish.c): the
 * importer's memory, its report, and adding orientations, objectives and
 * actions as the readers find them (an action's échéance found in its own
 * text, dates in parentheses). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echeance.h"
#include "fold.h"
#include "import_cells.h"
#include "import_model.h"
#include "text.h"

#define zs cn_import_dup
#define fold cn_import_fold
#define report cn_import_report

bool cn_import_grow(void **p, size_t *cap, size_t size)
{
    size_t n = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

char *cn_import_dup(cn_import *im, const char *s) { return s ? cn_zdup(im->z, s, strlen(s)) : NULL; }

char *cn_import_fold(cn_import *im, const char *s)
{
    size_t n = strlen(s) * 2 + 1;
    char *out = msgpack_zone_malloc(im->scratch, n);
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

void cn_import_report(cn_import *im, int line, const char *kind, const char *text, const char *message)
{
    note_t *n = PUSH(im, notes);
    if (!n)
        return;
    n->line = line;
    n->kind = kind;
    n->text = cn_import_dup(im, text);
    n->message = cn_import_dup(im, message);
    /* A message made in a fixed buffer may have been cut inside a character of the text it quotes. */
    if (n->message)
        n->message[cn_utf8_valid_prefix(n->message, strlen(n->message))] = '\0';
}

/* ---- entities ---------------------------------------------------------- */

int cn_import_objective(cn_import *im, const char *num, const char *text, bool from_text)
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
    int o = cn_import_objective(im, NULL, text, true);
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

int cn_import_action(cn_import *im, const char *num, const char *text)
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

void cn_import_orientation(cn_import *im, const char *num, const char *statement, bool table)
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
                char msg[160], ref[16];
                cn_import_line_ref(e->line, ref);
                snprintf(msg, sizeof msg, L("l'orientation %s existe déjà (%s) : un autre numéro lui est donné",
                                            "orientation %s already exists (%s): it gets another number"),
                         num, ref);
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
            char msg[200], last[16], table_ref[16];
            cn_import_line_ref(summary ? e->last_line : im->line, last);
            cn_import_line_ref(summary ? im->line : e->line, table_ref);
            snprintf(msg, sizeof msg,
                     L("résumé de l'orientation %s (fin : %s), remplacé par son tableau détaillé (%s)",
                       "summary of orientation %s (end: %s), replaced by its detailed table (%s)"),
                     num, last, table_ref);
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
bool cn_import_orientation_line(cn_import *im, const char *text)
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
        if (cn_import_starts(f + k, "no "))
            k += 3;
        else if (cn_import_starts(f + k, "n° "))
            k += strlen("n° ");
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
        /* The heading words have no accent, so the original has the same
         * bytes up to the separator; an en or em dash is 3 bytes there. */
        size_t sep = 0;
        for (size_t c = 0; c < k && text[sep]; c++)
            sep += (f[c] == '-' && (unsigned char)text[sep] == 0xE2) ? 3 : 1;
        const char *rest = text + (sep <= strlen(text) ? sep : strlen(text));
        while (*rest == ' ')
            rest++;
        if (!*rest)
            return false;
        cn_import_orientation(im, num, rest, im->table || im->tabbed);
        return true;
    }
    return false;
}
