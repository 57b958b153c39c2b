/* doc_odt.c: an OpenDocument text (.odt, LibreOffice) as the plan text
 * doc_out.h describes, read as doc_docx.c reads a Word document: headings
 * and paragraphs; lists with the numbers their list style draws; tables
 * (table:number-columns-spanned followed by empty cells,
 * table:number-rows-spanned repeated on the rows it covers, through
 * table:covered-table-cell); spaces (text:s), tabs and line breaks; links
 * and spans as their text; the paragraphs and items wholly in bold (their
 * spans' or paragraph's style, fo:font-weight) kept apart (doc_out.h). Left out: notes, frames, tracked deletions
 * (kept apart in text:tracked-changes), tables of contents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_odt.h"
#include "doc_xml.h"
#include "doc_zip.h"

#define MAX_GRID 64
#define MAX_LEVELS 10
#define MAX_STYLES 256

/* ---- list styles ---------------------------------------------------------- */

typedef struct {
    bool bullet;
    char fmt[4];          /* style:num-format: "1", "a", "A", "i", "I", "" */
    char prefix[8], suffix[8];
    int display, start;   /* text:display-levels, text:start-value */
} list_level;

typedef struct {
    char name[64];
    list_level levels[MAX_LEVELS];
    int count[MAX_LEVELS];
} list_style;

typedef struct {
    list_style styles[MAX_STYLES];
    int n;
} list_styles;

static void copy_attr(const xmlNode *n, const char *name, char *out, size_t cap)
{
    const char *v = cn_docxml_attr(n, name);
    snprintf(out, cap, "%s", v ? v : "");
}

static void read_list_styles(const xmlNode *parent, list_styles *ls)
{
    for (const xmlNode *s = parent ? parent->children : NULL; s && ls->n < MAX_STYLES; s = s->next) {
        if (!cn_docxml_is(s, "list-style"))
            continue;
        list_style *st = &ls->styles[ls->n++];
        memset(st, 0, sizeof *st);
        copy_attr(s, "name", st->name, sizeof st->name);
        for (const xmlNode *l = s->children; l; l = l->next) {
            const char *lv = cn_docxml_attr(l, "level");
            int i = lv ? atoi(lv) - 1 : -1;
            if (i < 0 || i >= MAX_LEVELS)
                continue;
            list_level *L = &st->levels[i];
            L->bullet = cn_docxml_is(l, "list-level-style-bullet");
            copy_attr(l, "num-format", L->fmt, sizeof L->fmt);
            copy_attr(l, "num-prefix", L->prefix, sizeof L->prefix);
            copy_attr(l, "num-suffix", L->suffix, sizeof L->suffix);
            const char *d = cn_docxml_attr(l, "display-levels"), *start = cn_docxml_attr(l, "start-value");
            L->display = d ? atoi(d) : 1;
            L->start = start ? atoi(start) : 1;
        }
    }
}

static list_style *find_style(list_styles *ls, const char *name)
{
    for (int i = 0; name && i < ls->n; i++)
        if (strcmp(ls->styles[i].name, name) == 0)
            return &ls->styles[i];
    return NULL;
}

static void number_text(const list_level *L, int v, char *out, size_t cap)
{
    if (strcmp(L->fmt, "a") == 0 || strcmp(L->fmt, "A") == 0)
        snprintf(out, cap, "%c", (char)(L->fmt[0] + (v - 1) % 26));
    else if (strcmp(L->fmt, "1") == 0)
        snprintf(out, cap, "%d", v);
    else if (strcmp(L->fmt, "i") == 0 || strcmp(L->fmt, "I") == 0) {
        static const char *const r[] = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"};
        snprintf(out, cap, "%s", v >= 1 && v <= 10 ? r[v - 1] : "?");
        if (L->fmt[0] == 'I')
            for (char *c = out; *c; c++)
                *c = (char)(*c - 'a' + 'A');
    } else
        out[0] = '\0';
}

/* The label a list item at level (0-based) of style draws, counting it. */
static void item_label(list_style *st, int level, char *out, size_t cap)
{
    out[0] = '\0';
    if (!st || level < 0 || level >= MAX_LEVELS)
        return;
    list_level *L = &st->levels[level];
    if (L->bullet) {
        snprintf(out, cap, "-");
        return;
    }
    if (!L->fmt[0])
        return;
    st->count[level] = st->count[level] ? st->count[level] + 1 : L->start;
    for (int deeper = level + 1; deeper < MAX_LEVELS; deeper++)
        st->count[deeper] = 0;
    size_t k = (size_t)snprintf(out, cap, "%s", L->prefix);
    int first = level - (L->display > 0 ? L->display : 1) + 1;
    for (int i = first < 0 ? 0 : first; i <= level && k < cap; i++) {
        char part[16];
        number_text(&st->levels[i], st->count[i] ? st->count[i] : st->levels[i].start, part, sizeof part);
        k += (size_t)snprintf(out + k, cap - k, "%s%s", part, i < level ? "." : "");
    }
    if (k < cap)
        snprintf(out + k, cap - k, "%s", L->suffix);
}

/* ---- text ------------------------------------------------------------------ */


static bool skipped(const xmlNode *n)
{
    static const char *const names[] = {"note", "frame", "tracked-changes", "table-of-content", "illustration-index",
                                        "bibliography", "annotation", "sequence-decls", "forms", "change", NULL};
    for (int i = 0; names[i]; i++)
        if (cn_docxml_is(n, names[i]))
            return true;
    return false;
}

/* ---- bold ------------------------------------------------------------------ */

/* Paragraph and text styles by their weight (fo:font-weight), which they may
 * have from the style they are based on (style:parent-style-name). */
#define MAX_WEIGHTS 1024

typedef struct {
    char name[64], parent[64];
    int bold; /* 1 bold, 0 normal, -1 not said (the parent's) */
} style_weight;

typedef struct {
    style_weight w[MAX_WEIGHTS];
    int n;
} weights;

static void read_weights(const xmlNode *parent, weights *ws)
{
    for (const xmlNode *s = parent ? parent->children : NULL; s && ws->n < MAX_WEIGHTS; s = s->next) {
        if (!cn_docxml_is(s, "style") || !cn_docxml_attr(s, "name"))
            continue;
        style_weight *w = &ws->w[ws->n++];
        copy_attr(s, "name", w->name, sizeof w->name);
        copy_attr(s, "parent-style-name", w->parent, sizeof w->parent);
        const char *fw = cn_docxml_attr(cn_docxml_child(s, "text-properties"), "font-weight");
        w->bold = !fw ? -1 : strcmp(fw, "bold") == 0 || atoi(fw) >= 600;
    }
}

/* Whether style name is bold: 1, 0, or -1 when neither it nor its parents say. */
static int style_bold(const weights *ws, const char *name)
{
    for (int depth = 0; name && name[0] && depth < 8; depth++) {
        const style_weight *found = NULL;
        for (int i = 0; i < ws->n && !found; i++)
            if (strcmp(ws->w[i].name, name) == 0)
                found = &ws->w[i];
        if (!found)
            return -1;
        if (found->bold >= 0)
            return found->bold;
        name = found->parent;
    }
    return -1;
}

static void inline_text(const xmlNode *n, cn_docbuf *b, const weights *ws, cn_docweight *w)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE) {
            cn_docbuf_put(b, (const char *)c->content, strlen((const char *)c->content));
            cn_docweight_text(w, (const char *)c->content);
        } else if (c->type != XML_ELEMENT_NODE || skipped(c)) {
            continue;
        } else if (cn_docxml_is(c, "s")) {
            cn_docbuf_put(b, " ", 1); /* n spaces: one is as good as several here */
        } else if (cn_docxml_is(c, "tab")) {
            cn_docbuf_put(b, " ", 1);
        } else if (cn_docxml_is(c, "line-break")) {
            cn_docbuf_put(b, "\n", 1);
        } else {
            bool outer = w->in_bold; /* span, a, date, bookmark-ref…: a span's style may make it bold */
            int bold = cn_docxml_is(c, "span") ? style_bold(ws, cn_docxml_attr(c, "style-name")) : -1;
            if (bold >= 0)
                w->in_bold = bold;
            inline_text(c, b, ws, w);
            w->in_bold = outer;
        }
    }
}

/* ---- the body ---------------------------------------------------------------- */

typedef struct {
    cn_docout *out;
    list_styles *ls;
    const weights *ws;
    int paragraphs, tables;
} reader;

typedef struct {
    list_style *style;
    int level;
} list_ctx;

static void blocks(reader *r, const xmlNode *parent, bool in_cell, const list_ctx *list);
static void table(reader *r, const xmlNode *tbl, bool in_cell);

/* A paragraph or heading: its lines as body lines or cell items. */
static void paragraph(reader *r, const xmlNode *p, bool in_cell, const char *label)
{
    cn_docbuf b = {0};
    cn_docbuf_put(&b, "", 0);
    cn_docweight w = CN_DOCWEIGHT_START;
    w.in_bold = style_bold(r->ws, cn_docxml_attr(p, "style-name")) == 1;
    inline_text(p, &b, r->ws, &w);
    char place[48];
    if (!in_cell)
        snprintf(place, sizeof place, "paragraphe %d", ++r->paragraphs);
    bool first = true;
    for (char *save = NULL, *line = b.p ? strtok_r(b.p, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        char *text = line, *numbered = NULL;
        bool item = first && label && label[0];
        if (w.any && w.all_bold)
            cn_docout_bold(r->out, line);
        if (item && strcmp(label, "-") != 0 && (numbered = malloc(strlen(label) + strlen(line) + 2)) != NULL) {
            sprintf(numbered, "%s %s", label, line);
            text = numbered;
        }
        if (in_cell)
            cn_docout_cell_item(r->out, text, item);
        else
            cn_docout_para(r->out, text, item && !numbered, place);
        free(numbered);
        first = false;
    }
    free(b.p);
}

static void list(reader *r, const xmlNode *l, bool in_cell, const list_ctx *outer)
{
    list_ctx ctx = {outer ? outer->style : NULL, outer ? outer->level + 1 : 0};
    const char *name = cn_docxml_attr(l, "style-name");
    if (name && find_style(r->ls, name))
        ctx.style = find_style(r->ls, name);
    const char *cont = cn_docxml_attr(l, "continue-numbering");
    bool continues = (cont && strcmp(cont, "true") == 0) || cn_docxml_attr(l, "continue-list");
    if (!outer && ctx.style && !continues)
        memset(ctx.style->count, 0, sizeof ctx.style->count); /* a new list counts from its start */
    for (const xmlNode *item = l->children; item; item = item->next) {
        if (!cn_docxml_is(item, "list-item") && !cn_docxml_is(item, "list-header"))
            continue;
        bool labelled = false;
        for (const xmlNode *c = item->children; c; c = c->next) {
            if (cn_docxml_is(c, "p") || cn_docxml_is(c, "h")) {
                char label[64] = "";
                if (!labelled && cn_docxml_is(item, "list-item"))
                    item_label(ctx.style, ctx.level, label, sizeof label);
                labelled = true;
                paragraph(r, c, in_cell, label);
            } else if (cn_docxml_is(c, "list")) {
                list(r, c, in_cell, &ctx);
            } else if (cn_docxml_is(c, "table")) {
                table(r, c, in_cell);
            }
        }
    }
}

/* The rows of a table, through header rows, row groups and repeats. */
typedef struct {
    const xmlNode **rows;
    int n, cap;
} rows_t;

static void collect_rows(const xmlNode *parent, rows_t *rows)
{
    for (const xmlNode *c = parent->children; c; c = c->next) {
        if (cn_docxml_is(c, "table-row")) {
            const char *rep = cn_docxml_attr(c, "number-rows-repeated");
            int times = rep && atoi(rep) > 1 ? atoi(rep) : 1;
            for (int k = 0; k < times && k < 100 && rows->n < rows->cap; k++) /* repeats: empty rows, mostly */
                rows->rows[rows->n++] = c;
        } else if (cn_docxml_is(c, "table-header-rows") || cn_docxml_is(c, "table-rows") ||
                   cn_docxml_is(c, "table-row-group")) {
            collect_rows(c, rows);
        }
    }
}

static void table(reader *r, const xmlNode *tbl, bool in_cell)
{
    enum { MAX_ROWS = 20000 };
    rows_t rows = {malloc(MAX_ROWS * sizeof *rows.rows), 0, MAX_ROWS};
    if (rows.rows)
        collect_rows(tbl, &rows);
    if (in_cell) { /* nested: its cells' items are the outer cell's */
        for (int i = 0; i < rows.n; i++)
            for (const xmlNode *c = rows.rows[i]->children; c; c = c->next)
                if (cn_docxml_is(c, "table-cell"))
                    blocks(r, c, true, NULL);
        free(rows.rows);
        return;
    }
    int t = ++r->tables;
    char *down[MAX_GRID] = {0}; /* a cell spanning rows: its text, and the rows it still covers */
    int down_left[MAX_GRID] = {0};
    for (int ri = 0; ri < rows.n; ri++) {
        cn_docout_row_begin(r->out);
        int col = 0;
        for (const xmlNode *c = rows.rows[ri]->children; c && col < MAX_GRID; c = c->next) {
            bool covered = cn_docxml_is(c, "covered-table-cell");
            if (!covered && !cn_docxml_is(c, "table-cell"))
                continue;
            const char *rep = cn_docxml_attr(c, "number-columns-repeated");
            int times = rep && atoi(rep) > 1 ? atoi(rep) : 1;
            for (int k = 0; k < times && col < MAX_GRID; k++, col++) {
                if (covered) {
                    /* Under a cell spanning rows: its text again; beside one spanning columns: empty. */
                    cn_docout_cell_raw(r->out, down_left[col] > 0 && down[col] ? down[col] : "");
                    if (down_left[col] > 0)
                        down_left[col]--;
                    continue;
                }
                cn_docout_cell_begin(r->out);
                blocks(r, c, true, NULL);
                const char *span = cn_docxml_attr(c, "number-rows-spanned");
                free(down[col]);
                down[col] = NULL;
                down_left[col] = 0;
                if (span && atoi(span) > 1) {
                    down[col] = strdup(cn_docout_cell_so_far(r->out));
                    down_left[col] = atoi(span) - 1;
                }
                cn_docout_cell_end(r->out);
            }
        }
        char place[64];
        snprintf(place, sizeof place, "tableau %d, rangée %d", t, ri + 1);
        cn_docout_row_end(r->out, place);
    }
    for (int i = 0; i < MAX_GRID; i++)
        free(down[i]);
    free(rows.rows);
}

static void blocks(reader *r, const xmlNode *parent, bool in_cell, const list_ctx *list_in)
{
    for (const xmlNode *c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || skipped(c))
            continue;
        if (cn_docxml_is(c, "p") || cn_docxml_is(c, "h"))
            paragraph(r, c, in_cell, NULL);
        else if (cn_docxml_is(c, "list"))
            list(r, c, in_cell, list_in);
        else if (cn_docxml_is(c, "table"))
            table(r, c, in_cell);
        else if (cn_docxml_is(c, "section") || cn_docxml_is(c, "text") || cn_docxml_is(c, "div"))
            blocks(r, c, in_cell, list_in);
    }
}

int cn_odt_read_parts(const char *content, size_t n, const char *styles_xml, size_t styles_n, cn_docout *out,
                      char *err, size_t errcap)
{
    char ignored[200];
    xmlDocPtr doc = cn_docxml_parse(content, n, "content.xml", err, errcap);
    xmlDocPtr styles = doc && styles_xml ? cn_docxml_parse(styles_xml, styles_n, "styles.xml", ignored, sizeof ignored)
                                         : NULL;
    list_styles *ls = doc ? calloc(1, sizeof *ls) : NULL;
    weights *ws = doc ? calloc(1, sizeof *ws) : NULL;
    int rc = -1;
    if (doc && (!ls || !ws)) {
        snprintf(err, errcap, "mémoire insuffisante");
    } else if (doc) {
        xmlNode *root = xmlDocGetRootElement(doc);
        read_list_styles(cn_docxml_child(root, "automatic-styles"), ls);
        if (styles)
            read_list_styles(cn_docxml_child(xmlDocGetRootElement(styles), "styles"), ls);
        read_weights(cn_docxml_child(root, "automatic-styles"), ws);
        if (styles) {
            read_weights(cn_docxml_child(xmlDocGetRootElement(styles), "styles"), ws);
            read_weights(cn_docxml_child(xmlDocGetRootElement(styles), "automatic-styles"), ws);
        }
        xmlNode *text = cn_docxml_child(cn_docxml_child(root, "body"), "text");
        if (!text) {
            snprintf(err, errcap, "content.xml n'a pas de texte (office:text) : ce n'est pas un document texte "
                                  "OpenDocument");
        } else {
            reader r = {.out = out, .ls = ls, .ws = ws};
            blocks(&r, text, false, NULL);
            rc = cn_docout_failed(out) ? (snprintf(err, errcap, "mémoire insuffisante"), -1) : 0;
        }
    }
    free(ls);
    free(ws);
    xmlFreeDoc(styles);
    xmlFreeDoc(doc);
    return rc;
}

int cn_odt_read(const void *data, size_t len, cn_docout *out, char *err, size_t errcap)
{
    cn_doczip *z = cn_doczip_open(data, len, err, errcap);
    if (!z)
        return -1;
    size_t n, styles_n = 0;
    char ignored[200];
    char *xml = cn_doczip_read(z, "content.xml", 0, &n, err, errcap);
    char *styles = xml && cn_doczip_has(z, "styles.xml")
                       ? cn_doczip_read(z, "styles.xml", 0, &styles_n, ignored, sizeof ignored)
                       : NULL;
    cn_doczip_close(&z);
    int rc = xml ? cn_odt_read_parts(xml, n, styles, styles_n, out, err, errcap) : -1;
    free(xml);
    free(styles);
    return rc;
}
