/* report_odt.c: a report (report_doc.h) as an OpenDocument text: its
 * tables with their columns' widths and repeated header rows, each chart an
 * SVG picture (Pictures/chartN.svg), which LibreOffice and Word both show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_blocks.h"

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
    cn_rdoc_putf(out, "<table:table-cell table:style-name=\"%s\" office:value-type=\"string\">", head ? "Head" : "Cell");
    /* A cell's lines, each a paragraph. */
    const char *s = text;
    do {
        const char *nl = strchr(s, '\n');
        char *line = strndup(s, nl ? (size_t)(nl - s) : strlen(s));
        cn_rdoc_put(out, head ? "<text:p text:style-name=\"TH\">" : "<text:p>");
        if (line)
            cn_rdoc_put_text(out, line);
        free(line);
        cn_rdoc_put(out, "</text:p>");
        s = nl ? nl + 1 : NULL;
    } while (s);
    cn_rdoc_put(out, "</table:table-cell>");
}

/* content.xml, and each chart as Pictures/chartN.svg (charts[i], *ncharts). */
static void odt_content(const cn_rdoc *d, msgpack_sbuffer *out, msgpack_sbuffer *charts, size_t *ncharts, size_t cap)
{
    cn_rdoc_put(out, ODT_HEAD);
    /* Every table the page's width (17 cm), each column its share of it:
     * absolute widths, which LibreOffice and Word both keep. */
    cn_rdoc_put(out, "<style:style style:name=\"Table\" style:family=\"table\"><style:table-properties style:width=\"17cm\" "
             "table:align=\"left\"/></style:style>\n");
    int t = 0;
    for (size_t i = 0; i < d->nblocks; i++) {
        const block *b = &d->blocks[i];
        if (b->kind != B_TABLE)
            continue;
        t++;
        for (size_t k = 0; k < b->n; k++)
            cn_rdoc_putf(out, "<style:style style:name=\"T%dC%zu\" style:family=\"table-column\">"
                              "<style:table-column-properties style:column-width=\"%.2fcm\"/></style:style>\n",
                         t, k, 17.0 * cn_rdoc_share(b, k));
    }
    cn_rdoc_put(out, ODT_STYLES);
    bool in_table = false;
    int tables = 0;
    for (size_t i = 0; i < d->nblocks; i++) {
        const block *b = &d->blocks[i];
        if (in_table && b->kind != B_ROW) {
            cn_rdoc_put(out, "</table:table>\n");
            in_table = false;
        }
        switch (b->kind) {
        case B_HEADING:
            cn_rdoc_putf(out, "<text:h text:style-name=\"H%d\" text:outline-level=\"%d\">", b->level, b->level);
            cn_rdoc_put_text(out, b->texts[0]);
            cn_rdoc_put(out, "</text:h>\n");
            break;
        case B_PARA:
            cn_rdoc_put(out, "<text:p text:style-name=\"P\">");
            cn_rdoc_put_text(out, b->texts[0]);
            cn_rdoc_put(out, "</text:p>\n");
            break;
        case B_TABLE:
            cn_rdoc_putf(out, "<table:table table:name=\"Tableau%d\" table:style-name=\"Table\">", ++tables);
            for (size_t k = 0; k < b->n; k++)
                cn_rdoc_putf(out, "<table:table-column table:style-name=\"T%dC%zu\"/>", tables, k);
            cn_rdoc_put(out, "<table:table-header-rows><table:table-row>");
            for (size_t k = 0; k < b->n; k++)
                odt_cell(out, b->texts[k], true);
            cn_rdoc_put(out, "</table:table-row></table:table-header-rows>\n");
            in_table = true;
            break;
        case B_ROW:
            cn_rdoc_put(out, "<table:table-row>");
            for (size_t k = 0; k < b->n; k++)
                odt_cell(out, b->texts[k], false);
            cn_rdoc_put(out, "</table:table-row>\n");
            break;
        case B_BARS:
            if (*ncharts < cap) {
                cn_rdoc_svg_bars(b, &charts[*ncharts], true);
                (*ncharts)++;
                /* 670 × (20 + 26n) px at 96 dpi, as centimetres. */
                cn_rdoc_putf(out, "<text:p text:style-name=\"P\"><draw:frame draw:name=\"Graphique%zu\" "
                          "text:anchor-type=\"as-char\" svg:width=\"17.7cm\" svg:height=\"%.2fcm\">"
                          "<draw:image xlink:href=\"Pictures/chart%zu.svg\" xlink:type=\"simple\" xlink:show=\"embed\" "
                          "xlink:actuate=\"onLoad\"/></draw:frame></text:p>\n",
                     *ncharts, (20 + 26.0 * (double)b->n) * 17.7 / 670.0, *ncharts);
            }
            cn_rdoc_put(out, "<text:p text:style-name=\"P\">");
            cn_rdoc_put_text(out, b->texts[0]);
            cn_rdoc_put(out, "</text:p>\n");
            break;
        }
    }
    if (in_table)
        cn_rdoc_put(out, "</table:table>\n");
    cn_rdoc_put(out, "</office:text>\n</office:body>\n</office:document-content>\n");
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
    cn_rdoc_put(&manifest, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest "
                   "xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\">\n"
                   " <manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.3\" "
                   "manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>\n"
                   " <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\n");
    for (size_t i = 0; i < ncharts; i++)
        cn_rdoc_putf(&manifest, " <manifest:file-entry manifest:full-path=\"Pictures/chart%zu.svg\" "
                        "manifest:media-type=\"image/svg+xml\"/>\n", i + 1);
    cn_rdoc_put(&manifest, "</manifest:manifest>\n");

    /* "mimetype" first and stored, as ODF asks. */
    static const char mimetype[] = "application/vnd.oasis.opendocument.text";
    cn_rdoc_part parts[3 + MAX_CHARTS] = {{"mimetype", mimetype, sizeof mimetype - 1, true},
                                          {"META-INF/manifest.xml", manifest.data, manifest.size, false},
                                          {"content.xml", content.data, content.size, false}};
    char names[MAX_CHARTS][48];
    size_t nparts = 3;
    for (size_t i = 0; i < ncharts; i++) {
        snprintf(names[i], sizeof names[i], "Pictures/chart%zu.svg", i + 1);
        parts[nparts++] = (cn_rdoc_part){names[i], charts[i].data, charts[i].size, false};
    }
    int rc = cn_rdoc_zip(parts, nparts, out, err, errcap);
    msgpack_sbuffer_destroy(&content);
    msgpack_sbuffer_destroy(&manifest);
    for (int i = 0; i < MAX_CHARTS; i++)
        msgpack_sbuffer_destroy(&charts[i]);
    return rc;
}
