/* follow.c: see follow.h. The peers' events are stored in this node's
 * event log (events, keyed by origin and seq: the table was made for
 * several origins), so events.since {origin} replays them here too.
 *
 * What decides is the event's origin and seq, not the peer it came
 * through: a peer may relay other nodes' events (a chain local → regional
 * → national), each origin is caught up on its own, an event already
 * stored is skipped whichever way it came, and this node's own events
 * coming back are dropped (no loop). Each region seen gets a read-only
 * copy of its model here (region.snapshot asked of the peer, applied with
 * region.mirror), made again after the events that change it. */
#include "follow.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "evlog.h"
#include "federation.h"
#include "log.h"
#include "mp.h"
#include "zwatch.h"

#define SYNC_PAGE 500
#define TICK_MS 1000            /* copies that wait are asked again at this pace */
#define CHECK_EVERY_TICKS 30    /* a quiet peer is asked for what may have been dropped */
#define SYNC_PATIENCE_MS 10000
#define SNAPSHOT_ID_BASE (1LL << 40) /* request ids above it are snapshots */
#define ORIGINS_ID_BASE (1LL << 41)  /* and above this one, events.origins */
#define HANDSHAKE_MS 10000 /* a connection whose greeting was lost is dropped and made again */

/* Where this node stands with one origin's events (any peer may bring them). */
typedef struct origin_state {
    char name[64];
    int64_t last_seq, last_ts;
} origin_state;

/* A region of another node this node holds a copy of, through one peer. */
typedef struct copy {
    char region[64], origin[64];
    int64_t want_seq;  /* the origin's last event that changed it, stored here */
    int64_t have_seq;  /* the origin's event the copy is as of (0: none yet) */
    int64_t asked_id;  /* a snapshot request is out (0: none) */
    int64_t asked_ms;
    int64_t retry_ms;  /* a relay's copy was behind: not asked again before */
} copy;

typedef struct follower {
    struct cn_follow *owner;
    char name[64], endpoint[256], sync[256], public_key[41], regions[512];
    void *sub, *dealer, *monitor;
    cn_zwatch *sub_watch, *dealer_watch, *monitor_watch;
    int64_t connections; /* handshakes with the peer's events endpoint */
    char sync_origin[64];     /* the origin whose catch-up is out */
    int64_t sync_sent_ms;     /* a catch-up request is out since then (0: none) */
    char **sync_wanted;       /* origins to catch up after it */
    size_t nwanted;
    int64_t head_seq, head_ts; /* the peer's own newest event, as far as known */
    int64_t last_contact_ms, received, refused, sync_requests, snapshots;
    copy *copies;
    size_t ncopies;
    msgpack_sbuffer outbox;   /* topic, payload, …: published once the batch is committed */
    size_t nout;
    bool cut; /* it sent what cannot be read: no longer followed until a restart */
    char last_error[512];
} follower;

struct cn_follow {
    cn_core *core;
    void *local_pub, *fed_pub;
    uv_loop_t *loop;
    uv_timer_t timer;
    bool timer_inited;
    unsigned ticks;
    follower *peers;
    size_t n;
    origin_state *origins;
    size_t norigins;
    cn_op ops[2];
};

static int64_t now_ms(void)
{
    uv_timeval64_t tv;
    uv_gettimeofday(&tv);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static bool region_allowed(const follower *f, const char *region)
{
    if (!f->regions[0])
        return true;
    char copy_[512];
    snprintf(copy_, sizeof copy_, "%s", f->regions);
    for (char *save = NULL, *r = strtok_r(copy_, ", \t", &save); r; r = strtok_r(NULL, ", \t", &save))
        if (strcmp(r, region) == 0)
            return true;
    return false;
}

static void str_of(const msgpack_object *o, char *out, size_t cap)
{
    size_t n = o && o->type == MSGPACK_OBJECT_STR ? o->via.str.size : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(out, o->via.str.ptr, n);
    out[n] = '\0';
}

static const msgpack_object *get(const msgpack_object *map, const char *key)
{
    return cn_mp_get(map, key);
}

static int64_t int_of(const msgpack_object *o)
{
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)o->via.u64 : 0;
}

/* The state of origin name (added, at 0, when new); NULL when out of memory. */
static origin_state *origin_of(cn_follow *fl, const char *name)
{
    for (size_t i = 0; i < fl->norigins; i++)
        if (strcmp(fl->origins[i].name, name) == 0)
            return &fl->origins[i];
    origin_state *grown = realloc(fl->origins, (fl->norigins + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    fl->origins = grown;
    origin_state *o = &fl->origins[fl->norigins++];
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", name);
    return o;
}

/* The copy of region, whichever peer it is asked of; *via is that peer. */
static copy *copy_find(cn_follow *fl, const char *region, follower **via)
{
    for (size_t j = 0; j < fl->n; j++)
        for (size_t i = 0; i < fl->peers[j].ncopies; i++)
            if (strcmp(fl->peers[j].copies[i].region, region) == 0) {
                *via = &fl->peers[j];
                return &fl->peers[j].copies[i];
            }
    return NULL;
}

/* The copy of region, asked of f from now on (moved from another peer if
 * need be: the one that brought the last change knows it). */
static copy *copy_of(follower *f, const char *region, const char *origin, bool add)
{
    follower *via = NULL;
    copy *found = copy_find(f->owner, region, &via);
    if (found && via == f)
        return found;
    if (!found && !add)
        return NULL;
    copy moved;
    if (found) {
        moved = *found;
        moved.asked_id = 0; /* a reply from the other peer is ignored */
        *found = via->copies[--via->ncopies];
    }
    copy *grown = realloc(f->copies, (f->ncopies + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    f->copies = grown;
    copy *c = &f->copies[f->ncopies++];
    if (found) {
        *c = moved;
        return c;
    }
    memset(c, 0, sizeof *c);
    snprintf(c->region, sizeof c->region, "%s", region);
    snprintf(c->origin, sizeof c->origin, "%s", origin);
    return c;
}

static void request_sync(follower *f, const char *origin);
static void request_snapshots(follower *f);

/* A peer that sends what is not our protocol is not obeyed, nor listened
 * to any more: its sockets close until the daemon restarts (after the
 * peer is fixed). */
static void cut_off(follower *f, const char *why)
{
    if (f->cut)
        return;
    f->cut = true;
    f->refused++;
    snprintf(f->last_error, sizeof f->last_error, "coupé : %s", why);
    cn_error("fédération : %s coupé : %s ; il ne sera plus suivi avant un redémarrage", f->name, why);
}

static void refuse(follower *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(follower *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->last_error, sizeof f->last_error, fmt, ap);
    va_end(ap);
    f->refused++;
    cn_warn("fédération : %s : %s", f->name, f->last_error);
}

static int set_peer(cn_core *core, const char *region, const char *peer)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cn_core_db(core), "UPDATE mirrors SET peer = ? WHERE region = ?", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* Events that change a region's model: its copy is made again after them. */
static const char *const model_prefixes[] = {"region.", "plan.", "orientation.", "objective.", "action.", "indicator."};
#define N_MODEL_PREFIXES (sizeof model_prefixes / sizeof model_prefixes[0])

static bool changes_model(const char *type)
{
    for (size_t i = 0; i < N_MODEL_PREFIXES; i++)
        if (strncmp(type, model_prefixes[i], strlen(model_prefixes[i])) == 0)
            return true;
    return false;
}

static void publish(void *pub, const msgpack_object *topic, const msgpack_object *payload)
{
    if (pub && (zmq_send(pub, topic->via.str.ptr, topic->via.str.size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                zmq_send(pub, payload->via.bin.ptr, payload->via.bin.size, ZMQ_DONTWAIT) < 0))
        cn_debug("fédération, republication de %.*s : %s", (int)topic->via.str.size, topic->via.str.ptr,
                 zmq_strerror(zmq_errno()));
}

/* After the batch: what it stored goes out (committed), or nothing (not). */
static void flush_outbox(follower *f, bool committed)
{
    size_t off = 0;
    msgpack_unpacked t, p;
    msgpack_unpacked_init(&t);
    msgpack_unpacked_init(&p);
    for (size_t i = 0; committed && i < f->nout; i++) {
        if (msgpack_unpack_next(&t, f->outbox.data, f->outbox.size, &off) != MSGPACK_UNPACK_SUCCESS ||
            msgpack_unpack_next(&p, f->outbox.data, f->outbox.size, &off) != MSGPACK_UNPACK_SUCCESS)
            break;
        publish(f->owner->local_pub, &t.data, &p.data);
        publish(f->owner->fed_pub, &t.data, &p.data);
    }
    msgpack_unpacked_destroy(&t);
    msgpack_unpacked_destroy(&p);
    msgpack_sbuffer_clear(&f->outbox);
    f->nout = 0;
}

/* One event (a map: seq, origin, ts, region, type, data) that came through
 * f, inside the caller's transaction. Returns 1 stored, 0 skipped (known,
 * looped back, refused), -1 on a database error, 2 when it leaves a gap
 * (not stored: a catch-up is asked). */
static int take(follower *f, const msgpack_object *ev, sqlite3_stmt *insert)
{
    cn_follow *fl = f->owner;
    char origin[64], region[64], type[96];
    str_of(get(ev, "origin"), origin, sizeof origin);
    str_of(get(ev, "region"), region, sizeof region);
    str_of(get(ev, "type"), type, sizeof type);
    const msgpack_object *seq = get(ev, "seq"), *data = get(ev, "data");
    int64_t ts = int_of(get(ev, "ts"));
    if (!seq || seq->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !origin[0] || !region[0] || !type[0] || !data ||
        data->type != MSGPACK_OBJECT_MAP) {
        cut_off(f, "un événement sans seq, origine, région, type ou données");
        return 0;
    }
    int64_t s = (int64_t)seq->via.u64;
    if (strcmp(origin, cn_evlog_origin(cn_core_evlog(fl->core))) == 0)
        return 0; /* this node's own, come back around a loop */
    if (strcmp(origin, f->name) == 0 && s > f->head_seq) {
        f->head_seq = s;
        f->head_ts = ts;
    }
    origin_state *o = origin_of(fl, origin);
    if (!o)
        return -1;
    /* Known already (live and replay overlap, or another path), or after a gap. */
    if (s <= o->last_seq)
        return 0;
    if (s > o->last_seq + 1) {
        request_sync(f, origin);
        return 2;
    }
    char owner[64] = "";
    int held = cn_core_region_owner(fl->core, region, owner, sizeof owner);
    if (held < 0)
        return -1;
    bool own = strcmp(origin, f->name) == 0, refused = true;
    if (!region_allowed(f, region) && !own) {
        /* Relayed from a region this node does not follow through f: not
         * its business; another path may bring it (its seq stays free). */
        cn_debug("fédération : %s relaie %s/%s n°%lld de %s, hors de ses régions ici : ignoré", f->name, region, type,
                 (long long)s, origin);
        return 0;
    } else if (!region_allowed(f, region))
        refuse(f, "%s n'est pas une région que %s publie ([peer.%s] regions = %s) : événement %s n°%lld de %s refusé",
               region, f->name, f->name, f->regions, type, (long long)s, origin);
    else if (held == CN_REGION_OWN)
        refuse(f, "la région %s est à ce nœud-ci : l'événement %s n°%lld de %s est refusé", region, type,
               (long long)s, origin);
    else if (held == CN_REGION_COPY && strcmp(owner, origin) != 0)
        refuse(f, "la région %s appartient à %s : l'événement %s n°%lld de %s est refusé", region, owner, type,
               (long long)s, origin);
    else
        refused = false;
    if (refused) {
        if (own)
            o->last_seq = s; /* its seq is taken all the same: the ones after it are no gap */
        return 0;
    }
    if (held == CN_REGION_UNKNOWN) {
        /* First seen: the region is origin's from now on, here. */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(cn_core_db(fl->core), "INSERT INTO mirrors(region, origin, peer) VALUES (?,?,?)", -1, &st,
                               NULL) != SQLITE_OK)
            return -1;
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, f->name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return -1;
        cn_info("fédération : la région %s (de %s) est copiée ici, par %s", region, origin, f->name);
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, *data);
    sqlite3_reset(insert);
    sqlite3_bind_text(insert, 1, origin, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 2, s);
    sqlite3_bind_int64(insert, 3, ts);
    sqlite3_bind_text(insert, 4, region, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 5, type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 6, buf.data, (int)buf.size, SQLITE_TRANSIENT);
    int rc = sqlite3_step(insert) == SQLITE_DONE ? 1 : -1;
    if (rc == 1) {
        o->last_seq = s;
        o->last_ts = ts;
        f->received++;
        char topic[192];
        snprintf(topic, sizeof topic, "%s/%s", region, type);
        msgpack_sbuffer payload;
        msgpack_sbuffer_init(&payload);
        msgpack_packer pp;
        msgpack_packer_init(&pp, &payload, msgpack_sbuffer_write);
        cn_evlog_pack_event(&pp, s, origin, ts, region, type, buf.data, buf.size);
        /* This node's plugins get it in the same transaction. */
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, payload.data, payload.size, NULL) == MSGPACK_UNPACK_SUCCESS)
            cn_core_foreign_event(fl->core, &u.data, topic);
        msgpack_unpacked_destroy(&u);
        /* Published again here once committed, as it came (origin kept),
         * for this node's clients and the peers that follow it (relay). */
        msgpack_packer op;
        msgpack_packer_init(&op, &f->outbox, msgpack_sbuffer_write);
        cn_pk_str(&op, topic);
        msgpack_pack_bin(&op, payload.size);
        msgpack_pack_bin_body(&op, payload.data, payload.size);
        f->nout++;
        msgpack_sbuffer_destroy(&payload);
        /* A change of the model: the copy is made again, asked of the peer
         * that brought it. Otherwise a copy is only wanted once. */
        follower *via = NULL;
        copy *c = copy_find(fl, region, &via);
        if (!c || changes_model(type)) {
            bool moves = c && via != f;
            c = copy_of(f, region, origin, true);
            if (moves && set_peer(fl->core, region, f->name) != 0) /* a hint for the next start only */
                cn_warn("fédération : copie de %s : %s", region, sqlite3_errmsg(cn_core_db(fl->core)));
        }
        if (c && changes_model(type) && s > c->want_seq)
            c->want_seq = s;
        else if (c && c->want_seq == 0)
            c->want_seq = 1;
    }
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

typedef struct {
    follower *f;
    const msgpack_object *event;
    sqlite3_stmt *insert;
} taking;

static int take_one(void *arg)
{
    taking *t = arg;
    return take(t->f, t->event, t->insert) < 0 ? -1 : 0;
}

/* Takes a list of events in one transaction. */
static void store(follower *f, const msgpack_object *const *events, size_t n)
{
    cn_follow *fl = f->owner;
    cn_core *core = fl->core;
    if (f->cut)
        return;
    if (cn_core_batch_begin(core) != 0) {
        snprintf(f->last_error, sizeof f->last_error, "base de données indisponible");
        return;
    }
    sqlite3_stmt *insert;
    if (sqlite3_prepare_v2(cn_core_db(core),
                           "INSERT OR IGNORE INTO events(origin, seq, ts_ms, region, type, data) VALUES (?,?,?,?,?,?)", -1,
                           &insert, NULL) != SQLITE_OK) {
        cn_error("fédération : %s", sqlite3_errmsg(cn_core_db(core)));
        cn_core_batch_commit(core, NULL);
        return;
    }
    /* Each event in its own savepoint: one that cannot be stored leaves the
     * ones before it, and is asked again with those after it. If the
     * commit fails, nothing was stored: the positions go back. */
    origin_state *before = malloc((fl->norigins + 1) * sizeof *before);
    size_t nbefore = fl->norigins;
    if (before)
        memcpy(before, fl->origins, nbefore * sizeof *before);
    taking t = {f, NULL, insert};
    for (size_t i = 0; before && i < n && !f->cut; i++) {
        t.event = events[i];
        if (cn_core_in_savepoint(core, take_one, &t) != 0) {
            cn_error("fédération : événement de %s non enregistré : %s", f->name, sqlite3_errmsg(cn_core_db(core)));
            break;
        }
    }
    sqlite3_finalize(insert);
    bool committed = cn_core_batch_commit(core, fl->local_pub) == 0;
    flush_outbox(f, committed);
    if (!committed && before) {
        memcpy(fl->origins, before, nbefore * sizeof *before);
        fl->norigins = nbefore;
    }
    free(before);
    request_snapshots(f);
}

/* A cut peer's watches stop (inside a watch's own callback is safe: the
 * handles close after it); its sockets close with the federation. */
static void stop_if_cut(follower *f)
{
    if (!f->cut)
        return;
    cn_zwatch_destroy(&f->sub_watch);
    cn_zwatch_destroy(&f->dealer_watch);
    cn_zwatch_destroy(&f->monitor_watch);
}

/* ---- live: the SUB socket ---------------------------------------------------------- */

static void on_event(cn_zwatch *w, void *sock, void *arg)
{
    (void)w;
    follower *f = arg;
    for (int k = 0; k < 256; k++) {
        zmq_msg_t topic, payload;
        zmq_msg_init(&topic);
        if (zmq_msg_recv(&topic, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&topic);
            break;
        }
        zmq_msg_init(&payload);
        bool two = zmq_msg_more(&topic) && zmq_msg_recv(&payload, sock, 0) >= 0;
        while (zmq_msg_more(two ? &payload : &topic)) { /* extra frames: drop the message */
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            zmq_msg_recv(&extra, sock, 0);
            bool more = zmq_msg_more(&extra);
            zmq_msg_close(&extra);
            two = false;
            if (!more)
                break;
        }
        f->last_contact_ms = now_ms();
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (two && msgpack_unpack_next(&u, zmq_msg_data(&payload), zmq_msg_size(&payload), NULL) == MSGPACK_UNPACK_SUCCESS &&
            u.data.type == MSGPACK_OBJECT_MAP) {
            const msgpack_object *ev = &u.data;
            store(f, &ev, 1);
        } else {
            cut_off(f, "un message qui n'est pas un événement (msgpack illisible ou trames en trop)");
        }
        msgpack_unpacked_destroy(&u);
        zmq_msg_close(&topic);
        zmq_msg_close(&payload);
        if (f->cut)
            break;
    }
    stop_if_cut(f);
}

/* ---- requests to the peer's sync endpoint: catch-up and copies ------------------------ */

static int send_request(follower *f, int64_t id, const char *op, const char *k1, const char *v1, const char *k2,
                        int64_t v2)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kint(&pk, "id", id);
    cn_pk_kstr(&pk, "op", op);
    cn_pk_str(&pk, "args");
    msgpack_pack_map(&pk, k2 ? 3 : k1 ? 1 : 0);
    if (k1)
        cn_pk_kstr(&pk, k1, v1);
    if (k2) {
        cn_pk_kint(&pk, k2, v2);
        cn_pk_kint(&pk, "limit", SYNC_PAGE);
    }
    int rc = zmq_send(f->dealer, buf.data, buf.size, ZMQ_DONTWAIT) >= 0 ? 0 : -1;
    if (rc != 0)
        snprintf(f->last_error, sizeof f->last_error, "%s impossible à demander : %s", op, zmq_strerror(zmq_errno()));
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* Asks what follows this node's last event of origin; one request out at a
 * time per peer, the other origins wait their turn. */
static void request_sync(follower *f, const char *origin)
{
    if (f->cut)
        return;
    int64_t now = now_ms();
    if (f->sync_sent_ms && now - f->sync_sent_ms < SYNC_PATIENCE_MS) {
        if (strcmp(origin, f->sync_origin) == 0)
            return;
        for (size_t i = 0; i < f->nwanted; i++)
            if (strcmp(f->sync_wanted[i], origin) == 0)
                return;
        char **grown = realloc(f->sync_wanted, (f->nwanted + 1) * sizeof *grown);
        if (grown && (grown[f->nwanted] = strdup(origin)) != NULL)
            f->nwanted++;
        if (grown)
            f->sync_wanted = grown;
        return;
    }
    origin_state *o = origin_of(f->owner, origin);
    if (!o)
        return;
    if (send_request(f, ++f->sync_requests, "events.since", "origin", origin, "since", o->last_seq) == 0) {
        f->sync_sent_ms = now;
        snprintf(f->sync_origin, sizeof f->sync_origin, "%s", origin);
    }
}

/* The next origin waiting for its catch-up, if any. */
static void next_sync(follower *f)
{
    if (!f->nwanted)
        return;
    char *origin = f->sync_wanted[0];
    memmove(f->sync_wanted, f->sync_wanted + 1, (f->nwanted - 1) * sizeof *f->sync_wanted);
    f->nwanted--;
    request_sync(f, origin);
    free(origin);
}

/* Asks which origins the peer holds (its own and those it relays): a
 * node that lost its database, or never heard of a relayed origin, learns
 * there is something to catch up. */
static void request_origins(follower *f)
{
    if (!f->cut)
        send_request(f, ORIGINS_ID_BASE + ++f->sync_requests, "events.origins", NULL, NULL, NULL, 0);
}

static void on_origins(follower *f, const msgpack_object *list)
{
    const char *self = cn_evlog_origin(cn_core_evlog(f->owner->core));
    for (uint32_t i = 0; list && list->type == MSGPACK_OBJECT_ARRAY && i < list->via.array.size; i++) {
        const msgpack_object *row = &list->via.array.ptr[i];
        char origin[64];
        str_of(get(row, "origin"), origin, sizeof origin);
        int64_t head = int_of(get(row, "head"));
        if (!origin[0] || strcmp(origin, self) == 0)
            continue;
        if (strcmp(origin, f->name) == 0 && head > f->head_seq) {
            f->head_seq = head;
            f->head_ts = int_of(get(row, "head_ts"));
        }
        origin_state *o = origin_of(f->owner, origin);
        if (o && head > o->last_seq)
            request_sync(f, origin);
    }
}

/* Asks a copy of the regions that changed since theirs (one at a time). */
static void request_snapshots(follower *f)
{
    if (f->cut)
        return;
    int64_t now = now_ms();
    for (size_t i = 0; i < f->ncopies; i++) {
        copy *c = &f->copies[i];
        if (c->asked_id && now - c->asked_ms < SYNC_PATIENCE_MS)
            return; /* one out */
    }
    for (size_t i = 0; i < f->ncopies; i++) {
        copy *c = &f->copies[i];
        if (c->want_seq <= c->have_seq || now < c->retry_ms)
            continue;
        int64_t id = SNAPSHOT_ID_BASE + ++f->snapshots;
        if (send_request(f, id, "region.snapshot", "id", c->region, NULL, 0) == 0) {
            c->asked_id = id;
            c->asked_ms = now;
        }
        return;
    }
}

/* A snapshot the peer sent: the copy of its region replaced, in one
 * transaction, by region.mirror. */
static void apply_snapshot(follower *f, copy *c, const msgpack_object *snap)
{
    cn_core *core = f->owner->core;
    char origin[64];
    str_of(get(snap, "origin"), origin, sizeof origin);
    int64_t seq = int_of(get(snap, "seq"));
    const msgpack_object *region = get(snap, "region"), *plans = get(snap, "plans");
    if (strcmp(origin, c->origin) != 0 || !region || !plans) {
        refuse(f, "copie de la région %s refusée : elle se dit de %s, ses événements sont de %s", c->region,
               origin[0] ? origin : "?", c->origin);
        c->have_seq = c->want_seq; /* not asked again before its next change */
        return;
    }
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &frame, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kint(&pk, "id", 0);
    cn_pk_kstr(&pk, "op", "region.mirror");
    cn_pk_str(&pk, "args");
    msgpack_pack_map(&pk, 5);
    cn_pk_kstr(&pk, "origin", origin);
    cn_pk_kstr(&pk, "peer", f->name);
    cn_pk_kint(&pk, "seq", seq);
    cn_pk_str(&pk, "region");
    msgpack_pack_object(&pk, *region);
    cn_pk_str(&pk, "plans");
    msgpack_pack_object(&pk, *plans);
    cn_reply reply;
    bool ok = false;
    if (cn_core_batch_begin(core) == 0) {
        cn_core_set_mirroring(core, true);
        cn_core_handle(core, frame.data, frame.size, &reply);
        cn_core_set_mirroring(core, false);
        ok = reply.ok && cn_core_batch_commit(core, NULL) == 0;
        if (!reply.ok) {
            cn_core_batch_commit(core, NULL); /* the failed command's savepoint is already undone */
            msgpack_unpacked u;
            msgpack_unpacked_init(&u);
            char message[200] = "";
            if (msgpack_unpack_next(&u, reply.buf.data, reply.buf.size, NULL) == MSGPACK_UNPACK_SUCCESS)
                str_of(get(get(&u.data, "error"), "message"), message, sizeof message);
            msgpack_unpacked_destroy(&u);
            refuse(f, "copie de la région %s non appliquée : %s", c->region, message);
            c->have_seq = c->want_seq;
        }
        cn_reply_destroy(&reply);
    }
    msgpack_sbuffer_destroy(&frame);
    if (ok) {
        c->have_seq = seq > 0 ? seq : c->want_seq;
        /* A relay whose own copy is behind its events: ask again in a while,
         * not at once. */
        c->retry_ms = c->have_seq < c->want_seq ? now_ms() + TICK_MS : 0;
        cn_debug("fédération : copie de %s à jour (événement %lld de %s)", c->region, (long long)seq, origin);
    }
}

static void on_sync_reply(cn_zwatch *w, void *sock, void *arg)
{
    (void)w;
    follower *f = arg;
    for (int k = 0; k < 16; k++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        f->last_contact_ms = now_ms();
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, zmq_msg_data(&msg), zmq_msg_size(&msg), NULL) != MSGPACK_UNPACK_SUCCESS ||
            u.data.type != MSGPACK_OBJECT_MAP) {
            cut_off(f, "une réponse illisible à son point de rattrapage");
        } else {
            int64_t id = int_of(get(&u.data, "id"));
            const msgpack_object *ok = get(&u.data, "ok"), *result = get(&u.data, "result");
            bool good = ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
            char message[200] = "";
            str_of(get(get(&u.data, "error"), "message"), message, sizeof message);
            if (id > ORIGINS_ID_BASE) {
                if (good)
                    on_origins(f, result);
                else
                    snprintf(f->last_error, sizeof f->last_error, "origines refusées : %s", message);
            } else if (id > SNAPSHOT_ID_BASE) {
                copy *c = NULL;
                for (size_t i = 0; i < f->ncopies && !c; i++)
                    if (f->copies[i].asked_id == id)
                        c = &f->copies[i];
                if (c) {
                    c->asked_id = 0;
                    if (good && result && result->type == MSGPACK_OBJECT_MAP)
                        apply_snapshot(f, c, result);
                    else
                        snprintf(f->last_error, sizeof f->last_error, "copie de %s refusée : %s", c->region, message);
                }
                request_snapshots(f);
            } else {
                f->sync_sent_ms = 0;
                const msgpack_object *events = get(result, "events"), *m = get(result, "more");
                bool more = false;
                char origin[64];
                str_of(get(result, "origin"), origin, sizeof origin);
                if (good && events && events->type == MSGPACK_OBJECT_ARRAY) {
                    if (strcmp(origin, f->name) == 0 && int_of(get(result, "head")) > f->head_seq) {
                        f->head_seq = int_of(get(result, "head"));
                        f->head_ts = int_of(get(result, "head_ts"));
                    }
                    const msgpack_object **list = calloc(events->via.array.size + 1, sizeof *list);
                    for (uint32_t i = 0; list && i < events->via.array.size; i++)
                        list[i] = &events->via.array.ptr[i];
                    if (list)
                        store(f, list, events->via.array.size);
                    free(list);
                    more = m && m->type == MSGPACK_OBJECT_BOOLEAN && m->via.boolean;
                    if (!f->cut)
                        f->last_error[0] = '\0';
                } else {
                    snprintf(f->last_error, sizeof f->last_error, "rattrapage refusé : %s", message);
                }
                if (more && origin[0])
                    request_sync(f, origin);
                else
                    next_sync(f);
            }
        }
        msgpack_unpacked_destroy(&u);
        zmq_msg_close(&msg);
        if (f->cut)
            break;
    }
    stop_if_cut(f);
}

/* Every second: copies that wait; every 30 s: each peer's origins, in case
 * a live event was dropped. */
static void on_tick(uv_timer_t *t)
{
    cn_follow *fl = t->data;
    bool check = ++fl->ticks % CHECK_EVERY_TICKS == 0;
    for (size_t i = 0; i < fl->n; i++) {
        follower *f = &fl->peers[i];
        request_snapshots(f);
        if (check)
            request_origins(f);
    }
}

/* Each (re)connection to the peer's events endpoint: whatever it published
 * while the link was down (a cut, a restart on either side) is asked for at
 * once, rather than at the next event or check. */
static void on_monitor(cn_zwatch *w, void *sock, void *arg)
{
    (void)w;
    follower *f = arg;
    for (int k = 0; k < 64; k++) {
        zmq_msg_t head, address;
        zmq_msg_init(&head);
        if (zmq_msg_recv(&head, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&head);
            break;
        }
        zmq_msg_init(&address);
        if (zmq_msg_more(&head))
            zmq_msg_recv(&address, sock, 0);
        uint16_t event = 0;
        if (zmq_msg_size(&head) >= 2)
            memcpy(&event, zmq_msg_data(&head), 2);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && !f->cut) {
            f->connections++;
            if (f->connections > 1)
                cn_info("fédération : %s de nouveau joignable, rattrapage", f->name);
            /* What was asked over the lost link will not be answered: ask again. */
            f->sync_sent_ms = 0;
            for (size_t i = 0; i < f->ncopies; i++)
                f->copies[i].asked_id = 0;
            request_sync(f, f->name);
            request_origins(f);
            request_snapshots(f);
        } else if (event == ZMQ_EVENT_DISCONNECTED && !f->cut) {
            snprintf(f->last_error, sizeof f->last_error, "liaison perdue avec %s, reconnexion en cours", f->endpoint);
        }
        zmq_msg_close(&head);
        zmq_msg_close(&address);
    }
}

/* ---- ops ------------------------------------------------------------------------------ */

static int status_op(cn_req *req)
{
    const cn_follow *fl = req->op->data;
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_array(pk, fl ? fl->n : 0);
    int64_t now = now_ms();
    for (size_t i = 0; fl && i < fl->n; i++) {
        const follower *f = &fl->peers[i];
        const origin_state *o = NULL;
        for (size_t j = 0; j < fl->norigins && !o; j++)
            if (strcmp(fl->origins[j].name, f->name) == 0)
                o = &fl->origins[j];
        int64_t last = o ? o->last_seq : 0, last_ts = o ? o->last_ts : 0;
        int64_t lag = f->head_seq > last ? f->head_seq - last : 0;
        size_t behind = 0;
        for (size_t j = 0; j < f->ncopies; j++)
            behind += f->copies[j].want_seq > f->copies[j].have_seq;
        msgpack_pack_map(pk, 15);
        cn_pk_kstr(pk, "peer", f->name);
        cn_pk_kbool(pk, "cut", f->cut);
        cn_pk_kstr(pk, "endpoint", f->endpoint);
        cn_pk_kstr(pk, "regions", f->regions);
        cn_pk_kint(pk, "last_seq", last);
        cn_pk_kint(pk, "head_seq", f->head_seq > last ? f->head_seq : last);
        cn_pk_kint(pk, "lag_events", lag);
        cn_pk_kint(pk, "lag_seconds", lag && f->head_ts > last_ts ? (f->head_ts - last_ts) / 1000 : 0);
        cn_pk_kint(pk, "received", f->received);
        cn_pk_kint(pk, "refused", f->refused);
        cn_pk_str(pk, "copies");
        msgpack_pack_array(pk, f->ncopies);
        for (size_t j = 0; j < f->ncopies; j++) {
            msgpack_pack_map(pk, 4);
            cn_pk_kstr(pk, "region", f->copies[j].region);
            cn_pk_kstr(pk, "origin", f->copies[j].origin);
            cn_pk_kint(pk, "as_of_seq", f->copies[j].have_seq);
            cn_pk_kbool(pk, "up_to_date", f->copies[j].want_seq <= f->copies[j].have_seq);
        }
        cn_pk_kint(pk, "copies_behind", (int64_t)behind);
        cn_pk_str(pk, "seconds_since_contact");
        if (f->last_contact_ms)
            msgpack_pack_int64(pk, (now - f->last_contact_ms) / 1000);
        else
            msgpack_pack_nil(pk);
        cn_pk_kbool(pk, "catching_up", f->sync_sent_ms != 0 || lag > 0);
        cn_pk_str(pk, "last_error");
        if (f->last_error[0])
            cn_pk_str(pk, f->last_error);
        else
            msgpack_pack_nil(pk);
    }
    return 0;
}

static const char *const no_args[] = {NULL};

/* ---- start / stop ------------------------------------------------------------------------ */

static void *curve_client(void *zctx, int type, const char *endpoint, const char *server_key, const char *public_key,
                          const char *secret_key)
{
    void *s = zmq_socket(zctx, type);
    int linger = 0, handshake = HANDSHAKE_MS;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 || cn_federation_heartbeats(s) != 0 ||
        zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_key, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, public_key, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, secret_key, 40) != 0 ||
        (type == ZMQ_SUB && zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0) != 0) || zmq_connect(s, endpoint) != 0) {
        if (s)
            zmq_close(s);
        return NULL;
    }
    return s;
}

int cn_follow_start(cn_follow **out, uv_loop_t *loop, void *zctx, cn_core *core, void *local_pub, void *fed_pub,
                    const cn_config *cfg, const char *public_key, const char *secret_key, char *err, size_t errcap)
{
    *out = NULL;
    cn_follow *fl = calloc(1, sizeof *fl);
    if (!fl) {
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    fl->core = core;
    fl->local_pub = local_pub;
    fl->fed_pub = fed_pub;
    fl->loop = loop;
    for (size_t i = 0; i < cfg->nsettings; i++) {
        const struct cn_setting *s = &cfg->settings[i];
        if (strncmp(s->section, "peer.", 5) != 0 || strcmp(s->key, "endpoint") != 0)
            continue;
        const char *sync = cn_config_setting(cfg, s->section, "sync");
        const char *key = cn_config_setting(cfg, s->section, "public_key");
        const char *regions = cn_config_setting(cfg, s->section, "regions");
        if (!sync || !key) {
            snprintf(err, errcap, "[%s] : un pair suivi a endpoint, sync et public_key", s->section);
            cn_follow_stop(&fl);
            return -1;
        }
        follower *grown = realloc(fl->peers, (fl->n + 1) * sizeof *grown);
        if (!grown) {
            snprintf(err, errcap, "mémoire insuffisante");
            cn_follow_stop(&fl);
            return -1;
        }
        fl->peers = grown;
        follower *f = &fl->peers[fl->n++];
        memset(f, 0, sizeof *f);
        f->owner = fl;
        msgpack_sbuffer_init(&f->outbox);
        snprintf(f->name, sizeof f->name, "%s", s->section + 5);
        snprintf(f->endpoint, sizeof f->endpoint, "%s", s->value);
        snprintf(f->sync, sizeof f->sync, "%s", sync);
        snprintf(f->public_key, sizeof f->public_key, "%s", key);
        snprintf(f->regions, sizeof f->regions, "%s", regions ? regions : "");
    }
    /* Where this node stands with each origin, and the copies it holds. */
    sqlite3_stmt *st;
    if (fl->n && sqlite3_prepare_v2(cn_core_db(core),
                                    "SELECT origin, max(seq), (SELECT ts_ms FROM events e WHERE e.origin = v.origin"
                                    " ORDER BY seq DESC LIMIT 1) FROM events v WHERE origin <> ? GROUP BY origin",
                                    -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, cfg->node_id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            origin_state *o = origin_of(fl, (const char *)sqlite3_column_text(st, 0));
            if (o) {
                o->last_seq = sqlite3_column_int64(st, 1);
                o->last_ts = sqlite3_column_int64(st, 2);
            }
        }
        sqlite3_finalize(st);
    }
    /* A copy is wanted as of the last of its model's events stored here. */
    char model[256] = "", sql[700];
    for (size_t i = 0; i < N_MODEL_PREFIXES; i++)
        snprintf(model + strlen(model), sizeof model - strlen(model), "%s'%s'", i ? ", " : "", model_prefixes[i]);
    snprintf(sql, sizeof sql,
             "SELECT m.region, m.origin, m.snapshot_seq, (SELECT coalesce(max(seq), 0) FROM events"
             " WHERE origin = m.origin AND region = m.region AND substr(type, 1, instr(type, '.')) IN (%s))"
             " FROM mirrors m WHERE m.peer = ?",
             model);
    for (size_t i = 0; i < fl->n; i++) {
        follower *f = &fl->peers[i];
        if (sqlite3_prepare_v2(cn_core_db(core), sql, -1, &st, NULL) != SQLITE_OK)
            continue;
        sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            copy *c = copy_of(f, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1), true);
            if (c) {
                c->have_seq = sqlite3_column_int64(st, 2);
                c->want_seq = sqlite3_column_int64(st, 3);
                if (c->have_seq == 0 && c->want_seq == 0)
                    c->want_seq = 1;
            }
        }
        sqlite3_finalize(st);
    }
    for (size_t i = 0; i < fl->n; i++) {
        follower *f = &fl->peers[i];
        origin_state *own = origin_of(fl, f->name);
        f->sub = curve_client(zctx, ZMQ_SUB, f->endpoint, f->public_key, public_key, secret_key);
        f->dealer = f->sub ? curve_client(zctx, ZMQ_DEALER, f->sync, f->public_key, public_key, secret_key) : NULL;
        char monitor[96];
        snprintf(monitor, sizeof monitor, "inproc://concertd-follow-%zu", i);
        if (f->sub && zmq_socket_monitor(f->sub, monitor, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) == 0 &&
            (f->monitor = zmq_socket(zctx, ZMQ_PAIR)) != NULL && zmq_connect(f->monitor, monitor) != 0) {
            zmq_close(f->monitor);
            f->monitor = NULL;
        }
        if (!f->dealer || !f->monitor || !(f->sub_watch = cn_zwatch_new(loop, f->sub, on_event, f)) ||
            !(f->dealer_watch = cn_zwatch_new(loop, f->dealer, on_sync_reply, f)) ||
            !(f->monitor_watch = cn_zwatch_new(loop, f->monitor, on_monitor, f))) {
            snprintf(err, errcap, "[peer.%s] : connexion impossible à %s / %s : %s", f->name, f->endpoint, f->sync,
                     zmq_strerror(zmq_errno()));
            cn_follow_stop(&fl);
            return -1;
        }
        cn_info("fédération : suit %s (%s), à partir de l'événement %lld", f->name, f->endpoint,
                (long long)(own ? own->last_seq : 0) + 1);
        request_sync(f, f->name); /* the replay first; live events after it are in order */
        request_origins(f);       /* then the origins it relays */
        request_snapshots(f);
    }
    if (fl->n && uv_timer_init(loop, &fl->timer) == 0) {
        fl->timer_inited = true;
        fl->timer.data = fl;
        uv_timer_start(&fl->timer, on_tick, TICK_MS, TICK_MS);
    }
    fl->ops[0] = (cn_op){"federation.status", status_op, no_args,
                         "les pairs suivis : où ils en sont, dernier contact, erreurs",
                         "the peers followed: where they stand, last contact, errors", fl};
    if (cn_core_register(core, fl->ops, 1) != 0) {
        snprintf(err, errcap, "federation.status : enregistrement impossible");
        cn_follow_stop(&fl);
        return -1;
    }
    *out = fl;
    return 0;
}

static void on_timer_closed(uv_handle_t *h) { free(h->data); }

void cn_follow_stop(cn_follow **fp)
{
    if (!fp || !*fp)
        return;
    cn_follow *fl = *fp;
    if (fl->ops[0].name)
        cn_core_unregister(fl->core, &fl->ops[0]);
    for (size_t i = 0; i < fl->n; i++) {
        follower *f = &fl->peers[i];
        cn_zwatch_destroy(&f->sub_watch);
        cn_zwatch_destroy(&f->dealer_watch);
        cn_zwatch_destroy(&f->monitor_watch);
        if (f->sub)
            zmq_socket_monitor(f->sub, NULL, 0);
        if (f->monitor)
            zmq_close(f->monitor);
        if (f->sub)
            zmq_close(f->sub);
        if (f->dealer)
            zmq_close(f->dealer);
        for (size_t j = 0; j < f->nwanted; j++)
            free(f->sync_wanted[j]);
        free(f->sync_wanted);
        free(f->copies);
        msgpack_sbuffer_destroy(&f->outbox);
    }
    free(fl->peers);
    free(fl->origins);
    *fp = NULL;
    if (fl->timer_inited) {
        uv_timer_stop(&fl->timer);
        uv_close((uv_handle_t *)&fl->timer, on_timer_closed); /* fl is freed once libuv is done with it */
    } else {
        free(fl);
    }
}
