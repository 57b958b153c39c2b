/* plan_csv.h: a plan as a spreadsheet holds it, one row per action, each
 * row repeating its orientation and objective (columns in
 * proto/PROTOCOL.md, "CSV"). Read into a plan document (the shape
 * plan.import stores) and written from one (what plan.export gives). */
#ifndef CN_PLAN_CSV_H
#define CN_PLAN_CSV_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "import_text.h"

/* Reads CSV text (comma, semicolon or tab separated, found from the header
 * row) into a plan document packed with doc, and a report of what was not
 * placed ([{line, kind, text, message}], line being the row) packed with
 * report. opts->title names the plan, else a row above the header row
 * (a spreadsheet's title). Returns 0, or -1 with a message for a person in
 * err when the text is not a plan's CSV, -2 when it has no title. */
int cn_csv_read(const char *text, size_t len, const cn_import_opts *opts, msgpack_packer *doc, msgpack_packer *report,
                char *err, size_t errcap);

/* The plan document doc as CSV (UTF-8 with a byte order mark, so that
 * spreadsheets show the accents; header row in the current language).
 * Returns a new string (caller frees) and its length, or NULL. */
char *cn_csv_write(const msgpack_object *doc, size_t *len);

/* A CSV text being written, for other tables (region.overview): a field is
 * quoted by libcsv when it must be, then followed by ',' or, for the last
 * of its row, CRLF. Out of memory sets oom and writes nothing more; free p. */
typedef struct {
    char *p;
    size_t n, cap;
    bool oom;
} cn_csv_out;
void cn_csv_raw(cn_csv_out *o, const char *s, size_t n);
void cn_csv_field(cn_csv_out *o, const char *s, size_t n, bool last);

#endif
