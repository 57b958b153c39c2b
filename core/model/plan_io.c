/* plan_io.c: plan.export and plan.import in the documented plan document
 * (proto/PROTOCOL.md, "Plan document"). The document holds flat lists
 * (orientations, objectives, actions, indicators) whose items are exactly
 * the arguments of the matching *.create op, parents named by number; so
 * an import is validated by the same code as the ops, and exporting an
 * imported plan gives back the same document.
 *
 * plan.import also reads a plan as its table was copied out of Word or PDF
 * (format "table", import_text.c) or a spreadsheet (format "csv",
 * import_csv.c): both are turned into the same document first. Importing
 * into a region that already has a plan of the same title updates that
 * plan instead (created what is new, changed what differs, left the rest),
 * so importing the same file twice changes nothing the second time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_text.h"
#include "model.h"
#include "plan_csv.h"
#include "mp.h"
#include "text.h"
#include "stmt_cache.h"

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
    cn_stmt_done(st);
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
                     "SELECT id, date, text, status_from, status_to, author FROM action_notes WHERE action = ?"
                     " ORDER BY date, id",
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

/* plan.export with format "csv": the document, written as CSV. */
static int export_csv(cn_req *req, int64_t plan)
{
    msgpack_object_kv kv = {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {4, "plan"}},
                            .val = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (uint64_t)plan}};
    msgpack_object args = {.type = MSGPACK_OBJECT_MAP, .via.map = {1, &kv}};
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_unpacked doc;
    msgpack_unpacked_init(&doc);
    int rc = cn_req_run(req, "plan.export", &args, &buf);
    if (rc == 0 && msgpack_unpack_next(&doc, buf.data, buf.size, NULL) != MSGPACK_UNPACK_SUCCESS)
        rc = cn_req_fail(req, "internal", NULL, "plan.export");
    size_t len = 0;
    char *csv = rc == 0 ? cn_csv_write(&doc.data, &len) : NULL;
    if (rc == 0 && !csv)
        rc = cn_req_fail(req, "internal", NULL, L("mémoire insuffisante", "out of memory"));
    if (rc == 0) {
        msgpack_packer *pk = cn_req_pk(req);
        msgpack_pack_map(pk, 2);
        cn_pk_kstr(pk, "format", "csv");
        cn_pk_str(pk, "text");
        cn_pk_strn(pk, csv, len);
    }
    free(csv);
    msgpack_unpacked_destroy(&doc);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static int plan_export(cn_req *req)
{
    int64_t plan;
    const char *region;
    static const char *const formats[] = {"document", "csv", NULL};
    const char *format = NULL;
    if (cn_plan_arg(req, &plan, &region) || cn_arg_enum(req, "format", CN_OPTIONAL, formats, &format) < 0)
        return -1;
    if (format && strcmp(format, "csv") == 0)
        return export_csv(req, plan);
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
        cn_stmt_done(st);
        return cn_req_fail(req, "not_found", "plan", "plan %lld", (long long)plan);
    }
    msgpack_pack_map(pk, 8);
    for (int i = 0; i < 7; i++) {
        cn_pk_str(pk, sqlite3_column_name(st, i));
        cn_pk_column(pk, st, i);
    }
    cn_stmt_done(st);
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

/* Prefixes the request's error with where in the document it arose. */
static int at(cn_req *req, const char *list, uint32_t i)
{
    char where[96];
    if (strcmp(list, "plan") == 0) /* a map, not a list */
        snprintf(where, sizeof where, "document.plan");
    else
        snprintf(where, sizeof where, "document.%s[%u]", list, i);
    return cn_req_nest_field(req, where, true);
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
    char field[96];
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        snprintf(field, sizeof field, "document.%s", name);
        return cn_req_fail(req, "bad_request", field, L("%s doit être une liste", "%s must be a list"), field);
    }
    for (uint32_t i = 0; i < o->via.array.size; i++)
        if (o->via.array.ptr[i].type != MSGPACK_OBJECT_MAP) {
            snprintf(field, sizeof field, "document.%s[%u]", name, i);
            return cn_req_fail(req, "bad_request", field, L("%s doit être une map", "%s must be a map"), field);
        }
    *out = o;
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
        char where[40];
        snprintf(where, sizeof where, "measurements[%u]", i);
        if (!cn_mp_get(req->args, "date")) {
            cn_req_fail(req, "invalid_argument", "date", L("une mesure importée a une date",
                                                           "an imported measurement has a date"));
            return cn_req_nest_field(req, where, false);
        }
        if (cn_measurement_insert(req, indicator))
            return cn_req_nest_field(req, where, false);
    }
    return 0;
}

/* The counts of one import, per kind (orientations, objectives, actions,
 * indicators). */
enum { K_ORI, K_OBJ, K_ACT, K_IND, K_COUNT };
static const char *const kind_names[K_COUNT] = {"orientations", "objectives", "actions", "indicators"};

typedef struct {
    const msgpack_object *lists[K_COUNT];
    uint32_t created[K_COUNT], updated[K_COUNT];
    msgpack_sbuffer missing; /* packed numbers of the plan's actions the document does not have */
    uint32_t n_missing;
    msgpack_sbuffer changes; /* packed {number, field, from, to} of what an update import changes */
    uint32_t n_changes;
} import_run;

static int import_new(cn_req *req, const char *region, const msgpack_object *plan_node, import_run *run, int64_t *plan)
{
    int64_t id;
    req->args = plan_node;
    if (cn_plan_insert(req, region, plan))
        return at(req, "plan", 0);
    for (int k = 0; k < K_COUNT; k++) {
        const msgpack_object *list = run->lists[k];
        for (uint32_t i = 0; i < list->via.array.size; i++) {
            const msgpack_object *node = &list->via.array.ptr[i];
            req->args = node;
            int rc = k == K_ORI   ? cn_orientation_insert(req, *plan, region, &id)
                     : k == K_OBJ ? cn_objective_insert(req, *plan, region, 0, &id)
                     : k == K_ACT ? (cn_action_insert(req, *plan, region, 0, &id) || cn_import_notes(req, id, node, 0))
                                  : (cn_indicator_insert(req, *plan, region, 0, &id) ||
                                     import_measurements(req, id, node));
            if (rc)
                return at(req, kind_names[k], i);
            run->created[k]++;
        }
    }
    return 0;
}

/* The item of list whose key fields equal item's ("number"; an indicator
 * is its action and name). */
static const msgpack_object *same_item(const msgpack_object *list, const msgpack_object *item, int kind)
{
    const char *k1 = kind == K_IND ? "action" : "number", *k2 = kind == K_IND ? "name" : NULL;
    const msgpack_object *a1 = cn_mp_get(item, k1), *a2 = k2 ? cn_mp_get(item, k2) : NULL;
    for (uint32_t i = 0; list && i < list->via.array.size; i++) {
        const msgpack_object *o = &list->via.array.ptr[i];
        const msgpack_object *b1 = cn_mp_get(o, k1), *b2 = k2 ? cn_mp_get(o, k2) : NULL;
        if (a1 && b1 && msgpack_object_equal(*a1, *b1) && (!k2 || (a2 && b2 && msgpack_object_equal(*a2, *b2))))
            return o;
    }
    return NULL;
}

/* A value the document leaves out: nil, absent or an empty list. It never
 * erases what the plan has. */
static bool unset(const msgpack_object *o)
{
    return !o || o->type == MSGPACK_OBJECT_NIL || (o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 0) ||
           (o->type == MSGPACK_OBJECT_STR && o->via.str.size == 0);
}

/* Runs op on the plan's entity `number` with the fields of item that
 * differ from old; sets *changed when there were some. */
static int update_fields(cn_req *req, const char *op, int64_t plan, const msgpack_object *item,
                         const msgpack_object *old, const char *const *fields, bool *changed, import_run *run)
{
    size_t n = 0;
    msgpack_packer cp;
    msgpack_packer_init(&cp, &run->changes, msgpack_sbuffer_write);
    for (int i = 0; fields[i]; i++) {
        const msgpack_object *v = cn_mp_get(item, fields[i]), *w = cn_mp_get(old, fields[i]);
        if (unset(v) || (w && msgpack_object_equal(*v, *w)))
            continue;
        n++;
        /* What changes, said field by field (the dry run shows it before). */
        const msgpack_object *number = cn_mp_get(item, "number");
        msgpack_pack_map(&cp, 4);
        cn_pk_str(&cp, "number");
        number ? msgpack_pack_object(&cp, *number) : msgpack_pack_nil(&cp);
        cn_pk_kstr(&cp, "field", fields[i]);
        cn_pk_str(&cp, "from");
        w ? msgpack_pack_object(&cp, *w) : msgpack_pack_nil(&cp);
        cn_pk_str(&cp, "to");
        msgpack_pack_object(&cp, *v);
        run->n_changes++;
    }
    *changed = n > 0;
    if (!n)
        return 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    bool is_plan = strcmp(op, "plan.update") == 0;
    msgpack_pack_map(&pk, n + (is_plan ? 1 : 2));
    cn_pk_kint(&pk, "plan", plan);
    if (!is_plan) {
        cn_pk_str(&pk, "number");
        msgpack_pack_object(&pk, *cn_mp_get(item, "number"));
    }
    for (int i = 0; fields[i]; i++) {
        const msgpack_object *v = cn_mp_get(item, fields[i]), *w = cn_mp_get(old, fields[i]);
        if (unset(v) || (w && msgpack_object_equal(*v, *w)))
            continue;
        cn_pk_str(&pk, fields[i]);
        msgpack_pack_object(&pk, *v);
    }
    msgpack_unpacked args;
    msgpack_unpacked_init(&args);
    int rc = msgpack_unpack_next(&args, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS
                 ? cn_req_run(req, op, &args.data, NULL)
                 : cn_req_fail(req, "internal", NULL, "update args");
    msgpack_unpacked_destroy(&args);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* Adds the notes of node the action does not have yet (same text). */
static int merge_notes(cn_req *req, int64_t action, const msgpack_object *node, const msgpack_object *old)
{
    const msgpack_object *notes = cn_mp_get(node, "notes"), *had = old ? cn_mp_get(old, "notes") : NULL;
    if (!notes || notes->type != MSGPACK_OBJECT_ARRAY)
        return 0;
    for (uint32_t i = 0; i < notes->via.array.size; i++) {
        const msgpack_object *text = cn_mp_get(&notes->via.array.ptr[i], "text");
        bool known = false;
        for (uint32_t k = 0; had && had->type == MSGPACK_OBJECT_ARRAY && k < had->via.array.size; k++) {
            const msgpack_object *t = cn_mp_get(&had->via.array.ptr[k], "text");
            known = known || (text && t && msgpack_object_equal(*text, *t));
        }
        if (known)
            continue;
        msgpack_object one = {.type = MSGPACK_OBJECT_ARRAY, .via.array = {1, &notes->via.array.ptr[i]}};
        msgpack_object_kv kv = {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {5, "notes"}}, .val = one};
        msgpack_object wrapper = {.type = MSGPACK_OBJECT_MAP, .via.map = {1, &kv}};
        if (cn_import_notes(req, action, &wrapper, i))
            return -1;
    }
    return 0;
}

static double number_of(const msgpack_object *o)
{
    return !o                                            ? 0
           : o->type == MSGPACK_OBJECT_POSITIVE_INTEGER  ? (double)o->via.u64
           : o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER  ? (double)o->via.i64
           : o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64 ? o->via.f64
                                                         : 0;
}

/* Adds the measurements of node the indicator does not have yet (same date
 * and value), each checked as indicator.record checks it, with its event. */
static int merge_measurements(cn_req *req, int64_t plan, const msgpack_object *node,
                              const msgpack_object *old, uint32_t *added)
{
    const msgpack_object *list = cn_mp_get(node, "measurements"), *had = cn_mp_get(old, "measurements");
    if (!list || list->type != MSGPACK_OBJECT_ARRAY || !list->via.array.size)
        return 0;
    const msgpack_object *action = cn_mp_get(old, "action"), *name = cn_mp_get(old, "name");
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT i.id FROM indicators i LEFT JOIN actions a ON a.id = i.action"
                            " WHERE i.plan = ?1 AND i.name = ?2 AND a.number IS ?3", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, name && name->type == MSGPACK_OBJECT_STR ? name->via.str.ptr : "",
                      name && name->type == MSGPACK_OBJECT_STR ? (int)name->via.str.size : 0, SQLITE_STATIC);
    if (action && action->type == MSGPACK_OBJECT_STR)
        sqlite3_bind_text(st, 3, action->via.str.ptr, (int)action->via.str.size, SQLITE_STATIC);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    cn_stmt_done(st);
    if (!id)
        return 0;
    for (uint32_t i = 0; i < list->via.array.size; i++) {
        const msgpack_object *m = &list->via.array.ptr[i], *date = cn_mp_get(m, "date");
        bool known = false;
        for (uint32_t k = 0; had && had->type == MSGPACK_OBJECT_ARRAY && k < had->via.array.size && !known; k++) {
            const msgpack_object *h = &had->via.array.ptr[k], *hd = cn_mp_get(h, "date");
            known = date && hd && msgpack_object_equal(*date, *hd) &&
                    number_of(cn_mp_get(m, "value")) == number_of(cn_mp_get(h, "value"));
        }
        if (known)
            continue;
        req->args = m;
        char where[40];
        snprintf(where, sizeof where, "measurements[%u]", i);
        if (m->type != MSGPACK_OBJECT_MAP || !date) {
            cn_req_fail(req, "invalid_argument", "date", L("une mesure importée est une map avec sa date",
                                                           "an imported measurement is a map with its date"));
            return cn_req_nest_field(req, where, false);
        }
        if (cn_measurement_record(req, id, NULL))
            return cn_req_nest_field(req, where, false);
        ++*added;
    }
    return 0;
}

static int import_merge(cn_req *req, const char *region, int64_t plan, const msgpack_object *plan_node,
                        import_run *run)
{
    msgpack_sbuffer cur;
    msgpack_sbuffer_init(&cur);
    msgpack_unpacked now;
    msgpack_unpacked_init(&now);
    int rc = -1;
    msgpack_object sel_kv = {.type = MSGPACK_OBJECT_MAP};
    msgpack_object_kv kv = {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {4, "plan"}},
                            .val = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (uint64_t)plan}};
    sel_kv.via.map.size = 1;
    sel_kv.via.map.ptr = &kv;
    if (cn_req_run(req, "plan.export", &sel_kv, &cur))
        goto done;
    if (msgpack_unpack_next(&now, cur.data, cur.size, NULL) != MSGPACK_UNPACK_SUCCESS) {
        cn_req_fail(req, "internal", NULL, "plan.export");
        goto done;
    }
    static const char *const plan_fields[] = {"period", "start_date", "end_date", "adopted_on", "mission", "mandates", NULL};
    static const char *const ori_fields[] = {"statement", NULL};
    static const char *const obj_fields[] = {"text", "orientation", "mandates", NULL};
    static const char *const act_fields[] = {"text",        "priority",  "targets", "schedule", "expected_result",
                                             "responsible", "objective", "windows", NULL};
    static const char *const *const fields[K_COUNT] = {ori_fields, obj_fields, act_fields, NULL};
    static const char *const update_ops[K_COUNT] = {"orientation.update", "objective.update", "action.update", NULL};
    bool changed;
    if (update_fields(req, "plan.update", plan, plan_node, cn_mp_get(&now.data, "plan"), plan_fields, &changed, run))
        goto done;
    for (int k = 0; k < K_COUNT; k++) {
        const msgpack_object *list = run->lists[k], *had = cn_mp_get(&now.data, kind_names[k]);
        for (uint32_t i = 0; i < list->via.array.size; i++) {
            const msgpack_object *node = &list->via.array.ptr[i], *old = same_item(had, node, k);
            int64_t id = 0;
            req->args = node;
            if (!old) {
                int r = k == K_ORI   ? cn_orientation_insert(req, plan, region, &id)
                        : k == K_OBJ ? cn_objective_insert(req, plan, region, 0, &id)
                        : k == K_ACT ? (cn_action_insert(req, plan, region, 0, &id) || cn_import_notes(req, id, node, 0))
                                     : (cn_indicator_insert(req, plan, region, 0, &id) ||
                                        import_measurements(req, id, node));
                if (r) {
                    at(req, kind_names[k], i);
                    goto done;
                }
                run->created[k]++;
                continue;
            }
            if (update_ops[k]) {
                if (update_fields(req, update_ops[k], plan, node, old, fields[k], &changed, run)) {
                    at(req, kind_names[k], i);
                    goto done;
                }
                run->updated[k] += changed;
            }
            if (k == K_ACT) {
                const msgpack_object *num = cn_mp_get(node, "number");
                id = num && num->type == MSGPACK_OBJECT_STR
                         ? cn_entity_by_number(req, "actions", plan, cn_req_strdup(req, num))
                         : 0;
                if (id > 0 && merge_notes(req, id, node, old)) {
                    at(req, kind_names[k], i);
                    goto done;
                }
            }
            uint32_t added = 0;
            if (k == K_IND && merge_measurements(req, plan, node, old, &added)) {
                at(req, kind_names[k], i);
                goto done;
            }
            run->updated[k] += added > 0;
        }
    }
    /* What the plan has and the document does not: kept, and named. */
    const msgpack_object *had = cn_mp_get(&now.data, "actions");
    msgpack_packer pk;
    msgpack_packer_init(&pk, &run->missing, msgpack_sbuffer_write);
    for (uint32_t i = 0; had && i < had->via.array.size; i++)
        if (!same_item(run->lists[K_ACT], &had->via.array.ptr[i], K_ACT)) {
            msgpack_pack_object(&pk, *cn_mp_get(&had->via.array.ptr[i], "number"));
            run->n_missing++;
        }
    rc = 0;
done:
    msgpack_unpacked_destroy(&now);
    msgpack_sbuffer_destroy(&cur);
    return rc;
}

/* Merges the glossary found in an imported text into the region's; true
 * in *changed when a term was new or had another definition. */
static int merge_glossary(cn_req *req, const char *region, const msgpack_object *glossary, bool *changed)
{
    *changed = false;
    for (uint32_t i = 0; glossary && i < glossary->via.map.size; i++) {
        const msgpack_object_kv *kv = &glossary->via.map.ptr[i];
        sqlite3_stmt *st;
        if (cn_req_prepare(req, "SELECT 1 FROM glossary WHERE region = ? AND term = ? AND definition = ?", &st))
            return -1;
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, kv->key.via.str.ptr, (int)kv->key.via.str.size, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, kv->val.via.str.ptr, (int)kv->val.via.str.size, SQLITE_STATIC);
        *changed = *changed || sqlite3_step(st) != SQLITE_ROW;
        cn_stmt_done(st);
    }
    if (!*changed)
        return 0;
    msgpack_object_kv kvs[2] = {
        {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {2, "id"}},
         .val = {.type = MSGPACK_OBJECT_STR, .via.str = {(uint32_t)strlen(region), region}}},
        {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {8, "glossary"}}, .val = *glossary},
    };
    msgpack_object args = {.type = MSGPACK_OBJECT_MAP, .via.map = {2, kvs}};
    return cn_req_run(req, "region.update", &args, NULL);
}

static void pack_counts(msgpack_packer *pk, const char *key, const uint32_t counts[K_COUNT])
{
    cn_pk_str(pk, key);
    msgpack_pack_map(pk, K_COUNT);
    for (int k = 0; k < K_COUNT; k++)
        cn_pk_kint(pk, kind_names[k], counts[k]);
}

/* The document a "table" or "csv" import reads from args.text. */
/* The report entries of a CSV read from a spreadsheet, each with "where"
 * its row is ("feuille Plan, rangée 4"). */
static int place_report(msgpack_sbuffer *report, const char *const *places, size_t nplaces)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    if (msgpack_unpack_next(&up, report->data, report->size, NULL) != MSGPACK_UNPACK_SUCCESS ||
        up.data.type != MSGPACK_OBJECT_ARRAY) {
        msgpack_unpacked_destroy(&up);
        msgpack_sbuffer_destroy(&out);
        return -1;
    }
    msgpack_pack_array(&pk, up.data.via.array.size);
    for (uint32_t i = 0; i < up.data.via.array.size; i++) {
        const msgpack_object *e = &up.data.via.array.ptr[i], *line = cn_mp_get(e, "line");
        int64_t l = line && line->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)line->via.u64 : 0;
        const char *where = l > 0 && (size_t)l <= nplaces ? places[l - 1] : NULL;
        msgpack_pack_map(&pk, e->via.map.size + (where ? 1 : 0));
        for (uint32_t k = 0; k < e->via.map.size; k++) {
            msgpack_pack_object(&pk, e->via.map.ptr[k].key);
            msgpack_pack_object(&pk, e->via.map.ptr[k].val);
        }
        if (where)
            cn_pk_kstr(&pk, "where", where);
    }
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_clear(report);
    msgpack_sbuffer_write(report, out.data, out.size);
    msgpack_sbuffer_destroy(&out);
    return 0;
}

static int convert(cn_req *req, const char *format, msgpack_sbuffer *doc, msgpack_sbuffer *report,
                   msgpack_sbuffer *glossary)
{
    if (cn_office_format(format)) {
        /* Here when called from inside the daemon; the bus prepares it off the loop (plan_office.c). */
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        char code[32], field[96], message[600];
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        int rc;
        if (cn_office_args(req->args, &pk, code, field, message, sizeof message) != 0) {
            rc = cn_req_fail(req, code, field, "%s", message);
        } else if (msgpack_unpack_next(&up, buf.data, buf.size, NULL) != MSGPACK_UNPACK_SUCCESS) {
            rc = cn_req_fail(req, "internal", NULL, "office args");
        } else {
            const msgpack_object *saved = req->args;
            req->args = &up.data;
            rc = convert(req, "table", doc, report, glossary);
            req->args = saved;
        }
        msgpack_unpacked_destroy(&up);
        msgpack_sbuffer_destroy(&buf);
        return rc;
    }
    const char *text = NULL, *start = NULL, *title = NULL;
    if (cn_arg_str(req, "text", CN_REQUIRED, &text) < 0 || cn_arg_date(req, "plan_start", CN_OPTIONAL, &start) < 0 ||
        cn_arg_str(req, "title", CN_OPTIONAL, &title) < 0)
        return -1;
    if (!text)
        return cn_req_fail(req, "invalid_argument", "text", L("text: le contenu du fichier à importer",
                                                              "text: the content of the file to import"));
    char today[11];
    cn_date_today(today);
    cn_import_opts opts = {.plan_start = start, .title = title, .today = today};
    /* Where each line is in the document it was read from ("tableau 2, rangée 5"), when given. */
    const msgpack_object *pl = cn_mp_get(req->args, "places");
    const char **places = NULL;
    size_t nplaces = 0;
    if (pl && pl->type == MSGPACK_OBJECT_ARRAY) {
        places = msgpack_zone_malloc(req->zone, (pl->via.array.size + 1) * sizeof *places);
        for (uint32_t i = 0; places && i < pl->via.array.size; i++)
            places[nplaces++] = pl->via.array.ptr[i].type == MSGPACK_OBJECT_STR
                                    ? cn_req_strdup(req, &pl->via.array.ptr[i])
                                    : NULL;
    } else if (pl && pl->type != MSGPACK_OBJECT_NIL) {
        return cn_req_fail(req, "invalid_argument", "places",
                           L("places : une liste, ligne par ligne, de où est chaque ligne (un texte ou nil)",
                             "places: a list, line by line, of where each line is (a text or nil)"));
    }
    /* What the document has in bold, as its reader found it (plan_office.c). */
    const msgpack_object *bl = cn_mp_get(req->args, "bold");
    if (bl && bl->type == MSGPACK_OBJECT_ARRAY) {
        const char **bold = msgpack_zone_malloc(req->zone, (bl->via.array.size + 1) * sizeof *bold);
        for (uint32_t i = 0; bold && i < bl->via.array.size; i++)
            if (bl->via.array.ptr[i].type == MSGPACK_OBJECT_STR)
                bold[opts.nbold++] = cn_req_strdup(req, &bl->via.array.ptr[i]);
        opts.bold = bold;
    } else if (bl && bl->type != MSGPACK_OBJECT_NIL) {
        return cn_req_fail(req, "invalid_argument", "bold",
                           L("bold : une liste des textes en gras du document", "bold: a list of the document's texts in bold"));
    }
    msgpack_packer pk;
    if (strcmp(format, "csv") == 0) {
        /* A spreadsheet has no title row: the plan is the one named, else
         * the region's active plan. */
        const char *region = NULL;
        if (!title && cn_region_arg(req, "region", CN_REQUIRED, &region) > 0) {
            sqlite3_stmt *st;
            if (cn_req_prepare(req, "SELECT title FROM plans WHERE region = ? AND status = 'active' ORDER BY id DESC"
                                    " LIMIT 1", &st))
                return -1;
            sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
            opts.title = sqlite3_step(st) == SQLITE_ROW ? cn_req_column(req, st, 0) : NULL;
            cn_stmt_done(st);
        }
        char err[512];
        msgpack_packer rpk;
        msgpack_packer_init(&pk, doc, msgpack_sbuffer_write);
        msgpack_packer_init(&rpk, report, msgpack_sbuffer_write);
        int read = cn_csv_read(text, strlen(text), &opts, &pk, &rpk, err, sizeof err);
        if (read)
            return cn_req_fail(req, "invalid_argument", read == -2 ? "title" : "text", "%s", err);
        if (places && place_report(report, places, nplaces))
            return cn_req_fail(req, "internal", NULL, L("mémoire insuffisante", "out of memory"));
        msgpack_packer_init(&pk, glossary, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 0);
        return 0;
    }
    cn_import *im = cn_import_read(text, strlen(text), &opts);
    if (!im)
        return cn_req_fail(req, "internal", NULL, L("mémoire insuffisante", "out of memory"));
    msgpack_packer_init(&pk, doc, msgpack_sbuffer_write);
    cn_import_pack_document(im, &pk);
    msgpack_packer_init(&pk, report, msgpack_sbuffer_write);
    cn_import_pack_report_placed(im, &pk, places, nplaces);
    msgpack_packer_init(&pk, glossary, msgpack_sbuffer_write);
    cn_import_pack_glossary(im, &pk);
    cn_import_free(&im);
    return 0;
}

/* Every key of the document is one it can hold, at every depth: an
 * unknown one (a misspelt field) is refused with its place in the
 * document, never ignored (adversary F11). */
static int check_document_keys(cn_req *req, const msgpack_object *doc)
{
    static const char *const top[] = {"format", "version", "plan", "orientations", "objectives", "actions",
                                      "indicators", NULL};
    static const char *const plan[] = {"title", "period", "start_date", "end_date", "adopted_on", "mission",
                                       "status", "mandates", NULL};
    static const char *const mandate[] = {"number", "text", NULL};
    static const char *const items[K_COUNT][13] = {
        {"number", "statement", NULL},
        {"number", "orientation", "text", "mandates", NULL},
        {"number", "objective", "text", "priority", "targets", "schedule", "expected_result", "responsible",
         "status", "windows", "notes", NULL},
        {"action", "name", "unit", "target", "target_date", "baseline", "measurements", NULL},
    };
    static const struct {
        int kind;
        const char *list;
        const char *const keys[7];
    } nested[] = {
        {K_ACT, "windows", {"kind", "start", "end", NULL}},
        {K_ACT, "notes", {"date", "text", "status_from", "status_to", "author", NULL}},
        {K_IND, "measurements", {"date", "value", "note", NULL}},
    };
    char path[128];
    if (cn_map_keys(req, doc, "document", top) || cn_map_keys(req, cn_mp_get(doc, "plan"), "document.plan", plan))
        return -1;
    const msgpack_object *mandates = cn_mp_get(cn_mp_get(doc, "plan"), "mandates");
    for (uint32_t m = 0; mandates && mandates->type == MSGPACK_OBJECT_ARRAY && m < mandates->via.array.size; m++) {
        snprintf(path, sizeof path, "document.plan.mandates[%u]", m);
        if (cn_map_keys(req, &mandates->via.array.ptr[m], path, mandate))
            return -1;
    }
    for (int k = 0; k < K_COUNT; k++) {
        const msgpack_object *list = cn_mp_get(doc, kind_names[k]);
        for (uint32_t i = 0; list && list->type == MSGPACK_OBJECT_ARRAY && i < list->via.array.size; i++) {
            const msgpack_object *item = &list->via.array.ptr[i];
            snprintf(path, sizeof path, "document.%s[%u]", kind_names[k], i);
            if (cn_map_keys(req, item, path, items[k]))
                return -1;
            for (size_t n = 0; n < sizeof nested / sizeof nested[0]; n++) {
                const msgpack_object *sub = nested[n].kind == k ? cn_mp_get(item, nested[n].list) : NULL;
                for (uint32_t j = 0; sub && sub->type == MSGPACK_OBJECT_ARRAY && j < sub->via.array.size; j++) {
                    snprintf(path, sizeof path, "document.%s[%u].%s[%u]", kind_names[k], i, nested[n].list, j);
                    if (cn_map_keys(req, &sub->via.array.ptr[j], path, nested[n].keys))
                        return -1;
                }
            }
        }
    }
    return 0;
}

static int plan_import(cn_req *req)
{
    static const char *const formats[] = {"document", "table", "csv", "office", "docx", "odt", "xlsx", "ods", "pdf", NULL};
    const char *region, *format = "document";
    bool dry_run = false;
    if (cn_region_arg(req, "region", CN_REQUIRED, &region) < 0 ||
        cn_arg_enum(req, "format", CN_OPTIONAL, formats, &format) < 0 ||
        cn_arg_bool(req, "dry_run", CN_OPTIONAL, &dry_run) < 0)
        return -1;
    if (!format)
        format = "document";
    bool converted = strcmp(format, "document") != 0;
    msgpack_sbuffer docbuf, report, glossary;
    msgpack_sbuffer_init(&docbuf);
    msgpack_sbuffer_init(&report);
    msgpack_sbuffer_init(&glossary);
    msgpack_unpacked parsed[2];
    msgpack_unpacked_init(&parsed[0]);
    msgpack_unpacked_init(&parsed[1]);
    import_run run = {0};
    msgpack_sbuffer_init(&run.missing);
    msgpack_sbuffer_init(&run.changes);
    const msgpack_object *saved = req->args, *doc = cn_mp_get(req->args, "document"), *gloss = NULL;
    int rc = -1;
    if (converted) {
        if (convert(req, format, &docbuf, &report, &glossary) ||
            msgpack_unpack_next(&parsed[0], docbuf.data, docbuf.size, NULL) != MSGPACK_UNPACK_SUCCESS ||
            msgpack_unpack_next(&parsed[1], glossary.data, glossary.size, NULL) != MSGPACK_UNPACK_SUCCESS)
            goto done;
        doc = &parsed[0].data;
        gloss = &parsed[1].data;
    }
    if (!doc || doc->type != MSGPACK_OBJECT_MAP) {
        cn_req_fail(req, doc ? "bad_request" : "invalid_argument", "document",
                    L("document: le plan exporté (une map, voir plan.export), ou format \"table\" ou \"csv\" avec text",
                      "document: the exported plan (a map, see plan.export), or format \"table\" or \"csv\" with text"));
        goto done;
    }
    const msgpack_object *fmt = cn_mp_get(doc, "format"), *ver = cn_mp_get(doc, "version");
    if (!cn_mp_str_eq(fmt, DOC_FORMAT) || !ver || ver->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        ver->via.u64 != DOC_VERSION) {
        cn_req_fail(req, "invalid_argument", "document.format",
                    L("ce n'est pas un document de plan concertd (format \"%s\", version %d attendus)",
                      "not a concertd plan document (format \"%s\", version %d expected)"),
                    DOC_FORMAT, DOC_VERSION);
        goto done;
    }
    if (check_document_keys(req, doc))
        goto done;
    const msgpack_object *plan_node = cn_mp_get(doc, "plan");
    if (!plan_node || plan_node->type != MSGPACK_OBJECT_MAP) {
        cn_req_fail(req, "invalid_argument", "document.plan", L("document.plan manquant", "document.plan missing"));
        goto done;
    }
    for (int k = 0; k < K_COUNT; k++)
        if (doc_list(req, doc, kind_names[k], &run.lists[k]))
            goto done;
    if (converted && run.lists[K_OBJ]->via.array.size == 0 && run.lists[K_ACT]->via.array.size == 0) {
        cn_req_fail(req, "invalid_argument", "text",
                    L("aucun objectif ni aucune action reconnus dans ce texte : est-ce bien un plan d'action "
                      "(en-têtes OBJECTIFS / MOYENS D'ACTION…, ou « Orientation 1 : … » suivi d'objectifs)?",
                      "no objective and no action found in this text: is it an action plan (OBJECTIFS / MOYENS "
                      "D'ACTION… headers, or \"Orientation 1: …\" followed by objectives)?"));
        goto done;
    }

    /* The plan of that title in the region, if there is one: updated. */
    int64_t plan = 0;
    const msgpack_object *title = cn_mp_get(plan_node, "title");
    if (title && title->type == MSGPACK_OBJECT_STR) {
        sqlite3_stmt *st;
        if (cn_req_prepare(req, "SELECT id FROM plans WHERE region = ? AND title = ?", &st))
            goto done;
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, title->via.str.ptr, (int)title->via.str.size, SQLITE_STATIC);
        plan = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        cn_stmt_done(st);
    }
    bool merged = plan != 0, glossary_changed = false;
    msgpack_packer *pk = cn_req_pk(req);
    /* A dry run is the import itself, undone: it says yes exactly when the
     * import would (adversary F5: checking less said yes to what the
     * import then refused). */
    cn_evlog *evlog = cn_core_evlog(req->core);
    size_t mark = cn_evlog_mark(evlog);
    if (dry_run && sqlite3_exec(req->db, "SAVEPOINT dry_run", NULL, NULL, NULL) != SQLITE_OK) {
        cn_req_sqlite_fail(req, sqlite3_errcode(req->db));
        goto done;
    }
    int imported = merged ? import_merge(req, region, plan, plan_node, &run)
                          : import_new(req, region, plan_node, &run, &plan);
    req->args = saved;
    if (imported == 0 && gloss && gloss->type == MSGPACK_OBJECT_MAP)
        imported = merge_glossary(req, region, gloss, &glossary_changed);
    if (dry_run) {
        sqlite3_exec(req->db, "ROLLBACK TO dry_run", NULL, NULL, NULL);
        sqlite3_exec(req->db, "RELEASE dry_run", NULL, NULL, NULL);
        cn_evlog_rewind(evlog, mark);
        if (imported != 0)
            goto done;
        msgpack_pack_map(pk, 10);
        cn_pk_kbool(pk, "dry_run", true);
        cn_pk_str(pk, "changes");
        msgpack_pack_array(pk, run.n_changes);
        cn_pk_raw(pk, run.changes.data, run.changes.size);
        cn_pk_kstr(pk, "region", region);
        cn_pk_str(pk, "plan");
        merged ? msgpack_pack_int64(pk, plan) : msgpack_pack_nil(pk);
        cn_pk_kbool(pk, "merged", merged);
        pack_counts(pk, "created", run.created);
        pack_counts(pk, "updated", run.updated);
        cn_pk_str(pk, "document");
        msgpack_pack_object(pk, *doc);
        cn_pk_str(pk, "report");
        converted ? cn_pk_raw(pk, report.data, report.size) : msgpack_pack_array(pk, 0);
        cn_pk_str(pk, "glossary");
        converted ? cn_pk_raw(pk, glossary.data, glossary.size) : msgpack_pack_map(pk, 0);
        rc = 0;
        goto done;
    }
    if (imported != 0)
        goto done;

    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer bpk;
    msgpack_packer_init(&bpk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&bpk, 10);
    cn_pk_kint(&bpk, "plan", plan);
    cn_pk_kstr(&bpk, "region", region);
    for (int k = 0; k < K_COUNT; k++)
        cn_pk_kint(&bpk, kind_names[k], run.lists[k]->via.array.size);
    cn_pk_kbool(&bpk, "merged", merged);
    pack_counts(&bpk, "created", run.created);
    pack_counts(&bpk, "updated", run.updated);
    cn_pk_str(&bpk, "not_in_document");
    msgpack_pack_array(&bpk, run.n_missing);
    cn_pk_raw(&bpk, run.missing.data, run.missing.size);
    bool changed = glossary_changed;
    for (int k = 0; k < K_COUNT; k++)
        changed = changed || run.created[k] || run.updated[k];
    rc = changed ? cn_emit_buf(req, region, "plan.imported", &buf) : 0;
    if (rc == 0) {
        /* The reply: the event's map plus the importer's report. */
        msgpack_pack_map(pk, 13);
        cn_pk_str(pk, "changes");
        msgpack_pack_array(pk, run.n_changes);
        cn_pk_raw(pk, run.changes.data, run.changes.size);
        const char *p = buf.data;
        size_t off = 0;
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, p, buf.size, &off) == MSGPACK_UNPACK_SUCCESS)
            for (uint32_t i = 0; i < u.data.via.map.size; i++) {
                msgpack_pack_object(pk, u.data.via.map.ptr[i].key);
                msgpack_pack_object(pk, u.data.via.map.ptr[i].val);
            }
        msgpack_unpacked_destroy(&u);
        cn_pk_str(pk, "report");
        converted ? cn_pk_raw(pk, report.data, report.size) : msgpack_pack_array(pk, 0);
        cn_pk_str(pk, "glossary");
        msgpack_pack_uint32(pk, gloss ? gloss->via.map.size : 0);
    }
    msgpack_sbuffer_destroy(&buf);
done:
    req->args = saved;
    msgpack_unpacked_destroy(&parsed[0]);
    msgpack_unpacked_destroy(&parsed[1]);
    msgpack_sbuffer_destroy(&docbuf);
    msgpack_sbuffer_destroy(&report);
    msgpack_sbuffer_destroy(&glossary);
    msgpack_sbuffer_destroy(&run.missing);
    msgpack_sbuffer_destroy(&run.changes);
    return rc;
}

static const char *const export_args[] = {"region", "plan", "format", NULL};
static const char *const import_args[] = {"region", "format", "document", "text", "places", "bold", "sheet", "plan_start",
                                          "title", "dry_run", NULL};

const cn_op cn_plan_io_ops[] = {
    {"plan.export", plan_export, export_args, "exporte un plan (document JSON)", "exports a plan (JSON document)", NULL},
    {"plan.import", plan_import, import_args, "importe un plan : document exporté, tableau copié de Word/PDF ou CSV", "imports a plan: exported document, table copied from Word/PDF, or CSV", NULL},
};
const size_t cn_plan_io_ops_count = sizeof cn_plan_io_ops / sizeof cn_plan_io_ops[0];
