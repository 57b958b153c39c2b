/* import_text.c: see import_text.h. The line reader is read_line(); tables
 * go through table_row(), lists and summaries through outline_line();
 * import_finish.c then numbers, cleans and completes what was read, and
 * import_pack.c packs it. */
#include "import_text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echeance.h"
#include "import_cells.h"
#include "import_model.h"
#include "text.h"

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
}

/* Short names inside the importer. */
#define zs cn_import_dup
#define fold cn_import_fold
#define report cn_import_report

static bool starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

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
        if (starts(f + k, "no "))
            k += 3;
        else if (starts(f + k, "n° "))
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
          starts(f, "planification") || starts(f, "plan concerte") || starts(f, "plan regional") ||
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
        *s = zs(im, f);
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

/* ---- reading ----------------------------------------------------------- */

cn_import *cn_import_read(const char *text, size_t len, const cn_import_opts *opts)
{
    cn_import *im = calloc(1, sizeof *im);
    if (!im)
        return NULL;
    im->z = msgpack_zone_new(8192);
    im->scratch = msgpack_zone_new(8192);
    if (!im->z || !im->scratch) {
        if (im->z)
            msgpack_zone_free(im->z);
        if (im->scratch)
            msgpack_zone_free(im->scratch);
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
            /* The last cell takes what a row too wide for any plan has left. */
            if (nc == MAX_COLS * 2 - 1)
                tab = NULL;
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
        msgpack_zone_clear(im->scratch);
        p += n + 1;
    }
    cn_import_finish(im);
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
    msgpack_zone_free(im->scratch);
    free(im);
    *imp = NULL;
}

