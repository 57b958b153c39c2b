/* request.h: one request as the bus holds it — its frames as received off
 * a ROUTER, its reply — and its answer sent back on that ROUTER (or kept
 * in the backlog while its client cannot take it). */
#ifndef CN_REQUEST_H
#define CN_REQUEST_H

#include <stdbool.h>

#include "backlog.h"
#include "core.h"

typedef struct {
    cn_frames msg; /* as received: routing id, [REQ delimiter], payload, and any extra */
    int total;     /* frames received (more than kept when a client sent too many) */
    int envelope;  /* frames echoed back before the reply */
    cn_reply reply;
    bool has_reply;
} cn_request;

/* Reads one whole multipart message off sock; 0, or -1 when none waits. */
int cn_request_read(void *sock, cn_request *rq);

/* How many frames route the reply back: the identity, plus the empty
 * delimiter a REQ socket puts after it (a DEALER puts none). */
int cn_request_envelope(const cn_request *rq);

/* Sends rq's reply on sock now, or keeps it in backlog when its client
 * cannot take it yet (or has replies waiting before it). A client that has
 * gone gets nothing: its change, if any, is committed either way. */
void cn_request_send(void *sock, cn_backlog *backlog, cn_request *rq);

/* Frees its frames and its reply. */
void cn_request_close(cn_request *rq);

/* Moves the frames of from to to (from is left empty). */
void cn_frames_move(cn_frames *to, cn_frames *from);

#endif
