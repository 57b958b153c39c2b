/* backlog.h: what a client has in flight that its connection cannot take
 * yet. A reply is never dropped while its client is connected: when ZeroMQ
 * refuses one (the client does not read, its queue is full), the reply is
 * kept here, and the client's next requests are held, unexecuted and in
 * order, until its replies have gone out (back-pressure: nothing is done
 * for a client that cannot hear the answer). Held requests are capped per
 * client ([bus] max_in_flight); past the cap they are dropped unexecuted,
 * which the log says. */
#ifndef CN_BACKLOG_H
#define CN_BACKLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <zmq.h>

typedef struct cn_backlog cn_backlog;

/* Requests held for all clients together, whatever max_in_flight says
 * (about 300 bytes each: some 60 MB at most). */
#define CN_BACKLOG_MAX_TOTAL 200000

/* A message of up to CN_MSG_FRAMES frames, owned by whoever holds it. */
#define CN_MSG_FRAMES 4
typedef struct cn_frames {
    zmq_msg_t f[CN_MSG_FRAMES];
    int n;
} cn_frames;
void cn_frames_close(cn_frames *m);

/* max_held: requests one client may have held at once. */
cn_backlog *cn_backlog_new(size_t max_held);
void cn_backlog_destroy(cn_backlog **blp);

/* True when the client (ZeroMQ routing id id[0..len)) has anything kept:
 * its new requests must then be held, not run. */
bool cn_backlog_has(const cn_backlog *bl, const void *id, size_t len);

/* Keeps a reply that could not be sent (takes the frames; the first is the
 * routing id). Returns 0, or -1 when out of memory (the frames are closed). */
int cn_backlog_keep_reply(cn_backlog *bl, cn_frames *reply);

/* Holds a request of a client that has a backlog (takes its frames).
 * Returns 0, or -1 when the client is over max_held: the request was
 * dropped unexecuted (closed) and counted. */
int cn_backlog_hold_request(cn_backlog *bl, cn_frames *request);

/* Sends what can be sent of every client's kept replies, in order; a
 * client that has gone (ZeroMQ no longer knows it) loses its backlog.
 * Then moves up to max requests whose client has nothing left to send into
 * out (the caller runs them) and returns how many. */
int cn_backlog_flush(cn_backlog *bl, void *sock, cn_frames *out, int max);

/* True while some client still has something kept. */
bool cn_backlog_pending(const cn_backlog *bl);

/* What is kept now, and dropped since the start. */
typedef struct cn_backlog_stats {
    size_t clients, replies, held, dropped;
} cn_backlog_stats;
cn_backlog_stats cn_backlog_stats_of(const cn_backlog *bl);

#endif
