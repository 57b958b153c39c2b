/* import_text.c: see import_text.h. The line reader is read_line(); tables
 * go through cn_import_table_row(), lists and summaries through outline_line();
 * import_finish.c then numbers, cleans and completes what was read, and
 * import_pack.c packs it. */
#include "import_text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echeance.h"
#include "import_cells.h"
#include "import_model.h"
#include "fold.h"
#include "strset.h"
#include "text.h"

/* Short names inside the importer. */
#define zs cn_import_dup
#define fold cn_import_fold
#define report cn_import_report


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
        if (*q == '-' || *q == '/' || cn_import_starts(q, "–") || cn_import_starts(q, "à")) {
            q += (unsigned char)*q < 0x80 ? 1 : (cn_import_starts(q, "à") ? 2 : 3);
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

/* The month a title names for the plan's years: "(avril à mars)",
 * "(juillet 2021 à juin 2022)" → 4, 7; else 0. */
static int title_month(const char *f)
{
    static const char *const months[] = {"janvier", "fevrier", "mars",      "avril",   "mai",      "juin",
                                         "juillet", "aout",    "septembre", "octobre", "novembre", "decembre"};
    const char *open = strchr(f, '(');
    const char *from = open ? open + 1 : NULL;
    for (int m = 0; from && m < 12; m++)
        if (strncmp(from, months[m], strlen(months[m])) == 0)
            return m + 1;
    return 0;
}

static bool plan_title_line(cn_import *im, const char *text, const char *f)
{
    /* "Synthèse du plan d'action 2020-2025", "Notre plan d'action …": the title all the same. */
    static const char *const lead[] = {"synthese du ", "synthese de notre ", "sommaire du ", "resume du ", "notre ",
                                       "le ", NULL};
    for (int i = 0; lead[i]; i++)
        if (cn_import_starts(f, lead[i]) && cn_import_starts(f + strlen(lead[i]), "plan d")) {
            f += strlen(lead[i]);
            break;
        }
    if (!(cn_import_starts(f, "plan d'action") || cn_import_starts(f, "plan strategique") || cn_import_starts(f, "plan de travail") ||
          cn_import_starts(f, "planification") || cn_import_starts(f, "plan concerte") || cn_import_starts(f, "plan regional") ||
          cn_import_starts(f, "plan annuel") || cn_import_starts(f, "plan triennal") || cn_import_starts(f, "plan quinquennal")) ||
        strlen(text) > 200)
        return false;
    int y1, y2;
    bool has_period = find_period(text, &y1, &y2);
    if (!im->title) {
        im->title = zs(im, text);
        im->start_month = title_month(f);
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
    if (!(cn_import_starts(f, "adopte") || cn_import_starts(f, "plan adopte") || cn_import_starts(f, "date d'adoption")) || strlen(text) > 160)
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
    if (cn_import_starts(f, "mission")) {
        im->sec = S_MISSION;
        const char *colon = strchr(text, ':');
        if (colon && colon[1])
            im->mission = cn_zcat(im->z, im->mission, "\n\n", colon + 1 + (colon[1] == ' '));
        return true;
    }
    if (cn_import_starts(f, "mandat") || cn_import_starts(f, "les mandats") || cn_import_starts(f, "nos mandats")) {
        im->sec = S_MANDATES;
        return true;
    }
    static const char *const glossary[] = {"liste d'acronymes", "liste des acronymes", "acronymes", "sigles",
                                           "liste des sigles", "sigles et acronymes", "glossaire", "lexique",
                                           "abreviations", "liste des abreviations", NULL};
    for (int i = 0; glossary[i]; i++)
        if (cn_import_starts(f, glossary[i])) {
            im->sec = S_GLOSSARY;
            im->table = false;
            return true;
        }
    static const char *const context[] = {"contexte", "mise en contexte", "introduction", "preambule", "historique",
                                          "mot de", "presentation", NULL};
    for (int i = 0; context[i]; i++)
        if (cn_import_starts(f, context[i])) {
            im->sec = S_CONTEXT;
            report(im, im->line, "context", text,
                   L("titre d'une section de contexte : le modèle du plan n'a pas de champ pour elle",
                     "heading of a context section: the plan model has no field for it"));
            return true;
        }
    if (cn_import_starts(f, "objectif")) {
        const char *p = f + 8;
        if (*p == 's')
            p++;
        while (*p == ' ')
            p++;
        static const char *const kinds[] = {"specifiques", "specifique", "generaux", "general", NULL};
        for (int i = 0; kinds[i]; i++)
            if (cn_import_starts(p, kinds[i])) {
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
            cn_import_objective(im, NULL, rest, true);
        else
            im->objective_heading = true;
        im->sec = S_NONE;
        return true;
    }
    return false;
}

/* "CISSS\tCentre intégré…", "CISSS : Centre…", "CISSS – Centre…". */
/* A term of the acronym list. A term listed twice keeps both definitions
 * (joined), said in the report: a glossary is a map, and two entries for
 * one term made every import of the same text look like a change
 * (adversary F7). */
static bool add_term(cn_import *im, char *term, char *definition)
{
    if (!term || !definition)
        return false;
    void *at = NULL;
    if (!im->term_index && !(im->term_index = cn_strset_new()))
        return false;
    if (cn_strset_get(im->term_index, term, &at)) {
        size_t i = (size_t)(uintptr_t)at;
        if (strcmp(im->terms[i].b, definition) != 0) {
            im->terms[i].b = cn_zcat(im->z, im->terms[i].b, " ; ", definition);
            report(im, im->line, "assumed", term,
                   L("terme défini deux fois : ses deux définitions sont gardées ensemble",
                     "term defined twice: both definitions are kept together"));
        }
        return true;
    }
    pair_t *p = PUSH(im, terms);
    if (!p || cn_strset_put(im->term_index, term, (void *)(uintptr_t)(im->n_terms - 1)) != 0)
        return false;
    p->a = term;
    p->b = definition;
    return true;
}

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
    if (filled == 2)
        return add_term(im, zs(im, term), zs(im, def));
    static const char *const seps[] = {" : ", " – ", " - ", ": ", " = ", NULL};
    for (int i = 0; seps[i]; i++) {
        const char *s = strstr(text, seps[i]);
        if (s && s - text <= 24 && s > text) {
            return add_term(im, cn_zdup(im->z, text, (size_t)(s - text)), zs(im, s + strlen(seps[i])));
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

/* ---- lists and summaries ----------------------------------------------- */

static bool is_bullet_line(const char *s, size_t *skip)
{
    static const char *const marks[] = {"- ", "– ", "• ", "* ", "· ", "▪ ", "", NULL};
    for (int i = 0; marks[i] && marks[i][0]; i++)
        if (cn_import_starts(s, marks[i])) {
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
        im->row_first = cn_import_action(im, NULL, text + k);
        im->row_n = 1;
        return;
    }
    if ((k = cn_num_prefix(text, num)) > 0) {
        int depth = cn_num_depth(num);
        if (depth == 1 && !im->objective_heading) {
            cn_import_orientation(im, num, text + k, im->table || im->tabbed);
            return;
        }
        bool action = depth >= 3 || (depth == 2 && im->cur_obj >= 0 && im->obj_from_text &&
                                      (im->cur_ori < 0 || im->obj[im->cur_obj].ori == im->cur_ori));
        if (action) {
            im->row_first = cn_import_action(im, num, text + k);
            im->row_n = 1;
        } else
            cn_import_objective(im, num, text + k, false);
        im->objective_heading = false;
        return;
    }
    if (im->objective_heading) {
        cn_import_objective(im, NULL, text, true);
        im->objective_heading = false;
        return;
    }
    if (cn_starts_lower(text) && im->n_act > 0 && im->act[im->n_act - 1].line >= im->line - 2) {
        act_t *a = &im->act[im->n_act - 1];
        a->text = cn_zcat(im->z, a->text, " ", text);
        return;
    }
    if (im->cur_ori >= 0 && !im->table) {
        cn_import_objective(im, NULL, text, true);
        return;
    }
    report(im, im->line, "unplaced", text,
           L("texte hors de toute orientation, section ou tableau reconnu",
             "text outside any orientation, section or table the importer knows"));
}

/* ---- one line ---------------------------------------------------------- */

static bool seen_before(cn_import *im, const char *f)
{
    if (!im->seen && !(im->seen = cn_strset_new()))
        return false;
    if (cn_strset_get(im->seen, f, NULL))
        return true;
    char *kept = zs(im, f); /* f is scratch, emptied after the line */
    if (kept)
        cn_strset_put(im->seen, kept, NULL);
    return false;
}

/* "Les actions en gras sont réalisées ou en cours", "(en caractères gras :
 * actions complétées)": a note giving bold a state; import_finish.c gives
 * that state to the actions the document has in bold. */
static bool bold_note_line(cn_import *im, const char *text, const char *f)
{
    if (im->bold_note || strlen(f) > 300 || !strstr(f, "gras") || !strstr(f, "action") || !cn_status_from_words(f))
        return false;
    im->bold_note = zs(im, text);
    im->bold_note_line = im->line;
    return true;
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
    if (n > 1 && cn_import_table_header(im, cells, n)) {
        im->sec = S_NONE;
        return;
    }
    if (im->expect_years) {
        im->expect_years = false;
        if (n > 1 && cn_import_year_header(im, cells, n))
            return;
    }
    if (cells[first] == text || single || strstr(f, "orientation") == f) {
        if (single && cn_import_orientation_line(im, text)) {
            im->sec = S_NONE;
            return;
        }
    }
    if (single && bold_note_line(im, text, f))
        return;
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
        if (single) { /* "- Veiller et analyser…": a bulleted mandate, numbered in order */
            size_t skip;
            if (is_bullet_line(text, &skip)) {
                char number[16];
                snprintf(number, sizeof number, "%zu", im->n_mandates + 1);
                pair_t *p = PUSH(im, mandates);
                if (p) {
                    p->a = zs(im, number);
                    p->b = zs(im, text + skip);
                    return;
                }
            }
        }
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
        cn_import_table_row(im, cells, n);
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
    im->bold = opts && opts->nbold ? msgpack_zone_malloc(im->z, opts->nbold * sizeof *im->bold) : NULL;
    for (size_t i = 0; im->bold && i < opts->nbold; i++) {
        char *f = cn_import_fold(im, opts->bold[i]);
        if (f && (f = zs(im, f)))
            im->bold[im->nbold++] = f;
    }
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
    cn_strset_free(&im->seen);
    cn_strset_free(&im->term_index);
    msgpack_zone_free(im->z);
    msgpack_zone_free(im->scratch);
    free(im);
    *imp = NULL;
}

