/* scheduler.h: what runs on the loop by the clock. Every [reminders]
 * check_every seconds (and once at start, to catch up with what came due
 * while the daemon was down) it runs echeance.remind as a command of its
 * own: one transaction, events published after the commit and delivered to
 * the plugins. When more is due than one run takes, it runs again at once. */
#ifndef CN_SCHEDULER_H
#define CN_SCHEDULER_H

#include <uv.h>

#include "core.h"

typedef struct cn_scheduler cn_scheduler;

/* Runs after each tick's commands (the daemon hands their events to the
 * plugins there). */
typedef void (*cn_scheduler_after_fn)(void *data);

/* Starts the timer on loop. core and pub (may be NULL) stay the caller's;
 * after (may be NULL) runs after every tick. Returns NULL when out of memory. */
cn_scheduler *cn_scheduler_new(uv_loop_t *loop, cn_core *core, void *pub, long interval_ms, cn_scheduler_after_fn after,
                               void *after_data);

/* Stops the timer; the loop must run afterwards for the handle to close,
 * which frees the scheduler. Nulls *sp; safe on NULL. */
void cn_scheduler_stop(cn_scheduler **sp);

#endif
