/* doc_out.h: what an office document's reader (doc_docx.c, doc_odt.c…)
 * writes for the plan-text importer: the document as the text a table's
 * plan is when copied out of Word (import_text.h), one line per paragraph
 * and per table row, cells tab-separated, the items of a cell (its
 * paragraphs, list items, line breaks) kept apart as "<p>" breaks, which
 * the importer's cell reading already understands; and, for each line,
 * where it is in the document ("tableau 2, rangée 5"), so that what the
 * importer could not place is named by its place, not by a line number
 * that means nothing in a Word file. One model of a plan table, several
 * front ends. */
#ifndef CN_DOC_OUT_H
#define CN_DOC_OUT_H

#include <stdbool.h>
#include <stddef.h>

/* A growing text, NUL-terminated; failed once memory ran out (the text is then short). */
typedef struct {
    char *p;
    size_t n, cap;
    bool failed;
} cn_docbuf;

void cn_docbuf_put(cn_docbuf *b, const char *s, size_t n);
static inline void cn_docbuf_puts(cn_docbuf *b, const char *s) { cn_docbuf_put(b, s, __builtin_strlen(s)); }

typedef struct cn_docout cn_docout;

cn_docout *cn_docout_new(void);
void cn_docout_free(cn_docout **o);

/* A paragraph, a line of its own (a list item as "- text"). Empty ones are
 * left out. place: where it is, copied. */
void cn_docout_para(cn_docout *o, const char *text, bool list_item, const char *place);

/* A line written as it is (a CSV row of a spreadsheet's sheet). */
void cn_docout_line(cn_docout *o, const char *line, const char *place);

/* A table row: cells in order, each made of items; then the row's line. */
void cn_docout_row_begin(cn_docout *o);
void cn_docout_cell_begin(cn_docout *o);
void cn_docout_cell_item(cn_docout *o, const char *text, bool list_item);
void cn_docout_cell_end(cn_docout *o);
void cn_docout_row_end(cn_docout *o, const char *place);

/* The cell being written, so far, as the importer will read it (to repeat
 * a cell merged down over the next rows). Valid until the next write. */
const char *cn_docout_cell_so_far(const cn_docout *o);
/* Adds a cell already written (cn_docout_cell_so_far's text), whole. */
void cn_docout_cell_raw(cn_docout *o, const char *cell);

/* The text so far (NUL-terminated, owned by o) and its length. */
const char *cn_docout_text(const cn_docout *o, size_t *len);
/* Lines written, and where line (1-based) is; NULL when unknown. */
size_t cn_docout_lines(const cn_docout *o);
const char *cn_docout_place(const cn_docout *o, size_t line);
/* What a paragraph's text is made of, as a reader goes through its runs
 * (in_bold: the run being read is bold): some text, and all of it bold. */
typedef struct {
    bool any, all_bold, in_bold;
} cn_docweight;
#define CN_DOCWEIGHT_START ((cn_docweight){.all_bold = true})
void cn_docweight_text(cn_docweight *w, const char *text);

/* A paragraph or a cell's item wholly in bold (a plan may say what its bold
 * means: "les actions en gras sont réalisées"), kept apart from the text;
 * the first CN_DOCOUT_MAX_BOLD only. */
#define CN_DOCOUT_MAX_BOLD 4000
void cn_docout_bold(cn_docout *o, const char *text);
size_t cn_docout_bold_count(const cn_docout *o);
const char *cn_docout_bold_at(const cn_docout *o, size_t i);

/* Whether memory ran out along the way (the text is then incomplete). */
bool cn_docout_failed(const cn_docout *o);

#endif
