/* report_doc.h: a report written once (headings, paragraphs, tables, bar
 * charts) and given as HTML, as an OpenDocument text (.odt: the chart as an
 * SVG picture) or as a Word document (.docx: the chart a DrawingML chart);
 * LibreOffice and Word open both. plan_report.c writes the bilan with it. */
#ifndef CN_REPORT_DOC_H
#define CN_REPORT_DOC_H

#include <msgpack.h>
#include <stddef.h>

typedef struct cn_rdoc cn_rdoc;

cn_rdoc *cn_rdoc_new(const char *title);
void cn_rdoc_free(cn_rdoc **d);

/* Blocks, in order. Texts are copied; NULL is written as "". */
void cn_rdoc_heading(cn_rdoc *d, int level, const char *text); /* level 1..3 */
void cn_rdoc_para(cn_rdoc *d, const char *text);
void cn_rdoc_table(cn_rdoc *d, size_t ncols, const char *const *headers);
/* The last table's columns' relative widths (ncols of them), when they differ. */
void cn_rdoc_widths(cn_rdoc *d, const int *widths);
void cn_rdoc_row(cn_rdoc *d, const char *const *cells); /* ncols of the last table */
/* Horizontal bars, value/target each (capped at 100 % drawn, written as it is). */
void cn_rdoc_bars(cn_rdoc *d, const char *caption, const char *const *labels, const double *values,
                  const double *targets, size_t n);

/* The whole document as HTML (UTF-8, one page, printable). */
int cn_rdoc_html(const cn_rdoc *d, msgpack_sbuffer *out);
/* The whole document as an .odt file. 0, or -1 with err. */
int cn_rdoc_odt(const cn_rdoc *d, msgpack_sbuffer *out, char *err, size_t errcap);
/* The whole document as a .docx file. 0, or -1 with err. */
int cn_rdoc_docx(const cn_rdoc *d, msgpack_sbuffer *out, char *err, size_t errcap);

#endif
