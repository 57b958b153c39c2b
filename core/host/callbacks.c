/* callbacks.c: a plugin's code outside commands — its timers, the
 * descriptors it watches, its work on the thread pool — each call run in
 * a transaction of its own (committed, published, delivered), as the
 * plugin; fini comes only once its last work is done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_state.h"
#include "log.h"
#include "mp.h"
#include "text.h"

/* ---- transactions for callbacks outside commands ------------------------- */

typedef struct {
    cd_host *plugin;
    int (*fn)(cd_host *h, void *arg);
    void *arg;
} plugin_call;

static int run_as_plugin(void *data)
{
    plugin_call *c = data;
    cn_host *host = c->plugin->host;
    cd_host *outer = host->current;
    char actor[129];
    host->current = c->plugin;
    host_actor_push(c->plugin, actor);
    int rc = c->fn(c->plugin, c->arg);
    host_actor_pop(c->plugin, actor);
    host->current = outer;
    return rc;
}

/* after_commit's list: who waits for the end of the current transaction. */
typedef struct commit_wait {
    cd_host *plugin;
    cd_commit_fn fn;
    void *data;
    struct commit_wait *next;
} commit_wait;

int host_after_commit(cd_host *h, cd_commit_fn fn, void *data)
{
    if (!h->host->collecting || !fn)
        return -1;
    commit_wait *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->plugin = h;
    w->fn = fn;
    w->data = data;
    commit_wait **tail = &h->host->waiting;
    while (*tail)
        tail = &(*tail)->next;
    *tail = w; /* told in the order asked */
    return 0;
}

static void tell_waiting(cn_host *host, int status)
{
    commit_wait *w = host->waiting;
    host->waiting = NULL;
    while (w) {
        commit_wait *next = w->next;
        w->fn(w->plugin, w->data, status);
        free(w);
        w = next;
    }
}

/* Runs fn in a transaction of its own, commits, publishes, delivers. Those
 * who asked after_commit hear how it ended, before the delivery. */
static int run_in_transaction(cd_host *p, int (*fn)(cd_host *h, void *arg), void *arg, const char *what)
{
    cn_host *host = p->host;
    if (cn_core_batch_begin(host->core) != 0)
        return -1;
    plugin_call c = {p, fn, arg};
    host->collecting = true;
    int rc = cn_core_in_savepoint(host->core, run_as_plugin, &c);
    host->collecting = false;
    if (rc != 0) {
        p->callback_errors++;
        cn_error("[%s] %s a échoué; ce qu'il avait écrit est annulé", p->name, what);
    }
    int committed = cn_core_batch_commit(host->core, host->pub);
    tell_waiting(host, committed == 0 && rc == 0 ? 0 : -1);
    if (committed != 0)
        return -1;
    cn_host_deliver(host, false);
    return rc;
}

/* ---- timers ------------------------------------------------------------- */

static int timer_call(cd_host *h, void *arg)
{
    cd_timer *t = arg;
    return t->fn(h, t->data);
}

static void on_timer(uv_timer_t *handle)
{
    cd_timer *t = handle->data;
    if (t->plugin->status == P_RUNNING)
        run_in_transaction(t->plugin, timer_call, t, "une minuterie");
}

static void on_timer_closed(uv_handle_t *handle) { free(handle->data); }

cd_timer *host_timer_start(cd_host *h, uint64_t after_ms, uint64_t repeat_ms, cd_timer_fn fn, void *data)
{
    cd_timer *t = calloc(1, sizeof *t);
    if (!t || !fn || uv_timer_init(h->host->loop, &t->handle) != 0) {
        free(t);
        return NULL;
    }
    t->handle.data = t;
    t->plugin = h;
    t->fn = fn;
    t->data = data;
    uv_timer_start(&t->handle, on_timer, after_ms, repeat_ms);
    t->next = h->timers;
    h->timers = t;
    return t;
}

void host_timer_stop(cd_timer *t)
{
    if (!t || t->stopped)
        return;
    t->stopped = true;
    for (cd_timer **pp = &t->plugin->timers; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    uv_timer_stop(&t->handle);
    uv_close((uv_handle_t *)&t->handle, on_timer_closed);
}

/* ---- descriptors ----------------------------------------------------------- */

static int watch_call(cd_host *h, void *arg)
{
    cd_watch *w = arg;
    return w->fn(h, w->fd, w->ready, w->data);
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
    cd_watch *w = handle->data;
    if (w->stopped || w->plugin->status != P_RUNNING)
        return;
    w->ready = status < 0 ? CD_WATCH_ERROR
                          : ((events & UV_READABLE) ? CD_WATCH_READ : 0) | ((events & UV_WRITABLE) ? CD_WATCH_WRITE : 0);
    run_in_transaction(w->plugin, watch_call, w, "une attente sur un descripteur");
}

static int poll_events(int events)
{
    return ((events & CD_WATCH_READ) ? UV_READABLE : 0) | ((events & CD_WATCH_WRITE) ? UV_WRITABLE : 0);
}

static void on_watch_closed(uv_handle_t *handle) { free(handle->data); }

cd_watch *host_watch_start(cd_host *h, int fd, int events, cd_watch_fn fn, void *data)
{
    cd_watch *w = calloc(1, sizeof *w);
    if (!w || !fn || uv_poll_init_socket(h->host->loop, &w->handle, fd) != 0) {
        free(w);
        return NULL;
    }
    w->handle.data = w;
    w->plugin = h;
    w->fn = fn;
    w->data = data;
    w->fd = fd;
    w->next = h->watches;
    h->watches = w;
    if (poll_events(events) && uv_poll_start(&w->handle, poll_events(events), on_poll) != 0) {
        h->watches = w->next;
        uv_close((uv_handle_t *)&w->handle, on_watch_closed);
        return NULL;
    }
    return w;
}

int host_watch_change(cd_watch *w, int events)
{
    if (!w || w->stopped)
        return -1;
    int rc = poll_events(events) ? uv_poll_start(&w->handle, poll_events(events), on_poll) : uv_poll_stop(&w->handle);
    return rc == 0 ? 0 : -1;
}

static void close_watch(cd_watch *w)
{
    for (cd_watch **pp = &w->plugin->watches; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    uv_poll_stop(&w->handle);
    uv_close((uv_handle_t *)&w->handle, on_watch_closed);
}

/* Once the plugin is stopping, a stopped watch stays allocated until its
 * fini has returned: fini may stop it again (libcurl's cleanup does). */
void host_watch_stop(cd_watch *w)
{
    if (!w || w->stopped)
        return;
    w->stopped = true;
    if (w->plugin->status == P_STOPPED)
        uv_poll_stop(&w->handle);
    else
        close_watch(w);
}

/* ---- work off the loop -------------------------------------------------- */

static void on_work(uv_work_t *req)
{
    work_item *w = req->data;
    w->work(w->data);
}

static int done_call(cd_host *h, void *arg)
{
    work_item *w = arg;
    return w->done(h, w->data, 0);
}

void host_finish(cd_host *p)
{
    if (p->finished)
        return;
    p->finished = true;
    if (p->entry && p->entry->fini) {
        cn_host *host = p->host;
        host->current = p;
        p->entry->fini(p->state);
        host->current = NULL;
    }
    while (p->watches)
        close_watch(p->watches);
}

static void on_work_done(uv_work_t *req, int status)
{
    work_item *w = req->data;
    cd_host *p = w->plugin;
    for (work_item **pp = &p->works; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    if (w->done) {
        if (p->status == P_RUNNING && status == 0) {
            run_in_transaction(p, done_call, w, "la fin d'un travail");
        } else if (!p->finished) {
            /* Cancelled, or finished while the daemon stops: the plugin is
             * told (-1), outside any transaction, and frees what it gave. */
            w->done(p, w->data, -1);
        }
    }
    free(w);
    /* A stopping plugin's fini waits for its last piece of work. */
    if (p->status == P_STOPPED && !p->works)
        host_finish(p);
}

int host_queue_work(cd_host *h, cd_work_fn work, cd_done_fn done, void *data)
{
    work_item *w = work ? calloc(1, sizeof *w) : NULL;
    if (!w)
        return -1;
    w->req.data = w;
    w->plugin = h;
    w->work = work;
    w->done = done;
    w->data = data;
    if (uv_queue_work(h->host->loop, &w->req, on_work, on_work_done) != 0) {
        free(w);
        return -1;
    }
    w->next = h->works;
    h->works = w;
    return 0;
}
