/* follow_copy.c: a read-only copy of a peer's region kept here: made
 * whole from the peer's snapshot (region.mirror), then kept up to date by
 * its owner's events (region.mirror_event) until one needs a new snapshot;
 * after either, this node's plugins are told (<region>/copy.updated). */
#include <stdio.h>
#include <string.h>

#include "evlog.h"
#include "follow_peer.h"
#include "log.h"
#include "mp.h"

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
void follow_apply_snapshot(follower *f, copy *c, const msgpack_object *snap)
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
