/* follow_link.h: the two links to a followed peer (its events endpoint and
 * its sync endpoint), as their ZeroMQ monitors tell them: up, lost and why,
 * this node's key refused. Each change is logged once (WARN when a link is
 * lost or refused, with what to do; INFO when it is back) and kept for
 * federation.status. */
#ifndef CN_FOLLOW_LINK_H
#define CN_FOLLOW_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "zwatch.h"

typedef struct follow_link {
    const char *what;      /* "événements" or "rattrapage", in messages */
    void *monitor;         /* the PAIR end of zmq_socket_monitor */
    cn_zwatch *watch;
    bool up;               /* a handshake succeeded and the link has not dropped since */
    bool ever_up;          /* since the start */
    int64_t handshakes;
    int64_t since_ms;      /* up, or down, since (0: never up) */
    char why[768];         /* why it is down, in words ("" when up or not known yet) */
    void *sock;            /* the link's socket and where it connects */
    const char *endpoint;
    int64_t retry_at_ms;   /* refused: ZeroMQ does not try again by itself, this does then */
    int64_t retry_after_ms; /* the next wait, doubled at each refusal up to 5 min */
} follow_link;

struct follower;

/* Watches sock through a monitor named after the peer (set before sock
 * connects, so that the first handshake is seen), then connects sock to
 * endpoint. Returns 0, or -1 (zmq_errno() says why). */
int follow_link_connect(struct follower *f, follow_link *l, void *zctx, void *sock, const char *endpoint,
                        const char *what);

/* Every second (follow.c's tick): a link the peer refused is connected
 * again when its wait is over (the peer may have declared our key since). */
void follow_link_tick(struct follower *f, follow_link *l);

/* Stops watching; the socket itself is closed by its owner after. */
void follow_link_close(follow_link *l, void *sock);

#endif
