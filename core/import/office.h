/* office.h: a plan in the document a table has (.docx, .odt…), known by
 * its content, not its name, read into the plan text the importer reads
 * (import_text.h), with where each line comes from. */
#ifndef CN_OFFICE_H
#define CN_OFFICE_H

#include <stddef.h>

typedef struct cn_docout cn_docout;

#include <stdbool.h>

/* Readies the readers' libraries (libxml2) for worker threads: once, from
 * the main thread, before any document is read. */
void cn_office_init(void);

/* The document's kind by its content: "docx", "odt", "xlsx", "ods", "pdf", or
 * NULL (err says what it is instead: another zip, an old .doc, an
 * encrypted file…). */
const char *cn_office_kind(const void *data, size_t len, char *err, size_t errcap);

/* Reads data[0..len) into out: a text document as plan text (import_text.h),
 * a spreadsheet's sheet (named, or the first when sheet is NULL) as CSV
 * (plan_csv.h). 0 with *kind set, or -1 with err (French). */
int cn_office_read(const void *data, size_t len, const char *sheet, cn_docout *out, const char **kind, char *err,
                   size_t errcap);
/* Whether kind is a spreadsheet's (what was read is CSV). */
bool cn_office_is_sheet(const char *kind);

#endif
