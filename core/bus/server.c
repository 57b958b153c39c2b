/* server.c: see server.h. */
#include "server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include <zmq.h>

#include "evlog.h"
#include "log.h"
#include "mp.h"
#include "text.h"
#include "zwatch.h"

#define MAX_FRAMES 4 /* identity, REQ delimiter, payload, and one to detect extras */

struct cn_server {
    void *zctx, *router, *pub;
    cn_zwatch *watch;
    cn_core *core;
    uv_loop_t *loop;
    cn_server_after_fn after; /* after each batch's replies */
    void *after_data;
    struct { /* a socket whose clients may call only some ops (peers) */
        void *sock;
        cn_zwatch *watch;
        const char *const *ops;
        const char *refusal_fr, *refusal_en;
    } limited;
};

typedef struct {
    zmq_msg_t frames[MAX_FRAMES];
    int nframes;    /* frames kept */
    int total;      /* frames received */
    int envelope;   /* frames echoed back before the reply */
    cn_reply reply;
    bool has_reply;
} request;

/* Reads one whole multipart message; returns 0, or -1 when none is waiting. */
static int read_request(void *sock, request *rq)
{
    rq->nframes = rq->total = 0;
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
        if (rq->nframes < MAX_FRAMES)
            rq->frames[rq->nframes++] = part;
        else
            zmq_msg_close(&part);
        rq->total++;
    }
    return 0;
}

static void request_close(request *rq)
{
    for (int i = 0; i < rq->nframes; i++)
        zmq_msg_close(&rq->frames[i]);
    if (rq->has_reply)
        cn_reply_destroy(&rq->reply);
}

/* How many frames route the reply back: the identity, plus the empty
 * delimiter a REQ socket puts after it (a DEALER puts none). */
static int envelope_frames(const request *rq)
{
    return rq->total >= 3 && zmq_msg_size((zmq_msg_t *)&rq->frames[1]) == 0 ? 2 : 1;
}

/* Whether a request frame asks for one of ops (NULL-terminated). */
static bool may_call(const char *frame, size_t len, const char *const *ops)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    bool yes = false;
    if (msgpack_unpack_next(&u, frame, len, NULL) == MSGPACK_UNPACK_SUCCESS && u.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *op = cn_mp_get(&u.data, "op");
        for (size_t i = 0; op && ops[i]; i++)
            yes = yes || cn_mp_str_eq(op, ops[i]);
    }
    msgpack_unpacked_destroy(&u);
    return yes;
}

/* Fills the reply of one request (on the limited socket: its ops only). */
static void handle(cn_server *srv, request *rq, bool limited)
{
    int payload_at = envelope_frames(rq);
    rq->envelope = payload_at;
    rq->has_reply = true;
    if (rq->total != payload_at + 1) {
        cn_reply_init_error(&rq->reply, "bad_request",
                            L("une requête est une seule trame msgpack", "a request is a single msgpack frame"));
        return;
    }
    zmq_msg_t *payload = &rq->frames[payload_at];
    if (limited && !may_call(zmq_msg_data(payload), zmq_msg_size(payload), srv->limited.ops)) {
        cn_reply_init_error(&rq->reply, "forbidden", L(srv->limited.refusal_fr, srv->limited.refusal_en));
        return;
    }
    cn_core_handle(srv->core, zmq_msg_data(payload), zmq_msg_size(payload), &rq->reply);
}

static void send_reply(void *sock, request *rq)
{
    for (int i = 0; i < rq->envelope; i++)
        if (zmq_send(sock, zmq_msg_data(&rq->frames[i]), zmq_msg_size(&rq->frames[i]), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            goto dropped;
    if (zmq_send(sock, rq->reply.buf.data, rq->reply.buf.size, ZMQ_DONTWAIT) >= 0)
        return;
dropped:
    /* The client has gone (ROUTER drops replies to unknown peers) or is not
     * reading; the change itself is committed either way. */
    cn_debug("réponse non livrée: %s", zmq_strerror(zmq_errno()));
}

/* One batch: read what is queued (bounded), handle it in one transaction,
 * commit once, then reply. Leftovers are seen at the next loop iteration. */
static void process_batch(cn_server *srv, void *sock)
{
    static request batch[CN_BATCH_MAX];
    bool limited = sock != srv->router;
    int n = 0;
    while (n < CN_BATCH_MAX && read_request(sock, &batch[n]) == 0)
        n++;
    if (n == 0)
        return;
    bool began = cn_core_batch_begin(srv->core) == 0;
    for (int i = 0; i < n; i++) {
        if (began) {
            handle(srv, &batch[i], limited);
        } else {
            batch[i].has_reply = true;
            batch[i].envelope = envelope_frames(&batch[i]);
            cn_reply_init_error(&batch[i].reply, "unavailable",
                                L("base de données indisponible; réessayez", "database unavailable; try again"));
        }
    }
    if (began && cn_core_batch_commit(srv->core, srv->pub) != 0)
        for (int i = 0; i < n; i++)
            if (batch[i].reply.ok)
                cn_core_unavailable(srv->core, &batch[i].reply);
    for (int i = 0; i < n; i++) {
        send_reply(sock, &batch[i]);
        request_close(&batch[i]);
    }
    /* Replies first: plugins react to what is committed, after the clients know. */
    if (srv->after)
        srv->after(srv->after_data);
}

static void on_readable(cn_zwatch *w, void *sock, void *arg)
{
    (void)w;
    process_batch(arg, sock);
}

static void *bind_socket(cn_server *srv, int type, const char *endpoint, long maxmsg, char *err, size_t errcap)
{
    void *s = zmq_socket(srv->zctx, type);
    int linger = 1000;
    int64_t max = maxmsg;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        (maxmsg > 0 && zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max) != 0)) {
        snprintf(err, errcap, "socket ZeroMQ: %s", zmq_strerror(zmq_errno()));
        if (s)
            zmq_close(s);
        return NULL;
    }
    if (zmq_bind(s, endpoint) != 0) {
        int e = zmq_errno();
        snprintf(err, errcap, "impossible d'écouter sur %s: %s%s", endpoint, zmq_strerror(e),
                 e == EADDRINUSE ? " (un autre programme utilise ce port; choisissez-en un autre dans la configuration"
                                   " ou avec --command-endpoint / --event-endpoint)"
                                 : "");
        zmq_close(s);
        return NULL;
    }
    return s;
}

cn_server *cn_server_new(uv_loop_t *loop, cn_core *core, const cn_config *cfg, cn_server_after_fn after,
                         void *after_data, char *err, size_t errcap)
{
    cn_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errcap, "mémoire insuffisante");
        return NULL;
    }
    srv->core = core;
    srv->after = after;
    srv->after_data = after_data;
    srv->zctx = zmq_ctx_new();
    if (!srv->zctx) {
        snprintf(err, errcap, "contexte ZeroMQ: %s", zmq_strerror(zmq_errno()));
        free(srv);
        return NULL;
    }
    srv->router = bind_socket(srv, ZMQ_ROUTER, cfg->command_endpoint, cfg->max_message_size, err, errcap);
    if (srv->router)
        srv->pub = bind_socket(srv, ZMQ_PUB, cfg->event_endpoint, 0, err, errcap);
    if (srv->pub)
        srv->watch = cn_zwatch_new(loop, srv->router, on_readable, srv);
    if (!srv->watch) {
        if (srv->pub && !err[0])
            snprintf(err, errcap, "surveillance du socket de commandes impossible");
        cn_server_destroy(&srv);
        return NULL;
    }
    srv->loop = loop;
    return srv;
}

int cn_server_serve_limited(cn_server *srv, void *sock, const char *const *ops, const char *refusal_fr,
                            const char *refusal_en)
{
    if (srv->limited.watch)
        return -1;
    srv->limited.sock = sock;
    srv->limited.ops = ops;
    srv->limited.refusal_fr = refusal_fr;
    srv->limited.refusal_en = refusal_en;
    srv->limited.watch = cn_zwatch_new(srv->loop, sock, on_readable, srv);
    return srv->limited.watch ? 0 : -1;
}

void *cn_server_pub(cn_server *srv) { return srv->pub; }
void *cn_server_zctx(cn_server *srv) { return srv->zctx; }

void cn_server_stop(cn_server *srv)
{
    if (!srv)
        return;
    if (srv->watch) {
        /* Requests already received are answered before we go. */
        process_batch(srv, srv->router);
        cn_zwatch_destroy(&srv->watch);
    }
    cn_zwatch_destroy(&srv->limited.watch);
}

void cn_server_destroy(cn_server **srvp)
{
    if (!srvp || !*srvp)
        return;
    cn_server *srv = *srvp;
    cn_server_stop(srv);
    if (srv->router)
        zmq_close(srv->router);
    if (srv->pub)
        zmq_close(srv->pub);
    zmq_ctx_term(srv->zctx);
    free(srv);
    *srvp = NULL;
}
