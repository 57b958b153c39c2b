/* evlog.c: see evlog.h. */
#include "evlog.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "db.h"
#include "log.h"
#include "mp.h"
#include "text.h"

/* An event of the open batch: its topic ("region/type", NUL-ended) and
 * its packed payload are in the log's arena, one buffer for the batch. */
typedef struct {
    size_t topic_at, payload_at, payload_len;
    int64_t seq;
    uint64_t ticket; /* of its commit, while held until on disk (cn_evlog_hold) */
} pending_event;

/* An arena grown past this by a large batch (an import) is given back. */
#define ARENA_KEEP (1u << 20)

struct cn_evlog {
    sqlite3 *db;
    char *origin;
    int64_t last_seq;
    int64_t published_seq; /* the last of ours sent out: on disk */
    pending_event *queue; /* the held events first (committed, not yet on disk), then the open batch's */
    size_t len, cap, held;
    void *held_pub;       /* where the held events go */
    msgpack_sbuffer arena; /* the pending events' topics and payloads */
    sqlite3_stmt *insert;
    cn_evlog_observer observer;
    void *observer_data;
    void *mirror; /* the federation PUB, or NULL */
    char actor[129]; /* who makes the events appended now ("" none) */
};

/* The node whose own events own_events holds (meta's 'node'), into out:
 * "" when none yet (a new database, or one just upgraded to schema 12). */
static int stored_node(sqlite3 *db, char *out, size_t cap)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'node'", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    out[0] = '\0';
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Whether a claim by origin has events to move: its own among the peers',
 * or the previous node's in own_events. */
static bool events_to_move(sqlite3 *db, const char *origin, const char *previous)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM peer_events WHERE origin = ?1)"
                               " OR (?2 IS NOT NULL AND EXISTS (SELECT 1 FROM own_events))", -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    if (previous[0])
        sqlite3_bind_text(st, 2, previous, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return yes;
}

/* In one transaction: the previous node's events (if any) to the peers'
 * under its id, origin's from the peers' to own_events, meta's 'node' set.
 * *taken_in: how many of origin's came in. */
static int move_events(sqlite3 *db, const char *origin, const char *previous, int64_t *taken_in)
{
    static const char *const steps[] = {
        "INSERT OR IGNORE INTO peer_events(origin, seq, ts_ms, region, type, data, actor)"
        " SELECT ?2, seq, ts_ms, region, type, data, actor FROM own_events WHERE ?2 IS NOT NULL",
        "DELETE FROM own_events WHERE ?2 IS NOT NULL",
        "INSERT INTO own_events(seq, ts_ms, region, type, data, actor)"
        " SELECT seq, ts_ms, region, type, data, actor FROM peer_events WHERE origin = ?1 ORDER BY seq",
        "DELETE FROM peer_events WHERE origin = ?1",
        "INSERT INTO meta(key, value) VALUES ('node', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    };
    enum { TAKE_IN = 2 }; /* the step whose changes are *taken_in */
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(db, steps[i], -1, &st, NULL);
        if (rc != SQLITE_OK)
            break;
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
        if (sqlite3_bind_parameter_count(st) >= 2 && previous[0])
            sqlite3_bind_text(st, 2, previous, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (i == TAKE_IN)
            *taken_in = sqlite3_changes64(db);
        sqlite3_finalize(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        cn_error("journal des événements: ceux du nœud « %s » ne peuvent être rangés à part: %s", origin,
                 sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

/* The node's own events are its own table's (migration 12). Opened as
 * another node than the one stored (the first start after the upgrade, or
 * the id changed): the old node's events go with its peers' under its id,
 * and the new one's, if the log holds any, come in. */
static int claim_own_events(sqlite3 *db, const char *origin)
{
    char previous[256];
    int rc = stored_node(db, previous, sizeof previous);
    if (rc != SQLITE_OK || strcmp(previous, origin) == 0)
        return rc;
    /* Said before it starts only when there is something to move (not on a
     * new database): the upgrade of a large log is long. */
    cn_db_long_work_begin(db, L("rangement à part des événements de ce nœud", "moving this node's events apart"),
                          !events_to_move(db, origin, previous));
    int64_t taken_in = 0;
    rc = move_events(db, origin, previous, &taken_in);
    cn_db_long_work_end(db);
    if (rc != SQLITE_OK)
        return rc;
    if (previous[0])
        cn_warn("journal des événements: le nœud s'appelait « %s », il s'appelle « %s » : ses événements restent "
                "sous « %s »%s",
                previous, origin, previous, taken_in ? ", ceux qui étaient déjà sous le nouveau nom lui reviennent" : "");
    else if (taken_in)
        cn_info("journal des événements: %lld événements de ce nœud rangés à part (schéma 12)", (long long)taken_in);
    return SQLITE_OK;
}

static int load_last_seq(cn_evlog *log)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(log->db, "SELECT coalesce(max(seq), 0) FROM own_events", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        log->last_seq = log->published_seq = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

cn_evlog *cn_evlog_new(sqlite3 *db, const char *origin)
{
    cn_evlog *log = calloc(1, sizeof *log);
    if (!log)
        return NULL;
    log->db = db;
    log->origin = strdup(origin);
    if (!log->origin || claim_own_events(db, origin) != SQLITE_OK || load_last_seq(log) != SQLITE_OK ||
        sqlite3_prepare_v3(db, "INSERT INTO own_events(seq, ts_ms, region, type, data, actor) VALUES (?,?,?,?,?,?)",
                           -1, SQLITE_PREPARE_PERSISTENT, &log->insert, NULL) != SQLITE_OK) {
        cn_error("journal des événements: %s", sqlite3_errmsg(db));
        cn_evlog_destroy(&log);
        return NULL;
    }
    return log;
}

static void drop_from(cn_evlog *log, size_t from)
{
    if (from < log->len)
        log->arena.size = log->queue[from].topic_at;
    log->len = from;
    if (from == 0 && log->arena.alloc > ARENA_KEEP) {
        msgpack_sbuffer_destroy(&log->arena);
        msgpack_sbuffer_init(&log->arena);
    }
}

void cn_evlog_destroy(cn_evlog **logp)
{
    if (!logp || !*logp)
        return;
    cn_evlog *log = *logp;
    drop_from(log, 0);
    msgpack_sbuffer_destroy(&log->arena);
    free(log->queue);
    sqlite3_finalize(log->insert);
    free(log->origin);
    free(log);
    *logp = NULL;
}

void cn_evlog_set_actor(cn_evlog *log, const char *actor)
{
    cn_text_copy(log->actor, sizeof log->actor, actor ? actor : "", actor ? strlen(actor) : 0);
}

const char *cn_evlog_actor(const cn_evlog *log) { return log->actor[0] ? log->actor : NULL; }

int cn_evlog_pack_event(msgpack_packer *pk, int64_t seq, const char *origin, int64_t ts, const char *region,
                        const char *type, const void *data, size_t len, const char *actor)
{
    int rc = msgpack_pack_map(pk, actor ? 7 : 6);
    if (actor)
        rc |= cn_pk_kstr(pk, "actor", actor);
    rc |= cn_pk_kint(pk, "seq", seq);
    rc |= cn_pk_kstr(pk, "origin", origin);
    rc |= cn_pk_kint(pk, "ts", ts);
    rc |= cn_pk_kstr(pk, "region", region);
    rc |= cn_pk_kstr(pk, "type", type);
    rc |= cn_pk_str(pk, "data");
    rc |= cn_pk_raw(pk, data, len);
    return rc;
}

int cn_evlog_append(cn_evlog *log, const char *region, const char *type, const void *data, size_t len)
{
    if (log->len == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 64;
        pending_event *q = realloc(log->queue, cap * sizeof *q);
        if (!q)
            return SQLITE_NOMEM;
        log->queue = q;
        log->cap = cap;
    }
    int64_t seq = log->last_seq + 1;
    int64_t ts = cn_now_ms();
    sqlite3_stmt *st = log->insert;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_int64(st, 2, ts);
    sqlite3_bind_text(st, 3, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, data, (int)len, SQLITE_STATIC);
    if (log->actor[0])
        sqlite3_bind_text(st, 6, log->actor, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return rc;

    pending_event *ev = &log->queue[log->len];
    msgpack_sbuffer *a = &log->arena;
    ev->topic_at = a->size;
    ev->seq = seq;
    msgpack_packer pk;
    msgpack_packer_init(&pk, a, msgpack_sbuffer_write);
    int failed = msgpack_sbuffer_write(a, region, strlen(region)) || msgpack_sbuffer_write(a, "/", 1) ||
                 msgpack_sbuffer_write(a, type, strlen(type) + 1);
    ev->payload_at = a->size;
    if (failed || cn_evlog_pack_event(&pk, seq, log->origin, ts, region, type, data, len, cn_evlog_actor(log))) {
        a->size = ev->topic_at;
        return SQLITE_NOMEM;
    }
    ev->payload_len = a->size - ev->payload_at;
    log->len++;
    log->last_seq = seq;
    return SQLITE_OK;
}

size_t cn_evlog_mark(cn_evlog *log) { return log->len; }

void cn_evlog_rewind(cn_evlog *log, size_t mark)
{
    /* The savepoint rollback removed the rows; seqs given out after the mark
     * are given again, so the log stays gap-free. */
    log->last_seq -= (int64_t)(log->len - mark);
    drop_from(log, mark);
}

static void send_event(cn_evlog *log, const pending_event *ev, void *pub)
{
    const char *topic = log->arena.data + ev->topic_at, *payload = log->arena.data + ev->payload_at;
    size_t topic_len = ev->payload_at - ev->topic_at - 1;
    /* PUB never blocks: with no subscriber, or one past its high-water
     * mark, the message is dropped; subscribers fill gaps with events.since. */
    if (pub && (zmq_send(pub, topic, topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                zmq_send(pub, payload, ev->payload_len, ZMQ_DONTWAIT) < 0))
        cn_debug("publication de %s: %s", topic, cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
    if (log->mirror && (zmq_send(log->mirror, topic, topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                        zmq_send(log->mirror, payload, ev->payload_len, ZMQ_DONTWAIT) < 0))
        cn_debug("publication fédérée de %s: %s", topic, cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
    log->published_seq = ev->seq;
    if (log->observer)
        log->observer(log->observer_data, ev->seq, topic);
}

void cn_evlog_publish(cn_evlog *log, void *pub)
{
    for (size_t i = 0; i < log->len; i++)
        send_event(log, &log->queue[i], i < log->held ? log->held_pub : pub);
    log->held = 0;
    drop_from(log, 0);
}

void cn_evlog_hold(cn_evlog *log, uint64_t ticket, void *pub)
{
    for (size_t i = log->held; i < log->len; i++)
        log->queue[i].ticket = ticket;
    log->held = log->len;
    log->held_pub = pub;
}

void cn_evlog_publish_held(cn_evlog *log, uint64_t ticket)
{
    size_t n = 0;
    while (n < log->held && log->queue[n].ticket <= ticket)
        send_event(log, &log->queue[n++], log->held_pub);
    if (n == 0)
        return;
    if (n == log->len) {
        log->held = 0;
        drop_from(log, 0);
        return;
    }
    /* The rest moves to the front (at most a batch or two of events). */
    size_t base = log->queue[n].topic_at;
    memmove(log->arena.data, log->arena.data + base, log->arena.size - base);
    log->arena.size -= base;
    memmove(log->queue, log->queue + n, (log->len - n) * sizeof *log->queue);
    log->len -= n;
    log->held -= n;
    for (size_t i = 0; i < log->len; i++) {
        log->queue[i].topic_at -= base;
        log->queue[i].payload_at -= base;
    }
}

void cn_evlog_abort(cn_evlog *log)
{
    /* Back to the last committed seq from memory: on a failing disk the
     * database may not even be readable now, and a seq counted past what
     * was rolled back would leave a gap in the log (I/O fault loop). The
     * held events were committed before: they stay. */
    cn_evlog_rewind(log, log->held);
}

void cn_evlog_set_mirror(cn_evlog *log, void *pub) { log->mirror = pub; }

void cn_evlog_set_observer(cn_evlog *log, cn_evlog_observer fn, void *data)
{
    log->observer = fn;
    log->observer_data = data;
}

int64_t cn_evlog_last_seq(const cn_evlog *log) { return log->last_seq; }
int64_t cn_evlog_published_seq(const cn_evlog *log) { return log->published_seq; }
const char *cn_evlog_origin(const cn_evlog *log) { return log->origin; }

bool cn_evlog_is_own(const cn_evlog *log, const char *origin) { return strcmp(origin, log->origin) == 0; }
