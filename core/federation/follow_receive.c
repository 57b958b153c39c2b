/* follow_receive.c: a peer's events as they arrive: each checked (its
 * origin, a region it may publish, a seq not yet stored), stored in this
 * node's event log in its own savepoint, handed to the plugins, and
 * published again on the local bus and to this node's own peers once the
 * batch is committed. A gap asks the peer for what is missing; a change of
 * a copied region asks for its copy again. */
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "evlog.h"
#include "follow_peer.h"
#include "log.h"
#include "mp.h"
#include "stmt_cache.h"
#include "text.h"

/* Events that change a region's model: its copy is made again after them. */
const char *const follow_model_prefixes[] = {"region.", "plan.", "orientation.", "objective.", "action.", "indicator."};
const size_t follow_model_prefixes_count = sizeof follow_model_prefixes / sizeof follow_model_prefixes[0];

static bool changes_model(const char *type)
{
    for (size_t i = 0; i < follow_model_prefixes_count; i++)
        if (strncmp(type, follow_model_prefixes[i], strlen(follow_model_prefixes[i])) == 0)
            return true;
    return false;
}

static void publish(void *pub, const msgpack_object *topic, const msgpack_object *payload)
{
    if (pub && (zmq_send(pub, topic->via.str.ptr, topic->via.str.size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                zmq_send(pub, payload->via.bin.ptr, payload->via.bin.size, ZMQ_DONTWAIT) < 0))
        cn_debug("fédération, republication de %.*s : %s", (int)topic->via.str.size, topic->via.str.ptr,
                 cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
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

/* The owner erased its region for good (region.purged): the copy here goes
 * the same way, with the plugins' rows about it, in this transaction. */
static void purge_copy(cn_core *core, const char *region)
{
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    cn_pk_kstr(&pk, "id", region);
    cn_pk_str(&pk, "purge");
    msgpack_pack_true(&pk);
    cn_reply reply;
    follow_mirrored_call(core, "region.delete", &args, NULL, &reply);
    msgpack_sbuffer_destroy(&args);
    if (reply.ok)
        cn_info("fédération : la région %s est effacée par son propriétaire ; sa copie ici aussi", region);
    else
        cn_warn("fédération : la copie de %s n'a pu être effacée comme son propriétaire l'a fait", region);
    cn_reply_destroy(&reply);
}

/* One event (a map: seq, origin, ts, region, type, data) that came through
 * f, inside the caller's transaction. Returns 1 stored, 0 skipped (known,
 * looped back, refused), -1 on a database error, 2 when it leaves a gap
 * (not stored: a catch-up is asked). */
/* A peer's event is text as a request's is (UTF-8, no NUL, no key twice),
 * and its names fit where they are kept: refused whole, never cut. */
static bool well_formed(const msgpack_object *ev)
{
    char path[128];
    if (cn_mp_text_check(ev, path, sizeof path) != CN_TEXT_OK)
        return false;
    static const struct {
        const char *key;
        uint32_t max;
    } names[] = {{"origin", 63}, {"region", 63}, {"type", 95}, {"actor", 128}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const msgpack_object *o = get(ev, names[i].key);
        if (o && o->type == MSGPACK_OBJECT_STR && o->via.str.size > names[i].max)
            return false;
    }
    return true;
}

void follow_note_rewound(follower *f, int64_t from, int64_t have)
{
    if (f->rewound)
        return;
    f->rewound = true;
    snprintf(f->last_error, sizeof f->last_error,
             "%s numérote de nouveau ses événements à partir du n° %lld alors que ce nœud en a jusqu'au n° %lld "
             "(restauré d'une sauvegarde ?) : ses changements ne sont plus pris ici jusqu'au redémarrage de ce nœud ; "
             "ceux perdus là-bas sont dans le journal de ce nœud (concertctl events --origin %s)",
             f->name, (long long)from, (long long)have, f->name);
    cn_error("fédération : %s", f->last_error);
}

/* The time stamp of the event (origin, seq) stored here; -1 when none. */
static int64_t stored_ts(cn_core *core, const char *origin, int64_t seq)
{
    sqlite3_stmt *st;
    int64_t ts = -1;
    if (cn_stmt_get(cn_core_db(core), "SELECT ts_ms FROM events WHERE origin = ? AND seq = ?", &st) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    if (sqlite3_step(st) == SQLITE_ROW)
        ts = sqlite3_column_int64(st, 0);
    cn_stmt_done(st);
    return ts;
}

/* What the events of one page share: who holds the region of the last one,
 * as cn_core_region_owner says (most are of one region; dropped when an
 * event changes it), and the buffers each event is packed in. */
typedef struct {
    char region[64], owner[64];
    int held;
    bool valid;
    msgpack_sbuffer data, payload;
} page;

static int region_holder(cn_core *core, page *h, const char *region)
{
    if (!h->valid || strcmp(h->region, region) != 0) {
        h->held = cn_core_region_owner(core, region, h->owner, sizeof h->owner);
        snprintf(h->region, sizeof h->region, "%s", region);
        h->valid = h->held >= 0;
    }
    return h->held;
}

static int take(follower *f, const msgpack_object *ev, sqlite3_stmt *insert, page *h)
{
    cn_follow *fl = f->owner;
    if (!well_formed(ev)) {
        follow_cut_off(f, "un événement qui n'est pas du texte valide (UTF-8 sans NUL, clés uniques) ou dont un nom est "
                          "trop long");
        return 0;
    }
    char origin[64], region[64], type[96], actor[129];
    str_of(get(ev, "origin"), origin, sizeof origin);
    str_of(get(ev, "actor"), actor, sizeof actor); /* who made it, on its node */
    str_of(get(ev, "region"), region, sizeof region);
    str_of(get(ev, "type"), type, sizeof type);
    const msgpack_object *seq = get(ev, "seq"), *data = get(ev, "data");
    int64_t ts = int_of(get(ev, "ts"));
    if (!seq || seq->type != MSGPACK_OBJECT_POSITIVE_INTEGER || !origin[0] || !region[0] || !type[0] || !data ||
        data->type != MSGPACK_OBJECT_MAP) {
        follow_cut_off(f, "un événement sans seq, origine, région, type ou données");
        return 0;
    }
    int64_t s = (int64_t)seq->via.u64;
    if (strcmp(origin, cn_evlog_origin(cn_core_evlog(fl->core))) == 0)
        return 0; /* this node's own, come back around a loop */
    if (strcmp(origin, f->name) == 0 && s > f->head_seq) {
        f->head_seq = s;
        f->head_ts = ts;
    }
    origin_state *o = follow_origin_of(fl, origin);
    if (!o && fl->norigins >= FOLLOW_MAX_ORIGINS) {
        follow_cut_off(f, "plus de 4096 origines différentes (chaque événement une nouvelle ?)");
        return 0;
    }
    if (!o)
        return -1;
    /* Known already (live and replay overlap, or another path), or after a gap. */
    if (strcmp(origin, f->name) == 0 && f->rewound)
        return 0; /* its numbers mean other changes now: not taken (follow_note_rewound) */
    if (s <= o->last_seq) {
        int64_t known = strcmp(origin, f->name) == 0 ? stored_ts(fl->core, origin, s) : -1;
        if (known >= 0 && known != ts)
            follow_note_rewound(f, s, o->last_seq); /* not the event stored under that number */
        /* None stored under it: refused here (its seq taken all the same),
         * nothing to compare with. */
        return 0;
    }
    if (s > o->last_seq + 1 && s > o->compacted_through + 1) {
        follow_request_sync(f, origin);
        return 2;
    }
    int held = region_holder(fl->core, h, region);
    if (held < 0)
        return -1;
    const char *owner = held == CN_REGION_UNKNOWN ? "" : h->owner;
    bool own = strcmp(origin, f->name) == 0, refused = true;
    if (!region_allowed(f, region) && !own) {
        /* Relayed from a region this node does not follow through f: not
         * its business; another path may bring it (its seq stays free). */
        cn_debug("fédération : %s relaie %s/%s n°%lld de %s, hors de ses régions ici : ignoré", f->name, region, type,
                 (long long)s, origin);
        return 0;
    } else if (!region_allowed(f, region))
        follow_refuse(f, "%s n'est pas une région que %s publie ([peer.%s] regions = %s) : événement %s n°%lld de %s refusé",
               region, f->name, f->name, f->regions, type, (long long)s, origin);
    else if (held == CN_REGION_OWN)
        follow_refuse(f, "la région %s est à ce nœud-ci : l'événement %s n°%lld de %s est refusé", region, type,
               (long long)s, origin);
    else if (held == CN_REGION_COPY && strcmp(owner, origin) != 0)
        follow_refuse(f, "la région %s appartient à %s : l'événement %s n°%lld de %s est refusé", region, owner, type,
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
        h->valid = false;
    }
    msgpack_sbuffer *buf = &h->data;
    msgpack_sbuffer_clear(buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, *data);
    sqlite3_reset(insert);
    sqlite3_bind_text(insert, 1, origin, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 2, s);
    sqlite3_bind_int64(insert, 3, ts);
    sqlite3_bind_text(insert, 4, region, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 5, type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 6, buf->data, (int)buf->size, SQLITE_TRANSIENT);
    if (actor[0])
        sqlite3_bind_text(insert, 7, actor, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(insert) == SQLITE_DONE ? 1 : -1;
    if (rc == 1) {
        o->last_seq = s;
        o->last_ts = ts;
        f->received++;
        char topic[192];
        snprintf(topic, sizeof topic, "%s/%s", region, type);
        msgpack_sbuffer *payload = &h->payload;
        msgpack_sbuffer_clear(payload);
        msgpack_packer pp;
        msgpack_packer_init(&pp, payload, msgpack_sbuffer_write);
        cn_evlog_pack_event(&pp, s, origin, ts, region, type, buf->data, buf->size, actor[0] ? actor : NULL);
        /* This node's plugins get it in the same transaction (decoded again
         * only when one of them wants it). */
        if (cn_core_foreign_wanted(fl->core, topic)) {
            msgpack_unpacked u;
            msgpack_unpacked_init(&u);
            if (msgpack_unpack_next(&u, payload->data, payload->size, NULL) == MSGPACK_UNPACK_SUCCESS)
                cn_core_foreign_event(fl->core, &u.data, topic);
            msgpack_unpacked_destroy(&u);
        }
        /* Published again here once committed, as it came (origin kept),
         * for this node's clients and the peers that follow it (relay). */
        msgpack_packer op;
        msgpack_packer_init(&op, &f->outbox, msgpack_sbuffer_write);
        cn_pk_str(&op, topic);
        msgpack_pack_bin(&op, payload->size);
        msgpack_pack_bin_body(&op, payload->data, payload->size);
        f->nout++;
        if (strcmp(type, "region.purged") == 0) {
            if (held == CN_REGION_COPY)
                purge_copy(fl->core, region);
            h->valid = false;
            return rc;
        }
        /* A change of the model: applied to the copy when the copy is up to
         * date until it (no snapshot wanted or out); else the copy is made
         * again, asked of the peer that brought it. Otherwise a copy is
         * only wanted once. */
        follower *via = NULL;
        copy *c = follow_copy_find(fl, region, &via);
        bool model = changes_model(type);
        if (!c || model) {
            bool moves = c && via != f;
            c = follow_copy_of(f, region, origin, true);
            if (moves && follow_set_peer(fl->core, region, f->name) != 0) /* a hint for the next start only */
                cn_warn("fédération : copie de %s : %s", region, sqlite3_errmsg(cn_core_db(fl->core)));
        }
        if (c && model && s > c->want_seq) {
            bool current = c->have_seq > 0 && c->have_seq >= c->want_seq && !c->asked_id;
            if (current && s > c->have_seq && follow_apply_event(f, c, s, type, data, actor) == 0)
                c->have_seq = s;
            c->want_seq = s;
        } else if (c && c->want_seq == 0) {
            c->want_seq = 1;
        }
    }
    return rc;
}

typedef struct {
    follower *f;
    const msgpack_object *event;
    sqlite3_stmt *insert;
    page page;
} taking;

static int take_one(void *arg)
{
    taking *t = arg;
    return take(t->f, t->event, t->insert, &t->page) < 0 ? -1 : 0;
}

/* Takes a list of events in one transaction. */
void follow_store(follower *f, const msgpack_object *const *events, size_t n)
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
                           "INSERT OR IGNORE INTO peer_events(origin, seq, ts_ms, region, type, data, actor) VALUES (?,?,?,?,?,?,?)", -1,
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
    if (before && nbefore) /* no origin yet: fl->origins is NULL, and memcpy(…, NULL, 0) undefined */
        memcpy(before, fl->origins, nbefore * sizeof *before);
    taking t = {f, NULL, insert, {.valid = false}};
    msgpack_sbuffer_init(&t.page.data);
    msgpack_sbuffer_init(&t.page.payload);
    for (size_t i = 0; before && i < n && !f->cut; i++) {
        t.event = events[i];
        if (cn_core_in_savepoint(core, take_one, &t) != 0) {
            cn_error("fédération : événement de %s non enregistré : %s", f->name, sqlite3_errmsg(cn_core_db(core)));
            break;
        }
    }
    sqlite3_finalize(insert);
    msgpack_sbuffer_destroy(&t.page.data);
    msgpack_sbuffer_destroy(&t.page.payload);
    bool committed = cn_core_batch_commit(core, fl->local_pub) == 0;
    flush_outbox(f, committed);
    if (!committed && before) {
        if (nbefore)
            memcpy(fl->origins, before, nbefore * sizeof *before);
        fl->norigins = nbefore;
    }
    /* Nothing of the batch stored: the events applied to copies are not
     * either, and come again; the copies are made again from snapshots. */
    for (size_t i = 0; !committed && i < f->ncopies; i++)
        f->copies[i].have_seq = 0;
    free(before);
    follow_request_snapshots(f);
}

/* ---- live: the SUB socket ---------------------------------------------------------- */

void follow_take_event(follower *f, const void *data, size_t len)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (cn_mp_unpack(&u, data, len, &cn_mp_stored_limits) == CN_MP_OK && u.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *ev = &u.data;
        follow_store(f, &ev, 1);
    } else {
        follow_cut_off(f, "un message qui n'est pas un événement (msgpack illisible ou trames en trop)");
    }
    msgpack_unpacked_destroy(&u);
}

void follow_on_event(cn_zwatch *w, void *sock, void *arg)
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
        follow_heard(f);
        if (two)
            follow_take_event(f, zmq_msg_data(&payload), zmq_msg_size(&payload));
        else
            follow_cut_off(f, "un message qui n'est pas un événement (msgpack illisible ou trames en trop)");
        zmq_msg_close(&topic);
        zmq_msg_close(&payload);
        if (f->cut)
            break;
    }
    follow_stop_if_cut(f);
}
