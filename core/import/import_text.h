/* import_text.h: reading a plan d'action as copied out of its Word or PDF
 * document (tab-separated tables whose columns are named by their headers,
 * numbered lists, bullet summaries) into a plan document as described in
 * proto/PROTOCOL.md ("Plan document"), plus the region's glossary of
 * acronyms and a report of every line that could not be placed.
 *
 * The reading is done in one pass that keeps a little state (the table
 * columns in force, the current orientation, objective and row, the section
 * a heading opened), then a pass that numbers what had no number, moves the
 * mandates referred to in objectives into their own field, and finds the
 * target numbers of indicators in the expected results. Nothing touches
 * the database: the plan.import op stores the document it gives. */
#ifndef CN_IMPORT_TEXT_H
#define CN_IMPORT_TEXT_H

#include <msgpack.h>
#include <stddef.h>

typedef struct cn_import cn_import;

typedef struct {
    const char *plan_start; /* YYYY-MM-DD anchoring "an 1", or NULL: the adoption date, else 1 April of the period */
    const char *title;      /* the plan's title, or NULL: the "Plan d'action …" line */
    const char *today;      /* YYYY-MM-DD of the notes that keep an état d'avancement */
    /* The texts the document has in bold (paragraphs, a cell's items), as
     * its reader found them: with a note such as "les actions en gras sont
     * réalisées", the actions they are take the state the note gives. */
    const char *const *bold;
    size_t nbold;
} cn_import_opts;

/* Reads text[0..len) (UTF-8). Returns NULL only when out of memory. */
cn_import *cn_import_read(const char *text, size_t len, const cn_import_opts *opts);
void cn_import_free(cn_import **imp);

/* The plan document (format "concertd.plan", version 1). */
void cn_import_pack_document(const cn_import *im, msgpack_packer *pk);

/* The glossary found: a map {term: definition}. */
void cn_import_pack_glossary(const cn_import *im, msgpack_packer *pk);
size_t cn_import_glossary_count(const cn_import *im);

/* What was not placed as written: [{line, kind, text, message}], kind one
 * of "unplaced" (no place in the model), "context" (narrative text the
 * model has no field for), "superseded" (a summary replaced by the detailed
 * table of the same orientation), "assumed" (a value the importer had to
 * choose, such as the start date or a number). */
void cn_import_pack_report(const cn_import *im, msgpack_packer *pk);
/* The same, each entry with "where" it is in the document the text was
 * read from ("tableau 2, rangée 5"): places[line - 1], when there is one. */
void cn_import_pack_report_placed(const cn_import *im, msgpack_packer *pk, const char *const *places, size_t nplaces);
size_t cn_import_report_count(const cn_import *im);

/* The action status a text names: a status code ("in_progress") or the
 * words of an état d'avancement ("Réalisé", "En cours : …", "À venir",
 * "Reporté", "Annulé", "En continu", and their English). NULL when none. */
const char *cn_status_from_words(const char *text);

#endif
