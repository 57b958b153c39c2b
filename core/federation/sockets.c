/* sockets.c: see sockets.h. */
#include "sockets.h"
#include "text.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

/* A link that stops carrying anything (a cable cut, a NAT that forgot the
 * connection, a frozen peer) is noticed in 15 s and made again. */
#define HEARTBEAT_MS 5000
#define HEARTBEAT_TIMEOUT_MS 15000
#define HANDSHAKE_MS 10000 /* a connection whose greeting was lost is dropped and made again */

int cn_federation_heartbeats(void *sock)
{
    int ivl = HEARTBEAT_MS, timeout = HEARTBEAT_TIMEOUT_MS;
    return zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl) != 0 ||
                   zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout) != 0 ||
                   zmq_setsockopt(sock, ZMQ_HEARTBEAT_TTL, &timeout, sizeof timeout) != 0
               ? -1
               : 0;
}

/* See sockets.h. */
void *cn_fed_curve_server(void *zctx, int type, const char *endpoint, const char *secret_key, const char *name,
                          char *err, size_t errcap)
{
    void *s = zmq_socket(zctx, type);
    int linger = 1000, on = 1;
    int64_t max = 1 << 20;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 || cn_federation_heartbeats(s) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVER, &on, sizeof on) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, secret_key, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, name, strlen(name)) != 0 || /* "events" or "sync": the ZAP handler tells them apart */
        (type == ZMQ_ROUTER && zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max) != 0)) {
        snprintf(err, errcap, "fédération : socket CURVE : %s (ZeroMQ sans libsodium ?)", cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
        if (s)
            zmq_close(s);
        return NULL;
    }
    if (zmq_bind(s, endpoint) != 0) {
        snprintf(err, errcap, "[federation] %s = %s : %s", name, endpoint, cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* See sockets.h. */
void *cn_fed_curve_client(void *zctx, int type, const char *server_key, const char *public_key, const char *secret_key)
{
    void *s = zmq_socket(zctx, type);
    int linger = 0, handshake = HANDSHAKE_MS;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 || cn_federation_heartbeats(s) != 0 ||
        zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_key, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, public_key, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, secret_key, 40) != 0 ||
        (type == ZMQ_SUB && zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0) != 0)) {
        if (s)
            zmq_close(s);
        return NULL;
    }
    return s;
}
