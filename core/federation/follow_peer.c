/* follow_peer.c: one followed peer's state (where each origin stands, the
 * copies asked of it, refusals and errors, a peer cut off) and the requests
 * this node sends to its sync endpoint: catching up an origin page by page
 * (events.since), the origins it knows (events.origins), the snapshots of
 * the regions copied through it (region.snapshot). */
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "evlog.h"
#include "follow_peer.h"
#include "log.h"
#include "text.h"

/* The state of origin name (added, at 0, when new); NULL when out of memory. */
origin_state *follow_origin_of(cn_follow *fl, const char *name)
{
    for (size_t i = 0; i < fl->norigins; i++)
        if (strcmp(fl->origins[i].name, name) == 0)
            return &fl->origins[i];
    if (fl->norigins >= FOLLOW_MAX_ORIGINS)
        return NULL;
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
copy *follow_copy_find(cn_follow *fl, const char *region, follower **via)
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
copy *follow_copy_of(follower *f, const char *region, const char *origin, bool add)
{
    follower *via = NULL;
    copy *found = follow_copy_find(f->owner, region, &via);
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



/* A peer that sends what is not our protocol is not obeyed, nor listened
 * to any more: its sockets close until the daemon restarts (after the
 * peer is fixed). */
void follow_cut_off(follower *f, const char *why)
{
    if (f->cut)
        return;
    f->cut = true;
    f->refused++;
    snprintf(f->last_error, sizeof f->last_error, "coupé : %s", why);
    cn_error("fédération : %s coupé : %s ; il ne sera plus suivi avant un redémarrage", f->name, why);
}


void follow_refuse(follower *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->last_error, sizeof f->last_error, fmt, ap);
    va_end(ap);
    f->refused++;
    /* The same refusal comes with every event: said at the 1st, 10th, 100th… */
    int64_t n = f->refused;
    while (n >= 10 && n % 10 == 0)
        n /= 10;
    if (n == 1)
        cn_warn("fédération : %s : %s (%lld refus en tout)", f->name, f->last_error, (long long)f->refused);
}

void follow_mirrored_call(cn_core *core, const char *op, const msgpack_sbuffer *args, const char *actor,
                          cn_reply *reply)
{
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &frame, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, actor && *actor ? 5 : 4);
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kint(&pk, "id", 0);
    cn_pk_kstr(&pk, "op", op);
    if (actor && *actor)
        cn_pk_kstr(&pk, "actor", actor);
    cn_pk_str(&pk, "args");
    cn_pk_raw(&pk, args->data, args->size);
    cn_core_set_mirroring(core, true);
    cn_core_handle(core, frame.data, frame.size, reply);
    cn_core_set_mirroring(core, false);
    msgpack_sbuffer_destroy(&frame);
}

int follow_set_peer(cn_core *core, const char *region, const char *peer)
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

/* A cut peer's watches stop (inside a watch's own callback is safe: the
 * handles close after it); its sockets close with the federation. */
void follow_stop_if_cut(follower *f)
{
    if (!f->cut)
        return;
    cn_zwatch_destroy(&f->sub_watch);
    cn_zwatch_destroy(&f->dealer_watch);
    cn_zwatch_destroy(&f->events_link.watch);
    cn_zwatch_destroy(&f->sync_link.watch);
}

/* ---- requests to the peer's sync endpoint: catch-up and copies ------------------------ */

/* A request's envelope, up to its args (packed next by the caller). */
static void pack_request(msgpack_packer *pk, int64_t id, const char *op)
{
    msgpack_pack_map(pk, 4);
    cn_pk_kint(pk, "v", 1);
    cn_pk_kint(pk, "id", id);
    cn_pk_kstr(pk, "op", op);
    cn_pk_str(pk, "args");
}

static int send_packed(follower *f, msgpack_sbuffer *buf, const char *op);

static int send_request(follower *f, int64_t id, const char *op, const char *k1, const char *v1, const char *k2,
                        int64_t v2)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    pack_request(&pk, id, op);
    msgpack_pack_map(&pk, k2 ? 3 : k1 ? 1 : 0);
    if (k1)
        cn_pk_kstr(&pk, k1, v1);
    if (k2) {
        cn_pk_kint(&pk, k2, v2);
        cn_pk_kint(&pk, "limit", SYNC_PAGE);
    }
    return send_packed(f, &buf, op);
}

/* Sends buf (and frees it); why not in f->last_error. */
static int send_packed(follower *f, msgpack_sbuffer *buf, const char *op)
{
    int rc = zmq_send(f->dealer, buf->data, buf->size, ZMQ_DONTWAIT) >= 0 ? 0 : -1;
    if (rc != 0 && zmq_errno() == EAGAIN && !f->sync_link.up && f->sync_link.why[0])
        snprintf(f->last_error, sizeof f->last_error, "%s", f->sync_link.why); /* the link's reason says more */
    else if (rc != 0)
        snprintf(f->last_error, sizeof f->last_error, "%s impossible à demander : %s", op, cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
    msgpack_sbuffer_destroy(buf);
    return rc;
}

/* Asks what follows this node's last event of origin; one request out at a
 * time per peer, the other origins wait their turn. */
void follow_request_sync(follower *f, const char *origin)
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
    origin_state *o = follow_origin_of(f->owner, origin);
    if (!o)
        return;
    /* From the last event stored here, again: its time stamp shows a peer
     * that counts again from an older state (follow_receive.c). */
    int64_t since = o->last_seq > 0 ? o->last_seq - 1 : 0;
    if (send_request(f, ++f->sync_requests, "events.since", "origin", origin, "since", since) == 0) {
        f->sync_id = f->sync_requests;
        f->sync_had = o->last_seq;
        f->sync_asked++;
        f->sync_sent_ms = now;
        snprintf(f->sync_origin, sizeof f->sync_origin, "%s", origin);
    }
}

/* The next origin waiting for its catch-up, if any. */
void follow_next_sync(follower *f)
{
    if (!f->nwanted)
        return;
    char *origin = f->sync_wanted[0];
    memmove(f->sync_wanted, f->sync_wanted + 1, (f->nwanted - 1) * sizeof *f->sync_wanted);
    f->nwanted--;
    follow_request_sync(f, origin);
    free(origin);
}

/* Asks which origins the peer holds (its own and those it relays): a
 * node that lost its database, or never heard of a relayed origin, learns
 * there is something to catch up. */
void follow_request_origins(follower *f)
{
    if (f->cut)
        return;
    /* With what this node holds of each origin (`have`): the peer keeps in
     * its log what we have yet to get (its retention, node.compact). */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    pack_request(&pk, ORIGINS_ID_BASE + ++f->sync_requests, "events.origins");
    cn_follow *fl = f->owner;
    msgpack_pack_map(&pk, f->no_have ? 0 : 1);
    if (!f->no_have) {
        cn_pk_str(&pk, "have");
        msgpack_pack_map(&pk, fl->norigins);
        for (size_t i = 0; i < fl->norigins; i++)
            cn_pk_kint(&pk, fl->origins[i].name, fl->origins[i].last_seq);
    }
    send_packed(f, &buf, "events.origins");
}

/* Asks a copy of the regions that changed since theirs (one at a time). */
void follow_request_snapshots(follower *f)
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
