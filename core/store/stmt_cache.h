/* stmt_cache.h: prepared statements kept across commands. Compiling SQL is
 * most of what a small command costs (tools/PERFORMANCE.md): the daemon's
 * connection keeps each statement it runs, prepared once
 * (SQLITE_PREPARE_PERSISTENT), found again by its SQL's text, reset and
 * unbound after each use.
 *
 * cn_stmt_get(db, sql, &st) … cn_stmt_done(st): the pair replaces
 * sqlite3_prepare_v2 … sqlite3_finalize. A statement already in use (a
 * query run again while an outer loop still steps it) comes fresh and is
 * finalized at done, so nesting is safe; so is a connection without a
 * cache (worker threads, the backup): cn_stmt_done finalizes what it does
 * not keep. Loop thread only for a connection with a cache. */
#ifndef CN_STMT_CACHE_H
#define CN_STMT_CACHE_H

#include <sqlite3.h>

/* Gives db a cache (the daemon's connection; before any cn_stmt_get on it).
 * 0, or -1 when out of memory (then statements are simply not kept). */
int cn_stmt_cache_attach(sqlite3 *db);
/* Finalizes db's kept statements (before sqlite3_close). */
void cn_stmt_cache_detach(sqlite3 *db);

/* A statement for sql. Returns sqlite3_prepare's code. */
int cn_stmt_get(sqlite3 *db, const char *sql, sqlite3_stmt **st);
/* Done with st: reset and unbound if kept, finalized otherwise. NULL is fine. */
void cn_stmt_done(sqlite3_stmt *st);

/* Runs sql (one statement without result rows: BEGIN, SAVEPOINT x, RELEASE
 * x, COMMIT…) through the cache. Returns SQLITE_OK or the error code. */
int cn_stmt_exec(sqlite3 *db, const char *sql);

#endif
