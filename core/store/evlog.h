/* evlog.h: the event log. Every change to the model is an event with
 * (origin, seq), seq strictly increasing per origin. An event is written
 * to the events table inside the command's transaction and queued; only
 * after the transaction commits is it published on the PUB socket, so a
 * subscriber never sees a change that is not on disk. */
#ifndef CN_EVLOG_H
#define CN_EVLOG_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SQL: the origins the log holds, as a table origins(origin): this node's
 * if it has events, then its peers', each found by one seek in their key
 * (origin, seq) after the one before: the cost grows with the number of
 * origins, not of events (GROUP BY origin reads every event). Followed by
 * a SELECT … FROM origins, whose origin may be NULL (skip it). */
#define CN_EVLOG_ORIGINS                                                                                              \
    "WITH RECURSIVE peers(origin) AS (SELECT (SELECT min(origin) FROM peer_events)"                                    \
    " UNION ALL SELECT (SELECT min(origin) FROM peer_events WHERE origin > peers.origin) FROM peers"                    \
    " WHERE origin IS NOT NULL),"                                                                                      \
    " origins(origin) AS (SELECT value FROM meta WHERE key = 'node' AND EXISTS (SELECT 1 FROM own_events)"             \
    " UNION ALL SELECT origin FROM peers) "
/* SQL: the newest seq and time stamp of the origin named by column o, as
 * columns head and head_ts, each read from the one table that holds the
 * origin's events (a max() over the log's view would read every event). */
#define CN_EVLOG_HEAD(o)                                                                                              \
    "CASE WHEN " o " = (SELECT value FROM meta WHERE key = 'node') THEN (SELECT max(seq) FROM own_events)"            \
    " ELSE (SELECT max(seq) FROM peer_events WHERE origin = " o ") END AS head,"                                      \
    " CASE WHEN " o " = (SELECT value FROM meta WHERE key = 'node')"                                                  \
    " THEN (SELECT ts_ms FROM own_events ORDER BY seq DESC LIMIT 1)"                                                   \
    " ELSE (SELECT ts_ms FROM peer_events WHERE origin = " o " ORDER BY seq DESC LIMIT 1) END AS head_ts"

/* SQL: the events of the origin bound as parameter p, from the one table
 * that holds them ("SELECT … FROM " CN_EVLOG_OWN_LOG("?1") " AND …"):
 * this node's own (p is bound all the same, to keep one set of
 * parameters), or a peer's. The log's view, a UNION ALL of both, is read
 * whole by an aggregate and sorted by an ORDER BY no index gives. Which
 * one: cn_evlog_is_own. */
#define CN_EVLOG_OWN_LOG(p) "own_events WHERE " p " IS NOT NULL"
#define CN_EVLOG_PEER_LOG(p) "peer_events WHERE origin = " p

typedef struct cn_evlog cn_evlog;

/* Reads the last seq of origin from db. The db stays the caller's and must
 * outlive the log. Returns NULL on failure. Destroy with cn_evlog_destroy(). */
cn_evlog *cn_evlog_new(sqlite3 *db, const char *origin);
void cn_evlog_destroy(cn_evlog **logp);

/* Inside the open transaction: gives the event the next seq, stores it and
 * queues it for publishing. data/len is one encoded msgpack map (copied).
 * Returns the SQLite code (SQLITE_OK on success). */
int cn_evlog_append(cn_evlog *log, const char *region, const char *type, const void *data, size_t len);

/* Who makes the events appended from now on (the request's actor: a
 * concertctl user, a web account, a plugin), stored and published with
 * each; NULL or "" for none. Copied (at most 128 bytes). */
void cn_evlog_set_actor(cn_evlog *log, const char *actor);
const char *cn_evlog_actor(const cn_evlog *log); /* NULL when none */

/* A mark, and the rewind to it when the command that followed it failed
 * and its savepoint was rolled back. */
size_t cn_evlog_mark(cn_evlog *log);
void cn_evlog_rewind(cn_evlog *log, size_t mark);

/* After COMMIT (synchronous=FULL: everything written so far is on disk):
 * sends every queued event — the held ones first, on their own pub — on
 * pub (two frames, topic then payload) and empties the queue. */
void cn_evlog_publish(cn_evlog *log, void *pub);

/* After a COMMIT that did not flush the WAL (the bus's, wal_sync.h): its
 * events are held, with the commit's ticket, until cn_evlog_publish_held
 * says that ticket is on disk; then they go on pub. A subscriber still
 * never sees a change that is not on disk. */
void cn_evlog_hold(cn_evlog *log, uint64_t ticket, void *pub);
/* Publishes the held events whose ticket is at most ticket, in order. */
void cn_evlog_publish_held(cn_evlog *log, uint64_t ticket);

/* After a failed COMMIT: drops the open batch's events (the held ones
 * stay) and goes back to the last committed seq. */
void cn_evlog_abort(cn_evlog *log);

/* Called by cn_evlog_publish for every committed event, in seq order, with
 * its topic "<region>/<type>" (the plugin host uses it to know, without
 * reading the database, which plugins have something to receive). */
typedef void (*cn_evlog_observer)(void *data, int64_t seq, const char *topic);

/* A second PUB socket every published event also goes to (the federation's,
 * for peer nodes), or NULL. */
void cn_evlog_set_mirror(cn_evlog *log, void *pub);
void cn_evlog_set_observer(cn_evlog *log, cn_evlog_observer fn, void *data);

int64_t cn_evlog_last_seq(const cn_evlog *log);
/* The last of our events published: on disk (later ones may be committed
 * and held, or in the open batch). What is handed out of the daemon stops
 * there. */
int64_t cn_evlog_published_seq(const cn_evlog *log);
const char *cn_evlog_origin(const cn_evlog *log);
/* Whether origin is this node's (its events in own_events). */
bool cn_evlog_is_own(const cn_evlog *log, const char *origin);

/* Packs the payload map of an event (seq, origin, ts, region, type, data,
 * and actor when not NULL). */
struct msgpack_packer;
int cn_evlog_pack_event(struct msgpack_packer *pk, int64_t seq, const char *origin, int64_t ts,
                        const char *region, const char *type, const void *data, size_t len, const char *actor);

#endif
