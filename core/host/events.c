/* events.c: the log's events to the plugins that subscribe. Each plugin
 * has a cursor (its last seq looked at, kept in plugin_state); after every
 * commit the host delivers what follows it, in transactions of its own,
 * and what the handlers emit is delivered in turn (a bounded number of
 * rounds). Peers' events reach plugins in the transaction that stores
 * them. A plugin emits through the host, inside the current transaction. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_state.h"
#include "log.h"
#include "mp.h"
#include "stmt_cache.h"
#include "text.h"

/* ---- events ------------------------------------------------------------- */

static int add_subscription(cd_host *h, const char *pattern, cd_event_fn fn, void *data, bool peers_only)
{
    if (!h->initialising || !pattern || !fn) {
        host_plugin_log(h, CD_LOG_ERROR, "subscribe: pendant init, avec un motif et une fonction");
        return -1;
    }
    subscription *subs = realloc(h->subs, (h->nsubs + 1) * sizeof *subs);
    if (!subs)
        return -1;
    h->subs = subs;
    if (!(subs[h->nsubs].pattern = strdup(pattern)))
        return -1;
    subs[h->nsubs].fn = fn;
    subs[h->nsubs].data = data;
    subs[h->nsubs].peers_only = peers_only;
    h->nsubs++;
    h->host->subscribers++;
    return 0;
}

int host_subscribe(cd_host *h, const char *pattern, cd_event_fn fn, void *data)
{
    return add_subscription(h, pattern, fn, data, false);
}

int host_subscribe_peers(cd_host *h, const char *pattern, cd_event_fn fn, void *data)
{
    return add_subscription(h, pattern, fn, data, true);
}

int host_emit(cd_host *h, const char *region, const char *type, const void *data, size_t len)
{
    cn_core *core = h->host->core;
    if (!cn_core_in_batch(core)) {
        host_plugin_log(h, CD_LOG_ERROR, "emit %s: hors d'une transaction (seulement depuis une commande, un événement, "
                                    "une minuterie ou la fin d'un travail)", type ? type : "?");
        return -1;
    }
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    bool map = region && type && data && cn_mp_unpack(&up, data, len, &cn_mp_stored_limits) == CN_MP_OK &&
               up.data.type == MSGPACK_OBJECT_MAP;
    msgpack_unpacked_destroy(&up);
    if (!map || strchr(type, '/') || !cn_utf8_valid(type, strlen(type))) {
        host_plugin_log(h, CD_LOG_ERROR, "emit: région, type et données (une map msgpack) attendus");
        return -1;
    }
    AS_HOST(h);
    sqlite3_stmt *st;
    bool known = false;
    if (cn_stmt_get(cn_core_db(core), "SELECT 1 FROM regions WHERE id = ?", &st) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        known = sqlite3_step(st) == SQLITE_ROW;
        cn_stmt_done(st);
    }
    char owner[64];
    if (known && cn_core_region_owner(core, region, owner, sizeof owner) == CN_REGION_COPY) {
        /* A copy of a peer's region is read-only, for plugins too. */
        AS_PLUGIN_AGAIN(h);
        if (h->host->current_req)
            cn_req_fail_copy(h->host->current_req, region, owner);
        else
            host_plugin_log(h, CD_LOG_WARN, "emit %s/%s : la région appartient au nœud %s (copie en lecture seule)", region,
                       type, owner);
        return -1;
    }
    if (known && cn_core_region_archived(core, region)) {
        /* An archived region takes no change; its reminders simply stop. */
        AS_PLUGIN_AGAIN(h);
        if (h->host->current_req)
            return cn_req_fail_archived(h->host->current_req, region);
        host_plugin_log(h, CD_LOG_DEBUG, "emit %s/%s : région archivée, rien n'est émis", region, type);
        return 0;
    }
    int rc = known ? cn_evlog_append(cn_core_evlog(core), region, type, data, len) : SQLITE_NOTFOUND;
    AS_PLUGIN_AGAIN(h);
    if (rc != SQLITE_OK) {
        host_plugin_log(h, CD_LOG_ERROR, "emit %s/%s: %s", region, type, known ? sqlite3_errstr(rc) : "région inconnue");
        return -1;
    }
    return 0;
}

/* ---- delivery ----------------------------------------------------------- */

typedef struct {
    cd_host *plugin;
    const msgpack_object *event;
    const char *topic;
    bool foreign;   /* a peer's event */
    bool disk;      /* it failed because the disk did, not the plugin */
} delivery;

/* Whether an SQLite error is the storage's (the plugin did nothing wrong:
 * the event must be handed again, not counted against it and skipped). */
static bool storage_error(int code)
{
    switch (code & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
        return true;
    default:
        return false;
    }
}

/* Whether one of p's subscriptions matches topic ("<region>/<type>"). */
static bool wants(const cd_host *p, const char *topic, bool foreign)
{
    for (size_t i = 0; i < p->nsubs; i++)
        if ((foreign || !p->subs[i].peers_only) && fnmatch(p->subs[i].pattern, topic, 0) == 0)
            return true;
    return false;
}

static int deliver_one(void *data)
{
    delivery *d = data;
    cd_host *p = d->plugin;
    cn_host *host = p->host;
    int rc = 0;
    char actor[129];
    host_actor_push(p, actor);
    for (size_t i = 0; i < p->nsubs && rc == 0; i++) {
        if ((p->subs[i].peers_only && !d->foreign) || fnmatch(p->subs[i].pattern, d->topic, 0) != 0)
            continue; /* each matching subscription gets the event */
        host->current = p;
        rc = p->subs[i].fn(p, d->event, p->subs[i].data);
        host->current = NULL;
    }
    if (rc != 0)
        d->disk = storage_error(sqlite3_errcode(cn_core_db(host->core)));
    host_actor_pop(p, actor);
    return rc;
}

static int64_t cursor_of(cn_host *host, cd_host *p)
{
    sqlite3 *db = cn_core_db(host->core);
    sqlite3_stmt *st;
    int64_t seq = -1;
    if (cn_stmt_get(db, "SELECT cursor_seq FROM plugin_state WHERE plugin = ?", &st) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            seq = sqlite3_column_int64(st, 0);
        cn_stmt_done(st);
    }
    return seq;
}

static int set_cursor(cn_host *host, cd_host *p, int64_t seq)
{
    sqlite3_stmt *st;
    int rc = cn_stmt_get(cn_core_db(host->core), "INSERT INTO plugin_state(plugin, cursor_seq) VALUES (?1, ?2)"
                                " ON CONFLICT(plugin) DO UPDATE SET cursor_seq = ?2", &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(cn_core_db(host->core));
    cn_stmt_done(st);
    return rc;
}

/* Whether p takes part in this round: its cursor known (read from
 * plugin_state once), or, at its first start here, set to the log's end (it
 * begins with what happens from now on) and then it does not. */
static bool joins_round(cn_host *host, cd_host *p)
{
    if (p->cursor < 0) {
        p->cursor = cursor_of(host, p);
        if (p->cursor < 0) {
            p->cursor = cn_evlog_last_seq(cn_core_evlog(host->core));
            set_cursor(host, p, p->cursor);
            return false;
        }
    }
    return true;
}

/* The event at st's row handed to every plugin of the round that has not
 * seen it and wants it, each in a savepoint of its own; the event packed
 * once, for the first that wants it. false: the disk failed (the round is
 * abandoned whole, the event handed again once it can be stored). */
static bool hand_event(cn_host *host, sqlite3_stmt *st, const char *origin)
{
    int64_t seq = sqlite3_column_int64(st, 0);
    const char *region = (const char *)sqlite3_column_text(st, 2);
    const char *type = (const char *)sqlite3_column_text(st, 3);
    char topic[256];
    snprintf(topic, sizeof topic, "%s/%s", region, type);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    bool packed = false, unpacked = false, ok = true;
    for (size_t i = 0; i < host->n && ok; i++) {
        cd_host *p = host->plugins[i];
        if (!p->reading || seq <= p->cursor)
            continue;
        p->cursor = seq; /* looked at, taken or not (stored if it took one) */
        if (!wants(p, topic, false) || !host_region_enabled(p, region))
            continue;
        if (!packed) {
            msgpack_packer pk;
            msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
            cn_evlog_pack_event(&pk, seq, origin, sqlite3_column_int64(st, 1), region, type,
                                sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4),
                                (const char *)sqlite3_column_text(st, 5));
            unpacked = msgpack_unpack_next(&up, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS;
            packed = true;
        }
        if (!unpacked)
            continue;
        delivery d = {p, &up.data, topic, false, false};
        p->handed = true;
        int rc = cn_core_in_savepoint(host->core, deliver_one, &d);
        if (rc != 0 && (d.disk || storage_error(sqlite3_errcode(cn_core_db(host->core))))) {
            host->storage_failed = true;
            ok = false;
        } else if (rc != 0) {
            p->event_errors++;
            cn_error("[%s] l'événement %s (seq %lld) a fait échouer le greffon; ce qu'il avait écrit est "
                     "annulé et l'événement ne lui sera pas redonné",
                     p->name, topic, (long long)seq);
        } else {
            p->events_delivered++;
        }
    }
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&buf);
    return ok;
}

/* The plugins of the round whose cursor is the furthest behind, and those
 * a read from there reaches (within DELIVER_BATCH of it): marked reading.
 * Returns that cursor, or -1 when none is left to serve. */
static int64_t next_group(cn_host *host)
{
    int64_t from = INT64_MAX;
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->waiting && p->cursor < from)
            from = p->cursor;
    }
    if (from == INT64_MAX)
        return -1;
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->waiting && p->cursor - from <= DELIVER_BATCH) {
            p->waiting = false;
            p->reading = true;
        }
    }
    return from;
}

/* One group's read: up to DELIVER_BATCH events past from, each handed to
 * the group's plugins; the cursors of those it handed something stored.
 * Returns how many events were read, or -1 when the disk failed. */
static int read_for_group(cn_host *host, int64_t from)
{
    const char *origin = cn_evlog_origin(cn_core_evlog(host->core));
    sqlite3_stmt *st;
    /* Up to the last event published: a plugin acts on what is on disk
     * only (the bus's batches are committed before their WAL is flushed).
     * This node's events, from their own table (the log's view would merge
     * in its peers' for nothing). */
    if (cn_stmt_get(cn_core_db(host->core), "SELECT seq, ts_ms, region, type, data, actor FROM own_events WHERE seq > ?1"
                           " AND seq <= ?2 ORDER BY seq LIMIT ?3", &st) != SQLITE_OK) {
        /* Not read (no memory): the group waits for the next delivery, out
         * of the way of the next group's read, which starts further on. */
        for (size_t i = 0; i < host->n; i++)
            if (host->plugins[i]->reading) {
                host->plugins[i]->reading = false;
                host->plugins[i]->pending = true;
            }
        return 0;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, cn_evlog_published_seq(cn_core_evlog(host->core)));
    sqlite3_bind_int(st, 3, DELIVER_BATCH);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && hand_event(host, st, origin))
        n++;
    cn_stmt_done(st);
    if (host->storage_failed)
        return -1;
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (!p->reading)
            continue;
        p->reading = false;
        if (p->handed && set_cursor(host, p, p->cursor) != SQLITE_OK) {
            /* Its writes without its cursor would be handed again, twice: neither is kept. */
            cn_error("[%s] position dans le journal non enregistrée: %s", p->name, sqlite3_errmsg(cn_core_db(host->core)));
            host->storage_failed = true;
            return -1;
        }
        p->handed = false;
        if (n == DELIVER_BATCH)
            p->pending = true; /* more to read */
    }
    return n;
}

/* One round: the plugins that may have events waiting, served in groups —
 * the plugins in step (the usual case: those that take every event) share
 * one read of the log and each event packed once. Returns how many events
 * were read. A plugin's cursor is stored only in a read that handed it
 * something, so events it does not want cost no write (after a restart they
 * are looked at again and skipped again). */
static int deliver_round(cn_host *host)
{
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        p->waiting = p->reading = p->handed = false;
        if (p->status != P_RUNNING || !p->nsubs || !p->pending)
            continue;
        p->pending = false;
        p->waiting = joins_round(host, p);
    }
    int n = 0;
    for (int64_t from; (from = next_group(host)) >= 0;) {
        int read = read_for_group(host, from);
        if (read < 0)
            return 0; /* the cursors are read again (cn_host_deliver) */
        n += read;
    }
    return n;
}

/* An event of another node (the federation stored it in the open batch):
 * every running plugin that subscribed to its topic gets it, each in its
 * own savepoint, in the same transaction, so it is delivered exactly when
 * it is stored. Plugins' cursors count this node's events only. */
int64_t host_log_keeper(void *data, const char *origin, char *who, size_t whocap)
{
    cn_host *host = data;
    if (strcmp(origin, cn_evlog_origin(cn_core_evlog(host->core))) != 0)
        return INT64_MAX; /* peers' events are handed over as they are stored */
    int64_t bound = INT64_MAX;
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (!p || p->status != P_RUNNING)
            continue;
        int64_t cursor = p->cursor >= 0 ? p->cursor : cursor_of(host, p);
        if (cursor >= 0 && cursor < bound) { /* < 0: it begins with what happens after its first start */
            bound = cursor;
            snprintf(who, whocap, L("le greffon %s (il a lu jusqu'au n° %lld)", "plugin %s (it has read up to n° %lld)"),
                     p->name, (long long)cursor);
        }
    }
    return bound;
}

bool host_wants_foreign(void *data, const char *topic)
{
    cn_host *host = data;
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->status == P_RUNNING && p->nsubs && wants(p, topic, true))
            return true;
    }
    return false;
}

int host_deliver_foreign(void *data, const msgpack_object *event, const char *topic)
{
    cn_host *host = data;
    const msgpack_object *r = cn_mp_get(event, "region");
    char region[64] = "";
    if (r && r->type == MSGPACK_OBJECT_STR && r->via.str.size < sizeof region) {
        memcpy(region, r->via.str.ptr, r->via.str.size);
        region[r->via.str.size] = '\0';
    }
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->status != P_RUNNING || !p->nsubs || !wants(p, topic, true) || !host_region_enabled(p, region))
            continue;
        delivery d = {p, event, topic, true, false};
        if (cn_core_in_savepoint(host->core, deliver_one, &d) != 0) {
            p->event_errors++;
            cn_error("[%s] l'événement %s d'un pair a fait échouer le greffon; ce qu'il avait écrit est annulé",
                     p->name, topic);
        } else {
            p->events_delivered++;
        }
    }
    return 0;
}

/* Told of every committed event: a plugin that wants none of them only moves
 * its cursor in memory, so events it did not subscribe to cost it no query
 * and no transaction. */
void host_observe(void *data, int64_t seq, const char *topic)
{
    cn_host *host = data;
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->status != P_RUNNING || !p->nsubs || p->pending)
            continue;
        if (p->cursor != seq - 1) {
            p->pending = true; /* not in step (first start, catch-up): read the log */
            continue;
        }
        if (wants(p, topic, false))
            p->pending = true;
        else
            p->cursor = seq;
    }
}

void cn_host_deliver(cn_host *host, bool lazy)
{
    if (!host || host->subscribers == 0 || host->delivering)
        return;
    bool any = false;
    for (size_t i = 0; i < host->n && !any; i++)
        any = host->plugins[i]->pending;
    if (!any)
        return;
    host->delivering = true; /* run_in_transaction inside a handler must not recurse */
    for (int round = 0; round < MAX_ROUNDS; round++) {
        cn_core_batch_open(host->core, lazy);
        if (cn_core_batch_begin(host->core) != 0)
            break;
        int n = deliver_round(host);
        /* On a failing disk, or a failed commit, the stored cursors did not
         * move: reload them, and the delivery is tried again after the next
         * commit. What the plugins wrote meanwhile is rolled back with it. */
        bool failed = host->storage_failed;
        host->storage_failed = false;
        if (failed)
            cn_core_batch_rollback(host->core);
        uint64_t ticket;
        if (failed || (lazy ? cn_core_batch_commit_lazy(host->core, host->pub, &ticket)
                            : cn_core_batch_commit(host->core, host->pub)) != 0) {
            for (size_t i = 0; i < host->n; i++) {
                host->plugins[i]->cursor = -1;
                host->plugins[i]->pending = true;
            }
            break;
        }
        any = false;
        for (size_t i = 0; i < host->n && !any; i++)
            any = host->plugins[i]->pending;
        if (n == 0 || !any)
            break;
    }
    host->delivering = false;
}


void host_drop_subscriptions(cd_host *p)
{
    p->host->subscribers -= p->nsubs;
    for (size_t i = 0; i < p->nsubs; i++)
        free(p->subs[i].pattern);
    free(p->subs);
    p->subs = NULL;
    p->nsubs = 0;
}
