/* doc_sheet.h: a spreadsheet (.xlsx, .ods) as the CSV text the plan's CSV
 * reader takes (plan_csv.h): one sheet (the first, or the one named), one
 * CSV line per row of the sheet (blank rows kept, so a line's number is its
 * row's), a merged range's value in each of its cells (an objective merged
 * down over its actions is on each action's row), dates as AAAA-MM-JJ. */
#ifndef CN_DOC_SHEET_H
#define CN_DOC_SHEET_H

#include <stddef.h>

#include "doc_out.h"

/* Reads the sheet into out, a CSV line per row, each placed ("feuille
 * Plan, rangée 4"). 0, or -1 with err (French): no such sheet, an empty
 * one, a damaged file. */
int cn_xlsx_read(const void *data, size_t len, const char *sheet, cn_docout *out, char *err, size_t errcap);
int cn_ods_read(const void *data, size_t len, const char *sheet, cn_docout *out, char *err, size_t errcap);

#endif
