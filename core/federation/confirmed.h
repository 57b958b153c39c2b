/* confirmed.h: what each declared peer says it holds of each origin (the
 * `have` of its events.origins requests, and the `since` of its catch-up),
 * so that the event log's retention never removes an event before every
 * peer that follows it has it (the core's keeper, node.compact). */
#ifndef CONCERTD_FEDERATION_CONFIRMED_H
#define CONCERTD_FEDERATION_CONFIRMED_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cn_confirmed cn_confirmed;

cn_confirmed *cn_confirmed_new(void);
void cn_confirmed_free(cn_confirmed *c);

/* A request peer sent on the sync socket: events.since (it holds since) or
 * events.origins with `have` ({origin: seq}). Anything else is ignored. */
void cn_confirmed_note_request(cn_confirmed *c, const char *peer, const void *frame, size_t len);

/* The newest seq of origin every declared peer that follows it holds
 * (INT64_MAX when none does); who names the peer furthest behind. Stores
 * what was heard since the last call (peer_confirmed, in the caller's
 * transaction) and forgets the peers no longer declared. own: this node's
 * origin (what an events.since without origin asks for). */
int64_t cn_confirmed_bound(cn_confirmed *c, sqlite3 *db, const char *own, const char *origin, const char *const *declared,
                           size_t n, char *who, size_t whocap);

#endif
