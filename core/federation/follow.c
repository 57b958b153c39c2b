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

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "evlog.h"
#include "follow_peer.h"
#include "log.h"
#include "sockets.h"
#include "text.h"

/* Every second: copies that wait; every 30 s: each peer's origins, in case
 * a live event was dropped. */
static void on_tick(uv_timer_t *t)
{
    cn_follow *fl = t->data;
    bool check = ++fl->ticks % CHECK_EVERY_TICKS == 0;
    for (size_t i = 0; i < fl->n; i++) {
        follower *f = &fl->peers[i];
        follow_silence_tick(f, now_ms());
        follow_link_tick(f, &f->events_link);
        follow_link_tick(f, &f->sync_link);
        follow_request_snapshots(f);
        if (check)
            follow_request_origins(f);
    }
}

/* ---- ops ------------------------------------------------------------------------------ */

/* The regions f's [peer] regions names that this node owns itself (the
 * demo's, most often): every event of them from f is refused. Packed as a
 * list; the first in first (or "" when none). */
static void pack_conflicts(msgpack_packer *pk, const cn_follow *fl, const follower *f, char *first, size_t cap)
{
    char list[sizeof f->regions], *names[64];
    size_t n = 0;
    snprintf(list, sizeof list, "%s", f->regions);
    first[0] = '\0';
    for (char *save = NULL, *r = strtok_r(list, ", \t", &save); r && n < 64; r = strtok_r(NULL, ", \t", &save)) {
        char owner[64];
        if (cn_core_region_owner(fl->core, r, owner, sizeof owner) == CN_REGION_OWN)
            names[n++] = r;
    }
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        cn_pk_str(pk, names[i]);
    if (n)
        snprintf(first, cap, "%s", names[0]);
}

static int status_op(cn_req *req)
{
    cn_follow_pack_status(req->op->data, cn_req_pk(req));
    return 0;
}

void cn_follow_pack_status(const cn_follow *fl, msgpack_packer *pk)
{
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
        msgpack_pack_map(pk, 19);
        cn_pk_kstr(pk, "peer", f->name);
        cn_pk_kbool(pk, "connected", f->events_link.up && f->sync_link.up);
        cn_pk_str(pk, "down_since_ms"); /* when a link went down (or was never up), else nil */
        int64_t down = !f->events_link.up ? f->events_link.since_ms : !f->sync_link.up ? f->sync_link.since_ms : 0;
        if (down)
            msgpack_pack_int64(pk, down);
        else
            msgpack_pack_nil(pk);
        cn_pk_kbool(pk, "cut", f->cut);
        cn_pk_kstr(pk, "endpoint", f->endpoint);
        cn_pk_kstr(pk, "regions", f->regions);
        cn_pk_kint(pk, "last_seq", last);
        cn_pk_kint(pk, "head_seq", f->head_seq > last ? f->head_seq : last);
        cn_pk_kint(pk, "lag_events", lag);
        cn_pk_kint(pk, "lag_seconds", lag && f->head_ts > last_ts ? (f->head_ts - last_ts) / 1000 : 0);
        cn_pk_kint(pk, "received", f->received);
        cn_pk_kint(pk, "catch_up_requests", f->sync_asked);
        cn_pk_kint(pk, "refused", f->refused);
        cn_pk_str(pk, "copies");
        msgpack_pack_array(pk, f->ncopies);
        for (size_t j = 0; j < f->ncopies; j++) {
            msgpack_pack_map(pk, 6);
            cn_pk_kstr(pk, "region", f->copies[j].region);
            cn_pk_kstr(pk, "origin", f->copies[j].origin);
            cn_pk_kint(pk, "as_of_seq", f->copies[j].have_seq);
            cn_pk_kbool(pk, "up_to_date", f->copies[j].want_seq <= f->copies[j].have_seq);
            cn_pk_kint(pk, "snapshots", f->copies[j].snapshots);
            cn_pk_kint(pk, "events_applied", f->copies[j].applied);
        }
        cn_pk_kint(pk, "copies_behind", (int64_t)behind);
        cn_pk_str(pk, "seconds_since_contact");
        if (f->last_contact_ms)
            msgpack_pack_int64(pk, (now - f->last_contact_ms) / 1000);
        else
            msgpack_pack_nil(pk);
        cn_pk_kbool(pk, "catching_up", f->sync_sent_ms != 0 || lag > 0);
        char conflict[64], said[512];
        cn_pk_str(pk, "conflicts");
        pack_conflicts(pk, fl, f, conflict, sizeof conflict);
        cn_pk_str(pk, "last_error");
        if (conflict[0]) { /* said as long as it lasts, whatever came after */
            snprintf(said, sizeof said,
                     L("la région %s est aussi une région de ce nœud (la démo ?) : les événements de %s pour elle sont "
                       "refusés",
                       "region %s is also a region of this node (the demo?): %s's events for it are refused"),
                     conflict, f->name);
            cn_pk_str(pk, said);
        } else if (f->last_error[0]) {
            cn_pk_str(pk, f->last_error);
        } else {
            msgpack_pack_nil(pk);
        }
    }
}

static const char *const no_args[] = {NULL};

/* Copies through peer are known up to date now while its links are up, else
 * as of when it was last heard from (cn_core_copy_as_of). */
static int64_t copy_as_of(void *data, const char *peer)
{
    const cn_follow *fl = data;
    for (size_t i = 0; i < fl->n; i++) {
        const follower *f = &fl->peers[i];
        if (strcmp(f->name, peer) != 0)
            continue;
        if (f->events_link.up && f->sync_link.up && !f->cut && !f->rewound)
            return now_ms();
        return f->last_contact_ms > f->alive_ms ? f->last_contact_ms : f->alive_ms;
    }
    return 0;
}

/* ---- start / stop ------------------------------------------------------------------------ */

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
    snprintf(fl->node_id, sizeof fl->node_id, "%s", cfg->node_id);
    snprintf(fl->public_key, sizeof fl->public_key, "%s", public_key);
    fl->started_ms = now_ms();
    const char *silent = cn_config_setting(cfg, "federation", "silent_after");
    fl->silent_after_ms = (silent ? strtoll(silent, NULL, 10) : 86400) * 1000;
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
                                    CN_EVLOG_ORIGINS "SELECT origin, " CN_EVLOG_HEAD("o.origin")
                                    " FROM origins o WHERE origin IS NOT NULL AND origin <> ?",
                                    -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, cfg->node_id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            origin_state *o = follow_origin_of(fl, (const char *)sqlite3_column_text(st, 0));
            if (o) {
                o->last_seq = sqlite3_column_int64(st, 1);
                o->last_ts = sqlite3_column_int64(st, 2);
            }
        }
        sqlite3_finalize(st);
    }
    /* A copy is wanted as of the last of its model's events stored here. */
    char model[256] = "", sql[700];
    for (size_t i = 0; i < follow_model_prefixes_count; i++)
        snprintf(model + strlen(model), sizeof model - strlen(model), "%s'%s'", i ? ", " : "", follow_model_prefixes[i]);
    snprintf(sql, sizeof sql,
             "SELECT m.region, m.origin, m.snapshot_seq, (SELECT coalesce(max(seq), 0) FROM peer_events"
             " WHERE origin = m.origin AND region = m.region AND substr(type, 1, instr(type, '.')) IN (%s))"
             " FROM mirrors m WHERE m.peer = ?",
             model);
    for (size_t i = 0; i < fl->n; i++) {
        follower *f = &fl->peers[i];
        if (sqlite3_prepare_v2(cn_core_db(core), sql, -1, &st, NULL) != SQLITE_OK)
            continue;
        sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            copy *c = follow_copy_of(f, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1), true);
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
        origin_state *own = follow_origin_of(fl, f->name);
        f->sub = cn_fed_curve_client(zctx, ZMQ_SUB, f->public_key, public_key, secret_key);
        f->dealer = f->sub ? cn_fed_curve_client(zctx, ZMQ_DEALER, f->public_key, public_key, secret_key) : NULL;
        /* The watchers first, then the links (monitored from their first handshake). */
        if (!f->dealer || !(f->sub_watch = cn_zwatch_new(loop, f->sub, follow_on_event, f)) ||
            !(f->dealer_watch = cn_zwatch_new(loop, f->dealer, follow_on_sync_reply, f)) ||
            follow_link_connect(f, &f->events_link, zctx, f->sub, f->endpoint, "événements") != 0 ||
            follow_link_connect(f, &f->sync_link, zctx, f->dealer, f->sync, "rattrapage") != 0) {
            snprintf(err, errcap, "[peer.%s] : connexion impossible à %s / %s : %s", f->name, f->endpoint, f->sync,
                     cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
            cn_follow_stop(&fl);
            return -1;
        }
        cn_info("fédération : suit %s (%s), à partir de l'événement %lld", f->name, f->endpoint,
                (long long)(own ? own->last_seq : 0) + 1);
        char list[sizeof f->regions];
        snprintf(list, sizeof list, "%s", f->regions);
        for (char *save = NULL, *r = strtok_r(list, ", \t", &save); r; r = strtok_r(NULL, ", \t", &save)) {
            char owner[64];
            if (cn_core_region_owner(core, r, owner, sizeof owner) == CN_REGION_OWN)
                cn_error("fédération : [peer.%s] regions nomme %s, qui est aussi une région de ce nœud (la démo ?) : "
                         "les événements de %s pour elle seront refusés (concertctl federation status)",
                         f->name, r, f->name);
        }
        follow_request_sync(f, f->name); /* the replay first; live events after it are in order */
        follow_request_origins(f);       /* then the origins it relays */
        follow_request_snapshots(f);
    }
    if (fl->n && uv_timer_init(loop, &fl->timer) == 0) {
        fl->timer_inited = true;
        fl->timer.data = fl;
        uv_timer_start(&fl->timer, on_tick, TICK_MS, TICK_MS);
    }
    cn_core_set_copy_as_of_hook(core, copy_as_of, fl);
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
    cn_core_set_copy_as_of_hook(fl->core, NULL, NULL);
    if (fl->ops[0].name)
        cn_core_unregister(fl->core, &fl->ops[0]);
    for (size_t i = 0; i < fl->n; i++) {
        follower *f = &fl->peers[i];
        cn_zwatch_destroy(&f->sub_watch);
        cn_zwatch_destroy(&f->dealer_watch);
        follow_link_close(&f->events_link, f->sub);
        follow_link_close(&f->sync_link, f->dealer);
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

size_t cn_follow_count(const cn_follow *fl) { return fl ? fl->n : 0; }
