/* follow.h: this node following its peers ([peer.NAME] with endpoint and
 * sync): their events arrive on a SUB socket (CURVE client), are checked
 * (the origin is the peer, the region one it may publish), stored by
 * (origin, seq) in this node's event log exactly once (events.since
 * {origin} replays them), and published again on this node's bus. A gap in seq, the start, and a periodic check ask the
 * peer's sync endpoint for what follows the last seq stored (the ZeroMQ
 * Clone pattern: replay, then live), so nothing is lost or applied twice.
 * Op: federation.status.
 *
 * Owner: the federation (federation.c). */
#ifndef CN_FOLLOW_H
#define CN_FOLLOW_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "core.h"

typedef struct cn_follow cn_follow;

/* Starts following every declared peer that has an endpoint. *out may be
 * NULL when there is none. Returns 0, or -1 with why in err. */
int cn_follow_start(cn_follow **out, uv_loop_t *loop, void *zctx, cn_core *core, void *local_pub, void *fed_pub,
                    const cn_config *cfg, const char *public_key, const char *secret_key, char *err, size_t errcap);

/* federation.status's result: one map per followed peer (PROTOCOL.md). */
void cn_follow_pack_status(const cn_follow *fl, msgpack_packer *pk);

/* How many peers are followed (0 for NULL). */
size_t cn_follow_count(const cn_follow *fl);

/* Stops following; nulls *fp; safe on NULL. */
void cn_follow_stop(cn_follow **fp);

#endif
