/* sockets.h: the CURVE sockets of both ends of a federation link, with
 * the options every such socket carries: ZMTP heartbeats (a link that
 * carries nothing any more is dropped and made again) and, on the
 * following side, a handshake deadline. */
#ifndef CN_FED_SOCKETS_H
#define CN_FED_SOCKETS_H

#include <stddef.h>

/* Sets ZMTP heartbeats on a federation socket (either side), so a dead
 * link is dropped and made again. Returns 0 or -1 (errno from ZeroMQ). */
int cn_federation_heartbeats(void *sock);

/* A socket of type bound at endpoint, CURVE server with this node's secret
 * key, its handshakes checked by the ZAP handler ([federation] name, in
 * messages). NULL with err filled. */
void *cn_fed_curve_server(void *zctx, int type, const char *endpoint, const char *secret_key, const char *name,
                          char *err, size_t errcap);

/* A socket of type, CURVE client of the peer whose public key is
 * server_key (a SUB subscribes to everything), not connected yet: its
 * monitor is set first (follow_link.c). NULL on error (zmq_errno() says why). */
void *cn_fed_curve_client(void *zctx, int type, const char *server_key, const char *public_key, const char *secret_key);

#endif
