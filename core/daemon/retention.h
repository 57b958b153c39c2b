/* retention.h: the event log's retention, by the clock. With [storage]
 * keep_events_days set, node.compact runs a minute after the start and then
 * every six hours, as a command of its own, a bounded chunk per turn of the
 * loop until nothing more can go (ops_compact.c says what never goes). */
#ifndef CN_RETENTION_H
#define CN_RETENTION_H

#include <uv.h>

#include "core.h"

typedef struct cn_retention cn_retention;

/* NULL (nothing to do) when cfg's keep_events_days is 0, or out of memory
 * (*failed set). core stays the caller's. */
cn_retention *cn_retention_start(uv_loop_t *loop, cn_core *core, bool *failed);

/* Stops it; the loop must run afterwards to free it. Nulls *rp; safe on NULL. */
void cn_retention_stop(cn_retention **rp);

#endif
