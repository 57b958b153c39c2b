/* held.c: see held.h. A ring of replies, grown by doubling. */
#include "held.h"

#include <stdlib.h>
#include <uv.h>

typedef struct {
    cn_request rq;
    void *sock;
    cn_backlog *backlog;
    uint64_t ticket;  /* its batch's lazy commit (cn_core_batch_commit_lazy) */
    uint64_t read_at; /* when its batch was read */
} held_reply;

struct cn_held {
    held_reply *items;
    size_t head, len, cap;
};

cn_held *cn_held_new(void) { return calloc(1, sizeof(cn_held)); }

void cn_held_destroy(cn_held **hp)
{
    if (!hp || !*hp)
        return;
    cn_held *h = *hp;
    for (size_t i = 0; i < h->len; i++)
        cn_request_close(&h->items[(h->head + i) % h->cap].rq);
    free(h->items);
    free(h);
    *hp = NULL;
}

int cn_held_keep(cn_held *h, cn_request *rq, void *sock, cn_backlog *backlog, uint64_t ticket, uint64_t read_at)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        held_reply *items = malloc(cap * sizeof *items);
        if (!items)
            return -1;
        for (size_t i = 0; i < h->len; i++) /* in order, from 0 */
            items[i] = h->items[(h->head + i) % h->cap];
        free(h->items);
        h->items = items;
        h->head = 0;
        h->cap = cap;
    }
    held_reply *r = &h->items[(h->head + h->len) % h->cap];
    r->rq.total = rq->total;
    r->rq.envelope = rq->envelope;
    r->rq.reply = rq->reply;
    r->rq.has_reply = rq->has_reply;
    rq->has_reply = false; /* the reply's buffer is the held one's now */
    cn_frames_move(&r->rq.msg, &rq->msg);
    r->sock = sock;
    r->backlog = backlog;
    r->ticket = ticket;
    r->read_at = read_at;
    h->len++;
    return 0;
}

void cn_held_release(cn_held *h, uint64_t durable, cn_histogram *latency)
{
    uint64_t now = uv_hrtime();
    while (h->len) {
        held_reply *r = &h->items[h->head];
        if (r->ticket > durable)
            break;
        cn_request_send(r->sock, r->backlog, &r->rq);
        cn_request_close(&r->rq);
        cn_histogram_add(latency, (double)(now - r->read_at) / 1e9, 1);
        h->head = (h->head + 1) % h->cap;
        h->len--;
    }
}

size_t cn_held_count(const cn_held *h) { return h->len; }
