/* client.c: see client.h. */
#include "client.h"

#include <signal.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "render.h"
#include "table.h"
#include "text.h"

#define CTL_DEFAULT_MAX_MESSAGE (1024 * 1024) /* concertd's default [bus] max_message_size */

void ctl_reply_destroy(ctl_reply *reply)
{
    msgpack_unpacked_destroy(&reply->up);
    free(reply->frame);
    reply->frame = NULL;
}

int ctl_call(const ctl_conn *c, const char *op, const char *args, size_t args_len, ctl_reply *reply, char *err,
             size_t errcap)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    /* Who asks: the person at this terminal, recorded with the changes
     * (CONCERTD_ACTOR names someone else, e.g. a script). */
    const char *who = getenv("CONCERTD_ACTOR");
    char actor[129] = "";
    if (who && *who)
        snprintf(actor, sizeof actor, "%s", who);
    else if ((who = getenv("USER")) && *who)
        snprintf(actor, sizeof actor, "concertctl:%s", who);
    else if (getpwuid(getuid()))
        snprintf(actor, sizeof actor, "concertctl:%s", getpwuid(getuid())->pw_name);
    for (char *p = actor; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    msgpack_pack_map(&pk, actor[0] ? 6 : 5);
    if (actor[0]) {
        msgpack_pack_str_with_body(&pk, "actor", 5);
        msgpack_pack_str_with_body(&pk, actor, strlen(actor));
    }
    msgpack_pack_str_with_body(&pk, "v", 1);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_str_with_body(&pk, "op", 2);
    msgpack_pack_str_with_body(&pk, op, strlen(op));
    msgpack_pack_str_with_body(&pk, "lang", 4);
    msgpack_pack_str_with_body(&pk, c->lang, strlen(c->lang));
    msgpack_pack_str_with_body(&pk, "args", 4);
    if (args)
        msgpack_sbuffer_write(&buf, args, args_len);
    else
        msgpack_pack_map(&pk, 0);

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, rc = -1;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &c->timeout_ms, sizeof c->timeout_ms);
    if (zmq_connect(s, c->endpoint) != 0) {
        snprintf(err, errcap, "%s: %s", c->endpoint, cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
    } else if (zmq_send(s, buf.data, buf.size, 0) < 0) {
        snprintf(err, errcap, "%s: %s", c->endpoint, cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
    } else {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, s, 0) < 0) {
            if (buf.size > CTL_DEFAULT_MAX_MESSAGE) /* concertd drops a request over [bus] max_message_size, unanswered */
                snprintf(err, errcap,
                         ctl_en() ? "no reply from %s: the request is %zu bytes, more than concertd takes by default "
                                    "(1 MiB, [bus] max_message_size); split it, or raise that limit"
                                  : "pas de réponse de %s : la demande fait %zu octets, plus que ce que concertd accepte "
                                    "par défaut (1 Mio, [bus] max_message_size) ; découpez-la, ou relevez cette limite",
                         c->endpoint, buf.size);
            else
                snprintf(err, errcap,
                         ctl_en() ? "no reply from %s after %d ms (is concertd running? --endpoint changes the address)"
                                  : "pas de réponse de %s après %d ms (concertd est-il démarré? --endpoint change "
                                    "l'adresse)",
                         c->endpoint, c->timeout_ms);
        } else {
            size_t size = zmq_msg_size(&msg);
            msgpack_unpacked_init(&reply->up);
            reply->frame = malloc(size ? size : 1);
            if (reply->frame)
                memcpy(reply->frame, zmq_msg_data(&msg), size);
            if (reply->frame && msgpack_unpack_next(&reply->up, reply->frame, size, NULL) == MSGPACK_UNPACK_SUCCESS) {
                rc = 0;
            } else {
                ctl_reply_destroy(reply);
                snprintf(err, errcap, ctl_en() ? "unreadable reply" : "réponse illisible");
            }
        }
        zmq_msg_close(&msg);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static volatile sig_atomic_t stop;
static void on_sigint(int sig)
{
    (void)sig;
    stop = 1;
}

int ctl_tail(const ctl_conn *c, const char *prefix, bool json)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_SUB);
    int linger = 0, timeout = 250;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
    if (zmq_connect(s, c->events) != 0) {
        fprintf(stderr, "concertctl: unavailable: %s: %s\n", c->events, cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
        zmq_close(s);
        zmq_ctx_term(ctx);
        return 1;
    }
    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    if (!json)
        fprintf(stderr, ctl_en() ? "listening on %s (%s), Ctrl-C to stop\n" : "écoute de %s (%s), Ctrl-C pour arrêter\n",
                c->events, *prefix ? prefix : (ctl_en() ? "all regions" : "toutes les régions"));
    while (!stop) {
        zmq_msg_t topic, payload;
        zmq_msg_init(&topic);
        zmq_msg_init(&payload);
        if (zmq_msg_recv(&topic, s, 0) >= 0 && zmq_msg_more(&topic) && zmq_msg_recv(&payload, s, 0) >= 0) {
            msgpack_unpacked ev;
            msgpack_unpacked_init(&ev);
            if (msgpack_unpack_next(&ev, zmq_msg_data(&payload), zmq_msg_size(&payload), NULL) ==
                MSGPACK_UNPACK_SUCCESS)
                ctl_render_event(&ev.data, json);
            msgpack_unpacked_destroy(&ev);
            fflush(stdout);
        }
        zmq_msg_close(&topic);
        zmq_msg_close(&payload);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
