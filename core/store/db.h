/* db.h: the SQLite database under the data directory: opening it with the
 * settings the durability promise rests on (WAL, synchronous=FULL, foreign
 * keys), the single-instance lock, and the versioned schema migrations.
 *
 * Every table of the plan model and the event log lives here; the schema
 * is described in migrations.c. */
#ifndef CN_DB_H
#define CN_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct cn_db cn_db;

/* Creates data_dir if needed, takes its lock (a second daemon on the same
 * directory is refused with a message naming the pid holding it), opens
 * data_dir/concertd.db and migrates it to the latest schema. Returns NULL
 * and a message in err on failure. Destroy with cn_db_destroy(). */
cn_db *cn_db_new(const char *data_dir, char *err, size_t errcap);

/* The single-instance lock on data_dir/concertd.lock (a second daemon, or a
 * restore while one runs, is refused naming the pid that holds it): the
 * lock's descriptor, or -1 with why in err. Released by closing it. */
int cn_db_take_lock(const char *data_dir, char *err, size_t errcap);
void cn_db_release_lock(int fd);

/* Closes the database (checkpointing the WAL) and releases the lock.
 * Nulls *dbp; safe on NULL. */
void cn_db_destroy(cn_db **dbp);

sqlite3 *cn_db_sqlite(cn_db *db);

/* Opens path with the daemon's settings but no lock and no migration
 * (for tests and tools). Returns SQLITE_OK or an SQLite error code. */
int cn_db_open_raw(const char *path, sqlite3 **out);

/* Applies the migrations above the database's user_version, up to and
 * including target (or all of them when target < 0), each in its own
 * transaction. Returns 0, or -1 with a message in err. */
int cn_db_migrate(sqlite3 *db, int target, char *err, size_t errcap);

/* The schema version the database is at, and the latest this build knows. */
int cn_db_version(sqlite3 *db);
int cn_db_latest_version(void);

/* Checks the database of data_dir, read-only (beside a running daemon too):
 * PRAGMA quick_check, or integrity_check when full (every index against
 * its table: slower). Returns 0 when it is sound, 1 when it is not, -1 when
 * it cannot be read; said tells which, and what to do. */
int cn_db_check(const char *data_dir, bool full, char *said, size_t saidcap);

/* Told when opening the database takes long (its check, a migration, the
 * log's own events moved apart), at once and then every 5 s at most, with
 * what is being done: lets a service manager know the start goes on
 * (service.c). NULL: nobody is told. Not thread-safe: set before opening. */
typedef void (*cn_db_long_work_fn)(const char *what);
void cn_db_set_long_work_notice(cn_db_long_work_fn fn);
/* For the store's own long steps on db: the notice now (unless quiet: a
 * step of every start, said only if it lasts), then from SQLite's progress
 * handler every 5 s while the step runs, until cn_db_long_work_end. */
void cn_db_long_work_begin(sqlite3 *db, const char *what, bool quiet);
void cn_db_long_work_end(sqlite3 *db);

/* Runs SQL with no result rows; on failure logs and returns the SQLite code. */
int cn_db_exec(sqlite3 *db, const char *sql);

#endif
