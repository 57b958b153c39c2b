/* report_doc.c: see report_doc.h. The blocks are kept, then written by one
 * of the writers (HTML here, report_odt.c, report_docx.c); the helpers they
 * share are here too (report_blocks.h). */
#include "report_blocks.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

static char *dup(const char *s) { return strdup(s ? s : ""); }

static block *add(cn_rdoc *d, enum block_kind kind, size_t ntexts)
{
    if (d->nblocks == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        block *p = realloc(d->blocks, cap * sizeof *p);
        if (!p) {
            d->failed = true;
            return NULL;
        }
        d->blocks = p;
        d->cap = cap;
    }
    block *b = &d->blocks[d->nblocks];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->texts = calloc(ntexts ? ntexts : 1, sizeof *b->texts);
    if (!b->texts) {
        d->failed = true;
        return NULL;
    }
    d->nblocks++;
    return b;
}

cn_rdoc *cn_rdoc_new(const char *title)
{
    cn_rdoc *d = calloc(1, sizeof *d);
    if (d && !(d->title = dup(title))) {
        free(d);
        return NULL;
    }
    return d;
}

void cn_rdoc_free(cn_rdoc **dp)
{
    cn_rdoc *d = *dp;
    if (!d)
        return;
    for (size_t i = 0; i < d->nblocks; i++) {
        block *b = &d->blocks[i];
        size_t ntexts = b->kind == B_BARS ? b->n + 1 : b->kind == B_HEADING || b->kind == B_PARA ? 1 : b->n;
        for (size_t k = 0; k < ntexts; k++)
            free(b->texts[k]);
        free(b->texts);
        free(b->values);
        free(b->targets);
    }
    free(d->blocks);
    free(d->title);
    free(d);
    *dp = NULL;
}

void cn_rdoc_heading(cn_rdoc *d, int level, const char *text)
{
    block *b = add(d, B_HEADING, 1);
    if (b) {
        b->level = level < 1 ? 1 : level > 3 ? 3 : level;
        b->texts[0] = dup(text);
    }
}

void cn_rdoc_para(cn_rdoc *d, const char *text)
{
    block *b = add(d, B_PARA, 1);
    if (b)
        b->texts[0] = dup(text);
}

static void cells(cn_rdoc *d, enum block_kind kind, size_t n, const char *const *texts)
{
    block *b = add(d, kind, n);
    if (!b)
        return;
    b->n = n;
    for (size_t i = 0; i < n; i++)
        b->texts[i] = dup(texts[i]);
}

void cn_rdoc_table(cn_rdoc *d, size_t ncols, const char *const *headers)
{
    d->last_cols = ncols;
    cells(d, B_TABLE, ncols, headers);
}

void cn_rdoc_widths(cn_rdoc *d, const int *widths)
{
    block *b = d->nblocks ? &d->blocks[d->nblocks - 1] : NULL;
    for (size_t i = 0; b && b->kind == B_TABLE && i < b->n && i < 16; i++)
        b->widths[i] = widths[i];
}

void cn_rdoc_row(cn_rdoc *d, const char *const *texts) { cells(d, B_ROW, d->last_cols, texts); }

void cn_rdoc_bars(cn_rdoc *d, const char *caption, const char *const *labels, const double *values,
                  const double *targets, size_t n)
{
    block *b = add(d, B_BARS, n + 1);
    if (!b)
        return;
    b->n = n;
    b->texts[0] = dup(caption);
    b->values = calloc(n ? n : 1, sizeof *b->values);
    b->targets = calloc(n ? n : 1, sizeof *b->targets);
    if (!b->values || !b->targets) {
        d->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        b->texts[i + 1] = dup(labels[i]);
        b->values[i] = values[i];
        b->targets[i] = targets[i];
    }
}

/* ---- writing ------------------------------------------------------------------ */

void cn_rdoc_put(msgpack_sbuffer *out, const char *s) { msgpack_sbuffer_write(out, s, strlen(s)); }

void cn_rdoc_putf(msgpack_sbuffer *out, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof buf) {
        msgpack_sbuffer_write(out, buf, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1); /* a long piece of XML: written whole, never cut */
    if (!big)
        return;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    msgpack_sbuffer_write(out, big, (size_t)n);
    free(big);
}

void cn_rdoc_put_text(msgpack_sbuffer *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            cn_rdoc_put(out, "&amp;");
        else if (*s == '<')
            cn_rdoc_put(out, "&lt;");
        else if (*s == '>')
            cn_rdoc_put(out, "&gt;");
        else if (*s == '"')
            cn_rdoc_put(out, "&quot;");
        else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
            cn_rdoc_put(out, " "); /* not allowed in XML 1.0 */
        else
            msgpack_sbuffer_write(out, s, 1);
    }
}

char *cn_rdoc_shorten(const char *s, size_t max)
{
    size_t chars = 0, i = 0;
    for (; s[i] && chars < max; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++;
    char *cut = malloc(i + sizeof "…");
    if (cut) {
        memcpy(cut, s, i);
        strcpy(cut + i, s[i] ? "…" : "");
    }
    return cut;
}

void cn_rdoc_put_short(msgpack_sbuffer *out, const char *s, size_t max)
{
    char *cut = cn_rdoc_shorten(s, max);
    if (cut)
        cn_rdoc_put_text(out, cut);
    free(cut);
}

double cn_rdoc_share(const block *table, size_t k)
{
    int sum = 0;
    for (size_t i = 0; i < table->n; i++)
        sum += i < 16 && table->widths[i] > 0 ? table->widths[i] : 10;
    return (double)(k < 16 && table->widths[k] > 0 ? table->widths[k] : 10) / (sum ? sum : 1);
}

/* The chart: one bar per indicator, its share of the target. */
void cn_rdoc_svg_bars(const block *b, msgpack_sbuffer *out, bool standalone)
{
    const int row = 26, top = 10, label_w = 300, bar_w = 300, width = label_w + bar_w + 70;
    int height = top * 2 + row * (int)b->n;
    if (standalone)
        cn_rdoc_put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    cn_rdoc_putf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
              "font-family=\"sans-serif\" font-size=\"12\">\n", width, height, width, height);
    for (size_t i = 0; i < b->n; i++) {
        int y = top + row * (int)i;
        double share = b->targets[i] > 0 ? b->values[i] / b->targets[i] : 0;
        int w = (int)(bar_w * (share > 1 ? 1 : share < 0 ? 0 : share));
        cn_rdoc_put(out, "<text x=\"0\" y=\"");
        cn_rdoc_putf(out, "%d\">", y + 15);
        cn_rdoc_put_short(out, b->texts[i + 1], 42);
        cn_rdoc_put(out, "</text>\n");
        cn_rdoc_putf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"#e5e5e5\"/>\n", label_w, y + 2, bar_w);
        cn_rdoc_putf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"%s\"/>\n", label_w, y + 2, w,
             share >= 1 ? "#2e7d32" : "#1565c0");
        cn_rdoc_putf(out, "<text x=\"%d\" y=\"%d\">%.0f %%</text>\n", label_w + bar_w + 8, y + 15, share * 100);
    }
    cn_rdoc_put(out, "</svg>\n");
}

int cn_rdoc_html(const cn_rdoc *d, msgpack_sbuffer *out)
{
    if (d->failed)
        return -1;
    cn_rdoc_put(out, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    cn_rdoc_put_text(out, d->title);
    cn_rdoc_put(out, "</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;width:100%;margin:0.5em 0 1em}th,td{border:1px solid #999;"
             "padding:0.25em 0.5em;text-align:left;vertical-align:top}th{background:#eee}"
             "@media print{body{margin:0}}</style>\n</head>\n<body>\n");
    bool in_table = false;
    for (size_t i = 0; i < d->nblocks; i++) {
        const block *b = &d->blocks[i];
        if (in_table && b->kind != B_ROW) {
            cn_rdoc_put(out, "</tbody></table>\n");
            in_table = false;
        }
        switch (b->kind) {
        case B_HEADING:
            cn_rdoc_putf(out, "<h%d>", b->level);
            cn_rdoc_put_text(out, b->texts[0]);
            cn_rdoc_putf(out, "</h%d>\n", b->level);
            break;
        case B_PARA:
            cn_rdoc_put(out, "<p>");
            cn_rdoc_put_text(out, b->texts[0]);
            cn_rdoc_put(out, "</p>\n");
            break;
        case B_TABLE:
            cn_rdoc_put(out, "<table><thead><tr>");
            for (size_t k = 0; k < b->n; k++) {
                cn_rdoc_put(out, "<th>");
                cn_rdoc_put_text(out, b->texts[k]);
                cn_rdoc_put(out, "</th>");
            }
            cn_rdoc_put(out, "</tr></thead><tbody>\n");
            in_table = true;
            break;
        case B_ROW:
            cn_rdoc_put(out, "<tr>");
            for (size_t k = 0; k < b->n; k++) {
                cn_rdoc_put(out, "<td>");
                cn_rdoc_put_text(out, b->texts[k]);
                cn_rdoc_put(out, "</td>");
            }
            cn_rdoc_put(out, "</tr>\n");
            break;
        case B_BARS:
            cn_rdoc_put(out, "<figure>\n");
            cn_rdoc_svg_bars(b, out, false);
            cn_rdoc_put(out, "<figcaption>");
            cn_rdoc_put_text(out, b->texts[0]);
            cn_rdoc_put(out, "</figcaption></figure>\n");
            break;
        }
    }
    if (in_table)
        cn_rdoc_put(out, "</tbody></table>\n");
    cn_rdoc_put(out, "</body>\n</html>\n");
    return 0;
}

