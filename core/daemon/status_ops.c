/* status_ops.c: see status_ops.h. Everything it reads is in memory or one
 * indexed count, and two stat() of the database's files. */
#include "status_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "evlog.h"
#include "mp.h"
#include "text.h"
#include "stmt_cache.h"

#ifndef CONCERTD_VERSION
#define CONCERTD_VERSION "0.0.0"
#endif

struct cn_status_ops {
    cn_core *core;
    const cn_server *server;
    cn_host *host;
    const cn_federation *fed;
    char db_path[4200], wal_path[4300];
    cn_op op;
};

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

static void pack_ms(msgpack_packer *pk, const char *key, double seconds)
{
    cn_pk_str(pk, key);
    msgpack_pack_double(pk, seconds * 1000);
}

/* {count, sum_s, p50_ms, p90_ms, p99_ms, max_ms, buckets: [[le_s, cumulative]…]} */
static void pack_histogram(msgpack_packer *pk, const cn_histogram *h)
{
    msgpack_pack_map(pk, 7);
    cn_pk_kint(pk, "count", (int64_t)h->count);
    cn_pk_str(pk, "sum_s");
    msgpack_pack_double(pk, h->sum_s);
    pack_ms(pk, "p50_ms", cn_histogram_quantile(h, 0.50));
    pack_ms(pk, "p90_ms", cn_histogram_quantile(h, 0.90));
    pack_ms(pk, "p99_ms", cn_histogram_quantile(h, 0.99));
    pack_ms(pk, "max_ms", h->max_s);
    cn_pk_str(pk, "buckets");
    msgpack_pack_array(pk, CN_STATS_BUCKETS - 1); /* +Inf is count */
    for (int i = 0; i < CN_STATS_BUCKETS - 1; i++) {
        msgpack_pack_array(pk, 2);
        msgpack_pack_double(pk, cn_stats_bucket_bound(i));
        msgpack_pack_uint64(pk, h->le[i]);
    }
}

/* Reminders whose day is today or past and still to send, and those sent today. */
static void pack_reminders(cn_req *req, msgpack_packer *pk)
{
    char today[16];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    sqlite3_stmt *st;
    int64_t due = 0, sent = 0;
    if (cn_req_prepare(req, "SELECT (SELECT count(*) FROM reminders WHERE state = 'pending' AND due_on <= ?1),"
                            " (SELECT count(*) FROM reminders WHERE state = 'sent' AND due_on = ?1)",
                       &st) == 0) {
        sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            due = sqlite3_column_int64(st, 0);
            sent = sqlite3_column_int64(st, 1);
        }
        cn_stmt_done(st);
    }
    msgpack_pack_map(pk, 3);
    cn_pk_kstr(pk, "today", today);
    cn_pk_kint(pk, "due", due);
    cn_pk_kint(pk, "sent_today", sent);
}

static int node_status(cn_req *req)
{
    cn_status_ops *s = (cn_status_ops *)req->op->data;
    msgpack_packer *pk = cn_req_pk(req);
    int64_t started = cn_core_started_ms(s->core);
    double uptime = (double)(cn_now_ms() - started) / 1000;
    msgpack_pack_map(pk, 11);
    cn_pk_kstr(pk, "node", cn_core_config(s->core)->node_id);
    cn_pk_kstr(pk, "version", CONCERTD_VERSION);
    cn_pk_kint(pk, "started_ms", started);
    cn_pk_str(pk, "uptime_s");
    msgpack_pack_double(pk, uptime);
    cn_pk_str(pk, "db");
    msgpack_pack_map(pk, 4);
    cn_pk_kstr(pk, "file", s->db_path);
    cn_pk_kint(pk, "size_bytes", file_size(s->db_path));
    cn_pk_kint(pk, "wal_bytes", file_size(s->wal_path));
    cn_pk_kint(pk, "last_seq", cn_evlog_last_seq(cn_core_evlog(s->core)));
    const cn_bus_stats *b = s->server ? cn_server_stats(s->server) : NULL;
    cn_pk_str(pk, "commands");
    msgpack_pack_map(pk, 6);
    cn_pk_kint(pk, "total", b ? (int64_t)b->commands : 0);
    cn_pk_kint(pk, "errors", b ? (int64_t)b->errors : 0);
    cn_pk_kint(pk, "batches", b ? (int64_t)b->batches : 0);
    cn_pk_kint(pk, "batches_redone", b ? (int64_t)b->redone : 0);
    cn_pk_str(pk, "per_second");
    msgpack_pack_double(pk, b && uptime > 0 ? (double)b->commands / uptime : 0);
    cn_pk_str(pk, "latency");
    static const cn_histogram none;
    pack_histogram(pk, b ? &b->command_s : &none);
    cn_pk_str(pk, "commits");
    pack_histogram(pk, b ? &b->commit_s : &none);
    cn_pk_str(pk, "reminders");
    pack_reminders(req, pk);
    cn_pk_str(pk, "federation");
    cn_federation_pack_status(s->fed, pk);
    cn_pk_str(pk, "plugins");
    if (s->host)
        cn_host_pack_status(s->host, pk);
    else
        msgpack_pack_array(pk, 0);
    cn_pk_kstr(pk, "lang", L("fr", "en"));
    return 0;
}

static const char *const no_args[] = {NULL};

cn_status_ops *cn_status_ops_new(cn_core *core, const char *data_dir)
{
    cn_status_ops *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->core = core;
    snprintf(s->db_path, sizeof s->db_path, "%s/concertd.db", data_dir);
    snprintf(s->wal_path, sizeof s->wal_path, "%s-wal", s->db_path);
    s->op = (cn_op){"node.status", node_status, no_args,
                    "ce qu'un exploitant surveille : durée de marche, base, commandes et latence, fédération, "
                    "rappels du jour, greffons",
                    "what an operator watches: uptime, database, commands and latency, federation, today's "
                    "reminders, plugins",
                    s};
    if (cn_core_register(core, &s->op, 1) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void cn_status_ops_watch(cn_status_ops *s, const cn_server *server, cn_host *host, const cn_federation *fed)
{
    s->server = server;
    s->host = host;
    s->fed = fed;
}

void cn_status_ops_destroy(cn_status_ops **sp)
{
    if (!*sp)
        return;
    cn_core_unregister((*sp)->core, &(*sp)->op);
    free(*sp);
    *sp = NULL;
}
