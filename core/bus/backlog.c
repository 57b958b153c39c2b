/* backlog.c: see backlog.h. Few clients ever have a backlog (one that
 * pipelines faster than it reads), so they are kept in a plain list. */
#include "backlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "memory.h"

typedef struct entry {
    cn_frames msg;
    struct entry *next;
} entry;

typedef struct queue {
    entry *head, *tail;
    size_t n;
} queue;

/* A client's replies always precede its held requests: those were read
 * after every request whose reply is kept, and are released only once
 * the replies have gone. */
typedef struct client {
    unsigned char id[256];
    size_t idlen;
    queue replies, held;
    size_t dropped; /* requests dropped since the backlog began */
    struct client *next;
} client;

struct cn_backlog {
    client *clients;
    size_t nclients;
    size_t max_held;   /* per client */
    size_t total_held; /* all clients: bounded by CN_BACKLOG_MAX_TOTAL */
    size_t dropped;
    bool flood; /* memory.h: given back at once until the backlog empties */
};

/* A flood: this many clients not reading at once, or this many requests
 * held (a client that pipelines more than ZeroMQ queues, 1 000 replies,
 * has a backlog without being one). */
enum { FLOOD_CLIENTS = 16, FLOOD_HELD = 10000 };

static void watch_flood(cn_backlog *bl)
{
    if (!bl->flood && (bl->nclients >= FLOOD_CLIENTS || bl->total_held >= FLOOD_HELD)) {
        bl->flood = true;
        cn_warn("afflux : %zu %s (%zu requêtes retenues) ; jusqu'à ce qu'ils lisent ou partent, la mémoire "
                "libérée est rendue au système aussitôt",
                bl->nclients,
                bl->nclients == 1 ? "client ne lit pas ses réponses" : "clients ne lisent pas leurs réponses",
                bl->total_held);
        cn_memory_flood_begins();
    }
}

void cn_frames_close(cn_frames *m)
{
    for (int i = 0; i < m->n; i++)
        zmq_msg_close(&m->f[i]);
    m->n = 0;
}

cn_backlog *cn_backlog_new(size_t max_held)
{
    cn_backlog *bl = calloc(1, sizeof *bl);
    if (bl)
        bl->max_held = max_held;
    return bl;
}

static void push(queue *q, entry *e)
{
    e->next = NULL;
    if (q->tail)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
    q->n++;
}

static entry *pop(queue *q)
{
    entry *e = q->head;
    if (e) {
        q->head = e->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
    }
    return e;
}

static void drain(queue *q)
{
    for (entry *e; (e = pop(q));) {
        cn_frames_close(&e->msg);
        free(e);
    }
}

static void free_client(client *c)
{
    drain(&c->replies);
    drain(&c->held);
    free(c);
}

void cn_backlog_destroy(cn_backlog **blp)
{
    if (!blp || !*blp)
        return;
    for (client *c = (*blp)->clients, *next; c; c = next) {
        next = c->next;
        free_client(c);
    }
    free(*blp);
    *blp = NULL;
}

static client *find(const cn_backlog *bl, const void *id, size_t len)
{
    for (client *c = bl->clients; c; c = c->next)
        if (c->idlen == len && memcmp(c->id, id, len) == 0)
            return c;
    return NULL;
}

bool cn_backlog_has(const cn_backlog *bl, const void *id, size_t len) { return find(bl, id, len) != NULL; }
bool cn_backlog_pending(const cn_backlog *bl) { return bl->clients != NULL; }
cn_backlog_stats cn_backlog_stats_of(const cn_backlog *bl)
{
    cn_backlog_stats st = {.clients = bl->nclients, .held = bl->total_held, .dropped = bl->dropped};
    for (const client *c = bl->clients; c; c = c->next)
        st.replies += c->replies.n;
    return st;
}

static int append(cn_backlog *bl, cn_frames *msg, bool is_reply)
{
    const void *id = zmq_msg_data(&msg->f[0]);
    size_t len = zmq_msg_size(&msg->f[0]);
    client *c = find(bl, id, len);
    entry *e = calloc(1, sizeof *e);
    if (!c && e && len <= sizeof c->id && (c = calloc(1, sizeof *c))) {
        memcpy(c->id, id, len);
        c->idlen = len;
        c->next = bl->clients;
        bl->clients = c;
        bl->nclients++;
    }
    if (!c || !e) {
        free(e);
        cn_frames_close(msg);
        return -1;
    }
    e->msg = *msg; /* the frames move into the entry */
    msg->n = 0;
    push(is_reply ? &c->replies : &c->held, e);
    return 0;
}

int cn_backlog_keep_reply(cn_backlog *bl, cn_frames *reply)
{
    if (append(bl, reply, true) != 0) {
        cn_error("mémoire insuffisante: une réponse n'a pas pu être gardée pour un client qui ne lit pas");
        return -1;
    }
    watch_flood(bl);
    return 0;
}

int cn_backlog_hold_request(cn_backlog *bl, cn_frames *request)
{
    client *c = find(bl, zmq_msg_data(&request->f[0]), zmq_msg_size(&request->f[0]));
    if (c && (c->held.n >= bl->max_held || bl->total_held >= CN_BACKLOG_MAX_TOTAL)) {
        if (c->dropped++ == 0)
            cn_warn("un client a %zu requêtes en attente sans lire ses réponses ([bus] max_in_flight): ses requêtes "
                    "suivantes sont ignorées, sans être exécutées, jusqu'à ce qu'il lise",
                    c->held.n);
        bl->dropped++;
        cn_frames_close(request);
        return -1;
    }
    int rc = append(bl, request, false);
    bl->total_held += rc == 0;
    watch_flood(bl);
    return rc;
}

/* Sends one kept reply: 0 sent, 1 not now (full), -1 the client is gone. */
static int send_kept(void *sock, cn_frames *m)
{
    for (int i = 0; i < m->n; i++) {
        /* With ZMQ_ROUTER_MANDATORY the first frame fails when the client
         * is gone (EHOSTUNREACH) or full (EAGAIN); a message ZeroMQ took
         * whole cannot fail half-way. */
        zmq_msg_t copy;
        zmq_msg_init(&copy);
        zmq_msg_copy(&copy, &m->f[i]);
        if (zmq_msg_send(&copy, sock, (i + 1 < m->n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&copy);
            return zmq_errno() == EAGAIN ? 1 : -1;
        }
    }
    return 0;
}

int cn_backlog_flush(cn_backlog *bl, void *sock, cn_frames *out, int max)
{
    int taken = 0;
    for (client **cp = &bl->clients; *cp;) {
        client *c = *cp;
        int rc = 0;
        while (c->replies.head && (rc = send_kept(sock, &c->replies.head->msg)) == 0) {
            entry *e = pop(&c->replies);
            cn_frames_close(&e->msg);
            free(e);
        }
        /* Its held requests run only when it has taken every reply: a
         * client that does not read gets nothing more done. */
        while (rc == 0 && !c->replies.head && c->held.head && taken < max) {
            entry *e = pop(&c->held);
            out[taken++] = e->msg;
            free(e);
            bl->total_held--;
        }
        if (rc < 0 || (!c->replies.head && !c->held.head)) {
            if (c->dropped)
                cn_warn("%zu requêtes d'un client qui ne lisait pas ses réponses ont été ignorées", c->dropped);
            *cp = c->next;
            bl->total_held -= c->held.n;
            bl->nclients--;
            free_client(c);
            if (!bl->clients && bl->flood) {
                bl->flood = false;
                cn_memory_flood_ends(); /* what it took goes back to the system */
                cn_info("afflux terminé : plus aucun client n'a de réponses en attente ; la mémoire est rendue au système");
            }
        } else {
            cp = &c->next;
        }
    }
    return taken;
}
