/* wal_sync.h: the write-ahead log flushed to disk apart from the commit.
 *
 * The bus commits a batch of commands with synchronous=NORMAL (its WAL
 * frames written, not flushed) and holds its replies and events until
 * this has flushed the WAL: on a thread of its own, so that the loop
 * handles the next batch while the disk works — group commit pipelined,
 * as a database's WAL writer does (a lone request is flushed by SQLite
 * at its COMMIT instead). cn_wal_sync_finish flushes on the calling thread,
 * for when the thread cannot be used.
 *
 * The flush is fdatasync() on a descriptor of the WAL file opened here:
 * a flush is the file's, whichever descriptor asks it, and covers every
 * write made before it began. Each flush carries a ticket (the caller's
 * count of commits), given back when it is done. */
#ifndef CN_WAL_SYNC_H
#define CN_WAL_SYNC_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct cn_wal_sync cn_wal_sync;

/* A flush begun by cn_wal_sync_start is done (on the loop thread): err is
 * 0, or the errno of the failed flush (the frames may not be on disk). */
typedef void (*cn_wal_synced_fn)(void *data, uint64_t ticket, int err);

/* For db (in WAL mode, its WAL file there) on loop: the WAL opened, the
 * thread started. NULL when either cannot be (errno may say why).
 * Destroy with cn_wal_sync_destroy(). */
cn_wal_sync *cn_wal_sync_new(uv_loop_t *loop, sqlite3 *db, cn_wal_synced_fn done, void *data);

/* Whether a flush is in flight. */
bool cn_wal_sync_busy(const cn_wal_sync *s);

/* Whether the flush in flight is done, its callback not yet called: the
 * loop, busy with a batch, may take it at once (cn_wal_sync_collect)
 * rather than at its next turn. */
bool cn_wal_sync_finished(cn_wal_sync *s);

/* Calls the callback of the flush in flight now if it is done (it is not
 * called again at the loop's next turn); nothing otherwise. */
void cn_wal_sync_collect(cn_wal_sync *s);

/* Starts flushing the WAL for ticket on the thread; -1 when one is in
 * flight already (or the WAL cannot be opened: errno set), 0 otherwise. */
int cn_wal_sync_start(cn_wal_sync *s, uint64_t ticket);

/* Waits for the flush in flight (its callback will not be called), then
 * flushes once more here: everything written so far is on disk when it
 * returns 0 (else an errno). For the end of the bus, and for when the
 * loop must have everything on disk at once. */
int cn_wal_sync_finish(cn_wal_sync *s);

/* Waits for the flush in flight (its callback is not called), stops the
 * thread, closes the descriptor. Nulls *sp; safe on NULL. The struct is
 * freed once the loop has closed its handle. */
void cn_wal_sync_destroy(cn_wal_sync **sp);

#endif
