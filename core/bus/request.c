/* request.c: see request.h. */
#include "request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "text.h"

int cn_request_read(void *sock, cn_request *rq)
{
    rq->msg.n = rq->total = 0;
    rq->has_reply = false;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, rq->total == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&part);
            return rq->total == 0 ? -1 : 0;
        }
        more = zmq_msg_more(&part);
        if (rq->msg.n < CN_MSG_FRAMES)
            rq->msg.f[rq->msg.n++] = part;
        else
            zmq_msg_close(&part);
        rq->total++;
    }
    return 0;
}

int cn_request_envelope(const cn_request *rq)
{
    return rq->total >= 3 && zmq_msg_size((zmq_msg_t *)&rq->msg.f[1]) == 0 ? 2 : 1;
}

/* A reply this large is handed to ZeroMQ as it is, not copied: its buffer
 * is freed by ZeroMQ's I/O thread once sent. A smaller one is copied
 * (ZeroMQ keeps up to 33 bytes in the message itself, and a copy of a few
 * hundred bytes costs less than handing a buffer to another thread). */
#define CN_REPLY_ZERO_COPY 4096

static void free_reply_buffer(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* The encoded reply as a message; the reply's buffer becomes the
 * message's when it is large (see above). */
static void reply_message(cn_request *rq, zmq_msg_t *body)
{
    msgpack_sbuffer *buf = &rq->reply.buf;
    if (buf->size >= CN_REPLY_ZERO_COPY) {
        size_t size = buf->size;
        char *data = msgpack_sbuffer_release(buf);
        if (zmq_msg_init_data(body, data, size, free_reply_buffer, NULL) == 0)
            return;
        buf->data = data; /* no memory for ZeroMQ's part: copied as below */
        buf->size = buf->alloc = size;
    }
    zmq_msg_init_size(body, buf->size);
    memcpy(zmq_msg_data(body), buf->data, buf->size);
}

/* The reply as frames of its own: the envelope, then body (moved). */
static void reply_frames(cn_request *rq, zmq_msg_t *body, cn_frames *out)
{
    out->n = 0;
    for (int i = 0; i < rq->envelope; i++) {
        zmq_msg_init(&out->f[out->n]);
        zmq_msg_copy(&out->f[out->n++], &rq->msg.f[i]);
    }
    zmq_msg_init(&out->f[out->n]);
    zmq_msg_move(&out->f[out->n++], body);
}

void cn_request_send(void *sock, cn_backlog *backlog, cn_request *rq)
{
    zmq_msg_t body;
    reply_message(rq, &body);
    const zmq_msg_t *id = &rq->msg.f[0];
    if (!cn_backlog_has(backlog, zmq_msg_data((zmq_msg_t *)id), zmq_msg_size((zmq_msg_t *)id))) {
        int i = 0;
        for (; i < rq->envelope; i++)
            if (zmq_send(sock, zmq_msg_data(&rq->msg.f[i]), zmq_msg_size(&rq->msg.f[i]), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
                break;
        if (i == rq->envelope && zmq_msg_send(&body, sock, ZMQ_DONTWAIT) >= 0)
            return;
        if (zmq_errno() != EAGAIN) {
            cn_debug("réponse non livrée, le client est parti: %s", cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
            zmq_msg_close(&body);
            return;
        }
    }
    cn_frames kept;
    reply_frames(rq, &body, &kept);
    cn_backlog_keep_reply(backlog, &kept);
}

void cn_request_close(cn_request *rq)
{
    cn_frames_close(&rq->msg);
    if (rq->has_reply)
        cn_reply_destroy(&rq->reply);
}

void cn_frames_move(cn_frames *to, cn_frames *from)
{
    to->n = from->n;
    for (int i = 0; i < from->n; i++) {
        zmq_msg_init(&to->f[i]);
        zmq_msg_move(&to->f[i], &from->f[i]);
    }
    from->n = 0;
}
