/* model.h: the plan model's shared pieces for the op handlers: resolving
 * what a request names (a region by slug or by name with accents and case
 * folded, a plan by id or as the region's active plan, an orientation,
 * objective or action by id or by the plan's own numbering), packing each
 * entity the same way in replies and in event payloads, and inserting
 * entities from a map of fields (the ops' args, or a node of an imported
 * plan document, so both are validated by the same code). */
#ifndef CN_MODEL_H
#define CN_MODEL_H

#include "core.h"

/* The ops each file registers. */
extern const cn_op cn_region_ops[];
extern const cn_op cn_archive_ops[];
extern const size_t cn_archive_ops_count;
extern const cn_op cn_report_ops[];
extern const size_t cn_report_ops_count;
extern const size_t cn_region_ops_count;
extern const cn_op cn_plan_ops[];
extern const size_t cn_plan_ops_count;
extern const cn_op cn_plan_io_ops[];
extern const size_t cn_plan_io_ops_count;
extern const cn_op cn_structure_ops[];
extern const size_t cn_structure_ops_count;
extern const cn_op cn_action_ops[];
extern const size_t cn_action_ops_count;
extern const cn_op cn_indicator_ops[];
extern const size_t cn_indicator_ops_count;
extern const cn_op cn_echeance_ops[];
extern const size_t cn_echeance_ops_count;
extern const cn_op cn_overview_ops[];
extern const size_t cn_overview_ops_count;
extern const cn_op cn_history_ops[];
extern const size_t cn_history_ops_count;
extern const cn_op cn_mirror_ops[];
extern const size_t cn_mirror_ops_count;
extern const cn_op cn_mirror_event_ops[];
extern const size_t cn_mirror_event_ops_count;
extern const cn_op cn_node_ops[];
extern const size_t cn_node_ops_count;
extern const cn_op cn_compact_ops[];
extern const size_t cn_compact_ops_count;
extern const cn_op cn_reminder_ops[];
extern const size_t cn_reminder_ops_count;

/* Registers every op of the core (ops.c). */
int cn_model_register(cn_core *core);

/* Reads the region argument `key` and resolves it to the region's slug. */
int cn_region_arg(cn_req *req, const char *key, int required, const char **slug);

/* Resolves the plan a request is about: args.plan (id) or the active plan of
 * args.region (the most recent one). Fills plan id and region slug. */
int cn_plan_arg(cn_req *req, int64_t *plan, const char **region);

/* A plan number argument ("1.2"; an integer is taken as its digits). */
int cn_number_arg(cn_req *req, const char *key, int required, char num[64], char sort_key[160]);

/* Resolves an orientation, objective or action (table is "orientations",
 * "objectives" or "actions"): by args.id, or by args.number in the plan of
 * cn_plan_arg. Fills its id, plan and region. */
int cn_entity_arg(cn_req *req, const char *table, int64_t *id, int64_t *plan, const char **region);

/* Finds the id of the entity numbered `number` in plan; 0 when none. */
int64_t cn_entity_by_number(cn_req *req, const char *table, int64_t plan, const char *number);

/* Packers: one map per entity, as documented in proto/PROTOCOL.md. */
int cn_pack_region(cn_req *req, msgpack_packer *pk, const char *slug);
int cn_pack_plan(cn_req *req, msgpack_packer *pk, int64_t id);
int cn_pack_orientation(cn_req *req, msgpack_packer *pk, int64_t id);
int cn_pack_objective(cn_req *req, msgpack_packer *pk, int64_t id);
int cn_pack_action(cn_req *req, msgpack_packer *pk, int64_t id, bool full);
/* What an action is packed with, by cn_pack_action and action.list ("a" the
 * action), before its windows: CN_ACTION_COLUMNS [more columns] CN_ACTION_FROM. */
#define CN_ACTION_COLUMNS                                                                                             \
    "SELECT a.id, a.plan, p.region, b.number AS objective, a.number, a.text, a.priority, a.targets, a.schedule,"      \
    " a.expected_result, a.responsible, a.status, a.created_ms, a.updated_ms"
#define CN_ACTION_FROM " FROM actions a JOIN plans p ON p.id = a.plan JOIN objectives b ON b.id = a.objective"

int cn_pack_indicator(cn_req *req, msgpack_packer *pk, int64_t id, bool history);

typedef int (*cn_pack_fn)(cn_req *req, msgpack_packer *pk, int64_t id);

/* Packs entity id with fn and emits it as event `type` of region; with
 * as_result, makes it the request's result too. */
int cn_emit_entity(cn_req *req, const char *region, const char *type, cn_pack_fn fn, int64_t id, bool as_result);

/* Emits an event whose data is the map packed in buf. */
/* Runs op with the map packed in buf as its args, as part of this request
 * (its result appended to out when not NULL). */
int cn_req_run_packed(cn_req *req, const char *op, const msgpack_sbuffer *buf, msgpack_sbuffer *out);
int cn_emit_buf(cn_req *req, const char *region, const char *type, const msgpack_sbuffer *buf);

/* Inserters reading their fields from req->args (see the ops' args in
 * proto/PROTOCOL.md). parent is the orientation id (objective), objective id
 * (action) or action id (indicator), or 0 to read it from args by number.
 * They emit the *.created event and set *id. */
int cn_plan_insert(cn_req *req, const char *region, int64_t *id);
int cn_orientation_insert(cn_req *req, int64_t plan, const char *region, int64_t *id);
int cn_objective_insert(cn_req *req, int64_t plan, const char *region, int64_t parent, int64_t *id);
int cn_action_insert(cn_req *req, int64_t plan, const char *region, int64_t parent, int64_t *id);
int cn_indicator_insert(cn_req *req, int64_t plan, const char *region, int64_t parent, int64_t *id);
/* A measurement of indicator from req's args, stored (imported history:
 * no event of its own). */
int cn_measurement_insert(cn_req *req, int64_t indicator);
/* The same, recorded: refused in a copy or an archived region (not_found
 * for no such indicator), its event indicator.recorded, and into result
 * (when not NULL) the indicator as the event carries it. */
int cn_measurement_record(cn_req *req, int64_t indicator, msgpack_packer *result);
int cn_note_insert(cn_req *req, int64_t action, const char *region, const char *status_from,
                   const char *status_to);

/* plan.import of a document as it is (plan_office.c): whether format is
 * one ("docx", "odt", "office"), the args rewritten as an import of its
 * text with its places (thread-safe), and the bus's preparer doing it off
 * the loop. */
bool cn_office_format(const char *format);
int cn_office_args(const msgpack_object *args, msgpack_packer *out, char code[32], char field[96], char *message,
                   size_t cap);
extern const cn_preparer cn_plan_import_preparer;

/* The notes of node.notes ([{date, text, status_from, status_to, author}])
 * added to action as they are; base names the first in errors. Leaves
 * req->args pointing into node. */
int cn_import_notes(cn_req *req, int64_t action, const msgpack_object *node, uint32_t base);

/* A deleted action back (was: action.deleted's map): created again (event
 * action.created) with its notes, and its indicators, which the deletion
 * kept without an action, attached again with their measurements. */
int cn_action_restore(cn_req *req, const msgpack_object *was, int64_t *id);

/* Stores args.windows for action, replacing what it had; with none given,
 * reads them from the schedule text (echeance.h), "an N" counted from the
 * plan's start date. */
int cn_windows_store(cn_req *req, int64_t action, const char *schedule);

/* Packs a msgpack array of strings into a BLOB-ready buffer (empty array
 * when list is NULL). */
int cn_pack_strlist(msgpack_sbuffer *buf, const msgpack_object *list);

/* Replaces the list-of-strings BLOB column of row id in table with
 * args[arg]; with create, an absent argument stores an empty list. */
int cn_store_strlist(cn_req *req, const char *table, const char *column, const char *arg, int64_t id, bool create);

/* Steps st (prepared and bound), packs every row as a map into an array,
 * and finalizes st. */
int cn_pk_rows(cn_req *req, msgpack_packer *pk, sqlite3_stmt *st);

/* Copies text column i of st's current row into the request's memory. */
const char *cn_req_column(cn_req *req, sqlite3_stmt *st, int i);

/* Binds text or NULL. */
void cn_bind_text(sqlite3_stmt *st, int i, const char *s);
/* The same without SQLite's copy of s (a malloc, with this build of SQLite
 * that has no lookaside), for text that outlives the statement's run: the
 * request's own arguments, a buffer of the caller's until cn_stmt_done. */
void cn_bind_text_kept(sqlite3_stmt *st, int i, const char *s);

#endif
