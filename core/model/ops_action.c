/* ops_action.c: action.* — the moyens d'action of a plan, with their
 * targets (cibles), échéance (raw text and dated windows), expected result,
 * responsible, status and dated progress notes. Status changes go through
 * action.set_status so each one is an event and a note. */
#include <string.h>

#include "evlog.h"
#include "model.h"
#include "mp.h"
#include "reminders.h"
#include "text.h"
#include "stmt_cache.h"

static const char *const statuses[] = {"planned", "in_progress", "done", "ongoing", "postponed", "cancelled", NULL};

/* Resolves args.objective (a number in plan) to its id; 0 when absent. */
static int objective_of(cn_req *req, int64_t plan, int required, int64_t *objective)
{
    char num[64], key[160];
    int r = cn_number_arg(req, "objective", required, num, key);
    *objective = 0;
    if (r <= 0)
        return r;
    *objective = cn_entity_by_number(req, "objectives", plan, num);
    if (*objective < 0)
        return -1;
    if (*objective == 0)
        return cn_req_fail(req, "not_found", "objective", L("objectif %s introuvable dans ce plan",
                                                            "objective %s not found in this plan"), num);
    return 1;
}

static int pack_action_summary(cn_req *req, msgpack_packer *pk, int64_t id) { return cn_pack_action(req, pk, id, false); }
static int pack_action_full(cn_req *req, msgpack_packer *pk, int64_t id) { return cn_pack_action(req, pk, id, true); }

/* action.noted or action.unnoted: {action (summary), date, text}. */
static int emit_note(cn_req *req, const char *region, const char *type, int64_t action, const char *date,
                     const char *text)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    cn_pk_str(&pk, "action");
    int rc = cn_pack_action(req, &pk, action, false);
    cn_pk_kstr(&pk, "date", date);
    cn_pk_kstr(&pk, "text", text);
    if (rc == 0)
        rc = cn_emit_buf(req, region, type, &buf);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

int cn_note_insert(cn_req *req, int64_t action, const char *region, const char *status_from, const char *status_to)
{
    const char *text, *date;
    char today[11];
    if (cn_arg_str(req, status_to ? "note" : "text", status_to ? CN_OPTIONAL : CN_REQUIRED, &text) < 0 ||
        cn_arg_date(req, "date", CN_OPTIONAL, &date) < 0)
        return -1;
    if (!status_to && (!text || !*text))
        return cn_req_fail(req, "invalid_argument", "text", L("la note ne peut être vide", "the note cannot be empty"));
    if (!date) {
        cn_date_today(today);
        date = today;
    }
    if (!text && !status_to)
        return 0;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "INSERT INTO action_notes(action, date, text, status_from, status_to, created_ms, author)"
                            " VALUES (?,?,?,?,?,?,?)", &st))
        return -1;
    sqlite3_bind_int64(st, 1, action);
    cn_bind_text(st, 2, date);
    cn_bind_text(st, 3, text ? text : "");
    cn_bind_text(st, 4, status_from);
    cn_bind_text(st, 5, status_to);
    sqlite3_bind_int64(st, 6, cn_now_ms());
    cn_bind_text(st, 7, cn_evlog_actor(cn_core_evlog(req->core))); /* who wrote it: the request's actor */
    if (cn_req_exec(req, st))
        return -1;
    if (status_to)
        return 0; /* the status_changed event carries the note */
    return emit_note(req, region, "action.noted", action, date, text);
}

int cn_action_insert(cn_req *req, int64_t plan, const char *region, int64_t parent, int64_t *id)
{
    char num[64], key[160];
    const char *text, *priority, *schedule, *expected, *responsible, *status;
    if (!parent && objective_of(req, plan, CN_REQUIRED, &parent) < 0)
        return -1;
    if (cn_number_arg(req, "number", CN_REQUIRED, num, key) < 0 || cn_arg_str(req, "text", CN_REQUIRED, &text) < 0 ||
        cn_arg_str(req, "priority", CN_OPTIONAL, &priority) < 0 || cn_arg_str(req, "schedule", CN_OPTIONAL, &schedule) < 0 ||
        cn_arg_str(req, "expected_result", CN_OPTIONAL, &expected) < 0 ||
        cn_arg_str(req, "responsible", CN_OPTIONAL, &responsible) < 0 ||
        cn_arg_enum(req, "status", CN_OPTIONAL, statuses, &status) < 0)
        return -1;
    if (!text || !*text)
        return cn_req_fail(req, "invalid_argument", "text", L("le texte ne peut être vide", "the text cannot be empty"));
    int64_t other = cn_entity_by_number(req, "actions", plan, num);
    if (other < 0)
        return -1;
    if (other)
        return cn_req_fail(req, "conflict", "number", L("l'action %s existe déjà dans ce plan",
                                                        "action %s already exists in this plan"), num);
    int64_t now = cn_now_ms();
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "INSERT INTO actions(plan, objective, number, sort_key, text, priority, targets, schedule,"
                            " expected_result, responsible, status, created_ms, updated_ms)"
                            " VALUES (?,?,?,?,?,?,x'90',?,?,?,?,?,?)", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_int64(st, 2, parent);
    sqlite3_bind_text(st, 3, num, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, key, -1, SQLITE_TRANSIENT);
    cn_bind_text(st, 5, text);
    cn_bind_text(st, 6, priority);
    cn_bind_text(st, 7, schedule);
    cn_bind_text(st, 8, expected);
    cn_bind_text(st, 9, responsible);
    cn_bind_text(st, 10, status ? status : "planned");
    sqlite3_bind_int64(st, 11, now);
    sqlite3_bind_int64(st, 12, now);
    if (cn_req_exec(req, st))
        return -1;
    *id = sqlite3_last_insert_rowid(req->db);
    if (cn_store_strlist(req, "actions", "targets", "targets", *id, true) || cn_windows_store(req, *id, schedule))
        return -1;
    return cn_emit_entity(req, region, "action.created", pack_action_summary, *id, false);
}

static int action_create(cn_req *req)
{
    int64_t plan, id;
    const char *region;
    if (cn_plan_arg(req, &plan, &region) || cn_action_insert(req, plan, region, 0, &id))
        return -1;
    return cn_pack_action(req, cn_req_pk(req), id, false);
}

static int action_get(cn_req *req)
{
    int64_t id, plan;
    const char *region;
    if (cn_entity_arg(req, "actions", &id, &plan, &region))
        return -1;
    return cn_pack_action(req, cn_req_pk(req), id, true);
}

static int action_list(cn_req *req)
{
    int64_t plan, objective;
    const char *region, *status, *responsible;
    if (cn_plan_arg(req, &plan, &region) || objective_of(req, plan, CN_OPTIONAL, &objective) < 0 ||
        cn_arg_enum(req, "status", CN_OPTIONAL, statuses, &status) < 0 ||
        cn_arg_str(req, "responsible", CN_OPTIONAL, &responsible) < 0)
        return -1;
    /* One query for the whole list, not two per action: each action (as
     * cn_pack_action packs it) on as many rows as it has windows, in order. */
    sqlite3_stmt *st;
    if (cn_req_prepare(req,
                       CN_ACTION_COLUMNS ", w.kind, w.start_date, w.end_date" CN_ACTION_FROM
                       " LEFT JOIN action_windows w ON w.action = a.id"
                       " WHERE a.plan = ?1 AND (?2 IS NULL OR a.objective = ?2) AND (?3 IS NULL OR a.status = ?3)"
                       " AND (?4 IS NULL OR instr(lower(coalesce(a.responsible, '')), lower(?4)) > 0)"
                       " ORDER BY a.sort_key, a.id, w.position",
                       &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    if (objective)
        sqlite3_bind_int64(st, 2, objective);
    cn_bind_text(st, 3, status);
    cn_bind_text(st, 4, responsible);
    msgpack_packer *pk = cn_req_pk(req);
    int columns = sqlite3_column_count(st) - 3; /* then the window's kind, start and end */
    size_t list = cn_pk_array_open(pk), windows = SIZE_MAX;
    uint32_t actions = 0, in_window = 0;
    int64_t current = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (actions == 0 || id != current) {
            cn_pk_array_close(pk, windows, in_window);
            current = id;
            actions++;
            in_window = 0;
            msgpack_pack_map(pk, (size_t)columns + 1);
            for (int c = 0; c < columns; c++) {
                cn_pk_str(pk, sqlite3_column_name(st, c));
                cn_pk_column(pk, st, c);
            }
            cn_pk_str(pk, "windows");
            windows = cn_pk_array_open(pk);
        }
        if (sqlite3_column_type(st, columns) == SQLITE_NULL) /* no window: the LEFT JOIN's one row */
            continue;
        static const char *const window_keys[] = {"kind", "start", "end"};
        msgpack_pack_map(pk, 3);
        for (int k = 0; k < 3; k++) {
            cn_pk_str(pk, window_keys[k]);
            cn_pk_column(pk, st, columns + k);
        }
        in_window++;
    }
    cn_pk_array_close(pk, windows, in_window);
    cn_pk_array_close(pk, list, actions);
    cn_stmt_done(st);
    return rc == SQLITE_DONE ? 0 : cn_req_sqlite_fail(req, rc);
}

static int action_update(cn_req *req)
{
    int64_t id, plan, objective;
    const char *region;
    if (cn_entity_arg(req, "actions", &id, &plan, &region) || objective_of(req, plan, CN_OPTIONAL, &objective) < 0)
        return -1;
    if (cn_mp_get(req->args, "status"))
        return cn_req_fail(req, "invalid_argument", "status", L("le statut se change avec action.set_status",
                                                                "the status is changed with action.set_status"));
    static const char *const fields[] = {"text", "priority", "schedule", "expected_result", "responsible"};
    const char *schedule = NULL;
    bool schedule_set = false;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v;
        int r = cn_arg_str(req, fields[i], CN_OPTIONAL, &v);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        if (i == 0 && (!v || !*v))
            return cn_req_fail(req, "invalid_argument", "text", L("le texte ne peut être vide",
                                                                  "the text cannot be empty"));
        if (strcmp(fields[i], "schedule") == 0) {
            schedule = v;
            schedule_set = true;
        }
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE actions SET %s = ? WHERE id = ?", fields[i]);
        sqlite3_stmt *st;
        if (cn_req_prepare(req, sql, &st))
            return -1;
        cn_bind_text(st, 1, v);
        sqlite3_bind_int64(st, 2, id);
        if (cn_req_exec(req, st))
            return -1;
    }
    if (objective) {
        sqlite3_stmt *st;
        if (cn_req_prepare(req, "UPDATE actions SET objective = ? WHERE id = ?", &st))
            return -1;
        sqlite3_bind_int64(st, 1, objective);
        sqlite3_bind_int64(st, 2, id);
        if (cn_req_exec(req, st))
            return -1;
    }
    if (cn_store_strlist(req, "actions", "targets", "targets", id, false) < 0)
        return -1;
    if ((schedule_set || cn_mp_get(req->args, "windows")) && cn_windows_store(req, id, schedule))
        return -1;
    char num[64], key[160];
    int r = cn_number_arg(req, "new_number", CN_OPTIONAL, num, key);
    if (r < 0)
        return -1;
    if (r > 0) {
        int64_t other = cn_entity_by_number(req, "actions", plan, num);
        if (other < 0)
            return -1;
        if (other && other != id)
            return cn_req_fail(req, "conflict", "new_number", L("le numéro %s est déjà pris dans ce plan",
                                                                "number %s is already taken in this plan"), num);
        sqlite3_stmt *st;
        if (cn_req_prepare(req, "UPDATE actions SET number = ?, sort_key = ? WHERE id = ?", &st))
            return -1;
        sqlite3_bind_text(st, 1, num, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, id);
        if (cn_req_exec(req, st))
            return -1;
    }
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "UPDATE actions SET updated_ms = ? WHERE id = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, cn_now_ms());
    sqlite3_bind_int64(st, 2, id);
    if (cn_req_exec(req, st))
        return -1;
    return cn_emit_entity(req, region, "action.updated", pack_action_summary, id, true);
}

static int action_delete(cn_req *req)
{
    int64_t id, plan;
    const char *region;
    if (cn_entity_arg(req, "actions", &id, &plan, &region) ||
        cn_emit_entity(req, region, "action.deleted", pack_action_full, id, true))
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "DELETE FROM actions WHERE id = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return cn_req_exec(req, st);
}

static int action_set_status(cn_req *req)
{
    int64_t id, plan;
    const char *region, *status;
    if (cn_entity_arg(req, "actions", &id, &plan, &region) || cn_arg_enum(req, "status", CN_REQUIRED, statuses, &status) < 0)
        return -1;
    if (!status)
        return cn_req_fail(req, "invalid_argument", "status", L("status ne peut être nul", "status cannot be null"));
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT status FROM actions WHERE id = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    char from[32] = "";
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(st, 0));
    cn_stmt_done(st);
    if (cn_req_prepare(req, "UPDATE actions SET status = ?, updated_ms = ? WHERE id = ?", &st))
        return -1;
    cn_bind_text(st, 1, status);
    sqlite3_bind_int64(st, 2, cn_now_ms());
    sqlite3_bind_int64(st, 3, id);
    /* Done or cancelled: no more reminders; back to work: they come back. */
    if (cn_req_exec(req, st) || cn_note_insert(req, id, region, from, status) || cn_reminders_arm(req, id))
        return -1;
    const char *note, *date;
    cn_arg_str(req, "note", CN_OPTIONAL, &note);
    cn_arg_date(req, "date", CN_OPTIONAL, &date);
    char today[11];
    if (!date) {
        cn_date_today(today);
        date = today;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    cn_pk_str(&pk, "action");
    int rc = cn_pack_action(req, &pk, id, false);
    cn_pk_kstr(&pk, "from", from);
    cn_pk_kstr(&pk, "to", status);
    cn_pk_kstr(&pk, "note", note);
    cn_pk_kstr(&pk, "date", date);
    if (rc == 0)
        rc = cn_emit_buf(req, region, "action.status_changed", &buf);
    msgpack_sbuffer_destroy(&buf);
    if (rc == 0)
        rc = cn_pack_action(req, cn_req_pk(req), id, true);
    return rc;
}

static int action_note(cn_req *req)
{
    int64_t id, plan;
    const char *region;
    if (cn_entity_arg(req, "actions", &id, &plan, &region) || cn_note_insert(req, id, region, NULL, NULL))
        return -1;
    return cn_pack_action(req, cn_req_pk(req), id, true);
}

/* action.unnote: the newest progress note of that date and text goes (not a
 * status change's note: that one goes with the status, through undo). */
static int action_unnote(cn_req *req)
{
    int64_t id, plan;
    const char *region, *date, *text;
    if (cn_entity_arg(req, "actions", &id, &plan, &region) || cn_arg_date(req, "date", CN_REQUIRED, &date) < 0 ||
        cn_arg_str(req, "text", CN_REQUIRED, &text) < 0)
        return -1;
    if (!date || !text)
        return cn_req_fail(req, "invalid_argument", date ? "text" : "date",
                           L("la note se retire par sa date et son texte", "a note is removed by its date and text"));
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "DELETE FROM action_notes WHERE id = (SELECT id FROM action_notes WHERE action = ?"
                            " AND date = ? AND text = ? AND status_to IS NULL ORDER BY id DESC LIMIT 1)", &st))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    cn_bind_text(st, 2, date);
    cn_bind_text(st, 3, text);
    if (cn_req_exec(req, st))
        return -1;
    if (sqlite3_changes(req->db) == 0)
        return cn_req_fail(req, "not_found", "text", L("aucune note « %s » du %s à cette action",
                                                       "no note \"%s\" of %s on this action"), text, date);
    return emit_note(req, region, "action.unnoted", id, date, text) ? -1 : cn_pack_action(req, cn_req_pk(req), id, true);
}

/* The fields action.create takes, copied from a deleted action's map. */
static const char *const restored_fields[] = {"region", "plan", "objective", "number", "text", "priority", "targets",
                                              "schedule", "expected_result", "responsible", "status", NULL};

/* The notes of a plan document's action (node.notes) stored for action; base: the index of
 * node's first note in the document (for naming it). Also plan_io.c's, importing a plan. */
int cn_import_notes(cn_req *req, int64_t action, const msgpack_object *node, uint32_t base)
{
    const msgpack_object *notes = cn_mp_get(node, "notes");
    if (!notes || notes->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (notes->type != MSGPACK_OBJECT_ARRAY)
        return cn_req_fail(req, "bad_request", "notes", L("notes doit être une liste", "notes must be a list"));
    for (uint32_t i = 0; i < notes->via.array.size; i++) {
        req->args = &notes->via.array.ptr[i];
        const char *date, *text, *from, *to, *author = NULL;
        char where[40];
        snprintf(where, sizeof where, "notes[%u]", base + i);
        if (req->args->type != MSGPACK_OBJECT_MAP)
            return cn_req_fail(req, "bad_request", where, L("%s doit être une map", "%s must be a map"), where);
        if (cn_arg_date(req, "date", CN_REQUIRED, &date) < 0 || cn_arg_str(req, "text", CN_REQUIRED, &text) < 0 ||
            cn_arg_enum(req, "status_from", CN_OPTIONAL, statuses, &from) < 0 ||
            cn_arg_enum(req, "status_to", CN_OPTIONAL, statuses, &to) < 0 ||
            cn_arg_str(req, "author", CN_OPTIONAL, &author) < 0)
            return cn_req_nest_field(req, where, false);
        if (!date || !text)
            return cn_req_fail(req, "invalid_argument", where, L("une note a une date et un texte",
                                                                 "a note has a date and a text"));
        sqlite3_stmt *st;
        if (cn_req_prepare(req, "INSERT INTO action_notes(action, date, text, status_from, status_to, created_ms, author)"
                                " VALUES (?,?,?,?,?,?,?)", &st))
            return -1;
        sqlite3_bind_int64(st, 1, action);
        cn_bind_text(st, 2, date);
        cn_bind_text(st, 3, text);
        cn_bind_text(st, 4, from);
        cn_bind_text(st, 5, to);
        sqlite3_bind_int64(st, 6, cn_now_ms());
        cn_bind_text(st, 7, author); /* who wrote it where the document comes from */
        if (cn_req_exec(req, st))
            return -1;
    }
    return 0;
}

int cn_action_restore(cn_req *req, const msgpack_object *was, int64_t *id)
{
    const msgpack_object *plan = cn_mp_get(was, "plan"), *region = cn_mp_get(was, "region");
    if (!plan || plan->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !region || region->type != MSGPACK_OBJECT_STR)
        return cn_req_fail(req, "internal", "seq", "action.deleted without plan or region");
    const char *slug = cn_req_strdup(req, region);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    size_t n = 0;
    for (int i = 0; restored_fields[i]; i++)
        n += cn_mp_get(was, restored_fields[i]) != NULL;
    msgpack_pack_map(&pk, n);
    for (int i = 0; restored_fields[i]; i++) {
        const msgpack_object *v = cn_mp_get(was, restored_fields[i]);
        if (v) {
            cn_pk_str(&pk, restored_fields[i]);
            msgpack_pack_object(&pk, *v);
        }
    }
    msgpack_unpacked args;
    msgpack_unpacked_init(&args);
    const msgpack_object *saved = req->args;
    int rc = -1;
    if (slug && msgpack_unpack_next(&args, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS) {
        req->args = &args.data;
        rc = cn_action_insert(req, (int64_t)plan->via.u64, slug, 0, id);
    }
    req->args = saved;
    msgpack_unpacked_destroy(&args);
    msgpack_sbuffer_destroy(&buf);
    if (rc)
        return -1;
    /* Its notes as they were, and its indicators (kept, without an action, by
     * the deletion) attached again with their measurements. */
    if (cn_import_notes(req, *id, was, 0)) {
        req->args = saved;
        return -1;
    }
    req->args = saved;
    const msgpack_object *indicators = cn_mp_get(was, "indicators");
    for (uint32_t i = 0; indicators && indicators->type == MSGPACK_OBJECT_ARRAY && i < indicators->via.array.size; i++) {
        const msgpack_object *ind = cn_mp_get(&indicators->via.array.ptr[i], "id");
        sqlite3_stmt *st;
        if (!ind || ind->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            continue;
        if (cn_req_prepare(req, "UPDATE indicators SET action = ? WHERE id = ? AND plan = ? AND action IS NULL", &st))
            return -1;
        sqlite3_bind_int64(st, 1, *id);
        sqlite3_bind_int64(st, 2, (int64_t)ind->via.u64);
        sqlite3_bind_int64(st, 3, (int64_t)plan->via.u64);
        if (cn_req_exec(req, st))
            return -1;
    }
    return 0;
}

static const char *const create_args[] = {"region",   "plan",     "objective",       "number",      "text",
                                          "priority", "targets",  "schedule",        "windows",     "expected_result",
                                          "responsible", "status", NULL};
static const char *const sel[] = {"region", "plan", "number", "id", NULL};
static const char *const list_args[] = {"region", "plan", "objective", "status", "responsible", NULL};
static const char *const update_args[] = {"region",   "plan",     "number",   "id",        "objective",
                                          "text",     "priority", "targets",  "schedule",  "windows",
                                          "expected_result", "responsible", "new_number", "status", NULL};
static const char *const status_args[] = {"region", "plan", "number", "id", "status", "note", "date", NULL};
static const char *const note_args[] = {"region", "plan", "number", "id", "text", "date", NULL};

const cn_op cn_action_ops[] = {
    {"action.create", action_create, create_args, "ajoute une action", "adds an action", NULL},
    {"action.get", action_get, sel, "montre une action, ses notes et indicateurs", "shows an action, notes, indicators", NULL},
    {"action.list", action_list, list_args, "liste les actions", "lists the actions", NULL},
    {"action.update", action_update, update_args, "modifie une action", "updates an action", NULL},
    {"action.delete", action_delete, sel, "supprime une action", "deletes an action", NULL},
    {"action.set_status", action_set_status, status_args, "change l'état d'une action", "changes an action's status", NULL},
    {"action.note", action_note, note_args, "ajoute une note de suivi", "adds a progress note", NULL},
    {"action.unnote", action_unnote, note_args, "retire une note de suivi (la plus récente de cette date et ce texte)",
     "removes a progress note (the newest of that date and text)", NULL},
};
const size_t cn_action_ops_count = sizeof cn_action_ops / sizeof cn_action_ops[0];
