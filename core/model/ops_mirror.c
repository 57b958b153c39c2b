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

static int region_snapshot(cn_req *req)
{
    const char *slug;
    if (cn_region_arg(req, "id", CN_REQUIRED, &slug) < 0)
        return -1;
    sqlite3_stmt *st;
    /* The owner's event it is as of: for this node's region, its last; for
     * a copy relayed, the one its own copy is as of. */
    if (cn_req_prepare(req, "SELECT r.origin, CASE WHEN r.origin = ?2"
                            " THEN (SELECT coalesce(max(seq), 0) FROM events WHERE origin = r.origin)"
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

    msgpack_sbuffer plans;
    msgpack_sbuffer_init(&plans);
    uint32_t n = 0;
    int rc = cn_req_prepare(req, "SELECT id FROM plans WHERE region = ? ORDER BY id", &st);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            msgpack_object id = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (uint64_t)sqlite3_column_int64(st, 0)};
            rc = run_with_one(req, "plan.export", "plan", id, &plans);
            n++;
        }
        cn_stmt_done(st);
    }
    if (rc == 0) {
        msgpack_packer *pk = cn_req_pk(req);
        msgpack_pack_map(pk, 4);
        cn_pk_kstr(pk, "origin", origin);
        cn_pk_kint(pk, "seq", seq);
        cn_pk_str(pk, "region");
        rc = cn_pack_region(req, pk, slug);
        cn_pk_str(pk, "plans");
        msgpack_pack_array(pk, n);
        cn_pk_raw(pk, plans.data, plans.size);
    }
    msgpack_sbuffer_destroy(&plans);
    return rc;
}

/* Deletes what a copy holds before it is written again. */
static int clear_copy(cn_req *req, const char *slug)
{
    static const char *const sql[] = {"DELETE FROM plans WHERE region = ?", "DELETE FROM glossary WHERE region = ?"};
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
    if (held_by ? clear_copy(req, slug) || cn_req_run(req, "region.update", region, NULL)
                : cn_req_run(req, "region.create", region, NULL))
        return -1;
    if (cn_req_prepare(req, "UPDATE regions SET origin = ? WHERE id = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, slug, -1, SQLITE_STATIC);
    if (cn_req_exec(req, st))
        return -1;
    for (uint32_t i = 0; i < plans->via.array.size; i++) {
        msgpack_object_kv kv[2] = {
            {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {6, "region"}}, .val = *id},
            {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {8, "document"}}, .val = plans->via.array.ptr[i]},
        };
        msgpack_object args = {.type = MSGPACK_OBJECT_MAP, .via.map = {2, kv}};
        if (cn_req_run(req, "plan.import", &args, NULL))
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
static const char *const mirror_args[] = {"origin", "peer", "seq", "region", "plans", NULL};

const cn_op cn_mirror_ops[] = {
    {"region.snapshot", region_snapshot, snapshot_args, "une région entière telle que ce nœud la tient (fédération)",
     "a whole region as this node holds it (federation)", NULL},
    {"region.mirror", region_mirror, mirror_args, "réservé à la fédération : remplace la copie d'une région d'un pair",
     "federation only: replaces the copy of a peer's region", NULL},
};
const size_t cn_mirror_ops_count = sizeof cn_mirror_ops / sizeof cn_mirror_ops[0];
