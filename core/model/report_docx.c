/* report_docx.c: a report (report_doc.h) as an Office Open XML document
 * (.docx): Word's own heading styles (so its navigation pane and a table of
 * contents find them), tables of fixed column widths whose header row
 * repeats on each page, and each chart a DrawingML bar chart (its values
 * kept in the chart's cache, which Word and LibreOffice both draw from;
 * no embedded workbook). French (fr-CA) is the document's language. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_blocks.h"

enum {
    MAX_CHARTS = 8,
    TEXT_WIDTH = 9638, /* 17 cm in twips (1/20 pt): a Letter page less 2 cm margins */
    EMU_PER_CM = 360000,
};

#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define R_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define C_NS "http://schemas.openxmlformats.org/drawingml/2006/chart"
#define A_NS "http://schemas.openxmlformats.org/drawingml/2006/main"

/* Runs of text, a line break for each "\n" (bold for header cells). */
static void runs(msgpack_sbuffer *out, const char *text, bool bold)
{
    const char *s = text;
    do {
        const char *nl = strchr(s, '\n');
        char *line = strndup(s, nl ? (size_t)(nl - s) : strlen(s));
        cn_rdoc_put(out, bold ? "<w:r><w:rPr><w:b/></w:rPr>" : "<w:r>");
        if (s != text)
            cn_rdoc_put(out, "<w:br/>");
        cn_rdoc_put(out, "<w:t xml:space=\"preserve\">");
        if (line)
            cn_rdoc_put_text(out, line);
        free(line);
        cn_rdoc_put(out, "</w:t></w:r>");
        s = nl ? nl + 1 : NULL;
    } while (s);
}

static void para(msgpack_sbuffer *out, const char *style, const char *text)
{
    cn_rdoc_put(out, "<w:p>");
    if (style)
        cn_rdoc_putf(out, "<w:pPr><w:pStyle w:val=\"%s\"/></w:pPr>", style);
    runs(out, text, false);
    cn_rdoc_put(out, "</w:p>\n");
}

static void cell(msgpack_sbuffer *out, const char *text, int width, bool head)
{
    cn_rdoc_putf(out, "<w:tc><w:tcPr><w:tcW w:w=\"%d\" w:type=\"dxa\"/>%s</w:tcPr>", width,
                 head ? "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"EEEEEE\"/>" : "");
    /* One paragraph per line, as the .odt has. */
    const char *s = text;
    do {
        const char *nl = strchr(s, '\n');
        char *line = strndup(s, nl ? (size_t)(nl - s) : strlen(s));
        cn_rdoc_put(out, "<w:p><w:pPr><w:pStyle w:val=\"Tableau\"/></w:pPr>");
        runs(out, line ? line : "", head);
        cn_rdoc_put(out, "</w:p>");
        free(line);
        s = nl ? nl + 1 : NULL;
    } while (s);
    cn_rdoc_put(out, "</w:tc>");
}

static void table_start(msgpack_sbuffer *out, const block *b, int *widths)
{
    cn_rdoc_putf(out, "<w:tbl><w:tblPr><w:tblW w:w=\"%d\" w:type=\"dxa\"/><w:tblBorders>", TEXT_WIDTH);
    static const char *const sides[] = {"top", "left", "bottom", "right", "insideH", "insideV"};
    for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
        cn_rdoc_putf(out, "<w:%s w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>", sides[i]);
    cn_rdoc_put(out, "</w:tblBorders><w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"57\" "
                     "w:type=\"dxa\"/><w:right w:w=\"57\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>");
    for (size_t k = 0; k < b->n && k < 16; k++) {
        widths[k] = (int)(TEXT_WIDTH * cn_rdoc_share(b, k));
        cn_rdoc_putf(out, "<w:gridCol w:w=\"%d\"/>", widths[k]);
    }
    cn_rdoc_put(out, "</w:tblGrid><w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>");
    for (size_t k = 0; k < b->n; k++)
        cell(out, b->texts[k], k < 16 ? widths[k] : 0, true);
    cn_rdoc_put(out, "</w:tr>\n");
}

/* The chart inline in its paragraph, 17 cm wide, 0.8 cm a bar. */
static void chart_frame(msgpack_sbuffer *out, const block *b, size_t number)
{
    long cx = 17L * EMU_PER_CM, cy = (long)((1.2 + 0.8 * (double)b->n) * EMU_PER_CM);
    cn_rdoc_putf(out, "<w:p><w:pPr><w:keepNext/></w:pPr><w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" "
                      "distL=\"0\" distR=\"0\"><wp:extent cx=\"%ld\" cy=\"%ld\"/><wp:effectExtent l=\"0\" t=\"0\" "
                      "r=\"0\" b=\"0\"/><wp:docPr id=\"%zu\" name=\"Graphique %zu\"/><wp:cNvGraphicFramePr/>",
                 cx, cy, number, number);
    cn_rdoc_putf(out, "<a:graphic xmlns:a=\"" A_NS "\"><a:graphicData uri=\"" C_NS "\"><c:chart xmlns:c=\"" C_NS
                      "\" r:id=\"rIdChart%zu\"/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>\n",
                 number);
}

/* word/charts/chartN.xml: horizontal bars, each indicator's share of its
 * target in percent, the first at the top, each bar labelled. */
static void chart_part(msgpack_sbuffer *out, const block *b)
{
    double top = 100;
    for (size_t i = 0; i < b->n; i++) {
        double share = b->targets[i] > 0 ? 100 * b->values[i] / b->targets[i] : 0;
        if (share > top)
            top = share;
    }
    cn_rdoc_put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<c:chartSpace xmlns:c=\"" C_NS
                     "\" xmlns:a=\"" A_NS "\" xmlns:r=\"" R_NS "\"><c:lang val=\"fr-CA\"/><c:roundedCorners val=\"0\"/>"
                     "<c:chart><c:autoTitleDeleted val=\"1\"/><c:plotArea><c:layout/><c:barChart><c:barDir "
                     "val=\"bar\"/><c:grouping val=\"clustered\"/><c:varyColors val=\"0\"/><c:ser><c:idx val=\"0\"/>"
                     "<c:order val=\"0\"/><c:tx><c:v>Atteinte de la cible</c:v></c:tx><c:spPr><a:solidFill>"
                     "<a:srgbClr val=\"1565C0\"/></a:solidFill></c:spPr><c:invertIfNegative val=\"0\"/><c:dLbls>"
                     "<c:numFmt formatCode=\"0&quot;\u00a0%&quot;\" sourceLinked=\"0\"/><c:showLegendKey val=\"0\"/>"
                     "<c:showVal val=\"1\"/><c:showCatName val=\"0\"/><c:showSerName val=\"0\"/><c:showPercent "
                     "val=\"0\"/><c:showBubbleSize val=\"0\"/></c:dLbls>");
    cn_rdoc_putf(out, "<c:cat><c:strRef><c:f>Feuil1!$A$2:$A$%zu</c:f><c:strCache><c:ptCount val=\"%zu\"/>", b->n + 1,
                 b->n);
    for (size_t i = 0; i < b->n; i++) {
        cn_rdoc_putf(out, "<c:pt idx=\"%zu\"><c:v>", i);
        cn_rdoc_put_short(out, b->texts[i + 1], 42);
        cn_rdoc_put(out, "</c:v></c:pt>");
    }
    cn_rdoc_putf(out, "</c:strCache></c:strRef></c:cat><c:val><c:numRef><c:f>Feuil1!$B$2:$B$%zu</c:f><c:numCache>"
                      "<c:formatCode>General</c:formatCode><c:ptCount val=\"%zu\"/>", b->n + 1, b->n);
    for (size_t i = 0; i < b->n; i++)
        cn_rdoc_putf(out, "<c:pt idx=\"%zu\"><c:v>%.0f</c:v></c:pt>", i,
                     b->targets[i] > 0 ? 100 * b->values[i] / b->targets[i] : 0);
    cn_rdoc_putf(out, "</c:numCache></c:numRef></c:val></c:ser><c:gapWidth val=\"60\"/><c:axId val=\"1\"/>"
                      "<c:axId val=\"2\"/></c:barChart><c:catAx><c:axId val=\"1\"/><c:scaling><c:orientation "
                      "val=\"maxMin\"/></c:scaling><c:delete val=\"0\"/><c:axPos val=\"l\"/><c:majorTickMark "
                      "val=\"none\"/><c:minorTickMark val=\"none\"/><c:tickLblPos val=\"nextTo\"/><c:crossAx "
                      "val=\"2\"/><c:crosses val=\"autoZero\"/><c:auto val=\"1\"/><c:lblAlgn val=\"ctr\"/>"
                      "<c:lblOffset val=\"100\"/><c:noMultiLvlLbl val=\"0\"/></c:catAx><c:valAx><c:axId val=\"2\"/>"
                      "<c:scaling><c:orientation val=\"minMax\"/><c:max val=\"%.0f\"/><c:min val=\"0\"/></c:scaling>"
                      "<c:delete val=\"0\"/><c:axPos val=\"b\"/><c:numFmt formatCode=\"0&quot;\u00a0%%&quot;\" sourceLinked=\"0\"/>"
                      "<c:majorTickMark val=\"none\"/><c:minorTickMark val=\"none\"/><c:tickLblPos val=\"nextTo\"/>"
                      "<c:crossAx val=\"1\"/><c:crosses val=\"max\"/><c:crossBetween val=\"between\"/>%s</c:valAx>"
                      "</c:plotArea><c:plotVisOnly val=\"1\"/><c:dispBlanksAs val=\"gap\"/></c:chart>"
                      "</c:chartSpace>\n",
                 top, top > 100 ? "" : "<c:majorUnit val=\"25\"/>");
}

static void document(const cn_rdoc *d, msgpack_sbuffer *out, msgpack_sbuffer *charts, size_t *ncharts)
{
    cn_rdoc_put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"" W_NS
                     "\" xmlns:r=\"" R_NS "\" xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/"
                     "wordprocessingDrawing\"><w:body>\n");
    bool in_table = false;
    int widths[16] = {0};
    for (size_t i = 0; i < d->nblocks; i++) {
        const block *b = &d->blocks[i];
        if (in_table && b->kind != B_ROW) {
            cn_rdoc_put(out, "</w:tbl>\n");
            in_table = false;
        }
        switch (b->kind) {
        case B_HEADING: {
            char style[16];
            snprintf(style, sizeof style, "Heading%d", b->level);
            para(out, style, b->texts[0]);
            break;
        }
        case B_PARA:
            para(out, NULL, b->texts[0]);
            break;
        case B_TABLE:
            table_start(out, b, widths);
            in_table = true;
            break;
        case B_ROW:
            cn_rdoc_put(out, "<w:tr><w:trPr><w:cantSplit/></w:trPr>");
            for (size_t k = 0; k < b->n; k++)
                cell(out, b->texts[k], k < 16 ? widths[k] : 0, false);
            cn_rdoc_put(out, "</w:tr>\n");
            break;
        case B_BARS:
            if (*ncharts < MAX_CHARTS) {
                chart_part(&charts[*ncharts], b);
                chart_frame(out, b, ++*ncharts);
            }
            para(out, "Caption", b->texts[0]);
            break;
        }
    }
    if (in_table) /* Word wants a paragraph after a table */
        cn_rdoc_put(out, "</w:tbl>\n<w:p/>\n");
    cn_rdoc_putf(out, "<w:sectPr><w:pgSz w:w=\"12240\" w:h=\"15840\"/><w:pgMar w:top=\"1134\" w:right=\"1134\" "
                      "w:bottom=\"1134\" w:left=\"1134\" w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/>"
                      "</w:sectPr></w:body></w:document>\n");
}

/* Word's built-in styles by their English ids and names (Word shows them
 * translated), in the fonts LibreOffice substitutes metrically. */
static const char STYLES[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles xmlns:w=\"" W_NS "\">"
    "<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" w:cs=\"Calibri\"/>"
    "<w:sz w:val=\"22\"/><w:lang w:val=\"fr-CA\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing "
    "w:after=\"120\" w:line=\"264\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>"
    "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"120\"/>"
    "<w:outlineLvl w:val=\"0\"/></w:pPr><w:rPr><w:b/><w:sz w:val=\"36\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Heading2\"><w:name w:val=\"heading 2\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before=\"200\" w:after=\"80\"/>"
    "<w:outlineLvl w:val=\"1\"/></w:pPr><w:rPr><w:b/><w:sz w:val=\"28\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Heading3\"><w:name w:val=\"heading 3\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before=\"160\" w:after=\"60\"/>"
    "<w:outlineLvl w:val=\"2\"/></w:pPr><w:rPr><w:b/><w:sz w:val=\"24\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Caption\"><w:name w:val=\"caption\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:next w:val=\"Normal\"/><w:qFormat/><w:rPr><w:i/><w:sz w:val=\"20\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"Tableau\"><w:name w:val=\"Contenu de tableau\"/>"
    "<w:basedOn w:val=\"Normal\"/><w:pPr><w:spacing w:after=\"0\"/></w:pPr><w:rPr><w:sz w:val=\"20\"/></w:rPr>"
    "</w:style></w:styles>\n";

int cn_rdoc_docx(const cn_rdoc *d, msgpack_sbuffer *out, char *err, size_t errcap)
{
    if (d->failed) {
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    msgpack_sbuffer body, types, rels, doc_rels, core, charts[MAX_CHARTS];
    msgpack_sbuffer *all[] = {&body, &types, &rels, &doc_rels, &core};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        msgpack_sbuffer_init(all[i]);
    for (int i = 0; i < MAX_CHARTS; i++)
        msgpack_sbuffer_init(&charts[i]);
    size_t ncharts = 0;
    document(d, &body, charts, &ncharts);

    cn_rdoc_put(&types, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://"
                        "schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" "
                        "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default "
                        "Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" "
                        "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
                        "\"/><Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-"
                        "officedocument.wordprocessingml.styles+xml\"/><Override PartName=\"/docProps/core.xml\" "
                        "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>");
    for (size_t i = 0; i < ncharts; i++)
        cn_rdoc_putf(&types, "<Override PartName=\"/word/charts/chart%zu.xml\" ContentType=\"application/"
                             "vnd.openxmlformats-officedocument.drawingml.chart+xml\"/>", i + 1);
    cn_rdoc_put(&types, "</Types>\n");
    cn_rdoc_put(&rels, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://"
                       "schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"" R_NS
                       "/officeDocument\" Target=\"word/document.xml\"/><Relationship Id=\"rId2\" Type=\"http://"
                       "schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" "
                       "Target=\"docProps/core.xml\"/></Relationships>\n");
    cn_rdoc_put(&doc_rels, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\""
                           "http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rIdStyles\" "
                           "Type=\"" R_NS "/styles\" Target=\"styles.xml\"/>");
    for (size_t i = 0; i < ncharts; i++)
        cn_rdoc_putf(&doc_rels, "<Relationship Id=\"rIdChart%zu\" Type=\"" R_NS "/chart\" Target=\"charts/chart%zu.xml\"/>",
                     i + 1, i + 1);
    cn_rdoc_put(&doc_rels, "</Relationships>\n");
    cn_rdoc_put(&core, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\""
                       "http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://"
                       "purl.org/dc/elements/1.1/\"><dc:title>");
    cn_rdoc_put_text(&core, d->title);
    cn_rdoc_put(&core, "</dc:title><dc:language>fr-CA</dc:language></cp:coreProperties>\n");

    cn_rdoc_part parts[6 + MAX_CHARTS] = {{"[Content_Types].xml", types.data, types.size, false},
                                          {"_rels/.rels", rels.data, rels.size, false},
                                          {"docProps/core.xml", core.data, core.size, false},
                                          {"word/document.xml", body.data, body.size, false},
                                          {"word/styles.xml", STYLES, sizeof STYLES - 1, false},
                                          {"word/_rels/document.xml.rels", doc_rels.data, doc_rels.size, false}};
    char names[MAX_CHARTS][48];
    size_t nparts = 6;
    for (size_t i = 0; i < ncharts; i++) {
        snprintf(names[i], sizeof names[i], "word/charts/chart%zu.xml", i + 1);
        parts[nparts++] = (cn_rdoc_part){names[i], charts[i].data, charts[i].size, false};
    }
    int rc = cn_rdoc_zip(parts, nparts, out, err, errcap);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        msgpack_sbuffer_destroy(all[i]);
    for (int i = 0; i < MAX_CHARTS; i++)
        msgpack_sbuffer_destroy(&charts[i]);
    return rc;
}
