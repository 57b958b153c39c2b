/* import_model.h: what the plan-text importer holds while it reads (the
 * plan, orientations, objectives, actions, indicators, glossary and
 * report it has found, and its reading state), shared by its steps:
 * import_text.c reads the lines, import_table.c the tables' rows,
 * import_model.c adds what they find, import_finish.c numbers and
 * completes, import_pack.c packs the result. Private to those files. */
#ifndef CN_IMPORT_MODEL_H
#define CN_IMPORT_MODEL_H

#include <string.h>

#include <stdbool.h>
#include <stddef.h>

#include "import_text.h"

enum field { F_NONE, F_ORIENT, F_OBJ, F_ACT, F_TARGETS, F_SCHED, F_YEAR, F_EXPECTED, F_RESP, F_IND, F_STATUS, F_OTHER };
#define NFIELDS (F_OTHER + 1)
#define MAX_COLS 40
#define MAX_ITEMS 256 /* numbered items in one cell */

typedef struct {
    char *number, *statement;
    int line, last_line;
    bool table, dropped;
} ori_t;

typedef struct {
    char *number, *text, *mandates;
    int ori, line;
    bool dropped;
} obj_t;

typedef struct {
    char *number, *text, *targets, *schedule, *expected, *responsible, *progress, *indicators;
    int obj, line;
    int ind_row_n; /* its indicators cell was its row's, shared by this many actions (from it on), or 0 */
    bool dropped;
} act_t;

typedef struct {
    int act;
    char *name, *unit;
    double target;
    bool has_target;
} ind_t;

typedef struct {
    char *a, *b;
} pair_t;

typedef struct {
    int line;
    const char *kind;
    char *text, *message;
} note_t;

typedef enum { S_NONE, S_CONTEXT, S_MISSION, S_MANDATES, S_GLOSSARY } section_t;

#define ARRAY(T, name) \
    T *name;           \
    size_t n_##name, cap_##name

struct cn_import {
    msgpack_zone *z;       /* everything found, freed with the importer */
    msgpack_zone *scratch; /* folded copies for comparisons, emptied after each line */
    const char *opt_start, *opt_title, *today;
    char *title, *period, *adopted_on, *mission, *start_date, *end_date;
    int start_month; /* the month the title says the plan's years begin ("(avril à mars)"), else 0 */
    char **bold;     /* cn_import_opts.bold, folded, in the zone */
    size_t nbold;
    char *bold_note; /* "Les actions en gras sont réalisées…", and its line */
    int bold_note_line;
    ARRAY(pair_t, mandates);
    ARRAY(ori_t, ori);
    ARRAY(obj_t, obj);
    ARRAY(act_t, act);
    ARRAY(ind_t, ind);
    ARRAY(pair_t, terms);
    ARRAY(note_t, notes);
    struct cn_strset *seen; /* folded single-cell lines, to skip page titles repeated at page breaks */
    struct cn_strset *term_index; /* term → its index in terms */
    /* reading state */
    int line;
    enum field cols[MAX_COLS], header_cols[MAX_COLS]; /* in force; as the header row named them */
    char *col_label[MAX_COLS];
    int ncols;
    bool table, after_header, expect_years;
    bool tabbed; /* the line being read has several cells: it belongs to a table */
    int cur_ori, cur_obj, row_first, row_n;
    bool obj_from_text; /* the current objective came from a paragraph or heading, not a number */
    bool objective_heading;
    section_t sec;
};

#define PUSH(im, name) ((im)->n_##name < (im)->cap_##name || cn_import_grow((void **)&(im)->name, &(im)->cap_##name, sizeof *(im)->name) \
                            ? memset(&(im)->name[(im)->n_##name], 0, sizeof *(im)->name), &(im)->name[(im)->n_##name++]    \
                            : NULL)


/* Grows an array of *cap items of size bytes (the PUSH macro's helper). */
bool cn_import_grow(void **p, size_t *cap, size_t size);

/* s copied into the importer's zone (NULL stays NULL). */
char *cn_import_dup(cn_import *im, const char *s);

/* s with accents and case folded, typographic apostrophes and dashes made
 * plain, in the scratch zone: valid until the end of the line being read. */
char *cn_import_fold(cn_import *im, const char *s);

/* A reference to another line inside a report message, written as the
 * report is packed: "ligne 12", or where that line is in the document
 * ("tableau 2, rangée 5") when the text came from one. out: 16 bytes. */
void cn_import_line_ref(int line, char out[16]);

/* Adds a report entry (kind "unplaced", "context", "superseded", "assumed"). */
void cn_import_report(cn_import *im, int line, const char *kind, const char *text, const char *message);

/* Whether s begins with prefix. */
static inline bool cn_import_starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* Adding what the readers find (import_model.c). An orientation, objective
 * or action numbered num (NULL: numbered by import_finish.c) with its
 * text; table says it came from a table row, from_text from a sentence.
 * cn_import_objective and cn_import_action return the new item's index, or
 * -1 when out of memory. */
void cn_import_orientation(cn_import *im, const char *num, const char *statement, bool table);
int cn_import_objective(cn_import *im, const char *num, const char *text, bool from_text);
int cn_import_action(cn_import *im, const char *num, const char *text);

/* A line "Orientation 1 : …" (in any of the plans' spellings) becomes an
 * orientation; returns whether it was one. */
bool cn_import_orientation_line(cn_import *im, const char *text);

/* The tables (import_table.c): a header row naming the columns, the
 * An 1…An 5 grid of years; each returns whether the row was one. Then a
 * row of cells, distributed to the action it describes. */
bool cn_import_table_header(cn_import *im, char **cells, int n);
bool cn_import_year_header(cn_import *im, char **cells, int n);
void cn_import_table_row(cn_import *im, char **cells, int n);

/* After the last line: numbers, mandates, indicators' targets, dates. */
void cn_import_finish(cn_import *im);

#endif
