/* ops_compact.c: node.compact, the event log's retention ([storage]
 * keep_events_days). The model's tables hold the state; the log holds its
 * history and what peers and plugins have yet to read. Old events go, but
 * never one that a declared peer or a plugin has not read yet (the core's
 * keepers say up to where), never an origin's newest (its numbering goes
 * on from it), never a region's newest event (a new follower hears of the
 * region by it and copies it whole, region.snapshot) nor its newest
 * adhesion.* event (region.overview reads the member count in it).
 * events_compacted keeps how far each origin was cut: events.since says so
 * to whoever asks from before, and its follower takes the gap. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "evlog.h"
#include "log.h"
#include "model.h"
#include "mp.h"
#include "text.h"
#include "stmt_cache.h"

#define DAY_MS (24LL * 3600 * 1000)

/* The candidates of origin: old enough, not past bound, and not the newest
 * event of a region (a new follower learns of the region from it, and asks
 * its snapshot) nor its newest adhesion.* event (the member count). Read
 * from log, the table that holds the origin's events (evlog.h). */
#define CANDIDATES(log)                                                                                               \
    " FROM " log " AND seq <= ?2 AND ts_ms < ?3"                                                                      \
    " AND seq NOT IN (SELECT max(seq) FROM " log " GROUP BY region)"                                                  \
    " AND seq NOT IN (SELECT max(seq) FROM " log " AND type GLOB 'adhesion.*' GROUP BY region)"
/* What compact_origin runs, for one table. */
#define COMPACT_SQL(log)                                                                                              \
    {                                                                                                                 \
        "SELECT count(*) FROM " log " AND seq > ?2 AND seq < ?4 AND ts_ms < ?3",                                       \
            "SELECT count(*), max(seq), max(ts_ms)" CANDIDATES(log),                                                  \
            "SELECT count(*), max(seq), max(ts_ms) FROM (SELECT seq, ts_ms" CANDIDATES(log) " ORDER BY seq LIMIT ?4)", \
            "DELETE FROM " log " AND seq IN (SELECT seq" CANDIDATES(log) " AND seq <= ?4)"                            \
    }
static const struct {
    const char *held_back, *count, *take, *remove;
} compact_sql[2] = {COMPACT_SQL(CN_EVLOG_PEER_LOG("?1")), COMPACT_SQL(CN_EVLOG_OWN_LOG("?1"))};

typedef struct {
    int64_t removed, through_seq, through_ts, held_back;
    char held_by[128];
} origin_result;

static void bind_origin(sqlite3_stmt *st, const char *origin, int64_t bound, int64_t cutoff)
{
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, bound);
    sqlite3_bind_int64(st, 3, cutoff);
}

/* Compacts (or counts, dry) up to *budget events of origin. */
static int compact_origin(cn_req *req, const char *origin, int64_t newest, int64_t cutoff, bool dry, int64_t *budget,
                          origin_result *r)
{
    memset(r, 0, sizeof *r);
    int64_t bound = cn_core_keepers_bound(req->core, origin, r->held_by, sizeof r->held_by);
    if (bound >= newest)
        bound = newest - 1, r->held_by[0] = '\0';
    sqlite3_stmt *st;
    /* What the keepers hold back that is old enough to go: said, so that a
     * peer that never comes back is seen. */
    const bool own = cn_evlog_is_own(cn_core_evlog(req->core), origin);
    if (cn_req_prepare(req, compact_sql[own].held_back, &st))
        return -1;
    bind_origin(st, origin, bound, cutoff);
    sqlite3_bind_int64(st, 4, newest);
    if (sqlite3_step(st) == SQLITE_ROW)
        r->held_back = sqlite3_column_int64(st, 0);
    cn_stmt_done(st);
    if (!r->held_back)
        r->held_by[0] = '\0';
    if (cn_req_prepare(req, dry ? compact_sql[own].count : compact_sql[own].take, &st))
        return -1;
    bind_origin(st, origin, bound, cutoff);
    if (!dry)
        sqlite3_bind_int64(st, 4, *budget);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->removed = sqlite3_column_int64(st, 0);
        r->through_seq = sqlite3_column_int64(st, 1);
        r->through_ts = sqlite3_column_int64(st, 2);
    }
    cn_stmt_done(st);
    if (rc != SQLITE_ROW)
        return cn_req_sqlite_fail(req, rc);
    if (dry || !r->removed)
        return 0;
    *budget -= r->removed;
    if (cn_req_prepare(req, compact_sql[own].remove, &st))
        return -1;
    bind_origin(st, origin, bound, cutoff);
    sqlite3_bind_int64(st, 4, r->through_seq);
    rc = sqlite3_step(st);
    cn_stmt_done(st);
    if (rc != SQLITE_DONE)
        return cn_req_sqlite_fail(req, rc);
    if (cn_req_prepare(req, "INSERT INTO events_compacted(origin, through_seq, through_ts_ms, removed, at_ms)"
                            " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(origin) DO UPDATE SET"
                            " through_seq = max(through_seq, ?2), through_ts_ms = max(through_ts_ms, ?3),"
                            " removed = removed + ?4, at_ms = ?5",
                       &st))
        return -1;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->through_seq);
    sqlite3_bind_int64(st, 3, r->through_ts);
    sqlite3_bind_int64(st, 4, r->removed);
    sqlite3_bind_int64(st, 5, cn_now_ms());
    rc = sqlite3_step(st);
    cn_stmt_done(st);
    return rc == SQLITE_DONE ? 0 : cn_req_sqlite_fail(req, rc);
}

static int node_compact(cn_req *req)
{
    int64_t days = cn_core_config(req->core)->keep_events_days, limit = 10000;
    bool dry = false;
    if (cn_arg_int(req, "days", CN_OPTIONAL, &days, NULL) < 0 || cn_arg_int(req, "limit", CN_OPTIONAL, &limit, NULL) < 0 ||
        cn_arg_bool(req, "dry_run", CN_OPTIONAL, &dry) < 0)
        return -1;
    if (days <= 0 || days > 36500)
        return cn_req_fail(req, "invalid_argument", "days",
                           L("combien de jours d'événements garder ? ([storage] keep_events_days n'est pas réglé ; "
                             "days entre 1 et 36500)",
                             "how many days of events to keep? ([storage] keep_events_days is not set; days between 1 "
                             "and 36500)"));
    if (limit < 1 || limit > 1000000)
        return cn_req_fail(req, "invalid_argument", "limit",
                           L("limit doit être entre 1 et 1000000", "limit must be between 1 and 1000000"));
    int64_t cutoff = cn_now_ms() - days * DAY_MS, budget = limit;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, CN_EVLOG_ORIGINS "SELECT origin, " CN_EVLOG_HEAD("o.origin")
                            " FROM origins o WHERE origin IS NOT NULL ORDER BY origin", &st))
        return -1;
    msgpack_sbuffer list;
    msgpack_sbuffer_init(&list);
    msgpack_packer lpk;
    msgpack_packer_init(&lpk, &list, msgpack_sbuffer_write);
    size_t n = 0;
    int64_t total = 0;
    int rc = 0, step;
    while (rc == 0 && budget > 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        char origin[128];
        snprintf(origin, sizeof origin, "%s", (const char *)sqlite3_column_text(st, 0));
        origin_result r;
        rc = compact_origin(req, origin, sqlite3_column_int64(st, 1), cutoff, dry, &budget, &r);
        if (rc == 0 && (r.removed || r.held_back)) {
            msgpack_pack_map(&lpk, 5);
            cn_pk_kstr(&lpk, "origin", origin);
            cn_pk_kint(&lpk, dry ? "removable" : "removed", r.removed);
            cn_pk_kint(&lpk, "through_seq", r.through_seq);
            cn_pk_kint(&lpk, "held_back", r.held_back);
            cn_pk_str(&lpk, "held_by");
            if (r.held_by[0])
                cn_pk_str(&lpk, r.held_by);
            else
                msgpack_pack_nil(&lpk);
            n++;
            total += r.removed;
        }
    }
    cn_stmt_done(st);
    if (rc == 0) {
        msgpack_packer *pk = cn_req_pk(req);
        msgpack_pack_map(pk, 5);
        cn_pk_kint(pk, "days", days);
        cn_pk_kbool(pk, "dry_run", dry);
        cn_pk_kint(pk, dry ? "removable" : "removed", total);
        cn_pk_kbool(pk, "more", !dry && budget <= 0);
        cn_pk_str(pk, "origins");
        msgpack_pack_array(pk, n);
        cn_pk_raw(pk, list.data, list.size);
        if (!dry && total)
            cn_info("journal des événements : %lld événement(s) de plus de %lld jours retiré(s)", (long long)total,
                    (long long)days);
    }
    msgpack_sbuffer_destroy(&list);
    return rc;
}

static const char *const compact_args[] = {"days", "limit", "dry_run", NULL};

const cn_op cn_compact_ops[] = {
    {"node.compact", node_compact, compact_args,
     "retire du journal les événements plus vieux que [storage] keep_events_days (jamais ceux qu'un pair ou un "
     "greffon n'a pas encore lus)",
     "removes events older than [storage] keep_events_days from the log (never those a peer or a plugin has yet to "
     "read)",
     NULL},
};
const size_t cn_compact_ops_count = sizeof cn_compact_ops / sizeof cn_compact_ops[0];
