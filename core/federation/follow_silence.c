/* follow_silence.c: a followed peer not heard from for [federation]
 * silent_after seconds (default a day) — no event, no answer, and its links
 * down (while they are up, ZMTP heartbeats prove it alive) — is said: WARN in the log, and federation.peer_silent
 * handed to this node's plugins in each region it brings, so that notify can
 * e-mail the national staff subscribed to them; federation.peer_back when it
 * is heard again. These are this node's view of a link, not changes of a
 * plan: handed to the plugins (as copy.updated is), not logged as events. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "follow_peer.h"
#include "log.h"

/* Hands type to the plugins in each region f brings, in one transaction. */
static void hand(follower *f, const char *type, int64_t last_contact)
{
    cn_follow *fl = f->owner;
    char regions[64][64];
    size_t n = 0;
    for (size_t i = 0; i < f->ncopies && n < 64; i++)
        snprintf(regions[n++], sizeof regions[0], "%s", f->copies[i].region);
    char list[sizeof f->regions];
    snprintf(list, sizeof list, "%s", f->regions);
    for (char *save = NULL, *r = strtok_r(list, ", \t", &save); r && n < 64; r = strtok_r(NULL, ", \t", &save)) {
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(regions[i], r) == 0;
        if (!known)
            snprintf(regions[n++], sizeof regions[0], "%s", r);
    }
    if (!n || cn_core_batch_begin(fl->core) != 0)
        return;
    int64_t now = now_ms();
    for (size_t i = 0; i < n; i++) {
        msgpack_sbuffer data, event;
        msgpack_sbuffer_init(&data);
        msgpack_sbuffer_init(&event);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &data, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 4);
        cn_pk_kstr(&pk, "peer", f->name);
        cn_pk_str(&pk, "last_contact_ms");
        if (f->last_contact_ms)
            msgpack_pack_int64(&pk, f->last_contact_ms);
        else
            msgpack_pack_nil(&pk);
        cn_pk_kint(&pk, "since_ms", last_contact); /* silent since: the episode's key */
        cn_pk_kint(&pk, "silent_after_s", fl->silent_after_ms / 1000);
        msgpack_packer_init(&pk, &event, msgpack_sbuffer_write);
        cn_evlog_pack_event(&pk, 0, fl->node_id, now, regions[i], type, data.data, data.size, NULL);
        char topic[192];
        snprintf(topic, sizeof topic, "%.63s/%.96s", regions[i], type);
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, event.data, event.size, NULL) == MSGPACK_UNPACK_SUCCESS)
            cn_core_foreign_event(fl->core, &u.data, topic);
        msgpack_unpacked_destroy(&u);
        msgpack_sbuffer_destroy(&data);
        msgpack_sbuffer_destroy(&event);
    }
    cn_core_batch_commit(fl->core, NULL);
}

static void back(follower *f)
{
    f->silent = false;
    cn_info("fédération : %s donne de nouveau des nouvelles : federation.peer_back", f->name);
    hand(f, "federation.peer_back", f->silent_since_ms);
}

void follow_silence_tick(follower *f, int64_t now)
{
    cn_follow *fl = f->owner;
    if (f->events_link.up && f->sync_link.up) {
        f->alive_ms = now;
        if (f->silent)
            back(f);
        return;
    }
    int64_t heard = f->last_contact_ms > f->alive_ms ? f->last_contact_ms : f->alive_ms;
    if (!heard)
        heard = fl->started_ms;
    if (f->silent || f->cut || fl->silent_after_ms <= 0 || now - heard < fl->silent_after_ms)
        return;
    f->silent = true;
    f->silent_since_ms = heard;
    char when[32] = "jamais depuis le démarrage";
    if (f->last_contact_ms) {
        time_t t = (time_t)(f->last_contact_ms / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    }
    cn_warn("fédération : %s ne donne plus de nouvelles depuis %lld s (dernier contact : %s ; [federation] "
            "silent_after = %lld) : federation.peer_silent",
            f->name, (long long)((now - heard) / 1000), when, (long long)(fl->silent_after_ms / 1000));
    hand(f, "federation.peer_silent", heard);
}

void follow_heard(follower *f)
{
    f->last_contact_ms = now_ms();
    if (f->silent)
        back(f);
}
