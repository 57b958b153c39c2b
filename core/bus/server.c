/* server.c: see server.h. */
#include "server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include <zmq.h>

#include <sysexits.h>
#include <unistd.h>

#include "backlog.h"
#include "checkpointer.h"
#include "evlog.h"
#include "held.h"
#include "log.h"
#include "mp.h"
#include "request.h"
#include "text.h"
#include "thread.h"
#include "wal_sync.h"
#include "zwatch.h"

struct prep;

/* One socket served: the ROUTER, or the limited one (peers). */
typedef struct served {
    void *sock;
    cn_zwatch *watch;
    cn_backlog *backlog; /* replies its clients have not taken yet, requests held meanwhile */
    bool limited;
    struct prep *ready, *ready_tail; /* requests prepared off the loop, waiting for a batch */
} served;

/* Requests being prepared off the loop (plan.import of a .docx), each on
 * a thread of its own that ends with it (a parser's per-thread state goes
 * with its thread; libuv's pool, which plugins use, stays free). They may
 * finish after the server is gone: they share this, closed by the last. */
struct prep;
typedef struct prep_pool {
    struct cn_server *srv; /* NULL once the server is destroyed */
    int in_flight;
    uv_async_t async;       /* a thread is done: its prep is on `done` */
    uv_mutex_t lock;
    struct prep *done;      /* under lock */
} prep_pool;

/* At most this many requests prepared at once (each holds its document). */
#define PREP_MAX 4

struct cn_server {
    void *zctx, *pub;
    served main;
    cn_core *core;
    uv_loop_t *loop;
    uv_timer_t *retry; /* while a backlog remains: try its replies again (freed when closed) */
    long max_in_flight;
    cn_op status_op; /* bus.status */
    cn_server_after_fn after; /* after each batch's replies */
    void *after_data;
    prep_pool *pool;
    cn_bus_stats stats; /* node.status, /metrics */
    cn_wal_sync *flusher; /* flushes the WAL of the batches committed lazily */
    cn_checkpointer *checkpointer; /* copies the WAL into the database off the loop */
    cn_held *held;        /* replies waiting for their batch to be on disk, in order */
    bool mid_batch;       /* a flush taken in the middle of a batch, its transaction open */
    bool after_owed;      /* a flush taken during the batch: the plugins are told at its end */
    struct { /* a socket whose clients may call only some ops (peers) */
        served ep;
        const char *const *ops;
        const char *refusal_fr, *refusal_en;
        cn_server_seen_fn seen; /* told who each request is from (ZAP User-Id) */
        void *seen_data;
    } limited;
};

/* Whether a request frame asks for one of ops (NULL-terminated). */
static bool may_call(const char *frame, size_t len, const char *const *ops)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    bool yes = false;
    if (cn_mp_unpack(&u, frame, len, &cn_mp_request_limits) == CN_MP_OK && u.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *op = cn_mp_get(&u.data, "op");
        for (size_t i = 0; op && ops[i]; i++)
            yes = yes || cn_mp_str_eq(op, ops[i]);
    }
    msgpack_unpacked_destroy(&u);
    return yes;
}

/* rq's request frame (its envelope read), or NULL when it came in more than one. */
static zmq_msg_t *payload_of(cn_request *rq) { return rq->total == rq->envelope + 1 ? &rq->msg.f[rq->envelope] : NULL; }

/* Whether rq goes to the core: one frame, and on the limited endpoint one
 * of the ops it allows. */
static bool may_run(cn_server *srv, cn_request *rq, bool limited)
{
    zmq_msg_t *payload = payload_of(rq);
    return payload && (!limited || may_call(zmq_msg_data(payload), zmq_msg_size(payload), srv->limited.ops));
}

static void run(cn_server *srv, cn_request *rq)
{
    zmq_msg_t *payload = payload_of(rq);
    cn_core_handle(srv->core, zmq_msg_data(payload), zmq_msg_size(payload), &rq->reply);
}

/* Answers rq with an error, the core not running it: by its id when its
 * frame has one (cn_core_refuse). */
static void refuse(cn_request *rq, const char *code, const char *message)
{
    rq->has_reply = true;
    zmq_msg_t *payload = payload_of(rq);
    if (payload)
        cn_core_refuse(zmq_msg_data(payload), zmq_msg_size(payload), code, message, &rq->reply);
    else
        cn_reply_init_error(&rq->reply, code, message);
}

/* Fills the reply of one request (on the limited socket: its ops only). */
static void handle(cn_server *srv, cn_request *rq, bool limited)
{
    rq->envelope = cn_request_envelope(rq);
    rq->has_reply = true;
    zmq_msg_t *payload = payload_of(rq);
    if (!payload) {
        refuse(rq, "bad_request", L("une requête est une seule trame msgpack", "a request is a single msgpack frame"));
        return;
    }
    if (limited && srv->limited.seen) {
        const char *user = zmq_msg_gets(payload, "User-Id");
        if (user && *user)
            srv->limited.seen(srv->limited.seen_data, user, zmq_msg_data(payload), zmq_msg_size(payload));
    }
    if (!may_run(srv, rq, limited)) {
        refuse(rq, "forbidden", L(srv->limited.refusal_fr, srv->limited.refusal_en));
        return;
    }
    run(srv, rq);
}

/* Command last of the batch failed after it wrote, with no savepoint of its
 * own (core.h): the batch is undone and its commands so far handled again,
 * each in its savepoint now, their first replies dropped (only the core's
 * are: a request refused before it keeps its reply). */
static void redo_batch(cn_server *srv, cn_request *batch, int last, bool limited)
{
    cn_core_batch_redo(srv->core); /* cannot fail: the batch is open */
    srv->stats.redone++;
    for (int i = 0; i <= last; i++) {
        if (!may_run(srv, &batch[i], limited))
            continue;
        cn_reply_destroy(&batch[i].reply);
        run(srv, &batch[i]);
    }
}

/* Sends rq's reply on its socket (or keeps it in its backlog). */
static void send_reply(served *ep, cn_request *rq) { cn_request_send(ep->sock, ep->backlog, rq); }

static void arm_retry(cn_server *srv);
static void process_batch(cn_server *srv, served *ep);

/* ---- requests prepared off the loop ------------------------------------- */

typedef struct prep {
    uv_thread_t thread;
    prep_pool *pool;
    served *ep;
    const cn_core *core;
    cn_request rq;            /* as received; its frames are the prep's until a batch takes them */
    int payload;           /* which frame is the request */
    msgpack_sbuffer frame; /* the request prepared */
    cn_reply error;        /* or why it could not be */
    int rc;
    struct prep *next;
} prep;

static void prep_free(prep *p)
{
    cn_frames_close(&p->rq.msg);
    msgpack_sbuffer_destroy(&p->frame);
    free(p);
}

/* On the prep's own thread: the work, then the loop told. */
static void prep_thread(void *arg)
{
    prep *p = arg;
    cn_thread_name("concertd-read");
    zmq_msg_t *payload = &p->rq.msg.f[p->payload];
    p->rc = cn_core_prepare(p->core, zmq_msg_data(payload), zmq_msg_size(payload), &p->frame, &p->error);
    uv_mutex_lock(&p->pool->lock);
    p->next = p->pool->done;
    p->pool->done = p;
    uv_mutex_unlock(&p->pool->lock);
    uv_async_send(&p->pool->async);
}

static void free_pool(uv_handle_t *h)
{
    prep_pool *pool = h->data;
    uv_mutex_destroy(&pool->lock);
    free(pool);
}

/* One prep done (on the loop): answered with its error, or queued for the next batch. */
static void prep_done(prep_pool *pool, prep *p)
{
    uv_thread_join(&p->thread);
    pool->in_flight--;
    cn_server *srv = pool->srv;
    if (!srv) { /* the server has gone (the daemon stops): nothing to answer on */
        if (p->rc != 0)
            cn_reply_destroy(&p->error);
        prep_free(p);
        return;
    }
    served *ep = p->ep;
    if (p->rc != 0) {
        p->rq.has_reply = true;
        p->rq.envelope = p->payload;
        p->rq.reply = p->error;
        send_reply(ep, &p->rq);
        cn_request_close(&p->rq);
        msgpack_sbuffer_destroy(&p->frame);
        free(p);
        return;
    }
    /* The prepared request in place of the one received, for the next batch. */
    zmq_msg_t *payload = &p->rq.msg.f[p->payload];
    cn_debug("requête préparée hors de la boucle : %zu octets reçus, %zu à traiter", zmq_msg_size(payload),
             p->frame.size);
    zmq_msg_close(payload);
    zmq_msg_init_size(payload, p->frame.size);
    memcpy(zmq_msg_data(payload), p->frame.data, p->frame.size);
    msgpack_sbuffer_destroy(&p->frame);
    msgpack_sbuffer_init(&p->frame);
    p->next = NULL;
    if (ep->ready_tail)
        ep->ready_tail->next = p;
    else
        ep->ready = p;
    ep->ready_tail = p;
}

static void on_prep_done(uv_async_t *a)
{
    prep_pool *pool = a->data;
    uv_mutex_lock(&pool->lock);
    prep *list = pool->done;
    pool->done = NULL;
    uv_mutex_unlock(&pool->lock);
    cn_server *srv = pool->srv;
    bool main = false, limited = false;
    for (prep *p = list, *next; p; p = next) {
        next = p->next;
        if (srv) {
            main = main || p->ep == &srv->main;
            limited = limited || p->ep == &srv->limited.ep;
        }
        prep_done(pool, p);
    }
    if (srv && main && srv->main.watch)
        process_batch(srv, &srv->main);
    if (srv && limited && srv->limited.ep.watch)
        process_batch(srv, &srv->limited.ep);
    if (!pool->srv && pool->in_flight == 0)
        uv_close((uv_handle_t *)&pool->async, free_pool); /* the last one after the server */
}

/* Starts preparing rq (its frames move to the prep); false when it needs
 * no preparing. A server busy with PREP_MAX documents says so at once. */
static bool start_prep(cn_server *srv, served *ep, cn_request *rq)
{
    int payload = cn_request_envelope(rq);
    if (rq->total != payload + 1 || rq->msg.n <= payload)
        return false;
    zmq_msg_t *frame = &rq->msg.f[payload];
    if (!cn_core_needs_preparing(srv->core, zmq_msg_data(frame), zmq_msg_size(frame)))
        return false;
    rq->envelope = payload;
    if (srv->pool->in_flight >= PREP_MAX) {
        rq->has_reply = true;
        cn_core_refuse(zmq_msg_data(frame), zmq_msg_size(frame), "unavailable",
                       L("le démon lit déjà plusieurs documents ; réessayez dans un moment",
                         "the daemon is already reading several documents; try again in a moment"),
                       &rq->reply);
        send_reply(ep, rq);
        cn_request_close(rq);
        return true;
    }
    prep *p = calloc(1, sizeof *p);
    if (!p)
        return false; /* handled in the batch: the op reads the document itself */
    p->pool = srv->pool;
    p->ep = ep;
    p->core = srv->core;
    p->payload = payload;
    p->rq.total = rq->total;
    cn_frames_move(&p->rq.msg, &rq->msg);
    msgpack_sbuffer_init(&p->frame);
    if (uv_thread_create(&p->thread, prep_thread, p) != 0) {
        cn_frames_move(&rq->msg, &p->rq.msg);
        prep_free(p);
        return false;
    }
    srv->pool->in_flight++;
    return true;
}

/* ---- replies held until their batch is on disk --------------------------- */

/* Sends the held replies whose batch is on disk, in order. */
static void release_held(cn_server *srv)
{
    cn_held_release(srv->held, cn_core_durable_ticket(srv->core), &srv->stats.command_s);
}

/* A flush that failed: what is committed may not be on disk, and a new
 * flush could say it is when it is not (the kernel forgets the failed
 * pages). As PostgreSQL does, the daemon stops at once, answering nothing
 * more; restarted, SQLite takes exactly what is on disk. */
static void flush_failed(int err)
{
    cn_error("le disque n'a pas confirmé l'écriture du journal (fdatasync : %s) : les derniers changements ne sont "
             "peut-être pas enregistrés, et aucun n'a été confirmé à qui que ce soit. Le démon s'arrête sans rien "
             "répondre de plus ; relancé (systemd le fait), il reprend exactement ce qui est sur le disque. Si "
             "l'erreur revient, vérifiez le disque (dmesg, smartctl).",
             cn_system_error(err, strerror(err)));
    _exit(EX_IOERR);
}

/* Everything committed is on disk: flushed here, on the loop (the flush
 * in flight awaited first: the flusher takes one at a time). */
static void flushed_now(cn_server *srv)
{
    int err = cn_wal_sync_finish(srv->flusher);
    if (err)
        flush_failed(err);
    cn_core_durable(srv->core, cn_core_lazy_ticket(srv->core));
}

/* Batches are on disk: their held replies go out, then the plugins are
 * handed their events. */
static void went_out(cn_server *srv)
{
    release_held(srv);
    if (srv->mid_batch) {
        /* During a batch: the plugins are handed their events once its
         * transaction is over (they may call ops). */
        srv->after_owed = true;
        return;
    }
    if (srv->after)
        srv->after(srv->after_data);
}

/* A flush for the latest lazy commit, unless one is in flight (it asks
 * the next when done) or everything is on disk already — then by another
 * commit that flushed the WAL (a plugin's, a timer's: every batch committed
 * before it is on disk too), whose replies go out here, for no flush of the
 * bus will come for them. */
static void start_flush(cn_server *srv)
{
    uint64_t latest = cn_core_lazy_ticket(srv->core);
    if (latest <= cn_core_durable_ticket(srv->core)) {
        release_held(srv);
        return;
    }
    if (cn_wal_sync_busy(srv->flusher))
        return;
    if (cn_wal_sync_start(srv->flusher, latest) == 0)
        return;
    /* The WAL not reopened: flushed here, then — again for what the plugins
     * commit (lazily) when handed what went out (a few rounds at most). */
    for (int round = 0; round < 8 && cn_core_lazy_ticket(srv->core) > cn_core_durable_ticket(srv->core); round++) {
        flushed_now(srv);
        went_out(srv);
    }
}

/* The flusher's thread is done (on the loop): the batches it covers go out. */
static void on_flushed(void *data, uint64_t ticket, int err)
{
    cn_server *srv = data;
    if (err)
        flush_failed(err);
    /* The batches committed meanwhile are flushed first: the disk works
     * while this flush's events and replies go out, instead of waiting for
     * them (should it not start, start_flush below flushes them here). */
    uint64_t latest = cn_core_lazy_ticket(srv->core);
    if (latest > ticket)
        cn_wal_sync_start(srv->flusher, latest);
    cn_core_durable(srv->core, ticket);
    went_out(srv);
    if (cn_backlog_pending(srv->main.backlog) || (srv->limited.ep.backlog && cn_backlog_pending(srv->limited.ep.backlog)))
        arm_retry(srv); /* replies the clients could not take yet */
    start_flush(srv); /* batches committed meanwhile (not the open one: it has no ticket yet) */
}

/* At the end: the flush in flight awaited, everything flushed, every held
 * reply sent — and what the plugins then wrote (lazily) flushed too. */
static void flush_all(cn_server *srv)
{
    if (!srv->flusher || !srv->held)
        return;
    for (int round = 0; round < 8 && (cn_held_count(srv->held) || cn_wal_sync_busy(srv->flusher) ||
                                      cn_core_lazy_ticket(srv->core) > cn_core_durable_ticket(srv->core));
         round++) {
        flushed_now(srv);
        went_out(srv);
    }
}

/* One batch: the requests held for clients whose replies have now gone
 * out, then what is queued on the socket (bounded); handled in one
 * transaction, committed once, then answered. Leftovers are seen at the
 * next loop iteration. */
static void process_batch(cn_server *srv, served *ep)
{
    static cn_request batch[CN_BATCH_MAX];
    static cn_frames released[CN_BATCH_MAX];
    int n = 0;
    /* Requests prepared off the loop first: they came before what waits on the socket. */
    while (n < CN_BATCH_MAX && ep->ready) {
        prep *p = ep->ready;
        ep->ready = p->next;
        if (!ep->ready)
            ep->ready_tail = NULL;
        cn_frames *m = &p->rq.msg;
        if (m->n && cn_backlog_has(ep->backlog, zmq_msg_data(&m->f[0]), zmq_msg_size(&m->f[0]))) {
            cn_backlog_hold_request(ep->backlog, m); /* its client has not read its earlier replies */
        } else {
            batch[n].total = p->rq.total;
            batch[n].has_reply = false;
            cn_frames_move(&batch[n++].msg, m);
        }
        prep_free(p);
    }
    int r = cn_backlog_flush(ep->backlog, ep->sock, released, CN_BATCH_MAX - n);
    for (int i = 0; i < r; i++) {
        batch[n].msg = released[i];
        batch[n].total = released[i].n;
        batch[n++].has_reply = false;
    }
    while (n < CN_BATCH_MAX && cn_request_read(ep->sock, &batch[n]) == 0) {
        cn_frames *m = &batch[n].msg;
        if (m->n && cn_backlog_has(ep->backlog, zmq_msg_data(&m->f[0]), zmq_msg_size(&m->f[0]))) {
            cn_backlog_hold_request(ep->backlog, m); /* its client has not read its earlier replies */
            continue;
        }
        if (start_prep(srv, ep, &batch[n]))
            continue; /* read off the loop first; a later batch runs it */
        n++;
    }
    bool hold = false;
    if (n > 0) {
        uint64_t read_at = uv_hrtime();
        /* One request alone, no flush in flight (so no reply held for
         * one): SQLite flushes at its COMMIT, the cheapest way for it.
         * More, or one while a flush is in flight: their flush apart
         * (below) — a lone request flushed at its COMMIT then kept the
         * loop, and every client, waiting for the disk (7 % fewer records
         * a second with 100 in flight). */
        bool lazy = n > 1 || cn_wal_sync_busy(srv->flusher);
        /* Its transaction begins with its first command that needs the
         * database (a read answered from what is kept needs none); should it
         * not begin (the disk failing; the lock is ours, wal_writes.h), the commands
         * that need it are answered unavailable. */
        cn_core_batch_open(srv->core, lazy);
        cn_core_batch_redoable(srv->core); /* redo_batch below */
        for (int i = 0; i < n; i++) {
            handle(srv, &batch[i], ep->limited);
            if (cn_core_batch_must_redo(srv->core))
                redo_batch(srv, batch, i, ep->limited);
            /* The flush in flight done while this batch is handled: its
             * replies go out now, not after this batch (their clients'
             * next requests then join the next one). */
            if (lazy && cn_wal_sync_finished(srv->flusher)) {
                srv->mid_batch = true;
                cn_wal_sync_collect(srv->flusher);
                srv->mid_batch = false;
            }
        }
        uint64_t commit_at = uv_hrtime();
        /* Flushed at its COMMIT, it still waits for the batches before it
         * when it wrote nothing (what it read may not be on disk yet). */
        uint64_t ticket = cn_core_lazy_ticket(srv->core);
        bool committed = (lazy ? cn_core_batch_commit_lazy(srv->core, srv->pub, &ticket)
                               : cn_core_batch_commit(srv->core, srv->pub)) == 0;
        if (!committed)
            for (int i = 0; i < n; i++)
                if (batch[i].reply.ok)
                    cn_core_unavailable(srv->core, &batch[i].reply);
        /* Its replies wait for its frames (or, read only, for those of
         * what it read) to be on disk: flushed on the flusher's thread,
         * never here (the loop handles the next requests meanwhile; flushing
         * here when nothing seemed to wait was 5 % slower with 100 in
         * flight: requests came while the loop waited for the disk). */
        hold = committed && ticket > cn_core_durable_ticket(srv->core);
        cn_histogram_add(&srv->stats.commit_s, (double)(uv_hrtime() - commit_at) / 1e9, 1);
        if (!hold)
            release_held(srv); /* earlier replies first, when on disk too */
        for (int i = 0; i < n; i++) {
            srv->stats.errors += !batch[i].reply.ok;
            if (hold && cn_held_keep(srv->held, &batch[i], ep->sock, ep->backlog, ticket, read_at) == 0)
                continue;
            if (hold) { /* no memory to hold it: the batch flushed here, the earlier replies first */
                flushed_now(srv);
                release_held(srv);
                hold = false;
            }
            send_reply(ep, &batch[i]);
            cn_request_close(&batch[i]);
        }
        if (!hold) /* Each command of the batch waited for all of it: the batch's time is each one's. */
            cn_histogram_add(&srv->stats.command_s, (double)(uv_hrtime() - read_at) / 1e9, (uint64_t)n);
        srv->stats.commands += (uint64_t)n;
        srv->stats.batches++;
        if (hold)
            start_flush(srv);
    }
    if (cn_backlog_pending(ep->backlog))
        arm_retry(srv);
    /* Replies first: plugins react to what is committed, after the clients
     * know. What they write is committed lazily: flushed here, off the loop. */
    if (((n > 0 && !hold) || srv->after_owed) && srv->after) {
        srv->after(srv->after_data);
        start_flush(srv);
    }
    srv->after_owed = false;
}

static void on_retry(uv_timer_t *t)
{
    cn_server *srv = t->data;
    process_batch(srv, &srv->main);
    if (srv->limited.ep.watch)
        process_batch(srv, &srv->limited.ep);
}

/* A client's queue frees as it reads, which ZeroMQ does not signal on a
 * ROUTER: its kept replies are tried again shortly. */
static void arm_retry(cn_server *srv)
{
    if (srv->retry && !uv_is_active((uv_handle_t *)srv->retry))
        uv_timer_start(srv->retry, on_retry, 5, 0);
}

static void on_readable(cn_zwatch *w, void *sock, void *arg)
{
    (void)w;
    cn_server *srv = arg;
    process_batch(srv, sock == srv->main.sock ? &srv->main : &srv->limited.ep);
}

static void *bind_socket(cn_server *srv, int type, const char *address, long maxmsg, char *err, size_t errcap)
{
    void *s = zmq_socket(srv->zctx, type);
    int linger = 1000;
    int64_t max = maxmsg;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        (maxmsg > 0 && zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max) != 0)) {
        snprintf(err, errcap, "socket ZeroMQ: %s", cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
        if (s)
            zmq_close(s);
        return NULL;
    }
    if (zmq_bind(s, address) != 0) {
        int e = zmq_errno();
        snprintf(err, errcap, "impossible d'écouter sur %s: %s%s", address, cn_system_error(e, zmq_strerror(e)),
                 e == EADDRINUSE ? " (un autre programme utilise ce port; choisissez-en un autre dans la configuration"
                                   " ou avec --command-endpoint / --event-endpoint)"
                 : e == ENOENT && strncmp(address, "ipc://", 6) == 0
                     ? " (le dossier de ce socket n'existe pas : systemd le crée pour le service (RuntimeDirectory) ; "
                       "démarré à la main, créez-le : install -d -o concertd -g concertd -m 0750 DOSSIER)"
                 : e == EACCES ? " (l'utilisateur du démon ne peut écrire dans ce dossier)"
                               : "");
        zmq_close(s);
        return NULL;
    }
    return s;
}

static void free_handle(uv_handle_t *h) { free(h); }

/* bus.status: what the bus keeps for clients that do not read their replies. */
static int op_bus_status(cn_req *req)
{
    const cn_server *srv = req->op->data;
    cn_backlog_stats st = srv->main.backlog ? cn_backlog_stats_of(srv->main.backlog) : (cn_backlog_stats){0};
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 5);
    cn_pk_kint(pk, "max_in_flight", srv->max_in_flight);
    cn_pk_kint(pk, "clients_waiting", (int64_t)st.clients);
    cn_pk_kint(pk, "replies_kept", (int64_t)st.replies);
    cn_pk_kint(pk, "requests_held", (int64_t)st.held);
    cn_pk_kint(pk, "requests_dropped", (int64_t)st.dropped);
    return 0;
}

/* Starts serving sock: replies never dropped (ROUTER_MANDATORY tells us
 * when a client cannot take one), a backlog for those that cannot. */
static int serve(cn_server *srv, served *ep, void *sock)
{
    int mandatory = 1;
    ep->sock = sock;
    if (zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory) != 0)
        return -1;
    if (!srv->retry) {
        srv->retry = malloc(sizeof *srv->retry);
        if (!srv->retry || uv_timer_init(srv->loop, srv->retry) != 0) {
            free(srv->retry);
            srv->retry = NULL;
            return -1;
        }
        srv->retry->data = srv;
    }
    ep->backlog = cn_backlog_new((size_t)srv->max_in_flight);
    ep->watch = ep->backlog ? cn_zwatch_new(srv->loop, sock, on_readable, srv) : NULL;
    return ep->watch ? 0 : -1;
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
    srv->pool = calloc(1, sizeof *srv->pool);
    if (!srv->pool || uv_async_init(loop, &srv->pool->async, on_prep_done) != 0) {
        snprintf(err, errcap, "mémoire insuffisante");
        free(srv->pool);
        free(srv);
        return NULL;
    }
    uv_mutex_init(&srv->pool->lock);
    srv->pool->async.data = srv->pool;
    srv->pool->srv = srv;
    srv->zctx = zmq_ctx_new();
    if (!srv->zctx) {
        snprintf(err, errcap, "contexte ZeroMQ: %s", cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
        srv->pool->srv = NULL;
        uv_close((uv_handle_t *)&srv->pool->async, free_pool);
        free(srv);
        return NULL;
    }
    srv->main.sock = bind_socket(srv, ZMQ_ROUTER, cfg->command_endpoint, cfg->max_message_size, err, errcap);
    if (srv->main.sock)
        srv->pub = bind_socket(srv, ZMQ_PUB, cfg->event_endpoint, 0, err, errcap);
    srv->loop = loop;
    srv->max_in_flight = cfg->max_in_flight;
    srv->flusher = cn_wal_sync_new(loop, cn_core_db(core), on_flushed, srv);
    srv->held = cn_held_new();
    if (!srv->flusher || !srv->held) {
        snprintf(err, errcap, "écriture du journal (WAL) impossible à préparer : %s", strerror(errno));
        cn_server_destroy(&srv);
        return NULL;
    }
    srv->checkpointer = cn_checkpointer_new(cn_core_db(core));
    if (!srv->checkpointer)
        cn_warn("recopie du journal (WAL) en arrière-plan impossible à préparer : faite par SQLite à ses COMMIT");
    static const char *const no_args[] = {NULL};
    srv->status_op = (cn_op){"bus.status", op_bus_status, no_args,
                             "ce que le bus garde pour les clients qui ne lisent pas leurs réponses",
                             "what the bus keeps for clients that do not read their replies", srv};
    if (cn_core_register(core, &srv->status_op, 1) != 0) {
        snprintf(err, errcap, "opération bus.status déjà enregistrée");
        cn_server_destroy(&srv);
        return NULL;
    }
    if (srv->pub && serve(srv, &srv->main, srv->main.sock) != 0) {
        if (!err[0])
            snprintf(err, errcap, "surveillance du socket de commandes impossible");
        cn_server_destroy(&srv);
        return NULL;
    }
    if (!srv->pub) {
        cn_server_destroy(&srv);
        return NULL;
    }
    return srv;
}

int cn_server_serve_limited(cn_server *srv, void *sock, const char *const *ops, const char *refusal_fr,
                            const char *refusal_en)
{
    if (srv->limited.ep.watch)
        return -1;
    srv->limited.ops = ops;
    srv->limited.refusal_fr = refusal_fr;
    srv->limited.refusal_en = refusal_en;
    srv->limited.ep.limited = true;
    return serve(srv, &srv->limited.ep, sock);
}

void cn_server_on_limited_request(cn_server *srv, cn_server_seen_fn fn, void *data)
{
    srv->limited.seen = fn;
    srv->limited.seen_data = data;
}

const cn_bus_stats *cn_server_stats(const cn_server *srv) { return &srv->stats; }

void *cn_server_pub(cn_server *srv) { return srv->pub; }
void *cn_server_zctx(cn_server *srv) { return srv->zctx; }

static void stop_endpoint(cn_server *srv, served *ep)
{
    if (ep->watch) {
        /* Requests already received are answered before we go. */
        process_batch(srv, ep);
        cn_zwatch_destroy(&ep->watch);
    }
    while (ep->ready) { /* prepared after the last batch: not run */
        prep *p = ep->ready;
        ep->ready = p->next;
        prep_free(p);
    }
    ep->ready_tail = NULL;
}

void cn_server_stop(cn_server *srv)
{
    if (!srv)
        return;
    stop_endpoint(srv, &srv->main);
    stop_endpoint(srv, &srv->limited.ep);
    flush_all(srv); /* the last replies, once on disk, before the sockets close */
    cn_checkpointer_destroy(&srv->checkpointer);
    cn_wal_sync_destroy(&srv->flusher);
    cn_backlog_destroy(&srv->main.backlog);
    cn_backlog_destroy(&srv->limited.ep.backlog);
    if (srv->retry) {
        uv_close((uv_handle_t *)srv->retry, free_handle);
        srv->retry = NULL;
    }
}

void cn_server_destroy(cn_server **srvp)
{
    if (!srvp || !*srvp)
        return;
    cn_server *srv = *srvp;
    cn_server_stop(srv);
    if (srv->status_op.name)
        cn_core_unregister(srv->core, &srv->status_op);
    if (srv->main.sock)
        zmq_close(srv->main.sock);
    if (srv->pub)
        zmq_close(srv->pub);
    zmq_ctx_term(srv->zctx);
    cn_held_destroy(&srv->held);
    /* Documents still being read finish on their own; the last closes the pool. */
    srv->pool->srv = NULL;
    if (srv->pool->in_flight == 0)
        uv_close((uv_handle_t *)&srv->pool->async, free_pool);
    free(srv);
    *srvp = NULL;
}
