/* scheduler.h: what runs on the loop by the clock. Every [reminders]
 * check_every seconds (and once at start, to catch up with what came due
 * while the daemon was down) it runs echeance.remind as a command of its
 * own: one transaction, events published after the commit and delivered to
 * the plugins. When more is due than one run takes, it runs again at once. */
#ifndef CN_SCHEDULER_H
#define CN_SCHEDULER_H

#include <uv.h>

#include "core.h"
#include "plugin_host.h"

typedef struct cn_scheduler cn_scheduler;

/* Starts the timer on loop. core, host (may be NULL) and pub (may be NULL)
 * stay the caller's. Returns NULL when out of memory. */
cn_scheduler *cn_scheduler_new(uv_loop_t *loop, cn_core *core, cn_host *host, void *pub, long interval_ms);

/* Stops the timer; the loop must run afterwards for the handle to close,
 * which frees the scheduler. Nulls *sp; safe on NULL. */
void cn_scheduler_stop(cn_scheduler **sp);

#endif
