/* doc_sheet.c: see doc_sheet.h. A sheet is read into a grid of texts, its
 * merged ranges filled, then written out as CSV. */
#include "doc_sheet.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc_xml.h"
#include "doc_zip.h"

#define MAX_ROWS 20000 /* rows read; a plan has a few hundred */
#define MAX_COLS 64

/* ---- the grid ---------------------------------------------------------------- */

typedef struct {
    char ***rows_of; /* MAX_ROWS rows, each MAX_COLS cells, allocated when first written */
    int rows;        /* rows in use (the last one with a value) */
    bool failed;
} grid;

static bool grid_init(grid *g)
{
    g->rows_of = calloc(MAX_ROWS, sizeof *g->rows_of);
    g->rows = 0;
    g->failed = g->rows_of == NULL;
    return !g->failed;
}

static void grid_free(grid *g)
{
    for (int r = 0; g->rows_of && r < MAX_ROWS; r++) {
        for (int c = 0; g->rows_of[r] && c < MAX_COLS; c++)
            free(g->rows_of[r][c]);
        free(g->rows_of[r]);
    }
    free(g->rows_of);
    g->rows_of = NULL;
}

/* The cell, its row made when create; NULL outside the grid (or a row never written, unless create). */
static char **cell_at(grid *g, int row, int col, bool create)
{
    if (row < 0 || row >= MAX_ROWS || col < 0 || col >= MAX_COLS)
        return NULL;
    if (!g->rows_of[row] && create && !(g->rows_of[row] = calloc(MAX_COLS, sizeof **g->rows_of)))
        g->failed = true;
    return g->rows_of[row] ? &g->rows_of[row][col] : NULL;
}

static char **at(grid *g, int row, int col) { return cell_at(g, row, col, true); }

static void put(grid *g, int row, int col, const char *text)
{
    if (!text || !*text)
        return;
    char **c = at(g, row, col);
    if (!c)
        return;
    free(*c);
    *c = strdup(text);
    if (!*c)
        g->failed = true;
    else if (row + 1 > g->rows)
        g->rows = row + 1;
}

/* Every cell of the range [r1..r2]×[c1..c2] takes the top-left one's value. */
static void fill(grid *g, int r1, int c1, int r2, int c2)
{
    char **first = cell_at(g, r1, c1, false);
    if (!first || !*first)
        return;
    char *value = strdup(*first);
    if (!value) {
        g->failed = true;
        return;
    }
    for (int r = r1; r <= r2 && r < MAX_ROWS; r++)
        for (int c = c1; c <= c2 && c < MAX_COLS; c++)
            if (r != r1 || c != c1)
                put(g, r, c, value);
    free(value);
}

/* One CSV line per row, "feuille NAME, rangée N" its place. */
static int grid_csv(grid *g, const char *sheet, cn_docout *out, char *err, size_t errcap)
{
    if (g->failed) {
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    if (g->rows == 0) {
        snprintf(err, errcap, "la feuille « %s » est vide", sheet);
        return -1;
    }
    size_t cap = 4096;
    char *line = malloc(cap);
    for (int r = 0; line && r < g->rows; r++) {
        int last = -1;
        for (int c = 0; c < MAX_COLS; c++)
            if (cell_at(g, r, c, false) && *cell_at(g, r, c, false))
                last = c;
        size_t n = 0;
        for (int c = 0; c <= last && line; c++) {
            char **cell = cell_at(g, r, c, false);
            const char *v = cell && *cell ? *cell : "";
            size_t need = n + 2 * strlen(v) + 4;
            if (need > cap) {
                char *p = realloc(line, cap = need * 2);
                if (!p) {
                    free(line);
                    line = NULL;
                    break;
                }
                line = p;
            }
            if (c)
                line[n++] = ',';
            line[n++] = '"'; /* every field quoted: commas, quotes and line breaks stay in it */
            for (const char *s = v; *s; s++) {
                if (*s == '"')
                    line[n++] = '"';
                line[n++] = *s;
            }
            line[n++] = '"';
        }
        if (!line)
            break;
        line[n] = '\0';
        char place[200];
        snprintf(place, sizeof place, "feuille %s, rangée %d", sheet, r + 1);
        cn_docout_line(out, line, place);
    }
    if (!line || cn_docout_failed(out)) {
        free(line);
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    free(line);
    return 0;
}

/* "B12" → row 11, column 1 (0-based); false when it is not a reference. */
static bool cell_ref(const char *ref, int *row, int *col)
{
    int c = 0, r = 0, letters = 0;
    const char *s = ref;
    for (; isupper((unsigned char)*s) && letters < 4; s++, letters++)
        c = c * 26 + (*s - 'A' + 1);
    for (; isdigit((unsigned char)*s) && r < 10000000; s++)
        r = r * 10 + (*s - '0');
    if (!letters || !r || *s)
        return false;
    *row = r - 1;
    *col = c - 1;
    return true;
}

/* The text of every t (or text:p) element under n, joined ("\n" between paragraphs when para). */
static void texts_under(const xmlNode *n, const char *name, bool para, char *out, size_t cap, size_t *len)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (cn_docxml_is(c, "rPh") || cn_docxml_is(c, "annotation"))
            continue; /* phonetic guides, comments */
        if (cn_docxml_is(c, name)) {
            xmlChar *t = xmlNodeGetContent(c);
            if (t) {
                if (para && *len && *len + 1 < cap)
                    out[(*len)++] = '\n';
                *len += (size_t)snprintf(out + *len, *len < cap ? cap - *len : 0, "%s", (const char *)t);
                if (*len >= cap)
                    *len = cap - 1;
            }
            xmlFree(t);
        } else {
            texts_under(c, name, para, out, cap, len);
        }
    }
}

/* ---- .xlsx --------------------------------------------------------------------- */

/* Whether number format id (with its custom code, or NULL) shows a date. */
static bool date_format(int id, const char *code)
{
    if ((id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58))
        return true;
    if (!code)
        return false;
    bool in_quote = false;
    for (const char *s = code; *s; s++) { /* y, m or d outside quotes and brackets: a date */
        if (*s == '"')
            in_quote = !in_quote;
        else if (*s == '[')
            while (s[1] && *s != ']')
                s++;
        else if (!in_quote && strchr("ydYD", *s))
            return true;
    }
    return false;
}

/* A spreadsheet's day number as AAAA-MM-JJ (the 1900 system, with its
 * phantom 29 February 1900). */
static void serial_date(double serial, char *out, size_t cap)
{
    long days = (long)serial;
    if (days > 59)
        days--;
    time_t t = (time_t)(days - 1) * 86400 - 2208988800L; /* 1900-01-01 */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d", &tm);
}

typedef struct {
    char **strings; /* shared strings */
    int nstrings;
    bool *dates; /* by cellXfs index: the style shows a date */
    int nstyles;
} xlsx_book;

static void book_free(xlsx_book *b)
{
    for (int i = 0; i < b->nstrings; i++)
        free(b->strings[i]);
    free(b->strings);
    free(b->dates);
}

static char *read_part(cn_doczip *z, const char *name, size_t *len)
{
    char ignored[200];
    return cn_doczip_has(z, name) ? cn_doczip_read(z, name, 0, len, ignored, sizeof ignored) : NULL;
}

static void read_shared_strings(cn_doczip *z, xlsx_book *b)
{
    size_t len;
    char err[200], *xml = read_part(z, "xl/sharedStrings.xml", &len);
    xmlDocPtr doc = xml ? cn_docxml_parse(xml, len, "xl/sharedStrings.xml", err, sizeof err) : NULL;
    free(xml);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    int n = 0;
    for (const xmlNode *si = root ? root->children : NULL; si; si = si->next)
        n += cn_docxml_is(si, "si");
    b->strings = n ? calloc((size_t)n, sizeof *b->strings) : NULL;
    for (const xmlNode *si = b->strings ? root->children : NULL; si; si = si->next) {
        if (!cn_docxml_is(si, "si"))
            continue;
        char text[8192];
        size_t tl = 0;
        text[0] = '\0';
        texts_under(si, "t", false, text, sizeof text, &tl);
        b->strings[b->nstrings++] = strdup(text);
    }
    xmlFreeDoc(doc);
}

static void read_date_styles(cn_doczip *z, xlsx_book *b)
{
    size_t len;
    char err[200], *xml = read_part(z, "xl/styles.xml", &len);
    xmlDocPtr doc = xml ? cn_docxml_parse(xml, len, "xl/styles.xml", err, sizeof err) : NULL;
    free(xml);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    const xmlNode *fmts = cn_docxml_child(root, "numFmts"), *xfs = cn_docxml_child(root, "cellXfs");
    int n = 0;
    for (const xmlNode *x = xfs ? xfs->children : NULL; x; x = x->next)
        n += cn_docxml_is(x, "xf");
    b->dates = n ? calloc((size_t)n, sizeof *b->dates) : NULL;
    for (const xmlNode *x = b->dates ? xfs->children : NULL; x; x = x->next) {
        if (!cn_docxml_is(x, "xf"))
            continue;
        const char *id = cn_docxml_attr(x, "numFmtId");
        const char *code = NULL;
        for (const xmlNode *f = fmts ? fmts->children : NULL; id && f; f = f->next)
            if (cn_docxml_is(f, "numFmt") && cn_docxml_attr(f, "numFmtId") &&
                strcmp(cn_docxml_attr(f, "numFmtId"), id) == 0)
                code = cn_docxml_attr(f, "formatCode");
        b->dates[b->nstyles++] = id && date_format(atoi(id), code);
    }
    xmlFreeDoc(doc);
}

/* The worksheet part of the sheet named (or the first): "xl/worksheets/sheet1.xml". */
static int sheet_part(cn_doczip *z, const char *want, char *name, size_t namecap, char *part, size_t partcap,
                      char *err, size_t errcap)
{
    size_t len;
    char *xml = cn_doczip_read(z, "xl/workbook.xml", 0, &len, err, errcap);
    xmlDocPtr wb = xml ? cn_docxml_parse(xml, len, "xl/workbook.xml", err, errcap) : NULL;
    free(xml);
    if (!wb)
        return -1;
    const char *rid = NULL;
    char names[512] = "";
    for (const xmlNode *s = cn_docxml_child(cn_docxml_child(xmlDocGetRootElement(wb), "sheets"), "sheet"); s;
         s = s->next) {
        const char *n = cn_docxml_attr(s, "name");
        if (!cn_docxml_is(s, "sheet") || !n)
            continue;
        size_t k = strlen(names);
        snprintf(names + k, sizeof names - k, "%s« %s »", k ? ", " : "", n);
        if (!rid && (!want || strcmp(want, n) == 0)) {
            rid = cn_docxml_attr(s, "id");
            snprintf(name, namecap, "%s", n);
        }
    }
    if (!rid) {
        snprintf(err, errcap, want ? "pas de feuille « %s » dans ce classeur (il a : %s)" : "classeur sans feuille%s",
                 want ? want : "", names);
        xmlFreeDoc(wb);
        return -1;
    }
    char rid_copy[64];
    snprintf(rid_copy, sizeof rid_copy, "%s", rid);
    xmlFreeDoc(wb);
    xml = cn_doczip_read(z, "xl/_rels/workbook.xml.rels", 0, &len, err, errcap);
    xmlDocPtr rels = xml ? cn_docxml_parse(xml, len, "xl/_rels/workbook.xml.rels", err, errcap) : NULL;
    free(xml);
    int rc = -1;
    for (const xmlNode *r = rels ? xmlDocGetRootElement(rels)->children : NULL; r; r = r->next) {
        const char *id = cn_docxml_attr(r, "Id"), *target = cn_docxml_attr(r, "Target");
        if (id && target && strcmp(id, rid_copy) == 0) {
            /* Relative to xl/, or absolute from the package's root. */
            snprintf(part, partcap, target[0] == '/' ? "%s" : "xl/%s", target[0] == '/' ? target + 1 : target);
            rc = 0;
        }
    }
    if (rc && rels)
        snprintf(err, errcap, "la feuille « %s » n'a pas de partie dans le classeur : fichier endommagé", name);
    xmlFreeDoc(rels);
    return rc;
}

int cn_xlsx_read(const void *data, size_t len, const char *sheet, cn_docout *out, char *err, size_t errcap)
{
    cn_doczip *z = cn_doczip_open(data, len, err, errcap);
    if (!z)
        return -1;
    char name[128], part[256];
    xlsx_book book = {0};
    grid g = {0};
    int rc = -1;
    size_t n;
    char *xml = sheet_part(z, sheet, name, sizeof name, part, sizeof part, err, errcap) == 0
                    ? cn_doczip_read(z, part, 0, &n, err, errcap)
                    : NULL;
    if (xml) {
        read_shared_strings(z, &book);
        read_date_styles(z, &book);
    }
    cn_doczip_close(&z);
    xmlDocPtr doc = xml ? cn_docxml_parse(xml, n, part, err, errcap) : NULL;
    free(xml);
    if (doc && grid_init(&g)) {
        xmlNode *root = xmlDocGetRootElement(doc);
        int next_row = 0;
        for (const xmlNode *row = cn_docxml_child(cn_docxml_child(root, "sheetData"), "row"); row; row = row->next) {
            if (!cn_docxml_is(row, "row"))
                continue;
            const char *rr = cn_docxml_attr(row, "r");
            int r = rr ? atoi(rr) - 1 : next_row, next_col = 0;
            next_row = r + 1;
            for (const xmlNode *c = row->children; c; c = c->next) {
                if (!cn_docxml_is(c, "c"))
                    continue;
                int cr = r, cc = next_col;
                const char *ref = cn_docxml_attr(c, "r");
                if (ref && !cell_ref(ref, &cr, &cc))
                    cc = next_col;
                next_col = cc + 1;
                const char *t = cn_docxml_attr(c, "t"), *s = cn_docxml_attr(c, "s");
                char text[8192] = "";
                size_t tl = 0;
                xmlChar *v = cn_docxml_child(c, "v") ? xmlNodeGetContent(cn_docxml_child(c, "v")) : NULL;
                if (t && strcmp(t, "s") == 0) {
                    int i = v ? atoi((const char *)v) : -1;
                    snprintf(text, sizeof text, "%s", i >= 0 && i < book.nstrings && book.strings[i] ? book.strings[i] : "");
                } else if (t && strcmp(t, "inlineStr") == 0) {
                    texts_under(cn_docxml_child(c, "is"), "t", false, text, sizeof text, &tl);
                } else if (t && strcmp(t, "b") == 0) {
                    snprintf(text, sizeof text, "%s", v && v[0] == '1' ? "VRAI" : "FAUX");
                } else if (v && (!t || strcmp(t, "n") == 0) && s && atoi(s) >= 0 && atoi(s) < book.nstyles &&
                           book.dates[atoi(s)]) {
                    serial_date(atof((const char *)v), text, sizeof text);
                } else if (v) {
                    snprintf(text, sizeof text, "%s", (const char *)v);
                }
                xmlFree(v);
                put(&g, cr, cc, text);
            }
        }
        for (const xmlNode *m = cn_docxml_child(cn_docxml_child(root, "mergeCells"), "mergeCell"); m; m = m->next) {
            const char *ref = cn_docxml_attr(m, "ref");
            char a[32], b[32];
            int r1, c1, r2, c2;
            if (ref && sscanf(ref, "%31[A-Z0-9]:%31[A-Z0-9]", a, b) == 2 && cell_ref(a, &r1, &c1) &&
                cell_ref(b, &r2, &c2))
                fill(&g, r1, c1, r2, c2);
        }
        rc = grid_csv(&g, name, out, err, errcap);
    }
    grid_free(&g);
    xmlFreeDoc(doc);
    book_free(&book);
    return rc;
}

/* ---- .ods ------------------------------------------------------------------------ */

int cn_ods_read(const void *data, size_t len, const char *sheet, cn_docout *out, char *err, size_t errcap)
{
    cn_doczip *z = cn_doczip_open(data, len, err, errcap);
    if (!z)
        return -1;
    size_t n;
    char *xml = cn_doczip_read(z, "content.xml", 0, &n, err, errcap);
    cn_doczip_close(&z);
    xmlDocPtr doc = xml ? cn_docxml_parse(xml, n, "content.xml", err, errcap) : NULL;
    free(xml);
    if (!doc)
        return -1;
    const xmlNode *book = cn_docxml_child(cn_docxml_child(xmlDocGetRootElement(doc), "body"), "spreadsheet");
    const xmlNode *table = NULL;
    char names[512] = "";
    for (const xmlNode *t = book ? book->children : NULL; t; t = t->next) {
        const char *name = cn_docxml_attr(t, "name");
        if (!cn_docxml_is(t, "table") || !name)
            continue;
        size_t k = strlen(names);
        snprintf(names + k, sizeof names - k, "%s« %s »", k ? ", " : "", name);
        if (!table && (!sheet || strcmp(sheet, name) == 0))
            table = t;
    }
    grid g = {0};
    int rc = -1;
    if (!table) {
        snprintf(err, errcap, sheet ? "pas de feuille « %s » dans ce classeur (il a : %s)" : "classeur sans feuille%s",
                 sheet ? sheet : "", names);
    } else if (grid_init(&g)) {
        int r = 0;
        /* Rows, through header rows and groups. */
        const xmlNode *stack[8];
        int depth = 0;
        stack[depth++] = table;
        const xmlNode *row = table->children;
        while (row || depth > 1) {
            if (!row) {
                row = stack[--depth]->next;
                continue;
            }
            if ((cn_docxml_is(row, "table-header-rows") || cn_docxml_is(row, "table-rows") ||
                 cn_docxml_is(row, "table-row-group")) && depth < 8) {
                stack[depth++] = row;
                row = row->children;
                continue;
            }
            if (cn_docxml_is(row, "table-row")) {
                const char *rep = cn_docxml_attr(row, "number-rows-repeated");
                int times = rep ? atoi(rep) : 1;
                for (int k = 0; k < (times > 0 ? times : 1) && r < MAX_ROWS; k++, r++) {
                    int c = 0;
                    for (const xmlNode *cell = row->children; cell && c < MAX_COLS; cell = cell->next) {
                        if (!cn_docxml_is(cell, "table-cell") && !cn_docxml_is(cell, "covered-table-cell"))
                            continue;
                        const char *crep = cn_docxml_attr(cell, "number-columns-repeated");
                        int ctimes = crep ? atoi(crep) : 1;
                        char text[8192] = "";
                        size_t tl = 0;
                        const char *type = cn_docxml_attr(cell, "value-type");
                        const char *date = cn_docxml_attr(cell, "date-value");
                        if (type && strcmp(type, "date") == 0 && date)
                            snprintf(text, sizeof text, "%.10s", date);
                        else
                            texts_under(cell, "p", true, text, sizeof text, &tl);
                        for (int m = 0; m < (ctimes > 0 ? ctimes : 1) && c < MAX_COLS; m++, c++) {
                            put(&g, r, c, text);
                            const char *rs = cn_docxml_attr(cell, "number-rows-spanned");
                            const char *cs = cn_docxml_attr(cell, "number-columns-spanned");
                            if ((rs && atoi(rs) > 1) || (cs && atoi(cs) > 1))
                                fill(&g, r, c, r + (rs ? atoi(rs) : 1) - 1, c + (cs ? atoi(cs) : 1) - 1);
                        }
                    }
                }
            }
            row = row->next;
        }
        const char *name = cn_docxml_attr(table, "name");
        rc = grid_csv(&g, name ? name : "1", out, err, errcap);
    }
    grid_free(&g);
    xmlFreeDoc(doc);
    return rc;
}
