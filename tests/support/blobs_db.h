/* blobs_db.h: the store's unit tests' database — one table of blobs,
 * t(id, body), in WAL through the daemon's settings — and what another
 * connection sees of it (built into the tests that use it). */
#ifndef CN_TEST_BLOBS_DB_H
#define CN_TEST_BLOBS_DB_H

#include <sqlite3.h>

/* path opened as the daemon opens its database (cn_db_open_raw), commits
 * at synchronous=NORMAL (as the bus's batches: not flushed each), table t
 * made if it is not there. Fails the test when it cannot. */
sqlite3 *cn_test_blobs_open(const char *path);

/* The rows of t as a reader on its own connection (SQLite's own VFS) sees
 * them; the test fails unless the database is whole (integrity_check). */
long cn_test_blobs_seen(const char *path);

#endif
