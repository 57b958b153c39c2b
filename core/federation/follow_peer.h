/* follow_peer.h: a followed peer, and what the files that follow peers
 * share: follow_peer.c keeps each peer's state and asks it for what is
 * missing, follow_receive.c takes and stores its events, follow_sync.c
 * reads the answers of its sync endpoint, follow.c starts and stops it all.
 * Private to them. */
#ifndef CN_FOLLOW_PEER_H
#define CN_FOLLOW_PEER_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "core.h"
#include "follow.h"
#include "follow_link.h"
#include "mp.h"
#include "follow_link.h"
#include "zwatch.h"


#define SYNC_PAGE 500
#define TICK_MS 1000            /* copies that wait are asked again at this pace */
#define CHECK_EVERY_TICKS 30    /* a quiet peer is asked for what may have been dropped */
#define SYNC_PATIENCE_MS 10000
#define SNAPSHOT_ID_BASE (1LL << 40) /* request ids above it are snapshots */
#define ORIGINS_ID_BASE (1LL << 41)  /* and above this one, events.origins */

/* Where this node stands with one origin's events (any peer may bring them). */
typedef struct origin_state {
    char name[64];
    int64_t last_seq, last_ts;
    int64_t compacted_through; /* the peer's log no longer holds its events up to this one (retention) */
} origin_state;

/* A region of another node this node holds a copy of, through one peer. */
typedef struct copy {
    char region[64], origin[64];
    int64_t want_seq;  /* the origin's last event that changed it, stored here */
    int64_t have_seq;  /* the origin's event the copy is as of (0: none yet) */
    int64_t asked_id;  /* a snapshot request is out (0: none) */
    int64_t asked_ms;
    int64_t retry_ms;  /* a relay's copy was behind: not asked again before */
    int64_t snapshots; /* snapshots applied since the start */
    int64_t applied;   /* the owner's events applied to it since the start (no snapshot) */
} copy;

typedef struct follower {
    struct cn_follow *owner;
    char name[64], endpoint[256], sync[256], public_key[41], regions[512];
    void *sub, *dealer;
    cn_zwatch *sub_watch, *dealer_watch;
    follow_link events_link, sync_link; /* what their monitors say */
    char sync_origin[64];     /* the origin whose catch-up is out */
    int64_t sync_sent_ms;     /* a catch-up request is out since then (0: none) */
    int64_t sync_id;          /* the id of the last catch-up request sent */
    int64_t sync_had;         /* the last event of sync_origin stored here when it was sent */
    int64_t sync_asked;       /* catch-up requests (pages) sent, for federation.status */
    char **sync_wanted;       /* origins to catch up after it */
    bool no_have;             /* a peer of an older version refused events.origins' `have` */
    size_t nwanted;
    int64_t head_seq, head_ts; /* the peer's own newest event, as far as known */
    int64_t last_contact_ms, received, refused, sync_requests, snapshots;
    copy *copies;
    size_t ncopies;
    msgpack_sbuffer outbox;   /* topic, payload, …: published once the batch is committed */
    size_t nout;
    bool cut; /* it sent what cannot be read: no longer followed until a restart */
    bool rewound; /* it numbers its events again from an older state (said once) */
    bool silent;  /* not heard from for silent_after: peer_silent said, peer_back to come */
    int64_t silent_since_ms, alive_ms; /* alive: its links up (heartbeats), last seen so */
    char last_error[768];
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
    char node_id[64], public_key[41]; /* this node's, for what peers must declare */
    int64_t started_ms, silent_after_ms; /* [federation] silent_after (0: never said) */
};

static inline int64_t now_ms(void)
{
    uv_timeval64_t tv;
    uv_gettimeofday(&tv);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static inline bool region_allowed(const follower *f, const char *region)
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

static inline void str_of(const msgpack_object *o, char *out, size_t cap) { cn_mp_str_copy(o, out, cap); }

static inline const msgpack_object *get(const msgpack_object *map, const char *key)
{
    return cn_mp_get(map, key);
}

static inline int64_t int_of(const msgpack_object *o)
{
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)o->via.u64 : 0;
}
/* The copy of region, whichever peer it is asked of; *via is that peer. */
copy *follow_copy_find(cn_follow *fl, const char *region, follower **via);

/* The copy of region, asked of f from now on (moved from another peer if
 * need be: the one that brought the last change knows it). */
copy *follow_copy_of(follower *f, const char *region, const char *origin, bool add);

/* A peer that sends what is not our protocol is not obeyed, nor listened
 * to any more: its sockets close until the daemon restarts (after the
 * peer is fixed). */
void follow_cut_off(follower *f, const char *why);

/* The peer numbers its own events again from an older state (restored
 * from a backup): its event from has another time stamp than the one
 * stored here, or its newest is below have. Said once (ERROR, last_error);
 * its events are no longer taken until this node restarts. */
void follow_note_rewound(follower *f, int64_t from, int64_t have);

/* follow_silence.c: each tick, whether f has been silent for silent_after;
 * follow_heard at every answer or event from it (the contact's time). */
void follow_silence_tick(follower *f, int64_t now);
void follow_heard(follower *f);

/* The next origin waiting for its catch-up, if any. */
void follow_next_sync(follower *f);

/* The watchers of a peer's SUB socket (live events, follow_receive.c) and
 * of its sync DEALER (answers, follow_sync.c); arg is the follower. */
void follow_on_event(cn_zwatch *w, void *sock, void *arg);
void follow_on_sync_reply(cn_zwatch *w, void *sock, void *arg);
/* One message as it came (the payload of a live event; one reply of the
 * sync endpoint): what the two watchers above do with each, also the
 * entry of the peer fuzzer (tests/fuzz/fuzz_peer.c). */
void follow_take_event(follower *f, const void *data, size_t len);
void follow_take_sync_reply(follower *f, const void *data, size_t len);

/* The origins a node keeps track of, at most: a federation of tables has
 * a few dozen nodes; a peer that names more (every event a new origin) is
 * cut off rather than let grow this node's memory. */
#define FOLLOW_MAX_ORIGINS 4096

/* The state of origin name (added, at 0, when new); NULL when out of
 * memory or when FOLLOW_MAX_ORIGINS are known already. */
origin_state *follow_origin_of(cn_follow *fl, const char *name);

/* Logs and counts an event refused from f (its reason in words). */
void follow_refuse(follower *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Asks which origins the peer holds (its own and those it relays): a
 * node that lost its database, or never heard of a relayed origin, learns
 * there is something to catch up. */
void follow_request_origins(follower *f);

/* Asks a copy of the regions that changed since theirs (one at a time). */
void follow_request_snapshots(follower *f);

/* Replaces c with the peer's snapshot (region.mirror), in its own
 * transaction (follow_copy.c). */
void follow_apply_snapshot(follower *f, copy *c, const msgpack_object *snap);

/* Applies the owner's event seq to c (region.mirror_event), in the caller's
 * savepoint; 0 when done, -1 when the copy needs a new snapshot instead. */
int follow_apply_event(follower *f, copy *c, int64_t seq, const char *type, const msgpack_object *data,
                       const char *actor);

/* Asks what follows this node's last event of origin; one request out at a
 * time per peer, the other origins wait their turn. */
void follow_request_sync(follower *f, const char *origin);

/* Runs op (args: one packed msgpack map) on the core as the federation
 * does: in mirroring mode, inside the caller's batch, as actor (who made the
 * change on its node; NULL: nobody named). The caller destroys reply
 * (cn_reply_destroy). */
void follow_mirrored_call(cn_core *core, const char *op, const msgpack_sbuffer *args, const char *actor,
                          cn_reply *reply);

/* Records in mirrors that region's copy comes through peer. */
int follow_set_peer(cn_core *core, const char *region, const char *peer);

/* A cut peer's watches stop (inside a watch's own callback is safe: the
 * handles close after it); its sockets close with the federation. */
void follow_stop_if_cut(follower *f);

/* The event types that change a region's model (its copy is asked again). */
extern const char *const follow_model_prefixes[];
extern const size_t follow_model_prefixes_count;

/* Takes a list of events in one transaction. */
void follow_store(follower *f, const msgpack_object *const *events, size_t n);

#endif
