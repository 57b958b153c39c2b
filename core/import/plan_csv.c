/* plan_csv.c: see plan_csv.h. Parsing and quoting are libcsv's; this file
 * maps the columns by their header names (accents and case folded, French
 * or English) and builds the plan document with jansson, then packs it. */
#include "plan_csv.h"

#include <stdint.h>

#include <csv.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_cells.h"
#include "jsonmp.h"
#include "mp.h"
#include "fold.h"
#include "strset.h"
#include "text.h"
#include "words.h"

enum col { C_ORI, C_ORI_TEXT, C_OBJ, C_OBJ_TEXT, C_MANDATES, C_ACT, C_TEXT, C_TARGETS, C_SCHED, C_EXPECTED, C_RESP,
           C_STATUS, C_IND, C_COUNT };

/* The header each column is written with (French, English), then the
 * other names it is recognised by, folded. */
static const struct {
    const char *fr, *en;
    const char *aliases[6];
} columns[C_COUNT] = {
    [C_ORI] = {"Orientation", "Orientation", {"orientation", "no orientation", "n° orientation", "axe", NULL}},
    [C_ORI_TEXT] = {"Énoncé de l'orientation", "Orientation statement",
                    {"enonce de l'orientation", "orientation statement", "enonce", NULL}},
    [C_OBJ] = {"Objectif", "Objective", {"objectif", "objective", "no objectif", "objectif specifique", NULL}},
    [C_OBJ_TEXT] = {"Texte de l'objectif", "Objective text", {"texte de l'objectif", "objective text", NULL}},
    [C_MANDATES] = {"Mandats", "Mandates", {"mandats", "mandates", "mandat", NULL}},
    [C_ACT] = {"Action", "Action", {"action", "no", "no action", "numero", "n°", "number"}},
    [C_TEXT] = {"Moyen d'action", "Action text",
                {"moyen d'action", "moyens d'action", "action text", "text", "texte", "moyen"}},
    [C_TARGETS] = {"Cibles", "Targets", {"cibles", "cible", "targets", NULL}},
    [C_SCHED] = {"Échéance", "Schedule", {"echeance", "echeancier", "schedule", NULL}},
    [C_EXPECTED] = {"Résultats attendus", "Expected result",
                    {"resultats attendus", "resultat attendu", "expected result", NULL}},
    [C_RESP] = {"Responsable", "Responsible", {"responsable", "responsible", "responsables", NULL}},
    [C_STATUS] = {"État", "Status", {"etat", "status", "statut", "etat d'avancement", NULL}},
    [C_IND] = {"Indicateurs", "Indicators", {"indicateurs", "indicators", "indicateurs de suivi", "indicateur", NULL}},
};

/* ---- reading ----------------------------------------------------------- */

typedef struct {
    char **cells;
    size_t n, cap;
} row_t;

typedef struct {
    row_t *rows;
    size_t n, cap;
    row_t cur;
    bool oom;
} sheet_t;

static void on_field(void *s, size_t len, void *data)
{
    sheet_t *sh = data;
    if (sh->cur.n == sh->cur.cap) {
        size_t cap = sh->cur.cap ? sh->cur.cap * 2 : 16;
        char **p = realloc(sh->cur.cells, cap * sizeof *p);
        if (!p) {
            sh->oom = true;
            return;
        }
        sh->cur.cells = p;
        sh->cur.cap = cap;
    }
    char *cell = malloc(len + 1);
    if (!cell) {
        sh->oom = true;
        return;
    }
    memcpy(cell, s, len);
    cell[len] = '\0';
    sh->cur.cells[sh->cur.n++] = cell;
}

static void on_row(int term, void *data)
{
    (void)term;
    sheet_t *sh = data;
    if (sh->n == sh->cap) {
        size_t cap = sh->cap ? sh->cap * 2 : 64;
        row_t *p = realloc(sh->rows, cap * sizeof *p);
        if (!p) {
            sh->oom = true;
            return;
        }
        sh->rows = p;
        sh->cap = cap;
    }
    sh->rows[sh->n++] = sh->cur;
    memset(&sh->cur, 0, sizeof sh->cur);
}

static void sheet_free(sheet_t *sh)
{
    for (size_t i = 0; i < sh->n; i++) {
        for (size_t k = 0; k < sh->rows[i].n; k++)
            free(sh->rows[i].cells[k]);
        free(sh->rows[i].cells);
    }
    for (size_t k = 0; k < sh->cur.n; k++)
        free(sh->cur.cells[k]);
    free(sh->cur.cells);
    free(sh->rows);
}

/* The separator of the header row: the most frequent of , ; and tab. */
static unsigned char separator(const char *text, size_t len)
{
    size_t counts[3] = {0};
    const char seps[3] = {',', ';', '\t'};
    bool quoted = false;
    for (size_t i = 0; i < len && (quoted || text[i] != '\n'); i++) {
        if (text[i] == '"')
            quoted = !quoted;
        for (int k = 0; k < 3 && !quoted; k++)
            counts[k] += text[i] == seps[k];
    }
    int best = 0;
    for (int k = 1; k < 3; k++)
        if (counts[k] > counts[best])
            best = k;
    return (unsigned char)seps[best];
}

static int column_of(const char *header)
{
    char f[256], norm[256];
    cn_fold(header, f, sizeof f);
    size_t o = 0;
    bool space = false;
    for (const char *p = f; *p && o < sizeof norm - 1; p++) {
        char c = *p == '_' ? ' ' : *p;
        if (c == ' ') {
            space = o > 0;
            continue;
        }
        if (space && o < sizeof norm - 2)
            norm[o++] = ' ';
        space = false;
        norm[o++] = c;
    }
    norm[o] = '\0';
    for (int c = 0; c < C_COUNT; c++)
        for (int a = 0; a < 6 && columns[c].aliases[a]; a++)
            if (strcmp(norm, columns[c].aliases[a]) == 0)
                return c;
    return -1;
}

static const char *trimmed(char *s)
{
    if (!s)
        return "";
    while (*s == ' ' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* "1.2" as a plan number; "" when s is not one. */
static bool plan_number(const char *s, char num[64])
{
    char key[160];
    return *s && cn_number_parse(s, num, 64, key, sizeof key);
}

/* A number cell and a text cell, or one cell holding both ("1.2 Texte"). */
static void number_and_text(const char *num_cell, const char *text_cell, bool has_text_col, char num[64],
                            const char **text)
{
    num[0] = '\0';
    *text = text_cell;
    if (has_text_col) {
        if (!plan_number(num_cell, num))
            num[0] = '\0';
        return;
    }
    /* Only one column: a number, a text, or "1.2 Texte". */
    if (plan_number(num_cell, num)) {
        *text = "";
        return;
    }
    size_t k = cn_num_prefix(num_cell, num);
    if (!k)
        num[0] = '\0';
    *text = num_cell + k;
}

/* The items of one list found by the value of one of their fields in
 * constant time (a scan of the list for every row made a CSV of a few
 * thousand rows take minutes). Keys are copied; items stay the list's. */
typedef struct {
    cn_strset *set;
    char **keys;
    size_t n, cap;
} index_t;

static json_t *index_find(const index_t *ix, const char *value)
{
    void *item = NULL;
    return ix->set && cn_strset_get(ix->set, value, &item) ? item : NULL;
}

static void index_add(index_t *ix, const char *value, void *item)
{
    if (!ix->set && !(ix->set = cn_strset_new()))
        return;
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        char **keys = realloc(ix->keys, cap * sizeof *keys);
        if (!keys)
            return;
        ix->keys = keys;
        ix->cap = cap;
    }
    char *key = strdup(value);
    if (key && cn_strset_put(ix->set, key, item) == 0)
        ix->keys[ix->n++] = key;
    else
        free(key);
}

static void index_free(index_t *ix)
{
    for (size_t i = 0; i < ix->n; i++)
        free(ix->keys[i]);
    free(ix->keys);
    cn_strset_free(&ix->set);
}

/* "a; b\nc" → ["a", "b", "c"]. */
static json_t *items(const char *s)
{
    json_t *list = json_array();
    while (s && *s) {
        size_t n = strcspn(s, ";\n");
        char buf[2048];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), s);
        const char *t = trimmed(buf);
        if (*t)
            json_array_append_new(list, json_string(t));
        s += n + (s[n] ? 1 : 0);
    }
    return list;
}

static json_t *opt_string(const char *s) { return s && *s ? json_string(s) : json_null(); }

/* "Nombre de membres = 200 membres" → name, target 200, unit "membres". */
static json_t *indicator(const char *action, const char *item)
{
    char name[1024];
    snprintf(name, sizeof name, "%s", item);
    json_t *target = json_null(), *unit = json_null();
    char *eq = strchr(name, '=');
    if (eq) {
        *eq = '\0';
        char *end;
        double v = strtod(eq + 1, &end);
        if (end != eq + 1) {
            target = json_real(v);
            const char *u = trimmed(end);
            if (*u)
                unit = json_string(u);
        }
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:n, s:n, s:[]}", "action", action, "name", trimmed(name), "unit", unit,
                     "target", target, "target_date", "baseline", "measurements");
}

static void note(json_t *report, size_t row, const char *kind, const char *text, const char *message)
{
    json_array_append_new(report, json_pack("{s:I, s:s, s:s, s:s}", "line", (json_int_t)row, "kind", kind, "text",
                                            text, "message", message));
}

/* The next free "<parent>.<k>" (or "<k>") among the numbers of a list,
 * counting on from the parent's last (numbers are only ever added). */
static void next_number(const index_t *numbers, index_t *next_k, const char *parent, char out[64])
{
    parent = parent ? parent : "";
    intptr_t k = (intptr_t)index_find(next_k, parent);
    for (k = k ? k : 1;; k++) {
        if (*parent)
            snprintf(out, 64, "%s.%ld", parent, (long)k);
        else
            snprintf(out, 64, "%ld", (long)k);
        if (!index_find(numbers, out))
            break;
    }
    index_add(next_k, parent, (void *)(k + 1));
}

int cn_csv_read(const char *text, size_t len, const cn_import_opts *opts, msgpack_packer *doc, msgpack_packer *report,
                char *err, size_t errcap)
{
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3, len -= 3;
    sheet_t sh = {0};
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) != 0) {
        snprintf(err, errcap, "%s", L("mémoire insuffisante", "out of memory"));
        return -1;
    }
    csv_set_delim(&p, separator(text, len));
    if (csv_parse(&p, text, len, on_field, on_row, &sh) != len || csv_fini(&p, on_field, on_row, &sh) != 0 || sh.oom) {
        if (csv_error(&p) == CSV_EPARSE) /* strict: a quote left open would swallow the rest of the file */
            snprintf(err, errcap,
                     L("CSV illisible : guillemet non fermé ou mal placé vers la ligne %zu (un champ entre "
                       "guillemets se ferme, et un guillemet dans un champ s'écrit \"\")",
                       "unreadable CSV: a quote left open or misplaced near line %zu (a quoted field is closed, and a "
                       "quote inside a field is written \"\")"),
                     sh.n + 1);
        else
            snprintf(err, errcap, L("CSV illisible : %s", "unreadable CSV: %s"), csv_strerror(csv_error(&p)));
        csv_free(&p);
        sheet_free(&sh);
        return -1;
    }
    csv_free(&p);

    /* The header row: among the first ten, the first naming Objectif and
     * Action; a spreadsheet often has its title above it. */
    int map[64];
    size_t header = 0;
    bool have[C_COUNT] = {0};
    int known = 0;
    const char *sheet_title = NULL;
    for (; header < sh.n && header < 10; header++) {
        memset(have, 0, sizeof have);
        known = 0;
        for (size_t k = 0; k < sh.rows[header].n && k < 64; k++) {
            map[k] = column_of(trimmed(sh.rows[header].cells[k]));
            if (map[k] >= 0 && !have[map[k]]) {
                have[map[k]] = true;
                known++;
            }
        }
        if ((have[C_ACT] || have[C_TEXT]) && (have[C_OBJ] || have[C_OBJ_TEXT]))
            break;
        for (size_t k = 0; !sheet_title && k < sh.rows[header].n; k++)
            if (*trimmed(sh.rows[header].cells[k]))
                sheet_title = trimmed(sh.rows[header].cells[k]);
    }
    if (header >= sh.n || header >= 10) {
        snprintf(err, errcap, "%s",
                 L("aucune des dix premières lignes du CSV ne nomme ses colonnes, dont au moins Objectif et Action (ou "
                   "Moyen d'action) : voir « CSV » dans proto/PROTOCOL.md",
                   "none of the CSV's first ten rows names its columns, at least Objective and Action (or Action "
                   "text): see \"CSV\" in proto/PROTOCOL.md"));
        sheet_free(&sh);
        return -1;
    }
    const char *title = opts && opts->title ? opts->title : sheet_title;
    if (!title) {
        snprintf(err, errcap, "%s",
                 L("ce CSV ne porte pas le titre du plan (ni une ligne au-dessus des colonnes) et la région n'a pas "
                   "de plan actif : donnez le titre (title, --title)",
                   "this CSV carries no plan title (nor a row above its columns) and the region has no active plan: "
                   "give the title (title, --title)"));
        sheet_free(&sh);
        return -2;
    }

    json_t *ors = json_array(), *objs = json_array(), *acts = json_array(), *inds = json_array(), *rep = json_array();
    /* Empty orientation and objective cells repeat the row above, as merged
     * cells of a spreadsheet do. */
    json_t *last_ori = NULL, *last_obj = NULL;
    index_t ori_numbers = {0}, ori_statements = {0}, ori_next = {0}, obj_numbers = {0}, obj_texts = {0},
            obj_next = {0}, act_numbers = {0}, act_next = {0};
    char today[11];
    snprintf(today, sizeof today, "%s", opts && opts->today ? opts->today : "");
    for (size_t r = header + 1; r < sh.n; r++) {
        const char *cell[C_COUNT] = {0};
        row_t *row = &sh.rows[r];
        for (size_t k = 0; k < row->n && k < 64; k++) {
            const char *v = trimmed(row->cells[k]);
            if (k >= sh.rows[header].n || map[k] < 0) {
                if (*v)
                    note(rep, r + 1, "unplaced", v,
                         L("colonne sans nom reconnu : le modèle du plan n'a pas de champ pour elle",
                           "column without a known name: the plan model has no field for it"));
                continue;
            }
            cell[map[k]] = v;
        }
        size_t beyond = 0;
        for (size_t k = 64; k < row->n; k++)
            beyond += *trimmed(row->cells[k]) != '\0';
        if (beyond) { /* said once for the row, not dropped unsaid */
            char msg[200];
            snprintf(msg, sizeof msg,
                     L("%zu cellule(s) au-delà de la 64e colonne : le modèle du plan n'a pas de champ pour elles",
                       "%zu cell(s) beyond column 64: the plan model has no field for them"),
                     beyond);
            note(rep, r + 1, "unplaced", trimmed(row->cells[64]), msg);
        }
        char onum[64], bnum[64], anum[64];
        const char *otext, *btext, *atext;
        number_and_text(cell[C_ORI] ? cell[C_ORI] : "", cell[C_ORI_TEXT] ? cell[C_ORI_TEXT] : "", have[C_ORI_TEXT],
                        onum, &otext);
        number_and_text(cell[C_OBJ] ? cell[C_OBJ] : "", cell[C_OBJ_TEXT] ? cell[C_OBJ_TEXT] : "", have[C_OBJ_TEXT],
                        bnum, &btext);
        number_and_text(cell[C_ACT] ? cell[C_ACT] : "", cell[C_TEXT] ? cell[C_TEXT] : "", have[C_TEXT], anum, &atext);
        bool any = *onum || *otext || *bnum || *btext || *anum || *atext;
        if (!any)
            continue;
        /* The orientation, the objective and the action of this row, each
         * created the first time its number (or text) is seen. */
        json_t *ori = NULL;
        if (*onum || *otext) {
            ori = *onum ? index_find(&ori_numbers, onum) : index_find(&ori_statements, otext);
            if (!ori) {
                char n[64];
                if (!*onum)
                    next_number(&ori_numbers, &ori_next, NULL, n);
                const char *statement = *otext ? otext : (*onum ? onum : n);
                ori = json_pack("{s:s, s:s}", "number", *onum ? onum : n, "statement", statement);
                json_array_append_new(ors, ori);
                index_add(&ori_numbers, *onum ? onum : n, ori);
                index_add(&ori_statements, statement, ori);
            } else if (*otext && !*json_string_value(json_object_get(ori, "statement"))) {
                json_object_set_new(ori, "statement", json_string(otext));
                index_add(&ori_statements, otext, ori);
            }
        }
        if (!ori && !*bnum && !*btext)
            ori = last_ori;
        last_ori = ori;
        const char *oname = ori ? json_string_value(json_object_get(ori, "number")) : NULL;
        json_t *obj = NULL;
        if (*bnum || *btext) {
            obj = *bnum ? index_find(&obj_numbers, bnum) : index_find(&obj_texts, btext);
            if (!obj) {
                char n[64];
                if (!*bnum)
                    next_number(&obj_numbers, &obj_next, oname, n);
                if (!*btext)
                    note(rep, r + 1, "assumed", *bnum ? bnum : n,
                         L("objectif sans texte : son numéro lui sert de texte", "objective without a text: its number is its text"));
                obj = json_pack("{s:s, s:o, s:s, s:o}", "number", *bnum ? bnum : n, "orientation", opt_string(oname),
                                "text", *btext ? btext : (*bnum ? bnum : n), "mandates",
                                items(cell[C_MANDATES] ? cell[C_MANDATES] : ""));
                /* "2, 4" as well as "2; 4". */
                json_t *m = json_object_get(obj, "mandates");
                if (json_array_size(m) == 1 && strchr(json_string_value(json_array_get(m, 0)), ',')) {
                    char buf[256];
                    snprintf(buf, sizeof buf, "%s", json_string_value(json_array_get(m, 0)));
                    for (char *c = buf; *c; c++)
                        if (*c == ',')
                            *c = ';';
                    json_object_set_new(obj, "mandates", items(buf));
                }
                json_array_append_new(objs, obj);
                index_add(&obj_numbers, *bnum ? bnum : n, obj);
                index_add(&obj_texts, *btext ? btext : (*bnum ? bnum : n), obj);
            }
        }
        if (!obj && !*onum && !*otext)
            obj = last_obj;
        last_obj = obj;
        if (!*anum && !*atext)
            continue;
        if (!obj) {
            note(rep, r + 1, "unplaced", atext, L("action sans objectif sur sa ligne", "action without an objective on its row"));
            continue;
        }
        const char *bname = json_string_value(json_object_get(obj, "number"));
        if (*anum && index_find(&act_numbers, anum)) {
            note(rep, r + 1, "unplaced", anum, L("numéro d'action déjà vu plus haut : ligne ignorée",
                                                 "action number already seen above: row ignored"));
            continue;
        }
        char n[64];
        if (!*anum)
            next_number(&act_numbers, &act_next, bname, n);
        const char *status = cell[C_STATUS] && *cell[C_STATUS] ? cn_status_from_words(cell[C_STATUS]) : NULL;
        if (cell[C_STATUS] && *cell[C_STATUS] && !status)
            note(rep, r + 1, "unplaced", cell[C_STATUS],
                 L("état non reconnu (prévue, en cours, réalisée, en continu, reportée, annulée) : l'action reste prévue",
                   "status not recognised (planned, in_progress, done, ongoing, postponed, cancelled): the action stays planned"));
        json_t *action = json_pack("{s:s, s:s, s:s, s:n, s:o, s:o, s:o, s:o, s:s, s:[]}", "number", *anum ? anum : n,
                                   "objective", bname, "text", *atext ? atext : (*anum ? anum : n), "priority",
                                   "targets", items(cell[C_TARGETS]), "schedule", opt_string(cell[C_SCHED]),
                                   "expected_result", opt_string(cell[C_EXPECTED]), "responsible",
                                   opt_string(cell[C_RESP]), "status", status ? status : "planned", "notes");
        json_array_append_new(acts, action);
        index_add(&act_numbers, *anum ? anum : n, action);
        json_t *list = items(cell[C_IND]);
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item) json_array_append_new(inds, indicator(*anum ? anum : n, json_string_value(item)));
        json_decref(list);
    }
    index_t *indexes[] = {&ori_numbers, &ori_statements, &ori_next, &obj_numbers, &obj_texts, &obj_next, &act_numbers, &act_next};
    for (size_t i = 0; i < sizeof indexes / sizeof *indexes; i++)
        index_free(indexes[i]);
    json_t *plan = json_pack("{s:s, s:n, s:o, s:n, s:n, s:n, s:s, s:[]}", "title", title, "period", "start_date",
                             opt_string(opts ? opts->plan_start : NULL), "end_date", "adopted_on", "mission", "status",
                             "active", "mandates");
    sheet_free(&sh); /* after the title, which may be one of its cells */
    json_t *d = json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o}", "format", "concertd.plan", "version", 1, "plan", plan,
                          "orientations", ors, "objectives", objs, "actions", acts, "indicators", inds);
    int rc = d ? cn_json_to_mp(doc, d) : -1;
    rc = rc || cn_json_to_mp(report, rep);
    json_decref(d);
    json_decref(rep);
    if (rc)
        snprintf(err, errcap, "%s", L("mémoire insuffisante", "out of memory"));
    return rc ? -1 : 0;
}

/* ---- writing ----------------------------------------------------------- */

void cn_csv_raw(cn_csv_out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->n + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 4096;
        while (cap < o->n + n + 1)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->oom = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
    o->p[o->n] = '\0';
}

/* One field, quoted by libcsv, then the separator or the end of the row. */
void cn_csv_field(cn_csv_out *o, const char *s, size_t n, bool last)
{
    size_t need = csv_write(NULL, 0, s, n);
    char *q = malloc(need);
    if (!q) {
        o->oom = true;
        return;
    }
    csv_write(q, need, s, n);
    cn_csv_raw(o, q, need);
    free(q);
    cn_csv_raw(o, last ? "\r\n" : ",", last ? 2 : 1);
}

static void out_obj(cn_csv_out *o, const msgpack_object *v, const char *sep, bool last)
{
    char buf[64];
    if (!v || v->type == MSGPACK_OBJECT_NIL) {
        cn_csv_field(o, "", 0, last);
    } else if (v->type == MSGPACK_OBJECT_STR) {
        cn_csv_field(o, v->via.str.ptr, v->via.str.size, last);
    } else if (v->type == MSGPACK_OBJECT_ARRAY) {
        cn_csv_out joined = {0};
        for (uint32_t i = 0; i < v->via.array.size; i++) {
            const msgpack_object *it = &v->via.array.ptr[i];
            if (i)
                cn_csv_raw(&joined, sep, strlen(sep));
            if (it->type == MSGPACK_OBJECT_STR)
                cn_csv_raw(&joined, it->via.str.ptr, it->via.str.size);
        }
        cn_csv_field(o, joined.p ? joined.p : "", joined.n, last);
        free(joined.p);
    } else if (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32) {
        snprintf(buf, sizeof buf, "%g", v->via.f64);
        cn_csv_field(o, buf, strlen(buf), last);
    } else {
        cn_csv_field(o, "", 0, last);
    }
}

static const msgpack_object *by_number(const msgpack_object *list, const msgpack_object *num)
{
    for (uint32_t i = 0; num && list && list->type == MSGPACK_OBJECT_ARRAY && i < list->via.array.size; i++) {
        const msgpack_object *n = cn_mp_get(&list->via.array.ptr[i], "number");
        if (n && msgpack_object_equal(*n, *num))
            return &list->via.array.ptr[i];
    }
    return NULL;
}

/* The orientation and objective columns of a row. */
static void out_parents(cn_csv_out *o, const msgpack_object *ori, const msgpack_object *obj)
{
    out_obj(o, ori ? cn_mp_get(ori, "number") : NULL, "", false);
    out_obj(o, ori ? cn_mp_get(ori, "statement") : NULL, "", false);
    out_obj(o, obj ? cn_mp_get(obj, "number") : NULL, "", false);
    out_obj(o, obj ? cn_mp_get(obj, "text") : NULL, "", false);
    out_obj(o, obj ? cn_mp_get(obj, "mandates") : NULL, "; ", false);
}

static void out_status(cn_csv_out *o, const msgpack_object *status)
{
    char value[32];
    if (status && status->type == MSGPACK_OBJECT_STR && status->via.str.size < sizeof value) {
        memcpy(value, status->via.str.ptr, status->via.str.size);
        value[status->via.str.size] = '\0';
        const char *w = cn_word(value, cn_lang_get() == CN_LANG_EN);
        cn_csv_field(o, w, strlen(w), false);
        return;
    }
    out_obj(o, status, "", false);
}

static void out_indicators(cn_csv_out *o, const msgpack_object *inds, const msgpack_object *action)
{
    cn_csv_out joined = {0};
    for (uint32_t i = 0; inds && i < inds->via.array.size; i++) {
        const msgpack_object *ind = &inds->via.array.ptr[i], *on = cn_mp_get(ind, "action");
        if (!on || on->type != MSGPACK_OBJECT_STR || !msgpack_object_equal(*on, *action))
            continue;
        const msgpack_object *name = cn_mp_get(ind, "name"), *target = cn_mp_get(ind, "target"),
                             *unit = cn_mp_get(ind, "unit");
        if (joined.n)
            cn_csv_raw(&joined, "; ", 2);
        cn_csv_raw(&joined, name->via.str.ptr, name->via.str.size);
        if (target && (target->type == MSGPACK_OBJECT_FLOAT64 || target->type == MSGPACK_OBJECT_FLOAT32)) {
            char buf[64];
            snprintf(buf, sizeof buf, " = %g", target->via.f64);
            cn_csv_raw(&joined, buf, strlen(buf));
            if (unit && unit->type == MSGPACK_OBJECT_STR) {
                cn_csv_raw(&joined, " ", 1);
                cn_csv_raw(&joined, unit->via.str.ptr, unit->via.str.size);
            }
        }
    }
    cn_csv_field(o, joined.p ? joined.p : "", joined.n, true);
    free(joined.p);
}

char *cn_csv_write(const msgpack_object *doc, size_t *len)
{
    cn_csv_out o = {0};
    cn_csv_raw(&o, "\xEF\xBB\xBF", 3);
    for (int c = 0; c < C_COUNT; c++) {
        const char *h = cn_lang_get() == CN_LANG_EN ? columns[c].en : columns[c].fr;
        cn_csv_field(&o, h, strlen(h), c + 1 == C_COUNT);
    }
    const msgpack_object *ors = cn_mp_get(doc, "orientations"), *objs = cn_mp_get(doc, "objectives"),
                         *acts = cn_mp_get(doc, "actions"), *inds = cn_mp_get(doc, "indicators");
    /* Orientations without objectives and objectives without actions get
     * a row of their own, so that nothing is lost on the way back. */
    for (uint32_t i = 0; ors && i < ors->via.array.size; i++) {
        const msgpack_object *ori = &ors->via.array.ptr[i], *num = cn_mp_get(ori, "number");
        bool used = false;
        for (uint32_t k = 0; objs && k < objs->via.array.size && !used; k++) {
            const msgpack_object *of = cn_mp_get(&objs->via.array.ptr[k], "orientation");
            used = of && num && msgpack_object_equal(*of, *num);
        }
        if (used)
            continue;
        out_parents(&o, ori, NULL);
        for (int c = C_ACT; c < C_COUNT; c++)
            cn_csv_field(&o, "", 0, c + 1 == C_COUNT);
    }
    for (uint32_t k = 0; objs && k < objs->via.array.size; k++) {
        const msgpack_object *obj = &objs->via.array.ptr[k], *bnum = cn_mp_get(obj, "number");
        const msgpack_object *ori = by_number(ors, cn_mp_get(obj, "orientation"));
        bool any = false;
        for (uint32_t a = 0; acts && a < acts->via.array.size; a++) {
            const msgpack_object *act = &acts->via.array.ptr[a], *of = cn_mp_get(act, "objective");
            if (!of || !bnum || !msgpack_object_equal(*of, *bnum))
                continue;
            any = true;
            out_parents(&o, ori, obj);
            out_obj(&o, cn_mp_get(act, "number"), "", false);
            out_obj(&o, cn_mp_get(act, "text"), "", false);
            out_obj(&o, cn_mp_get(act, "targets"), "; ", false);
            out_obj(&o, cn_mp_get(act, "schedule"), "", false);
            out_obj(&o, cn_mp_get(act, "expected_result"), "", false);
            out_obj(&o, cn_mp_get(act, "responsible"), "", false);
            out_status(&o, cn_mp_get(act, "status"));
            out_indicators(&o, inds, cn_mp_get(act, "number"));
        }
        if (!any) {
            out_parents(&o, ori, obj);
            for (int c = C_ACT; c < C_COUNT; c++)
                cn_csv_field(&o, "", 0, c + 1 == C_COUNT);
        }
    }
    if (o.oom) {
        free(o.p);
        return NULL;
    }
    *len = o.n;
    return o.p;
}
