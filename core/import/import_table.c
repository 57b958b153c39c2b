/* import_table.c: the plan's tables as copied out of Word or PDF: the
 * header row that names the columns (and the An 1…An 5 grid of years),
 * then each row's cells distributed to the action they describe, cells
 * cut across a page break joined to the row they continue. */
#include <stdio.h>
#include <string.h>

#include "import_cells.h"
#include "import_model.h"
#include "text.h"

#define zs cn_import_dup
#define fold cn_import_fold
#define report cn_import_report

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
    /* A PDF's narrow column cuts a header's words ("RESPO NSABL E"): compared without spaces too. */
    char squeezed[96];
    size_t k = 0;
    for (const char *p = f; *p && k + 1 < sizeof squeezed; p++)
        if (*p != ' ')
            squeezed[k++] = *p;
    squeezed[k] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (cn_import_starts(f, names[i].prefix) || (!strchr(names[i].prefix, ' ') && cn_import_starts(squeezed, names[i].prefix)))
            return names[i].field;
    return F_NONE;
}

/* "An 3" ending a header cell ("An 2", or "ÉCHÉANCE An 1" where a PDF's
 * header has the échéance over its first year): that year's column. */
static const char *year_label(const char *cell)
{
    size_t n = strlen(cell), d = n;
    while (d > 0 && cell[d - 1] >= '0' && cell[d - 1] <= '9')
        d--;
    if (d == n || n - d > 2 || d < 3 || cell[d - 1] != ' ' || (cell[d - 2] != 'n' && cell[d - 2] != 'N') ||
        (cell[d - 3] != 'a' && cell[d - 3] != 'A') || (d > 3 && cell[d - 4] != ' '))
        return NULL;
    return cell + d - 3;
}

/* A table header row: at least two cells naming known columns, one of
 * them the objectives or the actions, every cell short. */
bool cn_import_table_header(cn_import *im, char **cells, int n)
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
        if (year_label(cells[i]) && (cols[i] == F_NONE || cols[i] == F_SCHED)) {
            cols[i] = F_YEAR;
            labels[i] = (char *)year_label(cells[i]);
            continue;
        }
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
bool cn_import_year_header(cn_import *im, char **cells, int n)
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
 * action, else the same text to each (indicators to the first only, for
 * import_finish.c to place by their words). */
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
        else {
            text = cell;
            if (f == F_IND && n > 1) /* which action each measures: the words will say, or the report */
                a->ind_row_n = n;
        }
        if (text && *text)
            *dst = cn_zcat(im->z, *dst, f == F_TARGETS || f == F_IND ? "\n" : " ", text);
    }
}

void cn_import_table_row(cn_import *im, char **cells, int n)
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
            if (!cn_import_orientation_line(im, c[F_ORIENT]))
                cn_import_orientation(im, num, c[F_ORIENT] + k, true);
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
        /* A cell that repeats the objective above (a merged cell copied on
         * every row) is that objective, as for orientations. */
        const obj_t *cur = im->cur_obj >= 0 ? &im->obj[im->cur_obj] : NULL;
        bool same = cur && cur->ori == im->cur_ori && !im->obj_from_text &&
                    strcmp(cur->number ? cur->number : "", num) == 0 &&
                    strcmp(fold(im, cur->text), fold(im, c[F_OBJ] + k)) == 0;
        if (!same)
            cn_import_objective(im, num, c[F_OBJ] + k, false);
    }
    if (c[F_ACT]) {
        cn_item items[MAX_ITEMS];
        size_t m = cn_cell_items(im->z, c[F_ACT], items, MAX_ITEMS);
        im->row_first = (int)im->n_act;
        im->row_n = 0;
        for (size_t i = 0; i < m; i++)
            if (cn_import_action(im, items[i].num, items[i].text) >= 0)
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
