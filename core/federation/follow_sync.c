/* follow_sync.c: the answers of a peer's sync endpoint: pages of missed
 * events (stored like live ones), the origins it knows, and region
 * snapshots (applied as read-only copies by follow_copy.c). */
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
                follow_apply_snapshot(f, c, result);
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
