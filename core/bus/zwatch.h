/* zwatch.h: runs a callback on the libuv loop whenever a ZeroMQ socket may
 * have messages to read.
 *
 * ZMQ_FD is edge-triggered and a readable fd does not mean a message is
 * there, so a plain uv_poll_t hangs. The watcher follows flux-core's
 * zwatcher: a prepare handle looks at ZMQ_EVENTS before the loop blocks;
 * if a message is already queued it starts an idle handle so the loop does
 * not block; ZMQ_FD is polled all along (to wake the loop when it blocks);
 * a check handle, after the loop wakes, stops the idle handle and calls
 * the callback when the prepare handle saw a message or ZMQ_FD woke the
 * loop — not after ZMQ_EVENTS again, as flux-core does: the callback's
 * first read asks what it would. So the callback may find nothing to read;
 * it must drain in bounded batches (ZMQ_DONTWAIT); whatever is left is seen
 * at the next prepare. */
#ifndef CN_ZWATCH_H
#define CN_ZWATCH_H

#include <uv.h>

typedef struct cn_zwatch cn_zwatch;
typedef void (*cn_zwatch_cb)(cn_zwatch *w, void *sock, void *arg);

/* Creates and starts a watcher for sock's readable messages. The socket
 * stays the caller's. Returns NULL on failure. Destroy with
 * cn_zwatch_destroy(); the memory is freed once libuv has closed the
 * handles, so the loop must run after that call. */
cn_zwatch *cn_zwatch_new(uv_loop_t *loop, void *sock, cn_zwatch_cb cb, void *arg);

/* Stops the watcher and closes its handles; nulls *wp; safe on NULL. */
void cn_zwatch_destroy(cn_zwatch **wp);

#endif
