/* federation.h: the node's endpoint for peer nodes, secured with ZeroMQ's
 * CURVE: this node's key pair (made by `concertctl keygen FILE`, named by
 * [federation] key_file), a PUB socket where peers receive this node's
 * events ([federation] events), a ROUTER where they catch up with
 * events.since ([federation] sync), and a ZAP handler that lets in only the
 * public keys of the peers the configuration declares ([peer.NAME]
 * public_key), refusing and logging any other. It also follows the peers
 * that have an endpoint (follow.h).
 *
 * Owner: the server; the ZeroMQ context is the server's. */
#ifndef CN_FEDERATION_H
#define CN_FEDERATION_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "core.h"

typedef struct cn_federation cn_federation;

/* Opens the federation endpoint when the configuration has a [federation]
 * section: *out is then the federation, else NULL (not an error). Returns
 * 0, or -1 with a message a person can act on in err. */
int cn_federation_open(cn_federation **out, uv_loop_t *loop, void *zctx, cn_core *core, void *local_pub,
                       const cn_config *cfg, char *err, size_t errcap);

/* The PUB socket peers subscribe to (CURVE server). */
void *cn_federation_pub(cn_federation *fed);

/* The ROUTER socket where peers ask events.since to catch up ([federation]
 * sync; CURVE server, the same ZAP check). The server answers on it. */
void *cn_federation_sync(cn_federation *fed);

/* Sets ZMTP heartbeats on a federation socket (either side), so a dead
 * link is dropped and made again. Returns 0 or -1 (errno from ZeroMQ). */
int cn_federation_heartbeats(void *sock);

/* Closes the sockets and the ZAP handler; nulls *fedp; safe on NULL. */
void cn_federation_close(cn_federation **fedp);

#endif
