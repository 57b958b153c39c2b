/* doc_out.c: see doc_out.h. */
#include "doc_out.h"

#include <stdlib.h>
#include <string.h>


struct cn_docout {
    cn_docbuf text, row, cell;
    bool row_has_cell, cell_has_item, failed;
    char **places; /* by line, 0-based */
    size_t nlines, cap_lines;
    char **bold; /* texts in bold, in order */
    size_t nbold, cap_bold;
};

void cn_docbuf_put(cn_docbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void put(cn_docout *o, cn_docbuf *b, const char *s, size_t n)
{
    cn_docbuf_put(b, s, n);
    o->failed = o->failed || b->failed;
}

static void puts_(cn_docout *o, cn_docbuf *b, const char *s) { put(o, b, s, strlen(s)); }

/* Text as the importer reads it: no tab nor line break inside (they
 * separate cells and rows), and '&', '<' and '>' as entities (a cell's
 * tags are item breaks there). Spaces collapsed, ends trimmed. */
static void put_escaped(cn_docout *o, cn_docbuf *b, const char *s)
{
    bool space = false, any = false;
    for (; *s; s++) {
        char c = *s;
        if (c == '\t' || c == '\n' || c == '\r' || c == ' ' || c == '\v' || c == '\f') {
            space = any;
            continue;
        }
        if (space)
            put(o, b, " ", 1);
        space = false;
        any = true;
        if (c == '&')
            puts_(o, b, "&amp;");
        else if (c == '<')
            puts_(o, b, "&lt;");
        else if (c == '>')
            puts_(o, b, "&gt;");
        else
            put(o, b, &c, 1);
    }
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

static void end_line(cn_docout *o, const char *place)
{
    put(o, &o->text, "\n", 1);
    if (o->failed)
        return;
    if (o->nlines == o->cap_lines) {
        size_t cap = o->cap_lines ? o->cap_lines * 2 : 256;
        char **p = realloc(o->places, cap * sizeof *p);
        if (!p) {
            o->failed = true;
            return;
        }
        o->places = p;
        o->cap_lines = cap;
    }
    o->places[o->nlines++] = place ? strdup(place) : NULL;
}

cn_docout *cn_docout_new(void) { return calloc(1, sizeof(cn_docout)); }

void cn_docout_free(cn_docout **op)
{
    cn_docout *o = *op;
    if (!o)
        return;
    for (size_t i = 0; i < o->nlines; i++)
        free(o->places[i]);
    free(o->places);
    for (size_t i = 0; i < o->nbold; i++)
        free(o->bold[i]);
    free(o->bold);
    free(o->text.p);
    free(o->row.p);
    free(o->cell.p);
    free(o);
    *op = NULL;
}

void cn_docout_para(cn_docout *o, const char *text, bool list_item, const char *place)
{
    if (!text || blank(text))
        return;
    if (list_item)
        puts_(o, &o->text, "- ");
    put_escaped(o, &o->text, text);
    end_line(o, place);
}

void cn_docout_line(cn_docout *o, const char *line, const char *place)
{
    puts_(o, &o->text, line);
    end_line(o, place);
}

void cn_docout_row_begin(cn_docout *o)
{
    o->row.n = 0;
    o->row_has_cell = false;
    put(o, &o->row, "", 0);
}

void cn_docout_cell_begin(cn_docout *o)
{
    o->cell.n = 0;
    o->cell_has_item = false;
    put(o, &o->cell, "", 0);
}

void cn_docout_cell_item(cn_docout *o, const char *text, bool list_item)
{
    (void)list_item; /* an item is an item: the importer cuts a cell at its breaks */
    if (!text || blank(text))
        return;
    if (o->cell_has_item)
        puts_(o, &o->cell, "<p>");
    put_escaped(o, &o->cell, text);
    o->cell_has_item = true;
}

void cn_docout_cell_end(cn_docout *o) { cn_docout_cell_raw(o, o->cell.p ? o->cell.p : ""); }

const char *cn_docout_cell_so_far(const cn_docout *o) { return o->cell.p ? o->cell.p : ""; }

void cn_docout_cell_raw(cn_docout *o, const char *cell)
{
    if (o->row_has_cell)
        put(o, &o->row, "\t", 1);
    puts_(o, &o->row, cell);
    o->row_has_cell = true;
}

void cn_docout_row_end(cn_docout *o, const char *place)
{
    if (!o->row.p || blank(o->row.p))
        return; /* a row of empty cells says nothing */
    puts_(o, &o->text, o->row.p);
    end_line(o, place);
}

const char *cn_docout_text(const cn_docout *o, size_t *len)
{
    if (len)
        *len = o->text.n;
    return o->text.p ? o->text.p : "";
}

size_t cn_docout_lines(const cn_docout *o) { return o->nlines; }

const char *cn_docout_place(const cn_docout *o, size_t line)
{
    return line >= 1 && line <= o->nlines ? o->places[line - 1] : NULL;
}

bool cn_docout_failed(const cn_docout *o) { return o->failed; }

void cn_docout_bold(cn_docout *o, const char *text)
{
    if (blank(text) || o->nbold >= CN_DOCOUT_MAX_BOLD)
        return;
    if (o->nbold == o->cap_bold) {
        size_t cap = o->cap_bold ? o->cap_bold * 2 : 16;
        char **p = realloc(o->bold, cap * sizeof *p);
        if (!p) {
            o->failed = true;
            return;
        }
        o->bold = p;
        o->cap_bold = cap;
    }
    if (!(o->bold[o->nbold] = strdup(text)))
        o->failed = true;
    else
        o->nbold++;
}

size_t cn_docout_bold_count(const cn_docout *o) { return o->nbold; }
const char *cn_docout_bold_at(const cn_docout *o, size_t i) { return i < o->nbold ? o->bold[i] : NULL; }

void cn_docweight_text(cn_docweight *w, const char *text)
{
    for (; *text; text++)
        if (*text != ' ' && *text != '\t' && *text != '\n' && *text != '\r') {
            w->any = true;
            w->all_bold = w->all_bold && w->in_bold;
            return;
        }
}
