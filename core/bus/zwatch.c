/* zwatch.c: see zwatch.h. */
#include "zwatch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <zmq.h>

#include "log.h"
#include "text.h"

struct cn_zwatch {
    uv_prepare_t prepare;
    uv_check_t check;
    uv_idle_t idle;
    uv_poll_t poll;
    void *sock;
    cn_zwatch_cb cb;
    void *arg;
    bool waiting; /* the prepare handle saw a message queued */
    bool woken;   /* ZMQ_FD became readable while the loop polled */
    int open_handles; /* freed when the last close callback has run */
};

static int pending_events(void *sock)
{
    int events = 0;
    size_t len = sizeof events;
    if (zmq_getsockopt(sock, ZMQ_EVENTS, &events, &len) != 0)
        return 0;
    return events;
}

static void idle_noop(uv_idle_t *h) { (void)h; }
static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    cn_zwatch *w = h->data;
    w->woken = true;
}

static void on_prepare(uv_prepare_t *h)
{
    cn_zwatch *w = h->data;
    w->waiting = pending_events(w->sock) & ZMQ_POLLIN;
    if (w->waiting)
        uv_idle_start(&w->idle, idle_noop);
}

/* Without asking ZMQ_EVENTS again: the callback's first read does what it
 * would (each costs two system calls, a fork check and a poll of ZeroMQ's
 * mailbox); when neither the prepare handle nor ZMQ_FD said anything, no
 * message came (one taken in by another call on the socket meanwhile is
 * seen at the next prepare). */
static void on_check(uv_check_t *h)
{
    cn_zwatch *w = h->data;
    bool run = w->waiting || w->woken;
    w->waiting = w->woken = false;
    uv_idle_stop(&w->idle);
    if (run)
        w->cb(w, w->sock, w->arg);
}

cn_zwatch *cn_zwatch_new(uv_loop_t *loop, void *sock, cn_zwatch_cb cb, void *arg)
{
    int fd;
    size_t len = sizeof fd;
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) != 0) {
        cn_error("ZMQ_FD: %s", cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
        return NULL;
    }
    cn_zwatch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->sock = sock;
    w->cb = cb;
    w->arg = arg;
    int rc = uv_prepare_init(loop, &w->prepare);
    if (rc == 0)
        rc = uv_check_init(loop, &w->check);
    if (rc == 0)
        rc = uv_idle_init(loop, &w->idle);
    if (rc == 0)
        rc = uv_poll_init(loop, &w->poll, fd);
    if (rc != 0) {
        /* Only reachable before any handle is active; the few initialised ones
         * have no pending callbacks, but libuv still wants them closed. */
        cn_error("libuv: %s", cn_system_error(-rc, uv_strerror(rc)));
        abort();
    }
    w->prepare.data = w->check.data = w->idle.data = w->poll.data = w;
    w->open_handles = 4;
    uv_prepare_start(&w->prepare, on_prepare);
    uv_check_start(&w->check, on_check);
    /* Started once: stopped and started again at each turn, as flux-core
     * does, it cost two epoll_ctl calls per turn of the loop (a tenth of
     * the loop's time serving reads). Left started, it cannot spin: ZMQ_FD
     * is readable only until ZMQ_EVENTS, read at each turn, takes the
     * signal. */
    uv_poll_start(&w->poll, UV_READABLE, on_poll);
    return w;
}

static void on_close(uv_handle_t *h)
{
    cn_zwatch *w = h->data;
    if (--w->open_handles == 0)
        free(w);
}

void cn_zwatch_destroy(cn_zwatch **wp)
{
    if (!wp || !*wp)
        return;
    cn_zwatch *w = *wp;
    uv_close((uv_handle_t *)&w->prepare, on_close);
    uv_close((uv_handle_t *)&w->check, on_close);
    uv_close((uv_handle_t *)&w->idle, on_close);
    uv_close((uv_handle_t *)&w->poll, on_close);
    *wp = NULL;
}
