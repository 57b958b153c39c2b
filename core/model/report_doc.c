/* report_doc.c: see report_doc.h. The blocks are kept, then written by
 * one of the two writers; the chart is an SVG drawn the same for both. */
#include "report_doc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

enum block_kind { B_HEADING, B_PARA, B_TABLE, B_ROW, B_BARS };

typedef struct {
    enum block_kind kind;
    int level;
    size_t n;      /* cells, or bars */
    char **texts;  /* heading/para: 1; table headers, row cells: n; bars: caption then n labels */
    double *values, *targets;
    int widths[16]; /* a table's columns, relative; 0: even */
} block;

struct cn_rdoc {
    char *title;
    block *blocks;
    size_t nblocks, cap;
    size_t last_cols;
    bool failed;
};

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

static void put(msgpack_sbuffer *out, const char *s) { msgpack_sbuffer_write(out, s, strlen(s)); }

static void putf(msgpack_sbuffer *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(msgpack_sbuffer *out, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        msgpack_sbuffer_write(out, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Text escaped for XML and HTML alike. */
static void put_text(msgpack_sbuffer *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            put(out, "&amp;");
        else if (*s == '<')
            put(out, "&lt;");
        else if (*s == '>')
            put(out, "&gt;");
        else if (*s == '"')
            put(out, "&quot;");
        else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
            put(out, " "); /* not allowed in XML 1.0 */
        else
            msgpack_sbuffer_write(out, s, 1);
    }
}

/* The first max characters of s (UTF-8), "…" when cut. */
static void put_short(msgpack_sbuffer *out, const char *s, size_t max)
{
    size_t chars = 0, i = 0;
    for (; s[i] && chars < max; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++;
    char *cut = strndup(s, i);
    if (cut) {
        put_text(out, cut);
        free(cut);
    }
    if (s[i])
        put(out, "…");
}

/* The chart: one bar per indicator, its share of the target. */
static void svg_bars(const block *b, msgpack_sbuffer *out, bool standalone)
{
    const int row = 26, top = 10, label_w = 300, bar_w = 300, width = label_w + bar_w + 70;
    int height = top * 2 + row * (int)b->n;
    if (standalone)
        put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    putf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
              "font-family=\"sans-serif\" font-size=\"12\">\n", width, height, width, height);
    for (size_t i = 0; i < b->n; i++) {
        int y = top + row * (int)i;
        double share = b->targets[i] > 0 ? b->values[i] / b->targets[i] : 0;
        int w = (int)(bar_w * (share > 1 ? 1 : share < 0 ? 0 : share));
        put(out, "<text x=\"0\" y=\"");
        putf(out, "%d\">", y + 15);
        put_short(out, b->texts[i + 1], 42);
        put(out, "</text>\n");
        putf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"#e5e5e5\"/>\n", label_w, y + 2, bar_w);
        putf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"%s\"/>\n", label_w, y + 2, w,
             share >= 1 ? "#2e7d32" : "#1565c0");
        putf(out, "<text x=\"%d\" y=\"%d\">%.0f %%</text>\n", label_w + bar_w + 8, y + 15, share * 100);
    }
    put(out, "</svg>\n");
}

int cn_rdoc_html(const cn_rdoc *d, msgpack_sbuffer *out)
{
    if (d->failed)
        return -1;
    put(out, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    put_text(out, d->title);
    put(out, "</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;width:100%;margin:0.5em 0 1em}th,td{border:1px solid #999;"
             "padding:0.25em 0.5em;text-align:left;vertical-align:top}th{background:#eee}"
             "@media print{body{margin:0}}</style>\n</head>\n<body>\n");
    bool in_table = false;
    for (size_t i = 0; i < d->nblocks; i++) {
        const block *b = &d->blocks[i];
        if (in_table && b->kind != B_ROW) {
            put(out, "</tbody></table>\n");
            in_table = false;
        }
        switch (b->kind) {
        case B_HEADING:
            putf(out, "<h%d>", b->level);
            put_text(out, b->texts[0]);
            putf(out, "</h%d>\n", b->level);
            break;
        case B_PARA:
            put(out, "<p>");
            put_text(out, b->texts[0]);
            put(out, "</p>\n");
            break;
        case B_TABLE:
            put(out, "<table><thead><tr>");
            for (size_t k = 0; k < b->n; k++) {
                put(out, "<th>");
                put_text(out, b->texts[k]);
                put(out, "</th>");
            }
            put(out, "</tr></thead><tbody>\n");
            in_table = true;
            break;
        case B_ROW:
            put(out, "<tr>");
            for (size_t k = 0; k < b->n; k++) {
                put(out, "<td>");
                put_text(out, b->texts[k]);
                put(out, "</td>");
            }
            put(out, "</tr>\n");
            break;
        case B_BARS:
            put(out, "<figure>\n");
            svg_bars(b, out, false);
            put(out, "<figcaption>");
            put_text(out, b->texts[0]);
            put(out, "</figcaption></figure>\n");
            break;
        }
    }
    if (in_table)
        put(out, "</tbody></table>\n");
    put(out, "</body>\n</html>\n");
    return 0;
}

/* ---- .odt ------------------------------------------------------------------------ */

static const char ODT_HEAD[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
    "xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" "
    "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "
    "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "
    "xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" "
    "xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" "
    "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
    "xmlns:svg=\"urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0\" office:version=\"1.3\">\n"
    "<office:automatic-styles>\n";

static const char ODT_STYLES[] =
    "<style:style style:name=\"H1\" style:family=\"paragraph\"><style:paragraph-properties fo:margin-top=\"0.4cm\" "
    "fo:margin-bottom=\"0.2cm\"/><style:text-properties fo:font-size=\"18pt\" fo:font-weight=\"bold\"/></style:style>\n"
    "<style:style style:name=\"H2\" style:family=\"paragraph\"><style:paragraph-properties fo:margin-top=\"0.35cm\" "
    "fo:margin-bottom=\"0.15cm\"/><style:text-properties fo:font-size=\"14pt\" fo:font-weight=\"bold\"/></style:style>\n"
    "<style:style style:name=\"H3\" style:family=\"paragraph\"><style:paragraph-properties fo:margin-top=\"0.3cm\" "
    "fo:margin-bottom=\"0.1cm\"/><style:text-properties fo:font-size=\"12pt\" fo:font-weight=\"bold\"/></style:style>\n"
    "<style:style style:name=\"P\" style:family=\"paragraph\"><style:paragraph-properties "
    "fo:margin-bottom=\"0.15cm\"/></style:style>\n"
    "<style:style style:name=\"TH\" style:family=\"paragraph\"><style:text-properties fo:font-weight=\"bold\"/>"
    "</style:style>\n"
    "<style:style style:name=\"Cell\" style:family=\"table-cell\"><style:table-cell-properties "
    "fo:border=\"0.5pt solid #808080\" fo:padding=\"0.06cm\"/></style:style>\n"
    "<style:style style:name=\"Head\" style:family=\"table-cell\"><style:table-cell-properties "
    "fo:background-color=\"#eeeeee\" fo:border=\"0.5pt solid #808080\" fo:padding=\"0.06cm\"/></style:style>\n"
    "</office:automatic-styles>\n<office:body>\n<office:text>\n";

static void odt_cell(msgpack_sbuffer *out, const char *text, bool head)
{
    putf(out, "<table:table-cell table:style-name=\"%s\" office:value-type=\"string\">", head ? "Head" : "Cell");
    /* A cell's lines, each a paragraph. */
    const char *s = text;
    do {
        const char *nl = strchr(s, '\n');
        char *line = strndup(s, nl ? (size_t)(nl - s) : strlen(s));
        put(out, head ? "<text:p text:style-name=\"TH\">" : "<text:p>");
        if (line)
            put_text(out, line);
        free(line);
        put(out, "</text:p>");
        s = nl ? nl + 1 : NULL;
    } while (s);
    put(out, "</table:table-cell>");
}

/* content.xml, and each chart as Pictures/chartN.svg (charts[i], *ncharts). */
static void odt_content(const cn_rdoc *d, msgpack_sbuffer *out, msgpack_sbuffer *charts, size_t *ncharts, size_t cap)
{
    put(out, ODT_HEAD);
    /* Every table the page's width (17 cm), each column its share of it:
     * absolute widths, which LibreOffice and Word both keep. */
    put(out, "<style:style style:name=\"Table\" style:family=\"table\"><style:table-properties style:width=\"17cm\" "
             "table:align=\"left\"/></style:style>\n");
    int t = 0;
    for (size_t i = 0; i < d->nblocks; i++) {
        const block *b = &d->blocks[i];
        if (b->kind != B_TABLE)
            continue;
        t++;
        int sum = 0;
        for (size_t k = 0; k < b->n; k++)
            sum += k < 16 && b->widths[k] > 0 ? b->widths[k] : 10;
        for (size_t k = 0; k < b->n; k++)
            putf(out, "<style:style style:name=\"T%dC%zu\" style:family=\"table-column\"><style:table-column-properties "
                      "style:column-width=\"%.2fcm\"/></style:style>\n",
                 t, k, 17.0 * (k < 16 && b->widths[k] > 0 ? b->widths[k] : 10) / (sum ? sum : 1));
    }    put(out, ODT_STYLES);
    bool in_table = false;
    int tables = 0;
    for (size_t i = 0; i < d->nblocks; i++) {
        const block *b = &d->blocks[i];
        if (in_table && b->kind != B_ROW) {
            put(out, "</table:table>\n");
            in_table = false;
        }
        switch (b->kind) {
        case B_HEADING:
            putf(out, "<text:h text:style-name=\"H%d\" text:outline-level=\"%d\">", b->level, b->level);
            put_text(out, b->texts[0]);
            put(out, "</text:h>\n");
            break;
        case B_PARA:
            put(out, "<text:p text:style-name=\"P\">");
            put_text(out, b->texts[0]);
            put(out, "</text:p>\n");
            break;
        case B_TABLE:
            putf(out, "<table:table table:name=\"Tableau%d\" table:style-name=\"Table\">", ++tables);
            for (size_t k = 0; k < b->n; k++)
                putf(out, "<table:table-column table:style-name=\"T%dC%zu\"/>", tables, k);
            put(out, "<table:table-header-rows><table:table-row>");
            for (size_t k = 0; k < b->n; k++)
                odt_cell(out, b->texts[k], true);
            put(out, "</table:table-row></table:table-header-rows>\n");
            in_table = true;
            break;
        case B_ROW:
            put(out, "<table:table-row>");
            for (size_t k = 0; k < b->n; k++)
                odt_cell(out, b->texts[k], false);
            put(out, "</table:table-row>\n");
            break;
        case B_BARS:
            if (*ncharts < cap) {
                svg_bars(b, &charts[*ncharts], true);
                (*ncharts)++;
                /* 670 × (20 + 26n) px at 96 dpi, as centimetres. */
                putf(out, "<text:p text:style-name=\"P\"><draw:frame draw:name=\"Graphique%zu\" "
                          "text:anchor-type=\"as-char\" svg:width=\"17.7cm\" svg:height=\"%.2fcm\">"
                          "<draw:image xlink:href=\"Pictures/chart%zu.svg\" xlink:type=\"simple\" xlink:show=\"embed\" "
                          "xlink:actuate=\"onLoad\"/></draw:frame></text:p>\n",
                     *ncharts, (20 + 26.0 * (double)b->n) * 17.7 / 670.0, *ncharts);
            }
            put(out, "<text:p text:style-name=\"P\">");
            put_text(out, b->texts[0]);
            put(out, "</text:p>\n");
            break;
        }
    }
    if (in_table)
        put(out, "</table:table>\n");
    put(out, "</office:text>\n</office:body>\n</office:document-content>\n");
}

int cn_rdoc_odt(const cn_rdoc *d, msgpack_sbuffer *out, char *err, size_t errcap)
{
    enum { MAX_CHARTS = 8 };
    if (d->failed) {
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    msgpack_sbuffer content, manifest, charts[MAX_CHARTS];
    msgpack_sbuffer_init(&content);
    msgpack_sbuffer_init(&manifest);
    for (int i = 0; i < MAX_CHARTS; i++)
        msgpack_sbuffer_init(&charts[i]);
    size_t ncharts = 0;
    odt_content(d, &content, charts, &ncharts, MAX_CHARTS);
    put(&manifest, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest "
                   "xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\">\n"
                   " <manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.3\" "
                   "manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>\n"
                   " <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\n");
    for (size_t i = 0; i < ncharts; i++)
        putf(&manifest, " <manifest:file-entry manifest:full-path=\"Pictures/chart%zu.svg\" "
                        "manifest:media-type=\"image/svg+xml\"/>\n", i + 1);
    put(&manifest, "</manifest:manifest>\n");

    /* The zip, written in memory: "mimetype" first and stored, as ODF asks. */
    static const char mimetype[] = "application/vnd.oasis.opendocument.text";
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = NULL;
    int rc = -1;
    if (src) {
        zip_source_keep(src);
        za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    }
    if (za) {
        struct {
            const char *name;
            const void *data;
            size_t len;
        } parts[3 + MAX_CHARTS] = {{"mimetype", mimetype, sizeof mimetype - 1},
                                   {"META-INF/manifest.xml", manifest.data, manifest.size},
                                   {"content.xml", content.data, content.size}};
        char names[MAX_CHARTS][48];
        size_t nparts = 3;
        for (size_t i = 0; i < ncharts; i++) {
            snprintf(names[i], sizeof names[i], "Pictures/chart%zu.svg", i + 1);
            parts[nparts].name = names[i];
            parts[nparts].data = charts[i].data;
            parts[nparts++].len = charts[i].size;
        }
        bool ok = true;
        for (size_t i = 0; ok && i < nparts; i++) {
            zip_source_t *part = zip_source_buffer(za, parts[i].data, parts[i].len, 0);
            zip_int64_t idx = part ? zip_file_add(za, parts[i].name, part, ZIP_FL_ENC_UTF_8) : -1;
            if (idx < 0) {
                zip_source_free(part);
                ok = false;
            } else if (i == 0) {
                zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
            }
        }
        if (ok && zip_close(za) == 0) {
            zip_stat_t st;
            if (zip_source_open(src) == 0) {
                if (zip_source_stat(src, &st) == 0 && (st.valid & ZIP_STAT_SIZE)) {
                    char *bytes = malloc(st.size ? st.size : 1);
                    if (bytes && zip_source_read(src, bytes, st.size) == (zip_int64_t)st.size) {
                        msgpack_sbuffer_write(out, bytes, st.size);
                        rc = 0;
                    }
                    free(bytes);
                }
                zip_source_close(src);
            }
        } else {
            zip_discard(za);
        }
    }
    if (rc != 0)
        snprintf(err, errcap, "le document .odt n'a pu être écrit : %s", zip_error_strerror(&ze));
    if (src)
        zip_source_free(src);
    zip_error_fini(&ze);
    msgpack_sbuffer_destroy(&content);
    msgpack_sbuffer_destroy(&manifest);
    for (int i = 0; i < MAX_CHARTS; i++)
        msgpack_sbuffer_destroy(&charts[i]);
    return rc;
}
