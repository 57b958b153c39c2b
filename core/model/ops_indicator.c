/* ops_indicator.c: indicator.* — the indicateurs de suivi of a plan or of
 * one of its actions ("Nombre de membres", target 200), and their dated
 * measurements. */
#include <string.h>

#include "model.h"
#include "mp.h"
#include "text.h"
#include "record_sql.h"
#include "stmt_cache.h"

static int pack_indicator(cn_req *req, msgpack_packer *pk, int64_t id) { return cn_pack_indicator(req, pk, id, false); }

int cn_indicator_insert(cn_req *req, int64_t plan, const char *region, int64_t parent, int64_t *id)
{
    const char *name, *unit, *target_date;
    double target = 0, baseline = 0;
    bool target_null = false, baseline_null = false;
    if (!parent) {
        char num[64], key[160];
        int r = cn_number_arg(req, "action", CN_OPTIONAL, num, key);
        if (r < 0)
            return -1;
        if (r > 0) {
            parent = cn_entity_by_number(req, "actions", plan, num);
            if (parent < 0)
                return -1;
            if (parent == 0)
                return cn_req_fail(req, "not_found", "action", L("action %s introuvable dans ce plan",
                                                                 "action %s not found in this plan"), num);
        }
    }
    int rt, rb;
    if (cn_arg_str(req, "name", CN_REQUIRED, &name) < 0 || cn_arg_str(req, "unit", CN_OPTIONAL, &unit) < 0 ||
        (rt = cn_arg_num(req, "target", CN_OPTIONAL, &target, &target_null)) < 0 ||
        (rb = cn_arg_num(req, "baseline", CN_OPTIONAL, &baseline, &baseline_null)) < 0 ||
        cn_arg_date(req, "target_date", CN_OPTIONAL, &target_date) < 0)
        return -1;
    if (!name || !*name)
        return cn_req_fail(req, "invalid_argument", "name", L("le nom ne peut être vide", "the name cannot be empty"));
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "INSERT INTO indicators(plan, action, name, unit, target, target_date, baseline, created_ms)"
                            " VALUES (?,?,?,?,?,?,?,?)", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    if (parent)
        sqlite3_bind_int64(st, 2, parent);
    cn_bind_text(st, 3, name);
    cn_bind_text(st, 4, unit);
    if (rt > 0 && !target_null)
        sqlite3_bind_double(st, 5, target);
    cn_bind_text(st, 6, target_date);
    if (rb > 0 && !baseline_null)
        sqlite3_bind_double(st, 7, baseline);
    sqlite3_bind_int64(st, 8, cn_now_ms());
    if (cn_req_exec(req, st))
        return -1;
    *id = sqlite3_last_insert_rowid(req->db);
    return cn_emit_entity(req, region, "indicator.created", pack_indicator, *id, false);
}

/* The measurement's fields from req's args, stored: 0, or -1 with the
 * request failed. *date is today's when not given (into today). */
static int measurement_store(cn_req *req, int64_t indicator, double *value, const char **date, const char **note,
                             char today[11])
{
    if (cn_arg_num(req, "value", CN_REQUIRED, value, NULL) < 0 || cn_arg_date(req, "date", CN_OPTIONAL, date) < 0 ||
        cn_arg_str(req, "note", CN_OPTIONAL, note) < 0)
        return -1;
    if (!*date) {
        cn_date_today(today);
        *date = today;
    }
    sqlite3_stmt *st;
    if (cn_req_prepare(req, CN_MEASUREMENT_INSERT_SQL, &st))
        return -1;
    sqlite3_bind_int64(st, 1, indicator);
    cn_bind_text_kept(st, 2, *date); /* the request's, or today[] of the caller's */
    sqlite3_bind_double(st, 3, *value);
    cn_bind_text_kept(st, 4, *note);
    sqlite3_bind_int64(st, 5, cn_now_ms());
    return cn_req_exec(req, st);
}

int cn_measurement_insert(cn_req *req, int64_t indicator)
{
    double value;
    const char *date, *note;
    char today[11];
    return measurement_store(req, indicator, &value, &date, &note, today);
}

/* CN_RECORD_CONTEXT_SQL's columns (record_sql.h). */
enum { COL_REGION = 2, COL_PACKED = 9, COL_ORIGIN = COL_PACKED, COL_ARCHIVED };
enum { KEPT_RECORD_CONTEXT = 1 }; /* the kind of what indicator.record keeps (cn_req_keep) */

/* That context, as kept between records of the same indicator (an
 * indicator's name, plan or action, or its region, changed: read again):
 * a head, the nine columns packed as map entries, the region's id and its
 * holder's (NUL-ended; no holder: this node). */
typedef struct {
    uint32_t cols_len;
    bool archived, held_by_peer;
} context_head;

typedef struct {
    const char *cols;
    size_t cols_len;
    const char *region, *origin; /* origin NULL: this node's */
    bool archived;
} record_context;

static void context_parse(const msgpack_sbuffer *kept, record_context *c)
{
    context_head head;
    memcpy(&head, kept->data, sizeof head);
    c->cols = kept->data + sizeof head;
    c->cols_len = head.cols_len;
    c->region = c->cols + c->cols_len;
    c->origin = head.held_by_peer ? c->region + strlen(c->region) + 1 : NULL;
    c->archived = head.archived;
}

/* The indicator's context into out (kept, or read and kept): 0, or -1 with
 * the request failed (no such indicator). */
static int record_context_of(cn_req *req, int64_t indicator, msgpack_sbuffer *out, record_context *c)
{
    size_t len;
    const void *kept = cn_req_kept(req, KEPT_RECORD_CONTEXT, indicator, &len);
    if (kept) {
        if (msgpack_sbuffer_write(out, kept, len))
            return cn_req_fail(req, "internal", NULL, "out of memory");
        context_parse(out, c);
        return 0;
    }
    sqlite3_stmt *st;
    if (cn_req_prepare(req, CN_RECORD_CONTEXT_SQL, &st))
        return -1;
    sqlite3_bind_int64(st, 1, indicator);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        cn_stmt_done(st);
        return rc == SQLITE_DONE ? cn_req_fail(req, "not_found", "id", L("indicateur inconnu: id %lld",
                                                                         "unknown indicator: id %lld"),
                                               (long long)indicator)
                                 : cn_req_sqlite_fail(req, rc);
    }
    context_head head = {.archived = sqlite3_column_int(st, COL_ARCHIVED),
                         .held_by_peer = sqlite3_column_type(st, COL_ORIGIN) != SQLITE_NULL};
    msgpack_sbuffer_write(out, (const char *)&head, sizeof head);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    for (int i = 0; i < COL_PACKED; i++) {
        cn_pk_str(&pk, sqlite3_column_name(st, i));
        cn_pk_column(&pk, st, i);
    }
    head.cols_len = (uint32_t)(out->size - sizeof head);
    const char *region = (const char *)sqlite3_column_text(st, COL_REGION);
    const char *origin = (const char *)sqlite3_column_text(st, COL_ORIGIN);
    bool stored = region && !msgpack_sbuffer_write(out, region, strlen(region) + 1) &&
                  (!origin || !msgpack_sbuffer_write(out, origin, strlen(origin) + 1));
    cn_stmt_done(st);
    if (!stored || !out->data)
        return cn_req_fail(req, "internal", NULL, "indicator %lld: no region", (long long)indicator);
    memcpy(out->data, &head, sizeof head);
    cn_req_keep(req, KEPT_RECORD_CONTEXT, indicator, out->data, out->size);
    context_parse(out, c);
    return 0;
}

/* The indicator's latest measurement once the one just stored (value,
 * date) is in: that one — the newest id of its date — unless one is dated
 * later. 0, or -1 with the request failed. */
static int latest_measurement(cn_req *req, int64_t indicator, double value, const char *date, double *latest,
                              char latest_date[11])
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, CN_LATER_MEASUREMENT_SQL, &st))
        return -1;
    sqlite3_bind_int64(st, 1, indicator);
    cn_bind_text_kept(st, 2, date); /* the caller's, valid past cn_stmt_done below */
    int rc = sqlite3_step(st);
    *latest = value;
    if (rc == SQLITE_ROW) {
        *latest = sqlite3_column_double(st, 0);
        date = (const char *)sqlite3_column_text(st, 1);
    }
    cn_text_copy(latest_date, 11, date ? date : "", date ? strlen(date) : 0);
    cn_stmt_done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cn_req_sqlite_fail(req, rc);
}

int cn_measurement_record(cn_req *req, int64_t indicator, msgpack_packer *result)
{
    msgpack_sbuffer kept;
    msgpack_sbuffer_init(&kept);
    record_context c = {0};
    if (record_context_of(req, indicator, &kept, &c)) {
        msgpack_sbuffer_destroy(&kept);
        return -1;
    }
    /* The event: {indicator: <as it now is>, date, value, note}; the reply,
     * when asked, the same indicator's bytes. */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_str(&pk, "indicator");
    size_t at = buf.size;
    msgpack_pack_map(&pk, COL_PACKED + 2);
    msgpack_sbuffer_write(&buf, c.cols, c.cols_len);

    /* Only appended rows from here (the measurement, its event): what is
     * kept of the indicator still holds. */
    int64_t since = sqlite3_total_changes64(req->db);
    double value, latest;
    const char *date, *note;
    char today[11], latest_date[11];
    int rc = measurement_store(req, indicator, &value, &date, &note, today);
    if (rc == 0)
        rc = cn_req_region_writable(req, c.region, c.origin, c.archived);
    if (rc == 0)
        rc = latest_measurement(req, indicator, value, date, &latest, latest_date);
    if (rc == 0) {
        cn_pk_str(&pk, "latest");
        msgpack_pack_double(&pk, latest);
        cn_pk_kstr(&pk, "latest_date", latest_date);
        if (result)
            rc = cn_pk_raw(result, buf.data + at, buf.size - at);
        cn_pk_kstr(&pk, "date", date);
        cn_pk_str(&pk, "value");
        msgpack_pack_double(&pk, value);
        cn_pk_kstr(&pk, "note", note);
    }
    if (rc == 0)
        rc = cn_req_emit_checked(req, c.region, "indicator.recorded", buf.data, buf.size);
    if (rc == 0)
        cn_req_appended(req, since);
    msgpack_sbuffer_destroy(&buf);
    msgpack_sbuffer_destroy(&kept);
    return rc;
}

/* The indicator named by args.id, with its plan's region. */
static int indicator_arg(cn_req *req, int64_t *id, const char **region)
{
    if (cn_arg_int(req, "id", CN_REQUIRED, id, NULL) < 0)
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT p.region FROM indicators i JOIN plans p ON p.id = i.plan WHERE i.id = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, *id);
    *region = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        *region = cn_req_column(req, st, 0);
    cn_stmt_done(st);
    if (!*region)
        return cn_req_fail(req, "not_found", "id", L("indicateur inconnu: id %lld", "unknown indicator: id %lld"),
                           (long long)*id);
    return 0;
}

static int indicator_create(cn_req *req)
{
    int64_t plan, id;
    const char *region;
    if (cn_plan_arg(req, &plan, &region) || cn_indicator_insert(req, plan, region, 0, &id))
        return -1;
    return cn_pack_indicator(req, cn_req_pk(req), id, false);
}

static int indicator_record(cn_req *req)
{
    int64_t id;
    if (cn_arg_int(req, "id", CN_REQUIRED, &id, NULL) < 0)
        return -1;
    return cn_measurement_record(req, id, cn_req_pk(req));
}

/* Removes the newest measurement of that date and value (undo of a
 * record): event indicator.unrecorded. */
static int indicator_unrecord(cn_req *req)
{
    int64_t id;
    const char *region, *date;
    double value;
    if (indicator_arg(req, &id, &region) || cn_arg_date(req, "date", CN_REQUIRED, &date) < 0 ||
        cn_arg_num(req, "value", CN_REQUIRED, &value, NULL) < 0)
        return -1;
    if (!region)
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "DELETE FROM measurements WHERE id = (SELECT id FROM measurements WHERE indicator = ?"
                            " AND date = ? AND value = ? ORDER BY id DESC LIMIT 1)", &st))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    cn_bind_text(st, 2, date);
    sqlite3_bind_double(st, 3, value);
    if (cn_req_exec(req, st))
        return -1;
    if (sqlite3_changes(req->db) == 0)
        return cn_req_fail(req, "not_found", "date", L("aucune mesure de %g au %s pour cet indicateur",
                                                       "no measurement of %g on %s for this indicator"), value, date);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    cn_pk_str(&pk, "indicator");
    int rc = cn_pack_indicator(req, &pk, id, false);
    cn_pk_kstr(&pk, "date", date);
    cn_pk_str(&pk, "value");
    msgpack_pack_double(&pk, value);
    if (rc == 0)
        rc = cn_emit_buf(req, region, "indicator.unrecorded", &buf);
    msgpack_sbuffer_destroy(&buf);
    return rc ? rc : cn_pack_indicator(req, cn_req_pk(req), id, false);
}

static int indicator_history(cn_req *req)
{
    int64_t id;
    const char *region;
    if (indicator_arg(req, &id, &region))
        return -1;
    return cn_pack_indicator(req, cn_req_pk(req), id, true);
}

static int indicator_list(cn_req *req)
{
    int64_t plan;
    const char *region;
    if (cn_plan_arg(req, &plan, &region))
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT i.id FROM indicators i LEFT JOIN actions a ON a.id = i.action WHERE i.plan = ?"
                            " ORDER BY a.sort_key NULLS FIRST, i.id", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        n++;
    sqlite3_reset(st);
    msgpack_pack_array(cn_req_pk(req), n);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
        rc = pack_indicator(req, cn_req_pk(req), sqlite3_column_int64(st, 0));
    cn_stmt_done(st);
    return rc;
}

static const char *const create_args[] = {"region", "plan", "action", "name", "unit",
                                          "target", "target_date", "baseline", NULL};
static const char *const record_args[] = {"id", "value", "date", "note", NULL};
static const char *const unrecord_args[] = {"id", "date", "value", NULL};
static const char *const id_args[] = {"id", NULL};
static const char *const list_args[] = {"region", "plan", NULL};

const cn_op cn_indicator_ops[] = {
    {"indicator.create", indicator_create, create_args, "ajoute un indicateur", "adds an indicator", NULL},
    {"indicator.record", indicator_record, record_args, "enregistre une mesure", "records a measurement", NULL},
    {"indicator.history", indicator_history, id_args, "historique des mesures", "measurement history", NULL},
    {"indicator.unrecord", indicator_unrecord, unrecord_args, "retire une mesure (la plus récente de cette date et valeur)",
     "removes a measurement (the newest of that date and value)", NULL},
    {"indicator.list", indicator_list, list_args, "liste les indicateurs", "lists the indicators", NULL},
};
const size_t cn_indicator_ops_count = sizeof cn_indicator_ops / sizeof cn_indicator_ops[0];
