/* ops_node.c: node.info (who this daemon is, what it can do) and
 * events.since (replay of the event log, for subscribers that missed
 * messages: PUB drops on slow subscribers). */
#include <string.h>

#include "evlog.h"
#include "model.h"
#include "mp.h"
#include "text.h"
#include "stmt_cache.h"

#ifndef CONCERTD_VERSION
#define CONCERTD_VERSION "0.0.0"
#endif

static int node_info(cn_req *req)
{
    msgpack_packer *pk = cn_req_pk(req);
    const cn_config *cfg = cn_core_config(req->core);
    msgpack_pack_map(pk, 9);
    cn_pk_kstr(pk, "node", cfg->node_id);
    cn_pk_kstr(pk, "version", CONCERTD_VERSION);
    cn_pk_kint(pk, "protocol", 1);
    cn_pk_kint(pk, "last_seq", cn_evlog_last_seq(cn_core_evlog(req->core)));
    cn_pk_kint(pk, "started_ms", cn_core_started_ms(req->core));
    cn_pk_kstr(pk, "lang", cfg->lang == CN_LANG_EN ? "en" : "fr");
    cn_pk_kint(pk, "max_message_size", cfg->max_message_size); /* so a client can say a file is too big */
    cn_pk_str(pk, "plugins");
    cn_core_pack_info_hook(req->core, pk);
    cn_pk_str(pk, "ops");
    size_t n = cn_core_op_count(req->core);
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        const cn_op *op = cn_core_op_at(req->core, i);
        bool described = cn_core_describe_op(req->core, op, NULL);
        msgpack_pack_map(pk, described ? 4 : 3);
        cn_pk_kstr(pk, "name", op->name);
        cn_pk_kstr(pk, "help", L(op->help_fr, op->help_en));
        cn_pk_str(pk, "args");
        size_t na = 0;
        while (op->args && op->args[na])
            na++;
        msgpack_pack_array(pk, na);
        for (size_t j = 0; j < na; j++)
            cn_pk_str(pk, op->args[j]);
        if (described) {
            cn_pk_str(pk, "params");
            cn_core_describe_op(req->core, op, pk);
        }
    }
    return 0;
}

static int events_since(cn_req *req)
{
    int64_t since = 0, limit = 1000;
    const char *origin, *region;
    if (cn_arg_int(req, "since", CN_OPTIONAL, &since, NULL) < 0 || cn_arg_int(req, "limit", CN_OPTIONAL, &limit, NULL) < 0 ||
        cn_arg_str(req, "origin", CN_OPTIONAL, &origin) < 0 || cn_region_arg(req, "region", CN_OPTIONAL, &region) < 0)
        return -1;
    if (since < 0)
        return cn_req_fail(req, "invalid_argument", "since", L("since doit être ≥ 0", "since must be ≥ 0"));
    if (limit < 1 || limit > 10000)
        return cn_req_fail(req, "invalid_argument", "limit", L("limit doit être entre 1 et 10000",
                                                               "limit must be between 1 and 10000"));
    if (!origin)
        origin = cn_core_config(req->core)->node_id;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT seq, ts_ms, region, type, data, actor FROM events WHERE origin = ?1 AND seq > ?2"
                            " AND (?3 IS NULL OR region = ?3) ORDER BY seq LIMIT ?4", &st))
        return -1;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, since);
    cn_bind_text(st, 3, region);
    sqlite3_bind_int64(st, 4, limit + 1); /* one more tells whether there is more */
    msgpack_sbuffer list;
    msgpack_sbuffer_init(&list);
    msgpack_packer lpk;
    msgpack_packer_init(&lpk, &list, msgpack_sbuffer_write);
    int64_t n = 0, last = since;
    bool more = false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            more = true;
            break;
        }
        last = sqlite3_column_int64(st, 0);
        cn_evlog_pack_event(&lpk, last, origin, sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2),
                            (const char *)sqlite3_column_text(st, 3), sqlite3_column_blob(st, 4),
                            (size_t)sqlite3_column_bytes(st, 4), (const char *)sqlite3_column_text(st, 5));
        n++;
    }
    cn_stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        msgpack_sbuffer_destroy(&list);
        return cn_req_sqlite_fail(req, rc);
    }
    /* The origin's newest event here: a follower's lag is measured by it. */
    int64_t head = 0, head_ts = 0;
    if (cn_req_prepare(req, "SELECT seq, ts_ms FROM events WHERE origin = ? ORDER BY seq DESC LIMIT 1", &st)) {
        msgpack_sbuffer_destroy(&list);
        return -1;
    }
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        head = sqlite3_column_int64(st, 0);
        head_ts = sqlite3_column_int64(st, 1);
    }
    cn_stmt_done(st);
    /* Removed by the retention ([storage] keep_events_days): whoever asks
     * from before it knows that what it gets does not start at since + 1. */
    int64_t compacted = 0;
    if (cn_req_prepare(req, "SELECT through_seq FROM events_compacted WHERE origin = ?", &st)) {
        msgpack_sbuffer_destroy(&list);
        return -1;
    }
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        compacted = sqlite3_column_int64(st, 0);
    cn_stmt_done(st);
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 7);
    cn_pk_str(pk, "events");
    msgpack_pack_array(pk, (size_t)n);
    cn_pk_raw(pk, list.data, list.size);
    cn_pk_kint(pk, "last_seq", last);
    cn_pk_kbool(pk, "more", more);
    cn_pk_kstr(pk, "origin", origin);
    cn_pk_kint(pk, "head", head);
    cn_pk_kint(pk, "head_ts", head_ts);
    cn_pk_kint(pk, "compacted_through", compacted);
    msgpack_sbuffer_destroy(&list);
    return 0;
}

/* Every origin this node's log holds, with its newest event: what a peer
 * following this node can catch up on (its own events and those it relays). */
static int events_origins(cn_req *req)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, CN_EVLOG_ORIGINS "SELECT origin, " CN_EVLOG_HEAD("o.origin")
                            " FROM origins o WHERE origin IS NOT NULL ORDER BY origin", &st))
        return -1;
    return cn_pk_rows(req, cn_req_pk(req), st);
}

static const char *const no_args[] = {NULL};
static const char *const since_args[] = {"since", "limit", "origin", "region", NULL};
/* have: what the asking peer holds of each origin (the federation's keeper
 * reads it off the sync socket; the op itself only answers). */
static const char *const origins_args[] = {"have", NULL};

const cn_op cn_node_ops[] = {
    {"node.info", node_info, no_args, "identité du nœud et opérations disponibles", "node identity and available ops", NULL},
    {"events.since", events_since, since_args, "rejoue le journal des événements", "replays the event log", NULL},
    {"events.origins", events_origins, origins_args, "les origines du journal et leur dernier événement",
     "the log's origins and their newest event", NULL},
};
const size_t cn_node_ops_count = sizeof cn_node_ops / sizeof cn_node_ops[0];
