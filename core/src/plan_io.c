/* plan_io.c: plan.export and plan.import in the documented plan document
 * (proto/PROTOCOL.md, "Plan document"). The document holds flat lists
 * (orientations, objectives, actions, indicators) whose items are exactly
 * the arguments of the matching *.create op, parents named by number; so
 * an import is validated by the same code as the ops, and exporting an
 * imported plan gives back the same document. */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "mp.h"
#include "text.h"

#define DOC_FORMAT "concertd.plan"
#define DOC_VERSION 1

/* Packs each row of sql (bound to plan) as a map, plus the nested lists
 * the callback adds after the row's columns. */
typedef int (*nest_fn)(cn_req *req, msgpack_packer *pk, int64_t id);

static int pack_list(cn_req *req, msgpack_packer *pk, const char *sql, int64_t plan, int nested, nest_fn nest)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, sql, &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        n++;
    sqlite3_reset(st);
    msgpack_pack_array(pk, n);
    int rc = 0;
    /* Column 0 is the row id for nest(); it is not exported. */
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        int cols = sqlite3_column_count(st);
        msgpack_pack_map(pk, (size_t)(cols - 1 + nested));
        for (int i = 1; i < cols; i++) {
            cn_pk_str(pk, sqlite3_column_name(st, i));
            cn_pk_column(pk, st, i);
        }
        if (nest)
            rc = nest(req, pk, sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    return rc;
}

static int nest_action(cn_req *req, msgpack_packer *pk, int64_t id)
{
    cn_pk_str(pk, "windows");
    if (pack_list(req, pk,
                  "SELECT 0, kind, start_date AS start, end_date AS end FROM action_windows WHERE action = ?"
                  " ORDER BY position",
                  id, 0, NULL))
        return -1;
    cn_pk_str(pk, "notes");
    return pack_list(req, pk,
                     "SELECT id, date, text, status_from, status_to FROM action_notes WHERE action = ? ORDER BY date, id",
                     id, 0, NULL);
}

static int nest_indicator(cn_req *req, msgpack_packer *pk, int64_t id)
{
    cn_pk_str(pk, "measurements");
    return pack_list(req, pk, "SELECT id, date, value, note FROM measurements WHERE indicator = ? ORDER BY date, id", id,
                     0, NULL);
}

static int nest_plan(cn_req *req, msgpack_packer *pk, int64_t id)
{
    cn_pk_str(pk, "mandates");
    return pack_list(req, pk, "SELECT 0, number, text FROM mandates WHERE plan = ? ORDER BY position", id, 0, NULL);
}

int cn_plan_export_op(cn_req *req)
{
    int64_t plan;
    const char *region;
    if (cn_plan_arg(req, &plan, &region))
        return -1;
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 7);
    cn_pk_kstr(pk, "format", DOC_FORMAT);
    cn_pk_kint(pk, "version", DOC_VERSION);
    cn_pk_str(pk, "plan");
    /* One plan: pack_list gives an array; the document holds the map itself. */
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT title, period, start_date, end_date, adopted_on, mission, status FROM plans"
                            " WHERE id = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return cn_req_fail(req, "not_found", "plan", "plan %lld", (long long)plan);
    }
    msgpack_pack_map(pk, 8);
    for (int i = 0; i < 7; i++) {
        cn_pk_str(pk, sqlite3_column_name(st, i));
        cn_pk_column(pk, st, i);
    }
    sqlite3_finalize(st);
    if (nest_plan(req, pk, plan))
        return -1;
    cn_pk_str(pk, "orientations");
    if (pack_list(req, pk, "SELECT id, number, statement FROM orientations WHERE plan = ? ORDER BY sort_key", plan, 0,
                  NULL))
        return -1;
    cn_pk_str(pk, "objectives");
    if (pack_list(req, pk,
                  "SELECT b.id, b.number, o.number AS orientation, b.text, b.mandates FROM objectives b"
                  " LEFT JOIN orientations o ON o.id = b.orientation WHERE b.plan = ? ORDER BY b.sort_key",
                  plan, 0, NULL))
        return -1;
    cn_pk_str(pk, "actions");
    if (pack_list(req, pk,
                  "SELECT a.id, a.number, b.number AS objective, a.text, a.priority, a.targets, a.schedule,"
                  " a.expected_result, a.responsible, a.status FROM actions a JOIN objectives b ON b.id = a.objective"
                  " WHERE a.plan = ? ORDER BY a.sort_key",
                  plan, 2, nest_action))
        return -1;
    cn_pk_str(pk, "indicators");
    return pack_list(req, pk,
                     "SELECT i.id, a.number AS action, i.name, i.unit, i.target, i.target_date, i.baseline"
                     " FROM indicators i LEFT JOIN actions a ON a.id = i.action WHERE i.plan = ?"
                     " ORDER BY a.sort_key NULLS FIRST, i.id",
                     plan, 1, nest_indicator);
}

static void copy_truncated(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Prefixes the request's error with where in the document it arose. */
static int at(cn_req *req, const char *list, uint32_t i)
{
    char buf[sizeof req->err_msg + 64];
    snprintf(buf, sizeof buf, "document.%s[%u]: %s", list, i, req->err_msg);
    copy_truncated(req->err_msg, sizeof req->err_msg, buf);
    snprintf(buf, sizeof buf, "document.%s[%u]%s%s", list, i, req->err_field[0] ? "." : "", req->err_field);
    copy_truncated(req->err_field, sizeof req->err_field, buf);
    return -1;
}

/* The list `name` of the document, or an empty one. */
static int doc_list(cn_req *req, const msgpack_object *doc, const char *name, const msgpack_object **out)
{
    static const msgpack_object empty = {.type = MSGPACK_OBJECT_ARRAY};
    const msgpack_object *o = cn_mp_get(doc, name);
    if (!o || o->type == MSGPACK_OBJECT_NIL) {
        *out = &empty;
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return cn_req_fail(req, "bad_request", name, L("document.%s doit être une liste", "document.%s must be a list"),
                           name);
    for (uint32_t i = 0; i < o->via.array.size; i++)
        if (o->via.array.ptr[i].type != MSGPACK_OBJECT_MAP)
            return cn_req_fail(req, "bad_request", name, L("document.%s[%u] doit être une map",
                                                           "document.%s[%u] must be a map"), name, i);
    *out = o;
    return 0;
}

static int import_notes(cn_req *req, int64_t action, const msgpack_object *node)
{
    const msgpack_object *notes = cn_mp_get(node, "notes");
    if (!notes || notes->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (notes->type != MSGPACK_OBJECT_ARRAY)
        return cn_req_fail(req, "bad_request", "notes", L("notes doit être une liste", "notes must be a list"));
    static const char *const statuses[] = {"planned", "in_progress", "done", "ongoing", "postponed", "cancelled", NULL};
    for (uint32_t i = 0; i < notes->via.array.size; i++) {
        req->args = &notes->via.array.ptr[i];
        const char *date, *text, *from, *to;
        if (req->args->type != MSGPACK_OBJECT_MAP)
            return cn_req_fail(req, "bad_request", "notes", L("notes[%u] doit être une map", "notes[%u] must be a map"), i);
        if (cn_arg_date(req, "date", CN_REQUIRED, &date) < 0 || cn_arg_str(req, "text", CN_REQUIRED, &text) < 0 ||
            cn_arg_enum(req, "status_from", CN_OPTIONAL, statuses, &from) < 0 ||
            cn_arg_enum(req, "status_to", CN_OPTIONAL, statuses, &to) < 0)
            return -1;
        if (!date || !text)
            return cn_req_fail(req, "invalid_argument", "notes", L("une note a une date et un texte",
                                                                   "a note has a date and a text"));
        sqlite3_stmt *st;
        if (cn_req_prepare(req, "INSERT INTO action_notes(action, date, text, status_from, status_to, created_ms)"
                                " VALUES (?,?,?,?,?,?)", &st))
            return -1;
        sqlite3_bind_int64(st, 1, action);
        cn_bind_text(st, 2, date);
        cn_bind_text(st, 3, text);
        cn_bind_text(st, 4, from);
        cn_bind_text(st, 5, to);
        sqlite3_bind_int64(st, 6, cn_now_ms());
        if (cn_req_exec(req, st))
            return -1;
    }
    return 0;
}

static int import_measurements(cn_req *req, int64_t indicator, const msgpack_object *node)
{
    const msgpack_object *list = cn_mp_get(node, "measurements");
    if (!list || list->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (list->type != MSGPACK_OBJECT_ARRAY)
        return cn_req_fail(req, "bad_request", "measurements", L("measurements doit être une liste",
                                                                 "measurements must be a list"));
    for (uint32_t i = 0; i < list->via.array.size; i++) {
        req->args = &list->via.array.ptr[i];
        if (req->args->type != MSGPACK_OBJECT_MAP)
            return cn_req_fail(req, "bad_request", "measurements", L("measurements[%u] doit être une map",
                                                                     "measurements[%u] must be a map"), i);
        if (!cn_mp_get(req->args, "date"))
            return cn_req_fail(req, "invalid_argument", "date", L("une mesure importée a une date",
                                                                  "an imported measurement has a date"));
        if (cn_measurement_insert(req, indicator, NULL))
            return -1;
    }
    return 0;
}

int cn_plan_import_op(cn_req *req)
{
    const char *region;
    const msgpack_object *doc = cn_mp_get(req->args, "document");
    if (cn_region_arg(req, "region", CN_REQUIRED, &region) < 0)
        return -1;
    if (!doc || doc->type != MSGPACK_OBJECT_MAP)
        return cn_req_fail(req, doc ? "bad_request" : "invalid_argument", "document",
                           L("document: le plan exporté (une map, voir plan.export)",
                             "document: the exported plan (a map, see plan.export)"));
    const msgpack_object *fmt = cn_mp_get(doc, "format"), *ver = cn_mp_get(doc, "version");
    if (!cn_mp_str_eq(fmt, DOC_FORMAT) || !ver || ver->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        ver->via.u64 != DOC_VERSION)
        return cn_req_fail(req, "invalid_argument", "document.format",
                           L("ce n'est pas un document de plan concertd (format \"%s\", version %d attendus)",
                             "not a concertd plan document (format \"%s\", version %d expected)"),
                           DOC_FORMAT, DOC_VERSION);
    const msgpack_object *plan_node = cn_mp_get(doc, "plan"), *orientations, *objectives, *actions, *indicators;
    if (!plan_node || plan_node->type != MSGPACK_OBJECT_MAP)
        return cn_req_fail(req, "invalid_argument", "document.plan", L("document.plan manquant", "document.plan missing"));
    if (doc_list(req, doc, "orientations", &orientations) || doc_list(req, doc, "objectives", &objectives) ||
        doc_list(req, doc, "actions", &actions) || doc_list(req, doc, "indicators", &indicators))
        return -1;

    const msgpack_object *saved = req->args;
    int64_t plan, id;
    req->args = plan_node;
    const msgpack_object *title = cn_mp_get(plan_node, "title");
    if (title && title->type == MSGPACK_OBJECT_STR) {
        sqlite3_stmt *st;
        if (cn_req_prepare(req, "SELECT id FROM plans WHERE region = ? AND title = ?", &st))
            return -1;
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, title->via.str.ptr, (int)title->via.str.size, SQLITE_STATIC);
        int64_t existing = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        if (existing)
            return cn_req_fail(req, "conflict", "document.plan.title",
                               L("la région %s a déjà un plan de ce titre (plan %lld): rien n'a été importé",
                                 "region %s already has a plan with this title (plan %lld): nothing was imported"),
                               region, (long long)existing);
    }
    if (cn_plan_insert(req, region, &plan))
        return at(req, "plan", 0);
    for (uint32_t i = 0; i < orientations->via.array.size; i++) {
        req->args = &orientations->via.array.ptr[i];
        if (cn_orientation_insert(req, plan, region, &id))
            return at(req, "orientations", i);
    }
    for (uint32_t i = 0; i < objectives->via.array.size; i++) {
        req->args = &objectives->via.array.ptr[i];
        if (cn_objective_insert(req, plan, region, 0, &id))
            return at(req, "objectives", i);
    }
    for (uint32_t i = 0; i < actions->via.array.size; i++) {
        const msgpack_object *node = &actions->via.array.ptr[i];
        req->args = node;
        if (cn_action_insert(req, plan, region, 0, &id) || import_notes(req, id, node))
            return at(req, "actions", i);
    }
    for (uint32_t i = 0; i < indicators->via.array.size; i++) {
        const msgpack_object *node = &indicators->via.array.ptr[i];
        req->args = node;
        if (cn_indicator_insert(req, plan, region, 0, &id) || import_measurements(req, id, node))
            return at(req, "indicators", i);
    }
    req->args = saved;

    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    cn_pk_kint(&pk, "plan", plan);
    cn_pk_kstr(&pk, "region", region);
    cn_pk_kint(&pk, "orientations", orientations->via.array.size);
    cn_pk_kint(&pk, "objectives", objectives->via.array.size);
    cn_pk_kint(&pk, "actions", actions->via.array.size);
    cn_pk_kint(&pk, "indicators", indicators->via.array.size);
    int rc = cn_emit_buf(req, region, "plan.imported", &buf);
    if (rc == 0)
        cn_pk_raw(cn_req_pk(req), buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}
