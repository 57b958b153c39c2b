/* follow.c: see follow.h. The peer's events are stored in this node's
 * event log (events, keyed by origin and seq: the table was made for
 * several origins), so events.since {origin} replays them here too. */
#include "follow.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "evlog.h"
#include "log.h"
#include "mp.h"
#include "zwatch.h"

#define SYNC_PAGE 500
#define CHECK_EVERY_MS 30000 /* a quiet peer is asked for what may have been dropped */
#define SYNC_PATIENCE_MS 10000

typedef struct follower {
    struct cn_follow *owner;
    char name[64], endpoint[256], sync[256], public_key[41], regions[512];
    void *sub, *dealer;
    cn_zwatch *sub_watch, *dealer_watch;
    int64_t last_seq;         /* the last of its events stored here */
    int64_t sync_sent_ms;     /* a catch-up request is out since then (0: none) */
    int64_t last_contact_ms, received, refused, sync_requests;
    bool cut; /* it sent what cannot be read: no longer followed until a restart */
    char last_error[256];
} follower;

struct cn_follow {
    cn_core *core;
    void *local_pub;
    uv_loop_t *loop;
    uv_timer_t timer;
    bool timer_inited;
    follower *peers;
    size_t n;
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
    char copy[512];
    snprintf(copy, sizeof copy, "%s", f->regions);
    for (char *save = NULL, *r = strtok_r(copy, ", \t", &save); r; r = strtok_r(NULL, ", \t", &save))
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

static void request_sync(follower *f);

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

/* One event of f's (a map: seq, origin, ts, region, type, data), inside the
 * caller's transaction. Returns 1 stored, 0 skipped (known, or refused), -1
 * on a database error, 2 when it leaves a gap (not stored: a catch-up is
 * asked). */
static int take(follower *f, const msgpack_object *ev, sqlite3_stmt *insert)
{
    char origin[64], region[64], type[96];
    str_of(get(ev, "origin"), origin, sizeof origin);
    str_of(get(ev, "region"), region, sizeof region);
    str_of(get(ev, "type"), type, sizeof type);
    const msgpack_object *seq = get(ev, "seq"), *ts = get(ev, "ts"), *data = get(ev, "data");
    if (!seq || seq->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !region[0] || !type[0] || !data ||
        data->type != MSGPACK_OBJECT_MAP) {
        cut_off(f, "un événement sans seq, région, type ou données");
        return 0;
    }
    if (strcmp(origin, f->name) != 0) {
        f->refused++;
        snprintf(f->last_error, sizeof f->last_error, "événement d'origine %s refusé (le pair est %s)", origin, f->name);
        cn_warn("fédération : %s a relayé un événement de %s : refusé (seule l'origine %s est suivie)", f->name, origin,
                f->name);
        return 0;
    }
    /* Known already (live and replay overlap), or after a gap: nothing else to judge. */
    int64_t s = (int64_t)seq->via.u64;
    if (s <= f->last_seq)
        return 0;
    if (s > f->last_seq + 1) {
        request_sync(f);
        return 2;
    }
    if (!region_allowed(f, region)) {
        f->refused++;
        f->last_seq = s; /* its seq is taken all the same: the ones after it are no gap */
        snprintf(f->last_error, sizeof f->last_error, "%s n'est pas une région que %s publie : refusé", region, f->name);
        cn_warn("fédération : %s a publié pour la région %s, qui n'est pas à lui ([peer.%s] regions = %s) : refusé",
                f->name, region, f->name, f->regions);
        return 0;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, *data);
    sqlite3_reset(insert);
    sqlite3_bind_text(insert, 1, origin, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 2, s);
    sqlite3_bind_int64(insert, 3, ts && ts->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)ts->via.u64 : 0);
    sqlite3_bind_text(insert, 4, region, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 5, type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 6, buf.data, (int)buf.size, SQLITE_TRANSIENT);
    int rc = sqlite3_step(insert) == SQLITE_DONE ? 1 : -1;
    if (rc == 1) {
        f->last_seq = s;
        f->received++;
        /* Published again here, as it came (origin kept), for this node's clients. */
        char topic[192];
        snprintf(topic, sizeof topic, "%s/%s", region, type);
        msgpack_sbuffer payload;
        msgpack_sbuffer_init(&payload);
        msgpack_packer pp;
        msgpack_packer_init(&pp, &payload, msgpack_sbuffer_write);
        cn_evlog_pack_event(&pp, s, origin, ts && ts->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)ts->via.u64 : 0,
                            region, type, buf.data, buf.size);
        if (f->owner->local_pub && (zmq_send(f->owner->local_pub, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                                    zmq_send(f->owner->local_pub, payload.data, payload.size, ZMQ_DONTWAIT) < 0))
            cn_debug("fédération, republication de %s : %s", topic, zmq_strerror(zmq_errno()));
        msgpack_sbuffer_destroy(&payload);
    }
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* Runs fn over a list of events in one transaction. */
static void store(follower *f, const msgpack_object *const *events, size_t n)
{
    cn_core *core = f->owner->core;
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
    int64_t before = f->last_seq;
    for (size_t i = 0; i < n && !f->cut; i++)
        if (take(f, events[i], insert) < 0) {
            cn_error("fédération : %s", sqlite3_errmsg(cn_core_db(core)));
            f->last_seq = before; /* what was not committed is asked again */
            break;
        }
    sqlite3_finalize(insert);
    if (cn_core_batch_commit(core, NULL) != 0)
        f->last_seq = before;
}

/* A cut peer's watches stop (inside a watch's own callback is safe: the
 * handles close after it); its sockets close with the federation. */
static void stop_if_cut(follower *f)
{
    if (!f->cut)
        return;
    cn_zwatch_destroy(&f->sub_watch);
    cn_zwatch_destroy(&f->dealer_watch);
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

/* ---- catch-up: the DEALER to the peer's sync endpoint --------------------------------- */

static void request_sync(follower *f)
{
    if (f->cut)
        return;
    int64_t now = now_ms();
    if (f->sync_sent_ms && now - f->sync_sent_ms < SYNC_PATIENCE_MS)
        return; /* one out already */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kint(&pk, "id", ++f->sync_requests);
    cn_pk_kstr(&pk, "op", "events.since");
    cn_pk_str(&pk, "args");
    msgpack_pack_map(&pk, 2);
    cn_pk_kint(&pk, "since", f->last_seq);
    cn_pk_kint(&pk, "limit", SYNC_PAGE);
    if (zmq_send(f->dealer, buf.data, buf.size, ZMQ_DONTWAIT) >= 0)
        f->sync_sent_ms = now;
    else
        snprintf(f->last_error, sizeof f->last_error, "rattrapage impossible à demander : %s", zmq_strerror(zmq_errno()));
    msgpack_sbuffer_destroy(&buf);
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
        f->sync_sent_ms = 0;
        f->last_contact_ms = now_ms();
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        bool more = false;
        if (msgpack_unpack_next(&u, zmq_msg_data(&msg), zmq_msg_size(&msg), NULL) == MSGPACK_UNPACK_SUCCESS) {
            const msgpack_object *ok = get(&u.data, "ok"), *result = get(&u.data, "result");
            const msgpack_object *events = get(result, "events"), *m = get(result, "more");
            if (ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean && events &&
                events->type == MSGPACK_OBJECT_ARRAY) {
                const msgpack_object **list = calloc(events->via.array.size + 1, sizeof *list);
                for (uint32_t i = 0; list && i < events->via.array.size; i++)
                    list[i] = &events->via.array.ptr[i];
                if (list)
                    store(f, list, events->via.array.size);
                free(list);
                more = m && m->type == MSGPACK_OBJECT_BOOLEAN && m->via.boolean;
                f->last_error[0] = '\0';
            } else {
                char message[200] = "";
                str_of(get(get(&u.data, "error"), "message"), message, sizeof message);
                snprintf(f->last_error, sizeof f->last_error, "rattrapage refusé : %s", message);
            }
        } else {
            cut_off(f, "une réponse de rattrapage illisible");
        }
        msgpack_unpacked_destroy(&u);
        zmq_msg_close(&msg);
        if (more)
            request_sync(f);
        if (f->cut)
            break;
    }
    stop_if_cut(f);
}

static void on_check(uv_timer_t *t)
{
    cn_follow *fl = t->data;
    for (size_t i = 0; i < fl->n; i++)
        request_sync(&fl->peers[i]);
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
        msgpack_pack_map(pk, 10);
        cn_pk_kstr(pk, "peer", f->name);
        cn_pk_kbool(pk, "cut", f->cut);
        cn_pk_kstr(pk, "endpoint", f->endpoint);
        cn_pk_kstr(pk, "regions", f->regions);
        cn_pk_kint(pk, "last_seq", f->last_seq);
        cn_pk_kint(pk, "received", f->received);
        cn_pk_kint(pk, "refused", f->refused);
        cn_pk_str(pk, "seconds_since_contact");
        if (f->last_contact_ms)
            msgpack_pack_int64(pk, (now - f->last_contact_ms) / 1000);
        else
            msgpack_pack_nil(pk);
        cn_pk_kbool(pk, "catching_up", f->sync_sent_ms != 0);
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
    int linger = 0;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
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

int cn_follow_start(cn_follow **out, uv_loop_t *loop, void *zctx, cn_core *core, void *local_pub,
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
        snprintf(f->name, sizeof f->name, "%s", s->section + 5);
        snprintf(f->endpoint, sizeof f->endpoint, "%s", s->value);
        snprintf(f->sync, sizeof f->sync, "%s", sync);
        snprintf(f->public_key, sizeof f->public_key, "%s", key);
        snprintf(f->regions, sizeof f->regions, "%s", regions ? regions : "");
    }
    /* Where each stands: the last of its events stored here. */
    for (size_t i = 0; i < fl->n; i++) {
        follower *f = &fl->peers[i];
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(cn_core_db(core), "SELECT coalesce(max(seq), 0) FROM events WHERE origin = ?", -1, &st,
                               NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                f->last_seq = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        f->sub = curve_client(zctx, ZMQ_SUB, f->endpoint, f->public_key, public_key, secret_key);
        f->dealer = f->sub ? curve_client(zctx, ZMQ_DEALER, f->sync, f->public_key, public_key, secret_key) : NULL;
        if (!f->dealer || !(f->sub_watch = cn_zwatch_new(loop, f->sub, on_event, f)) ||
            !(f->dealer_watch = cn_zwatch_new(loop, f->dealer, on_sync_reply, f))) {
            snprintf(err, errcap, "[peer.%s] : connexion impossible à %s / %s : %s", f->name, f->endpoint, f->sync,
                     zmq_strerror(zmq_errno()));
            cn_follow_stop(&fl);
            return -1;
        }
        cn_info("fédération : suit %s (%s), à partir de l'événement %lld", f->name, f->endpoint,
                (long long)f->last_seq + 1);
        request_sync(f); /* the replay first; live events after it are in order */
    }
    if (fl->n && uv_timer_init(loop, &fl->timer) == 0) {
        fl->timer_inited = true;
        fl->timer.data = fl;
        uv_timer_start(&fl->timer, on_check, CHECK_EVERY_MS, CHECK_EVERY_MS);
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
        if (f->sub)
            zmq_close(f->sub);
        if (f->dealer)
            zmq_close(f->dealer);
    }
    free(fl->peers);
    *fp = NULL;
    if (fl->timer_inited) {
        uv_timer_stop(&fl->timer);
        uv_close((uv_handle_t *)&fl->timer, on_timer_closed); /* fl is freed once libuv is done with it */
    } else {
        free(fl);
    }
}
