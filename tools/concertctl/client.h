/* client.h: concertctl's side of the wire: one request, one reply, over a
 * DEALER socket with a timeout; and the SUB side for `tail`. */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <msgpack.h>
#include <stdbool.h>

typedef struct {
    const char *endpoint;  /* command socket */
    const char *events;    /* event socket */
    int timeout_ms;
    const char *lang;      /* "fr" or "en" */
} ctl_conn;

/* A decoded reply. The decoded objects point into frame, so both live
 * until ctl_reply_destroy(). */
typedef struct {
    msgpack_unpacked up;
    char *frame;
} ctl_reply;

/* Sends {v, id, op, args} (args: one encoded msgpack map, or NULL) and waits
 * for the reply. On success fills *reply (free it with ctl_reply_destroy)
 * and returns 0; on a transport failure writes a message to err and
 * returns -1. */
int ctl_call(const ctl_conn *c, const char *op, const char *args, size_t args_len, ctl_reply *reply, char *err,
             size_t errcap);
void ctl_reply_destroy(ctl_reply *reply);

/* Prints every event published under prefix until interrupted; with json,
 * one JSON object per line. Returns the exit status. */
int ctl_tail(const ctl_conn *c, const char *prefix, bool json);

#endif
