/* own_command.h: an op the daemon runs by itself, by the clock (the
 * reminders' echeance.remind, the retention's node.compact): a command of
 * its own, one transaction, its events published after the commit. */
#ifndef CN_OWN_COMMAND_H
#define CN_OWN_COMMAND_H

#include <msgpack.h>

#include "core.h"

/* Called with the op's result map when it succeeded. */
typedef void (*cn_own_result_fn)(const msgpack_object *result, void *data);

/* Runs frame (an encoded request) on core; pub (may be NULL) publishes its
 * events. Returns 1 when the result says "more" (run it again), 0 when
 * done, -1 when it failed: logged as "WHAT : message (RETRY)". fn (may be
 * NULL) sees the result. */
int cn_own_command(cn_core *core, const char *frame, size_t len, void *pub, const char *what, const char *retry,
                   cn_own_result_fn fn, void *data);

#endif
