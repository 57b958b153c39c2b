/* server.h: the daemon's sockets. A ROUTER takes requests (clients use
 * DEALER or REQ), a PUB publishes events. Requests are read in batches of
 * at most CN_BATCH_MAX: the whole batch is one transaction (each command in
 * its own savepoint), committed with one fsync, and only then are the
 * replies sent and the events published. */
#ifndef CN_SERVER_H
#define CN_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "core.h"
#include "plugin_host.h"

#define CN_BATCH_MAX 256

typedef struct cn_server cn_server;

/* Binds the endpoints of cfg and starts watching the ROUTER on loop. core
 * and cfg stay the caller's. Returns NULL with a message in err. */
/* host (may be NULL) gets the committed events of every batch. */
cn_server *cn_server_new(uv_loop_t *loop, cn_core *core, cn_host *host, const cn_config *cfg, char *err,
                         size_t errcap);

/* Answers what is already queued, then closes the sockets (replies get up
 * to a second to leave). The loop must run afterwards so the watcher's
 * handles close. Nulls *srvp; safe on NULL. */
void cn_server_destroy(cn_server **srvp);

/* The PUB socket, for events published outside a request (demo load). */
void *cn_server_pub(cn_server *srv);

#endif
