/* server.h: the daemon's sockets. A ROUTER takes requests (clients use
 * DEALER or REQ), a PUB publishes events. Requests are read in batches of
 * at most CN_BATCH_MAX: the whole batch is one transaction (a failing
 * command undone alone: by its savepoint, or by the batch undone and
 * handled again — core.h), committed with one fsync, and only then are the
 * replies sent and the events published. */
#ifndef CN_SERVER_H
#define CN_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "core.h"
#include "stats.h"

#define CN_BATCH_MAX 256

typedef struct cn_server cn_server;

/* Called after each batch, once its replies are sent (the daemon hands the
 * committed events to the plugins there). */
typedef void (*cn_server_after_fn)(void *data);

/* Binds the endpoints of cfg and starts watching the ROUTER on loop. core
 * and cfg stay the caller's; after (may be NULL) runs after every batch.
 * Returns NULL with a message in err. */
cn_server *cn_server_new(uv_loop_t *loop, cn_core *core, const cn_config *cfg, cn_server_after_fn after,
                         void *after_data, char *err, size_t errcap);

/* Also serves requests arriving on sock (the caller's; it stays open
 * until cn_server_stop), whose clients may call only ops (NULL-terminated,
 * static): any other op is refused as forbidden with the refusal text (one
 * such socket: the federation's sync endpoint). Returns 0 or -1. */
int cn_server_serve_limited(cn_server *srv, void *sock, const char *const *ops, const char *refusal_fr,
                            const char *refusal_en);

/* Answers what is already queued, then stops watching the sockets (the
 * limited one may then be closed by its owner). Safe twice. */
void cn_server_stop(cn_server *srv);

/* Stops (cn_server_stop), then closes the sockets and the ZeroMQ context
 * (replies get up to a second to leave): every other socket of the
 * context must be closed by then. The loop must run afterwards so the
 * watchers' handles close. Nulls *srvp; safe on NULL. */
void cn_server_destroy(cn_server **srvp);

/* The PUB socket, for events published outside a request (demo load). */
void *cn_server_pub(cn_server *srv);

/* Tells fn(data, user, frame, len) who each request on the limited socket
 * comes from — the User-Id its ZAP handler gave the connection (a peer's
 * name) — and what it asked (the request frame, not yet checked). */
typedef void (*cn_server_seen_fn)(void *data, const char *user, const void *frame, size_t len);
void cn_server_on_limited_request(cn_server *srv, cn_server_seen_fn fn, void *data);

/* What the bus has measured since the start (stats.h). */
const cn_bus_stats *cn_server_stats(const cn_server *srv);

/* The ZeroMQ context, for the sockets of the federation. */
void *cn_server_zctx(cn_server *srv);

#endif
