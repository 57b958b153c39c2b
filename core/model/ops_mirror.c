/* ops_mirror.c: region.snapshot and region.mirror, the two halves of a
 * region's copy on another node (the federation's "snapshot" in the ZeroMQ
 * Clone pattern; the events themselves travel in the event log).
 *
 * region.snapshot gives a region as this node holds it: the region (as
 * region.get), each of its plans as a plan document (plan.export), and the
 * owner's last event it reflects. A peer may ask it on the federation's
 * sync endpoint; the region may be this node's or a copy it relays.
 *
 * region.mirror replaces the copy of a peer's region with a snapshot. Only
 * the federation calls it, with the core in mirroring mode (no event: the
 * peer's are stored as they came). The copy is read-only: every op that
 * would change it is refused by cn_req_emit. Plan ids on a copy are the
 * copy's own (a copy is rebuilt whole from each snapshot). */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "mp.h"
#include "text.h"
#include "stmt_cache.h"

static int run_with_one(cn_req *req, const char *op, const char *key, msgpack_object val, msgpack_sbuffer *out)
{
    msgpack_object_kv kv = {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {(uint32_t)strlen(key), key}}, .val = val};
    msgpack_object args = {.type = MSGPACK_OBJECT_MAP, .via.map = {1, &kv}};
    return cn_req_run(req, op, &args, out);
}

/* Which of the plan's rows is which, for the copy to find them again in the
 * events that change them (region.mirror_event): {plan: id, orientation:
 * [[number, id]…], objective: …, action: …, indicator: [id…] in the
 * export's order}. Ids are the owner's: a copy relayed gives the ones its
 * own snapshot paired (copy_ids; nil where none, so never a wrong one). */
static int pack_ids(cn_req *req, msgpack_packer *pk, int64_t plan, const char *copy_of)
{
#define OWNER_ID(kind, row) \
    "CASE WHEN ?2 IS NULL THEN " row ".id ELSE (SELECT origin_id FROM copy_ids c WHERE c.region = ?2" \
    " AND c.kind = '" kind "' AND c.id = " row ".id) END"
    static const struct {
        const char *kind, *sql;
    } lists[] = {
        {"plan", "SELECT " OWNER_ID("plan", "p") " FROM plans p WHERE p.id = ?1"},
        {"orientation", "SELECT o.number, " OWNER_ID("orientation", "o") " FROM orientations o WHERE o.plan = ?1"},
        {"objective", "SELECT b.number, " OWNER_ID("objective", "b") " FROM objectives b WHERE b.plan = ?1"},
        {"action", "SELECT a.number, " OWNER_ID("action", "a") " FROM actions a WHERE a.plan = ?1"},
        {"indicator", "SELECT " OWNER_ID("indicator", "i") " FROM indicators i LEFT JOIN actions a ON a.id = i.action"
                      " WHERE i.plan = ?1 ORDER BY a.sort_key NULLS FIRST, i.id"},
    };
#undef OWNER_ID
    msgpack_pack_map(pk, sizeof lists / sizeof lists[0]);
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        sqlite3_stmt *st;
        if (cn_req_prepare(req, lists[k].sql, &st))
            return -1;
        sqlite3_bind_int64(st, 1, plan);
        cn_bind_text(st, 2, copy_of);
        cn_pk_str(pk, lists[k].kind);
        bool one = k == 0; /* the plan's own id, not a list */
        size_t list = one ? 0 : cn_pk_array_open(pk);
        uint32_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int cols = sqlite3_column_count(st);
            if (cols == 2) {
                msgpack_pack_array(pk, 2);
                cn_pk_column(pk, st, 0);
            }
            cn_pk_column(pk, st, cols - 1);
            n++;
        }
        if (one && n == 0)
            msgpack_pack_nil(pk);
        if (!one)
            cn_pk_array_close(pk, list, n);
        cn_stmt_done(st);
        if (rc != SQLITE_DONE)
            return cn_req_sqlite_fail(req, rc);
    }
    return 0;
}

static int region_snapshot(cn_req *req)
{
    const char *slug;
    if (cn_region_arg(req, "id", CN_REQUIRED, &slug) < 0)
        return -1;
    sqlite3_stmt *st;
    /* The owner's event it is as of: for this node's region, its last; for
     * a copy relayed, the one its own copy is as of. */
    if (cn_req_prepare(req, "SELECT r.origin, CASE WHEN r.origin = ?2"
                            " THEN (SELECT coalesce(max(seq), 0) FROM own_events)"
                            " ELSE (SELECT coalesce(max(snapshot_seq), 0) FROM mirrors WHERE region = r.id) END"
                            " FROM regions r WHERE r.id = ?1", &st))
        return -1;
    sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cn_core_config(req->core)->node_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        cn_stmt_done(st);
        return cn_req_fail(req, "not_found", "id", L("région inconnue: %s", "unknown region: %s"), slug);
    }
    const char *origin = cn_req_column(req, st, 0);
    int64_t seq = sqlite3_column_int64(st, 1);
    cn_stmt_done(st);

    msgpack_sbuffer plans, ids;
    msgpack_sbuffer_init(&plans);
    msgpack_sbuffer_init(&ids);
    msgpack_packer ids_pk;
    msgpack_packer_init(&ids_pk, &ids, msgpack_sbuffer_write);
    uint32_t n = 0;
    int rc = cn_req_prepare(req, "SELECT id FROM plans WHERE region = ? ORDER BY id", &st);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            int64_t plan = sqlite3_column_int64(st, 0);
            msgpack_object id = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (uint64_t)plan};
            rc = run_with_one(req, "plan.export", "plan", id, &plans);
            if (rc == 0)
                rc = pack_ids(req, &ids_pk, plan, strcmp(origin, cn_core_config(req->core)->node_id) ? slug : NULL);
            n++;
        }
        cn_stmt_done(st);
    }
    if (rc == 0) {
        msgpack_packer *pk = cn_req_pk(req);
        msgpack_pack_map(pk, 5);
        cn_pk_kstr(pk, "origin", origin);
        cn_pk_kint(pk, "seq", seq);
        cn_pk_str(pk, "region");
        rc = cn_pack_region(req, pk, slug);
        cn_pk_str(pk, "plans");
        msgpack_pack_array(pk, n);
        cn_pk_raw(pk, plans.data, plans.size);
        cn_pk_str(pk, "ids");
        msgpack_pack_array(pk, n);
        cn_pk_raw(pk, ids.data, ids.size);
    }
    msgpack_sbuffer_destroy(&plans);
    msgpack_sbuffer_destroy(&ids);
    return rc;
}

/* Deletes what a copy holds before it is written again. */
static int clear_copy(cn_req *req, const char *slug)
{
    static const char *const sql[] = {"DELETE FROM plans WHERE region = ?", "DELETE FROM glossary WHERE region = ?",
                                      "DELETE FROM copy_ids WHERE region = ?"};
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *st;
        if (cn_req_prepare(req, sql[i], &st))
            return -1;
        sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
        if (cn_req_exec(req, st))
            return -1;
    }
    return 0;
}

static int remember_id(cn_req *req, const char *slug, const char *kind, const msgpack_object *origin_id, int64_t id)
{
    if (!origin_id || origin_id->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return 0;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "INSERT OR REPLACE INTO copy_ids(region, kind, origin_id, id) VALUES (?,?,?,?)", &st))
        return -1;
    sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)origin_id->via.u64);
    sqlite3_bind_int64(st, 4, id);
    return cn_req_exec(req, st);
}

/* The owner's ids of one plan (region.snapshot's pack_ids) paired with the
 * rows its import made here: by number, indicators by their order. A
 * snapshot without ids (an older peer) pairs nothing: each change of the
 * copy then comes by a new snapshot. */
static int remember_ids(cn_req *req, const char *slug, int64_t plan, const msgpack_object *ids)
{
    if (!ids || ids->type != MSGPACK_OBJECT_MAP)
        return 0;
    if (remember_id(req, slug, "plan", cn_mp_get(ids, "plan"), plan))
        return -1;
    static const struct {
        const char *kind, *sql;
    } by_number[] = {
        {"orientation", "SELECT id FROM orientations WHERE plan = ? AND number = ?"},
        {"objective", "SELECT id FROM objectives WHERE plan = ? AND number = ?"},
        {"action", "SELECT id FROM actions WHERE plan = ? AND number = ?"},
    };
    for (size_t k = 0; k < sizeof by_number / sizeof by_number[0]; k++) {
        const msgpack_object *list = cn_mp_get(ids, by_number[k].kind);
        for (uint32_t i = 0; list && list->type == MSGPACK_OBJECT_ARRAY && i < list->via.array.size; i++) {
            const msgpack_object *pair = &list->via.array.ptr[i];
            if (pair->type != MSGPACK_OBJECT_ARRAY || pair->via.array.size != 2 ||
                pair->via.array.ptr[0].type != MSGPACK_OBJECT_STR)
                continue;
            sqlite3_stmt *st;
            if (cn_req_prepare(req, by_number[k].sql, &st))
                return -1;
            sqlite3_bind_int64(st, 1, plan);
            sqlite3_bind_text(st, 2, pair->via.array.ptr[0].via.str.ptr, (int)pair->via.array.ptr[0].via.str.size,
                              SQLITE_STATIC);
            int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
            cn_stmt_done(st);
            if (id && remember_id(req, slug, by_number[k].kind, &pair->via.array.ptr[1], id))
                return -1;
        }
    }
    /* Indicators have no number: paired in order, only when the import
     * made as many as the owner has. */
    const msgpack_object *inds = cn_mp_get(ids, "indicator");
    sqlite3_stmt *st;
    if (!inds || inds->type != MSGPACK_OBJECT_ARRAY ||
        cn_req_prepare(req, "SELECT count(*) FROM indicators WHERE plan = ?", &st))
        return inds && inds->type == MSGPACK_OBJECT_ARRAY ? -1 : 0;
    sqlite3_bind_int64(st, 1, plan);
    bool same_count = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == inds->via.array.size;
    cn_stmt_done(st);
    if (!same_count)
        return 0;
    if (cn_req_prepare(req, "SELECT i.id FROM indicators i LEFT JOIN actions a ON a.id = i.action WHERE i.plan = ?"
                            " ORDER BY a.sort_key NULLS FIRST, i.id", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < inds->via.array.size && sqlite3_step(st) == SQLITE_ROW; i++)
        rc = remember_id(req, slug, "indicator", &inds->via.array.ptr[i], sqlite3_column_int64(st, 0));
    cn_stmt_done(st);
    return rc;
}

static int region_mirror(cn_req *req)
{
    if (!cn_core_mirroring(req->core))
        return cn_req_fail(req, "forbidden", NULL,
                           L("region.mirror est réservé à la fédération de ce nœud",
                             "region.mirror is reserved to this node's federation"));
    const char *origin, *peer;
    int64_t seq = 0;
    const msgpack_object *region = cn_mp_get(req->args, "region"), *plans = cn_mp_get(req->args, "plans");
    if (cn_arg_str(req, "origin", CN_REQUIRED, &origin) < 0 || cn_arg_str(req, "peer", CN_REQUIRED, &peer) < 0 ||
        cn_arg_int(req, "seq", CN_OPTIONAL, &seq, NULL) < 0)
        return -1;
    const msgpack_object *id = cn_mp_get(region, "id");
    if (!region || region->type != MSGPACK_OBJECT_MAP || !id || id->type != MSGPACK_OBJECT_STR || !plans ||
        plans->type != MSGPACK_OBJECT_ARRAY || !origin || !peer)
        return cn_req_fail(req, "bad_request", "region", "region.mirror: origin, peer, region {id, …} et plans [ … ]");
    const char *slug = cn_req_strdup(req, id);
    if (!slug)
        return cn_req_fail(req, "internal", NULL, L("mémoire insuffisante", "out of memory"));
    if (strcmp(origin, cn_core_config(req->core)->node_id) == 0)
        return cn_req_fail(req, "forbidden", "origin", L("la région %s est à ce nœud-ci", "region %s is this node's"),
                           slug);

    /* Who holds it here: nobody yet, or its owner (never this node). */
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT origin FROM regions WHERE id = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
    const char *held_by = sqlite3_step(st) == SQLITE_ROW ? cn_req_column(req, st, 0) : NULL;
    cn_stmt_done(st);
    if (held_by && strcmp(held_by, origin) != 0)
        return cn_req_fail(req, "forbidden", "region",
                           L("la région %s appartient à %s, pas à %s : copie refusée",
                             "region %s belongs to %s, not %s: copy refused"),
                           slug, strcmp(held_by, cn_core_config(req->core)->node_id) == 0 ? "ce nœud" : held_by,
                           origin);
    if (clear_copy(req, slug) || (held_by ? cn_req_run(req, "region.update", region, NULL)
                                          : cn_req_run(req, "region.create", region, NULL)))
        return -1;
    if (cn_req_prepare(req, "UPDATE regions SET origin = ? WHERE id = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, slug, -1, SQLITE_STATIC);
    if (cn_req_exec(req, st))
        return -1;
    const msgpack_object *ids = cn_mp_get(req->args, "ids");
    if (ids && (ids->type != MSGPACK_OBJECT_ARRAY || ids->via.array.size != plans->via.array.size))
        ids = NULL; /* not from region.snapshot: nothing paired */
    for (uint32_t i = 0; i < plans->via.array.size; i++) {
        msgpack_object_kv kv[2] = {
            {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {6, "region"}}, .val = *id},
            {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {8, "document"}}, .val = plans->via.array.ptr[i]},
        };
        msgpack_object args = {.type = MSGPACK_OBJECT_MAP, .via.map = {2, kv}};
        msgpack_sbuffer out;
        msgpack_sbuffer_init(&out);
        int rc = cn_req_run(req, "plan.import", &args, &out);
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        const msgpack_object *plan = NULL;
        if (rc == 0 && msgpack_unpack_next(&u, out.data, out.size, NULL) == MSGPACK_UNPACK_SUCCESS)
            plan = cn_mp_get(&u.data, "plan");
        if (rc == 0 && ids && plan && plan->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            rc = remember_ids(req, slug, (int64_t)plan->via.u64, &ids->via.array.ptr[i]);
        msgpack_unpacked_destroy(&u);
        msgpack_sbuffer_destroy(&out);
        if (rc)
            return -1;
    }
    if (cn_req_prepare(req, "INSERT INTO mirrors(region, origin, peer, snapshot_seq, snapshot_ms) VALUES (?1,?2,?3,?4,?5)"
                            " ON CONFLICT(region) DO UPDATE SET origin = ?2, peer = ?3, snapshot_seq = ?4,"
                            " snapshot_ms = ?5", &st))
        return -1;
    sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, peer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, seq);
    sqlite3_bind_int64(st, 5, cn_now_ms());
    if (cn_req_exec(req, st))
        return -1;
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 3);
    cn_pk_kstr(pk, "region", slug);
    cn_pk_kstr(pk, "origin", origin);
    cn_pk_kint(pk, "plans", plans->via.array.size);
    return 0;
}

static const char *const snapshot_args[] = {"id", NULL};
static const char *const mirror_args[] = {"origin", "peer", "seq", "region", "plans", "ids", NULL};

const cn_op cn_mirror_ops[] = {
    {"region.snapshot", region_snapshot, snapshot_args, "une région entière telle que ce nœud la tient (fédération)",
     "a whole region as this node holds it (federation)", NULL},
    {"region.mirror", region_mirror, mirror_args, "réservé à la fédération : remplace la copie d'une région d'un pair",
     "federation only: replaces the copy of a peer's region", NULL},
};
const size_t cn_mirror_ops_count = sizeof cn_mirror_ops / sizeof cn_mirror_ops[0];
