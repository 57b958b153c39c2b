/* doc_docx.c: a Word document (.docx, Office Open XML) as the plan text
 * doc_out.h describes. Read: paragraphs (a list item's number or bullet
 * as Word draws it, from numbering.xml), tables (a cell spanning columns,
 * w:gridSpan, followed by empty ones as a copied table shows it; a cell
 * merged down, w:vMerge, repeated on each row it covers; paragraphs, list
 * items and line breaks of a cell as its items; a table nested in a cell
 * as more items of that cell), runs with their tabs and breaks, hyperlinks
 * and fields as their text, content controls as their content, tracked
 * changes as accepted (insertions kept, deletions dropped); paragraphs
 * wholly in bold (their runs' w:b) kept apart (doc_out.h). Left out:
 * drawings and text boxes, footnotes, comments, field codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_docx.h"
#include "doc_out.h"
#include "doc_xml.h"
#include "doc_zip.h"

#define MAX_GRID 64   /* columns of a table's grid */
#define MAX_LEVELS 9  /* list levels, as Word has */
#define MAX_LISTS 512 /* list instances (w:num) followed */

/* ---- list numbering (word/numbering.xml) ---------------------------------- */

typedef struct {
    char fmt[16];  /* decimal, bullet, lowerLetter, upperLetter, lowerRoman, upperRoman, none… */
    char text[32]; /* lvlText: "%1.%2." */
    int start;
} level;

typedef struct {
    int num_id;
    level levels[MAX_LEVELS];
    int count[MAX_LEVELS];
} list_def;

typedef struct {
    char id[64];      /* w:styleId */
    char based[64];   /* w:basedOn */
    int num_id, ilvl; /* its list (w:numPr), 0 when none */
} para_style;

#define MAX_STYLES 512

typedef struct {
    list_def lists[MAX_LISTS];
    int n;
    para_style styles[MAX_STYLES]; /* paragraph styles that number (List Number, List Bullet…) */
    int nstyles;
} numbering;

static void read_levels(const xmlNode *abstract, level *levels)
{
    for (int i = 0; i < MAX_LEVELS; i++)
        levels[i] = (level){.fmt = "decimal", .start = 1};
    for (const xmlNode *l = abstract->children; l; l = l->next) {
        if (!cn_docxml_is(l, "lvl"))
            continue;
        const char *ilvl = cn_docxml_attr(l, "ilvl");
        int i = ilvl ? atoi(ilvl) : -1;
        if (i < 0 || i >= MAX_LEVELS)
            continue;
        const char *fmt = cn_docxml_attr(cn_docxml_child(l, "numFmt"), "val");
        const char *text = cn_docxml_attr(cn_docxml_child(l, "lvlText"), "val");
        const char *start = cn_docxml_attr(cn_docxml_child(l, "start"), "val");
        snprintf(levels[i].fmt, sizeof levels[i].fmt, "%s", fmt ? fmt : "decimal");
        snprintf(levels[i].text, sizeof levels[i].text, "%s", text ? text : "");
        levels[i].start = start ? atoi(start) : 1;
    }
}

/* Paragraph styles with a list: Word's "List Number" and "List Bullet"
 * number paragraphs through their style, not the paragraph's own w:numPr. */
static void read_styles(numbering *nb, const char *xml, size_t len)
{
    char err[200];
    xmlDocPtr doc = xml ? cn_docxml_parse(xml, len, "word/styles.xml", err, sizeof err) : NULL;
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    for (const xmlNode *st = root ? root->children : NULL; st && nb->nstyles < MAX_STYLES; st = st->next) {
        const char *type = cn_docxml_attr(st, "type"), *id = cn_docxml_attr(st, "styleId");
        if (!cn_docxml_is(st, "style") || !type || strcmp(type, "paragraph") != 0 || !id)
            continue;
        const xmlNode *num = cn_docxml_child(cn_docxml_child(st, "pPr"), "numPr");
        const char *num_id = cn_docxml_attr(cn_docxml_child(num, "numId"), "val");
        const char *ilvl = cn_docxml_attr(cn_docxml_child(num, "ilvl"), "val");
        const char *based = cn_docxml_attr(cn_docxml_child(st, "basedOn"), "val");
        para_style *ps = &nb->styles[nb->nstyles++];
        snprintf(ps->id, sizeof ps->id, "%s", id);
        snprintf(ps->based, sizeof ps->based, "%s", based ? based : "");
        ps->num_id = num_id ? atoi(num_id) : 0;
        ps->ilvl = ilvl ? atoi(ilvl) : 0;
    }
    xmlFreeDoc(doc);
}

/* The list of a paragraph style (through what it is based on), or 0. */
static int style_list(const numbering *nb, const char *style, int *ilvl)
{
    for (int depth = 0; style && style[0] && depth < 8; depth++) {
        const para_style *found = NULL;
        for (int i = 0; i < nb->nstyles && !found; i++)
            if (strcmp(nb->styles[i].id, style) == 0)
                found = &nb->styles[i];
        if (!found)
            return 0;
        if (found->num_id) {
            *ilvl = found->ilvl;
            return found->num_id;
        }
        style = found->based;
    }
    return 0;
}

static void read_numbering(numbering *nb, const char *xml, size_t len, const char *styles, size_t styles_len)
{
    nb->n = 0;
    read_styles(nb, styles, styles_len);
    char err[200];
    xmlDocPtr doc = xml ? cn_docxml_parse(xml, len, "word/numbering.xml", err, sizeof err) : NULL;
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    for (const xmlNode *n = root ? root->children : NULL; n && nb->n < MAX_LISTS; n = n->next) {
        if (!cn_docxml_is(n, "num"))
            continue;
        const char *id = cn_docxml_attr(n, "numId");
        const char *abstract_id = cn_docxml_attr(cn_docxml_child(n, "abstractNumId"), "val");
        if (!id || !abstract_id)
            continue;
        for (const xmlNode *a = root->children; a; a = a->next)
            if (cn_docxml_is(a, "abstractNum") && cn_docxml_attr(a, "abstractNumId") &&
                strcmp(cn_docxml_attr(a, "abstractNumId"), abstract_id) == 0) {
                list_def *d = &nb->lists[nb->n++];
                memset(d, 0, sizeof *d);
                d->num_id = atoi(id);
                read_levels(a, d->levels);
                break;
            }
    }
    xmlFreeDoc(doc);
}

static void roman(int n, bool upper, char *out, size_t cap)
{
    static const struct {
        int v;
        const char *s;
    } r[] = {{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"},
             {40, "xl"},  {10, "x"},   {9, "ix"},  {5, "v"},    {4, "iv"},  {1, "i"}};
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        for (; n >= r[i].v && k + 3 < cap; n -= r[i].v)
            for (const char *c = r[i].s; *c; c++)
                out[k++] = upper ? (char)(*c - 'a' + 'A') : *c;
    out[k] = '\0';
}

/* The label Word draws before a list item of numId at ilvl ("2.1.", "-"),
 * counting it; "" for a list without one. */
static void list_label(numbering *nb, int num_id, int ilvl, char *out, size_t cap)
{
    out[0] = '\0';
    list_def *d = NULL;
    for (int i = 0; i < nb->n && !d; i++)
        if (nb->lists[i].num_id == num_id)
            d = &nb->lists[i];
    if (!d || ilvl < 0 || ilvl >= MAX_LEVELS)
        return;
    if (strcmp(d->levels[ilvl].fmt, "bullet") == 0) {
        snprintf(out, cap, "-");
        return;
    }
    d->count[ilvl] = d->count[ilvl] ? d->count[ilvl] + 1 : d->levels[ilvl].start;
    for (int deeper = ilvl + 1; deeper < MAX_LEVELS; deeper++)
        d->count[deeper] = 0;
    size_t k = 0;
    for (const char *t = d->levels[ilvl].text; *t && k + 12 < cap; t++) {
        if (t[0] == '%' && t[1] >= '1' && t[1] <= '9') {
            int lv = t[1] - '1';
            int v = d->count[lv] ? d->count[lv] : d->levels[lv].start;
            const char *fmt = d->levels[lv].fmt;
            char part[16];
            if (strcmp(fmt, "lowerLetter") == 0 || strcmp(fmt, "upperLetter") == 0)
                snprintf(part, sizeof part, "%c", (char)((fmt[0] == 'l' ? 'a' : 'A') + (v - 1) % 26));
            else if (strcmp(fmt, "lowerRoman") == 0 || strcmp(fmt, "upperRoman") == 0)
                roman(v, fmt[0] == 'u', part, sizeof part);
            else if (strcmp(fmt, "none") == 0)
                part[0] = '\0';
            else
                snprintf(part, sizeof part, "%d", v);
            k += (size_t)snprintf(out + k, cap - k, "%s", part);
            t++;
        } else {
            out[k++] = *t;
            out[k] = '\0';
        }
    }
}

/* ---- text of paragraphs ----------------------------------------------------- */


/* Elements whose text is not the document's: deletions, field codes,
 * drawings and text boxes, footnote and comment marks, properties. */
static bool skipped(const xmlNode *n)
{
    static const char *const names[] = {"del", "delText", "moveFrom", "instrText", "delInstrText", "drawing", "pict",
                                        "object", "AlternateContent", "footnoteReference", "endnoteReference",
                                        "commentReference", "pPr", "rPr", "tblPr", "trPr", "tcPr", "sectPr", NULL};
    for (int i = 0; names[i]; i++)
        if (cn_docxml_is(n, names[i]))
            return true;
    return false;
}

/* Whether a run's properties make it bold (w:b, unless w:val says off). */
static bool run_bold(const xmlNode *r)
{
    const xmlNode *b = cn_docxml_child(cn_docxml_child(r, "rPr"), "b");
    const char *v = b ? cn_docxml_attr(b, "val") : NULL;
    return b && !(v && (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0));
}

/* The text of a paragraph's runs into b; '\n' where a line break is. */
static void runs_text(const xmlNode *n, cn_docbuf *b, cn_docweight *w)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || skipped(c))
            continue;
        if (cn_docxml_is(c, "t")) {
            xmlChar *t = xmlNodeGetContent(c);
            if (t) {
                cn_docbuf_puts(b, (const char *)t);
                cn_docweight_text(w, (const char *)t);
            }
            xmlFree(t);
        } else if (cn_docxml_is(c, "tab") || cn_docxml_is(c, "ptab")) {
            cn_docbuf_puts(b, " ");
        } else if (cn_docxml_is(c, "br") || cn_docxml_is(c, "cr")) {
            const char *type = cn_docxml_attr(c, "type");
            cn_docbuf_puts(b, type && strcmp(type, "page") == 0 ? " " : "\n");
        } else if (cn_docxml_is(c, "noBreakHyphen")) {
            cn_docbuf_puts(b, "-");
        } else if (cn_docxml_is(c, "r")) {
            bool outer = w->in_bold;
            w->in_bold = run_bold(c);
            runs_text(c, b, w);
            w->in_bold = outer;
        } else {
            runs_text(c, b, w); /* hyperlinks, insertions, fields, smart tags, content controls */
        }
    }
}

/* ---- the body ---------------------------------------------------------------- */

typedef struct {
    cn_docout *out;
    numbering *nb;
    int paragraphs, tables;
} reader;

/* The list label of paragraph p ("1.2." or "-"), "" when it is not a list item. */
static void paragraph_label(reader *r, const xmlNode *p, char *out, size_t cap)
{
    out[0] = '\0';
    const xmlNode *ppr = cn_docxml_child(p, "pPr");
    const xmlNode *num = cn_docxml_child(ppr, "numPr");
    const char *id = cn_docxml_attr(cn_docxml_child(num, "numId"), "val");
    const char *ilvl = cn_docxml_attr(cn_docxml_child(num, "ilvl"), "val");
    int depth = ilvl ? atoi(ilvl) : 0, style_depth = 0;
    /* The paragraph's own list; else its style's (w:numId 0 says: none). */
    int list = id ? atoi(id) : style_list(r->nb, cn_docxml_attr(cn_docxml_child(ppr, "pStyle"), "val"), &style_depth);
    if (!id && !ilvl)
        depth = style_depth;
    if (list > 0)
        list_label(r->nb, list, depth, out, cap);
}

/* A paragraph's text with its list label, each line break making an item. */
typedef void (*item_fn)(void *ctx, const char *text, bool list_item);

static void paragraph_items(reader *r, const xmlNode *p, item_fn fn, void *ctx)
{
    char label[64];
    paragraph_label(r, p, label, sizeof label);
    cn_docbuf b = {0};
    cn_docbuf_puts(&b, "");
    cn_docweight w = CN_DOCWEIGHT_START;
    runs_text(p, &b, &w);
    char *save = NULL, *line = b.p ? strtok_r(b.p, "\n", &save) : NULL;
    bool first = true;
    for (; line; line = strtok_r(NULL, "\n", &save)) {
        if (w.any && w.all_bold)
            cn_docout_bold(r->out, line);
        if (first && label[0] && strcmp(label, "-") != 0) {
            char *numbered = malloc(strlen(label) + strlen(line) + 2);
            if (numbered) {
                sprintf(numbered, "%s %s", label, line);
                fn(ctx, numbered, false); /* its number says it is an item */
                free(numbered);
            }
        } else {
            fn(ctx, line, first && label[0]);
        }
        first = false;
    }
    free(b.p);
}

typedef struct {
    reader *r;
    const char *place;
} para_ctx;

static void body_item(void *ctx, const char *text, bool list_item)
{
    para_ctx *pc = ctx;
    cn_docout_para(pc->r->out, text, list_item, pc->place);
}

static void cell_item(void *ctx, const char *text, bool list_item)
{
    cn_docout_cell_item(((para_ctx *)ctx)->r->out, text, list_item);
}

static void block_items(reader *r, const xmlNode *parent, bool in_cell);

/* A table nested in a cell: its cells' items become the outer cell's items. */
static void nested_table_items(reader *r, const xmlNode *tbl)
{
    for (const xmlNode *tr = tbl->children; tr; tr = tr->next)
        if (cn_docxml_is(tr, "tr"))
            for (const xmlNode *tc = tr->children; tc; tc = tc->next)
                if (cn_docxml_is(tc, "tc"))
                    block_items(r, tc, true);
}

/* A row's cells, a cell and its rows being sometimes wrapped in content
 * controls (w:sdt) or custom XML: the w:tc elements in order. */
static int row_cells(const xmlNode *tr, const xmlNode **cells, int cap)
{
    int n = 0;
    for (const xmlNode *c = tr->children; c && n < cap; c = c->next) {
        if (cn_docxml_is(c, "tc"))
            cells[n++] = c;
        else if (cn_docxml_is(c, "sdt") || cn_docxml_is(c, "customXml")) {
            const xmlNode *inner = cn_docxml_is(c, "sdt") ? cn_docxml_child(c, "sdtContent") : c;
            if (inner)
                n += row_cells(inner, cells + n, cap - n);
        }
    }
    return n;
}

static void collect_rows(const xmlNode *tbl, const xmlNode **rows, int *n, int cap)
{
    for (const xmlNode *c = tbl->children; c && *n < cap; c = c->next) {
        if (cn_docxml_is(c, "tr"))
            rows[(*n)++] = c;
        else if (cn_docxml_is(c, "sdt") || cn_docxml_is(c, "customXml")) {
            const xmlNode *inner = cn_docxml_is(c, "sdt") ? cn_docxml_child(c, "sdtContent") : c;
            if (inner)
                collect_rows(inner, rows, n, cap);
        }
    }
}

static void table(reader *r, const xmlNode *tbl)
{
    int t = ++r->tables;
    char *merged[MAX_GRID] = {0}; /* by grid column: the text of a cell merged down (w:vMerge restart) */
    enum { MAX_ROWS = 20000 };
    const xmlNode **rows = malloc(MAX_ROWS * sizeof *rows);
    int nrows = 0;
    if (rows)
        collect_rows(tbl, rows, &nrows, MAX_ROWS);
    for (int ri = 0; ri < nrows; ri++) {
        const xmlNode *cells[MAX_GRID];
        int ncells = row_cells(rows[ri], cells, MAX_GRID), col = 0;
        cn_docout_row_begin(r->out);
        /* Columns the row starts after (w:gridBefore), as empty cells. */
        const char *before = cn_docxml_attr(cn_docxml_child(cn_docxml_child(rows[ri], "trPr"), "gridBefore"), "val");
        for (int k = before ? atoi(before) : 0; k > 0 && col < MAX_GRID; k--, col++)
            cn_docout_cell_raw(r->out, "");
        for (int ci = 0; ci < ncells && col < MAX_GRID; ci++) {
            const xmlNode *pr = cn_docxml_child(cells[ci], "tcPr");
            const char *span = cn_docxml_attr(cn_docxml_child(pr, "gridSpan"), "val");
            const xmlNode *vmerge = cn_docxml_child(pr, "vMerge");
            const char *vval = vmerge ? cn_docxml_attr(vmerge, "val") : NULL;
            int width = span && atoi(span) > 1 ? atoi(span) : 1;
            if (vmerge && (!vval || strcmp(vval, "continue") == 0)) {
                /* Covered by the cell above: that cell's text, on this row too. */
                cn_docout_cell_raw(r->out, merged[col] ? merged[col] : "");
            } else {
                cn_docout_cell_begin(r->out);
                block_items(r, cells[ci], true);
                free(merged[col]);
                merged[col] = vmerge ? strdup(cn_docout_cell_so_far(r->out)) : NULL;
                cn_docout_cell_end(r->out);
            }
            /* A cell spanning columns, then empty cells for the others: as a copied table shows it. */
            for (int k = 1; k < width && col + k < MAX_GRID; k++) {
                free(merged[col + k]);
                merged[col + k] = NULL;
                cn_docout_cell_raw(r->out, "");
            }
            col += width;
        }
        char place[64];
        snprintf(place, sizeof place, "tableau %d, rangée %d", t, ri + 1);
        cn_docout_row_end(r->out, place);
    }
    for (int i = 0; i < MAX_GRID; i++)
        free(merged[i]);
    free(rows);
}

/* The paragraphs and tables under parent: lines of the body, or items of
 * the cell being written. */
static void block_items(reader *r, const xmlNode *parent, bool in_cell)
{
    for (const xmlNode *c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || skipped(c))
            continue;
        if (cn_docxml_is(c, "p")) {
            char place[48];
            if (!in_cell)
                snprintf(place, sizeof place, "paragraphe %d", ++r->paragraphs);
            para_ctx pc = {r, in_cell ? NULL : place};
            paragraph_items(r, c, in_cell ? cell_item : body_item, &pc);
        } else if (cn_docxml_is(c, "tbl")) {
            if (in_cell)
                nested_table_items(r, c);
            else
                table(r, c);
        } else if (cn_docxml_is(c, "sdt")) {
            const xmlNode *content = cn_docxml_child(c, "sdtContent");
            if (content)
                block_items(r, content, in_cell);
        } else if (cn_docxml_is(c, "customXml") || cn_docxml_is(c, "ins") || cn_docxml_is(c, "moveTo")) {
            block_items(r, c, in_cell);
        }
    }
}

int cn_docx_read_parts(const char *document, size_t len, const char *numbering_xml, size_t numbering_len,
                       const char *styles_xml, size_t styles_len, cn_docout *out, char *err, size_t errcap)
{
    numbering *nb = calloc(1, sizeof *nb);
    if (!nb) {
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    read_numbering(nb, numbering_xml, numbering_len, styles_xml, styles_len);
    xmlDocPtr doc = cn_docxml_parse(document, len, "word/document.xml", err, errcap);
    xmlNode *body = doc ? cn_docxml_child(xmlDocGetRootElement(doc), "body") : NULL;
    int rc = -1;
    if (doc && !body) {
        snprintf(err, errcap, "word/document.xml n'a pas de corps (w:body) : ce n'est pas un document Word");
    } else if (body) {
        reader r = {.out = out, .nb = nb};
        block_items(&r, body, false);
        rc = cn_docout_failed(out) ? (snprintf(err, errcap, "mémoire insuffisante"), -1) : 0;
    }
    xmlFreeDoc(doc);
    free(nb);
    return rc;
}

int cn_docx_read(const void *data, size_t len, cn_docout *out, char *err, size_t errcap)
{
    cn_doczip *z = cn_doczip_open(data, len, err, errcap);
    if (!z)
        return -1;
    size_t xml_len, numbering_len = 0, styles_len = 0;
    char ignored[200];
    char *xml = cn_doczip_read(z, "word/document.xml", 0, &xml_len, err, errcap);
    /* Without its lists or styles, a document still reads: its numbers are then missing. */
    char *lists = xml && cn_doczip_has(z, "word/numbering.xml")
                          ? cn_doczip_read(z, "word/numbering.xml", 0, &numbering_len, ignored, sizeof ignored)
                          : NULL;
    char *styles = xml && cn_doczip_has(z, "word/styles.xml")
                       ? cn_doczip_read(z, "word/styles.xml", 0, &styles_len, ignored, sizeof ignored)
                       : NULL;
    cn_doczip_close(&z);
    int rc = xml ? cn_docx_read_parts(xml, xml_len, lists, numbering_len, styles, styles_len, out, err, errcap) : -1;
    free(xml);
    free(lists);
    free(styles);
    return rc;
}
