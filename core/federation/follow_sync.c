/* follow_sync.c: the answers of a peer's sync endpoint: pages of missed
 * events (stored like live ones), the origins it knows, and region
 * snapshots applied as read-only copies (region.mirror). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "evlog.h"
#include "follow_peer.h"
#include "log.h"
#include "mp.h"

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
        origin_state *o = follow_origin_of(f->owner, origin);
        if (o && head > o->last_seq)
            follow_request_sync(f, origin);
    }
}

/* The plugins are told, in the copy's transaction, that a copy changed
 * (region/copy.updated, not logged, not published): a peer's events come
 * before the copy they change, and what shows the copy (the web's pages)
 * reads it again now. */
static void tell_plugins(cn_core *core, const char *origin, const char *region, int64_t seq)
{
    msgpack_sbuffer data, event;
    msgpack_sbuffer_init(&data);
    msgpack_sbuffer_init(&event);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &data, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    cn_pk_kint(&pk, "seq", seq);
    msgpack_packer_init(&pk, &event, msgpack_sbuffer_write);
    cn_evlog_pack_event(&pk, seq, origin, now_ms(), region, "copy.updated", data.data, data.size, NULL);
    char topic[192];
    snprintf(topic, sizeof topic, "%s/copy.updated", region);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, event.data, event.size, NULL) == MSGPACK_UNPACK_SUCCESS)
        cn_core_foreign_event(core, &u.data, topic);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&data);
    msgpack_sbuffer_destroy(&event);
}

/* The message of a failed op's reply ("" when it has none). */
static void reply_message(const cn_reply *reply, char *out, size_t cap)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    out[0] = '\0';
    if (msgpack_unpack_next(&u, reply->buf.data, reply->buf.size, NULL) == MSGPACK_UNPACK_SUCCESS)
        str_of(get(get(&u.data, "error"), "message"), out, cap);
    msgpack_unpacked_destroy(&u);
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
        follow_refuse(f, "copie de la région %s refusée : elle se dit de %s, ses événements sont de %s", c->region,
               origin[0] ? origin : "?", c->origin);
        c->have_seq = c->want_seq; /* not asked again before its next change */
        return;
    }
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    const msgpack_object *ids = get(snap, "ids"); /* the owner's ids (none from an older peer) */
    msgpack_pack_map(&pk, ids ? 6 : 5);
    cn_pk_kstr(&pk, "origin", origin);
    cn_pk_kstr(&pk, "peer", f->name);
    cn_pk_kint(&pk, "seq", seq);
    cn_pk_str(&pk, "region");
    msgpack_pack_object(&pk, *region);
    cn_pk_str(&pk, "plans");
    msgpack_pack_object(&pk, *plans);
    if (ids) {
        cn_pk_str(&pk, "ids");
        msgpack_pack_object(&pk, *ids);
    }
    cn_reply reply;
    bool ok = false;
    if (cn_core_batch_begin(core) == 0) {
        follow_mirrored_call(core, "region.mirror", &args, NULL, &reply);
        if (reply.ok)
            tell_plugins(core, origin, c->region, seq);
        ok = reply.ok && cn_core_batch_commit(core, NULL) == 0;
        if (!reply.ok) {
            cn_core_batch_commit(core, NULL); /* the failed command's savepoint is already undone */
            char message[200];
            reply_message(&reply, message, sizeof message);
            follow_refuse(f, "copie de la région %s non appliquée : %s", c->region, message);
            c->have_seq = c->want_seq;
        }
        cn_reply_destroy(&reply);
    }
    msgpack_sbuffer_destroy(&args);
    if (ok) {
        c->snapshots++;
        c->have_seq = seq > 0 ? seq : c->want_seq;
        /* A relay whose own copy is behind its events: ask again in a while,
         * not at once. */
        c->retry_ms = c->have_seq < c->want_seq ? now_ms() + TICK_MS : 0;
        cn_debug("fédération : copie de %s à jour (événement %lld de %s)", c->region, (long long)seq, origin);
    }
}

int follow_apply_event(follower *f, copy *c, int64_t seq, const char *type, const msgpack_object *data,
                       const char *actor)
{
    cn_core *core = f->owner->core;
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kstr(&pk, "region", c->region);
    cn_pk_kint(&pk, "seq", seq);
    cn_pk_kstr(&pk, "type", type);
    cn_pk_str(&pk, "data");
    msgpack_pack_object(&pk, *data);
    cn_reply reply;
    follow_mirrored_call(core, "region.mirror_event", &args, actor, &reply);
    bool ok = reply.ok;
    if (ok) {
        c->applied++;
        tell_plugins(core, c->origin, c->region, seq);
    } else {
        char message[200];
        reply_message(&reply, message, sizeof message);
        cn_debug("fédération : copie de %s, %s n°%lld par un instantané : %s", c->region, type, (long long)seq,
                 message);
    }
    cn_reply_destroy(&reply);
    msgpack_sbuffer_destroy(&args);
    return ok ? 0 : -1;
}

void follow_take_sync_reply(follower *f, const void *data, size_t len)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (cn_mp_unpack(&u, data, len, &cn_mp_stored_limits) != CN_MP_OK || u.data.type != MSGPACK_OBJECT_MAP) {
        follow_cut_off(f, "une réponse illisible à son point de rattrapage");
        msgpack_unpacked_destroy(&u);
        return;
    }
    int64_t id = int_of(get(&u.data, "id"));
    const msgpack_object *ok = get(&u.data, "ok"), *result = get(&u.data, "result");
    bool good = ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
    char message[200] = "";
    str_of(get(get(&u.data, "error"), "message"), message, sizeof message);
    if (id > ORIGINS_ID_BASE) {
        char field[16] = "";
        str_of(get(get(&u.data, "error"), "field"), field, sizeof field);
        if (good)
            on_origins(f, result);
        else if (strcmp(field, "have") == 0 && !f->no_have) {
            f->no_have = true; /* a concertd from before the retention: asked again as it understands */
            follow_request_origins(f);
        } else
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
        follow_request_snapshots(f);
    } else {
        /* The answer to an older request than the last one sent (the link
         * came up again and asked again): its events are taken all the same,
         * but only the latest goes on asking, or every page would come twice. */
        bool latest = id == f->sync_id;
        if (latest)
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
            origin_state *o = follow_origin_of(f->owner, origin);
            /* The peer removed its old events (retention): the gap up to there
             * is no loss to ask again for; the regions come whole by snapshot. */
            if (o && int_of(get(result, "compacted_through")) > o->compacted_through) {
                o->compacted_through = int_of(get(result, "compacted_through"));
                if (o->compacted_through > o->last_seq)
                    cn_info("fédération : %s ne garde plus les événements de %s jusqu'au n° %lld (ce nœud en a jusqu'au "
                            "n° %lld) : les régions sont copiées d'après leur état",
                            f->name, origin, (long long)o->compacted_through, (long long)o->last_seq);
            }
            /* Its newest is behind what this node had of it when asking: it
             * counts again. (Not behind what came since by the events link:
             * the answer may have been made before those events were.) */
            if (latest && strcmp(origin, f->name) == 0 && strcmp(origin, f->sync_origin) == 0 && get(result, "head") &&
                int_of(get(result, "head")) < f->sync_had)
                follow_note_rewound(f, int_of(get(result, "head")) + 1, f->sync_had);
            const msgpack_object **list = calloc(events->via.array.size + 1, sizeof *list);
            for (uint32_t i = 0; list && i < events->via.array.size; i++)
                list[i] = &events->via.array.ptr[i];
            if (list)
                follow_store(f, list, events->via.array.size);
            free(list);
            more = m && m->type == MSGPACK_OBJECT_BOOLEAN && m->via.boolean;
            if (!f->cut && !f->rewound) /* those are said as long as they last */
                f->last_error[0] = '\0';
        } else {
            snprintf(f->last_error, sizeof f->last_error, "rattrapage refusé : %s", message);
        }
        if (latest && more && origin[0])
            follow_request_sync(f, origin);
        else if (latest)
            follow_next_sync(f);
    }
    msgpack_unpacked_destroy(&u);
}

void follow_on_sync_reply(cn_zwatch *w, void *sock, void *arg)
{
    (void)w;
    follower *f = arg;
    for (int k = 0; k < 16 && !f->cut; k++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        follow_heard(f);
        follow_take_sync_reply(f, zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
    }
    follow_stop_if_cut(f);
}
