/* held.h: the replies whose batch is committed but not yet on disk (its
 * WAL being flushed apart, store/wal_sync.h), in the order they were
 * made, each with its batch's ticket; sent once that ticket is on disk. */
#ifndef CN_HELD_H
#define CN_HELD_H

#include <stddef.h>
#include <stdint.h>

#include "backlog.h"
#include "request.h"
#include "stats.h"

typedef struct cn_held cn_held;

cn_held *cn_held_new(void);
/* Drops what it holds, unsent. Nulls *hp; safe on NULL. */
void cn_held_destroy(cn_held **hp);

/* Keeps rq (its frames and reply move here) to be sent on sock (or kept in
 * backlog) once ticket is on disk; read_at: when its batch was read (its
 * latency is counted to its sending). -1 when out of memory (rq untouched). */
int cn_held_keep(cn_held *h, cn_request *rq, void *sock, cn_backlog *backlog, uint64_t ticket, uint64_t read_at);

/* Sends, in order, the held replies whose ticket is at most durable, each
 * one's latency added to latency. */
void cn_held_release(cn_held *h, uint64_t durable, cn_histogram *latency);

size_t cn_held_count(const cn_held *h);

#endif
