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

/* Sends {v, id, op, args} (args: one encoded msgpack map, or NULL) and waits
 * for the reply. On success *reply holds the decoded reply (destroy it with
 * msgpack_unpacked_destroy) and 0 is returned; on a transport failure a
 * message is written to err and -1 returned. */
int ctl_call(const ctl_conn *c, const char *op, const char *args, size_t args_len, msgpack_unpacked *reply,
             char *err, size_t errcap);

/* Prints every event published under prefix until interrupted; with json,
 * one JSON object per line. Returns the exit status. */
int ctl_tail(const ctl_conn *c, const char *prefix, bool json);

#endif
