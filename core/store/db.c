/* db.c: see db.h. */
#include "db.h"
#include "stmt_cache.h"

#include "fold.h"
#include "text.h"
#include "wal_writes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "migrations.h"
#include "text.h"

struct cn_db {
    sqlite3 *sqlite;
    int lock_fd;
};

/* The long step under way, if any (the start is single-threaded). */
static struct {
    cn_db_long_work_fn notice;
    char what[160];
    double said_at;
} long_work;

#define LONG_WORK_EVERY_S 5.0
#define LONG_WORK_OPS 200000 /* SQLite's VM steps between two looks at the clock */

static double monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cn_db_set_long_work_notice(cn_db_long_work_fn fn) { long_work.notice = fn; }

static int long_work_progress(void *arg)
{
    (void)arg;
    double now = monotonic_s();
    if (now - long_work.said_at >= LONG_WORK_EVERY_S) {
        long_work.said_at = now;
        long_work.notice(long_work.what);
    }
    return 0; /* go on */
}

void cn_db_long_work_begin(sqlite3 *db, const char *what, bool quiet)
{
    if (!long_work.notice)
        return;
    snprintf(long_work.what, sizeof long_work.what, "%s", what);
    long_work.said_at = monotonic_s();
    if (!quiet)
        long_work.notice(long_work.what);
    sqlite3_progress_handler(db, LONG_WORK_OPS, long_work_progress, NULL);
}

void cn_db_long_work_end(sqlite3 *db)
{
    if (long_work.notice)
        sqlite3_progress_handler(db, 0, NULL, NULL);
}

int cn_db_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        cn_error("SQLite: %s (%.80s)", msg ? msg : sqlite3_errstr(rc), sql);
        sqlite3_free(msg);
    }
    return rc;
}

/* cn_fold(text): text with accents and case folded, for comparisons in SQL
 * (action.search); NULL stays NULL. */
static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    if (!s) {
        sqlite3_result_null(ctx);
        return;
    }
    size_t cap = strlen(s) * 2 + 1;
    char *out = sqlite3_malloc64(cap);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    cn_fold(s, out, cap);
    sqlite3_result_text(ctx, out, -1, sqlite3_free);
}

int cn_db_open_raw(const char *path, sqlite3 **out)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             cn_wal_writes_register() == SQLITE_OK ? CN_WAL_WRITES_VFS : NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return rc;
    }
    /* WAL + synchronous=FULL: a COMMIT that returned is on disk, and a crash
     * at any point leaves the last committed state. */
    rc = sqlite3_exec(db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                      "PRAGMA busy_timeout=0;",
                      NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "cn_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_fold, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return SQLITE_OK;
}

int cn_db_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

int cn_db_latest_version(void) { return cn_migrations_count(); }

int cn_db_migrate(sqlite3 *db, int target, char *err, size_t errcap)
{
    int latest = cn_migrations_count();
    if (target < 0 || target > latest)
        target = latest;
    int current = cn_db_version(db);
    if (current < 0) {
        snprintf(err, errcap, "version du schéma illisible: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (current > latest) {
        snprintf(err, errcap,
                 "la base est au schéma %d, plus récent que celui de ce concertd (%d): "
                 "utilisez une version plus récente de concertd",
                 current, latest);
        return -1;
    }
    if (current > 0 && target > current) {
        char what[160];
        snprintf(what, sizeof what,
                 L("mise à niveau de la base, du schéma %d au schéma %d", "upgrading the database from schema %d to %d"),
                 current, target);
        cn_db_long_work_begin(db, what, false);
    }
    for (int v = current + 1; v <= target; v++) {
        char *msg = NULL;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;", v);
        int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, cn_migration_sql(v), NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, pragma, NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            snprintf(err, errcap, "migration du schéma vers la version %d impossible: %s", v,
                     msg ? msg : sqlite3_errstr(rc));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            cn_db_long_work_end(db);
            return -1;
        }
    }
    cn_db_long_work_end(db);
    if (current == 0 && target > 0)
        cn_info("base de données créée (schéma %d)", target);
    else if (target > current)
        cn_info("base de données migrée du schéma %d au schéma %d", current, target);
    return 0;
}

/* Takes an exclusive flock on data_dir/concertd.lock and writes our pid in
 * it. The kernel drops the lock when the process dies, even by SIGKILL. */
int cn_db_take_lock(const char *data_dir, char *err, size_t errcap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/concertd.lock", data_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errcap, "%s: %s", path, cn_strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "?";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        if (n > 0) {
            pid[n] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
        }
        snprintf(err, errcap,
                 "un autre concertd (pid %s) utilise déjà le dossier de données %s; "
                 "arrêtez-le ou choisissez un autre dossier avec --data-dir",
                 pid, data_dir);
        close(fd);
        return -1;
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
        cn_warn("%s: pid non écrit: %s", path, cn_strerror(errno));
    return fd;
}

void cn_db_release_lock(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* The verdict of quick_check or integrity_check on db: "ok", or the first
 * problems found, in out. */
static void verdict(sqlite3 *db, bool full, char *out, size_t cap)
{
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, full ? "PRAGMA integrity_check(10)" : "PRAGMA quick_check(10)", -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, cap, "%s", sqlite3_errmsg(db));
        return;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? " ; " : "", line ? line : "?");
    }
    if (rc != SQLITE_DONE && !out[0])
        snprintf(out, cap, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
}

int cn_db_check(const char *data_dir, bool full, char *said, size_t saidcap)
{
    char path[4096], found[2048];
    snprintf(path, sizeof path, "%s/concertd.db", data_dir);
    sqlite3 *db = NULL;
    if (access(path, R_OK) != 0) {
        snprintf(said, saidcap, "%s : %s", path, cn_strerror(errno));
        return -1;
    }
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        snprintf(said, saidcap, "%s : %s", path, sqlite3_errstr(rc));
        sqlite3_close(db);
        return -1;
    }
    verdict(db, full, found, sizeof found);
    int version = cn_db_version(db);
    sqlite3_close(db);
    if (strcmp(found, "ok") == 0) {
        snprintf(said, saidcap, "%s : base saine (%s, schéma %d)", path, full ? "integrity_check" : "quick_check",
                 version);
        return 0;
    }
    snprintf(said, saidcap,
             "%s : base abîmée (%s : %s). Ne la modifiez plus : arrêtez concertd, gardez une copie du dossier tel "
             "quel, puis restaurez la dernière sauvegarde (concertd --restore FICHIER)",
             path, full ? "integrity_check" : "quick_check", found);
    return 1;
}

cn_db *cn_db_new(const char *data_dir, char *err, size_t errcap)
{
    if (mkdir(data_dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "impossible de créer le dossier de données %s: %s", data_dir, cn_strerror(errno));
        return NULL;
    }
    cn_db *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, errcap, "mémoire insuffisante");
        return NULL;
    }
    db->lock_fd = cn_db_take_lock(data_dir, err, errcap);
    if (db->lock_fd < 0) {
        free(db);
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/concertd.db", data_dir);
    int rc = cn_db_open_raw(path, &db->sqlite);
    /* A damaged database is not written to: the start stops, saying so. */
    char found[2048];
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
        snprintf(found, sizeof found, "%s", sqlite3_errstr(rc));
    else if (rc == SQLITE_BUSY) { /* another program has it open (wal_writes.h) */
        snprintf(err, errcap,
                 L("%s : un autre programme (un shell sqlite3 ?) a la base ouverte : fermez-le, puis relancez "
                   "concertd, qui la tient seul pendant qu'il tourne",
                   "%s: another program (an sqlite3 shell?) has the database open: close it, then start "
                   "concertd again, which holds it alone while it runs"),
                 path);
        cn_db_destroy(&db);
        return NULL;
    } else if (rc != SQLITE_OK) {
        snprintf(err, errcap, "%s: ouverture impossible: %s", path, sqlite3_errstr(rc));
        cn_db_destroy(&db);
        return NULL;
    } else {
        cn_db_long_work_begin(db->sqlite, L("vérification de la base (quick_check)", "checking the database (quick_check)"),
                              true);
        verdict(db->sqlite, false, found, sizeof found);
        cn_db_long_work_end(db->sqlite);
    }
    if (strcmp(found, "ok") != 0) {
        snprintf(err, errcap,
                 "%s : base abîmée (quick_check : %.1500s). concertd ne démarre pas pour ne pas l'abîmer davantage : "
                 "gardez une copie du dossier tel quel, puis restaurez la dernière sauvegarde (concertd --restore "
                 "FICHIER) ; concertd --check-db en dit plus",
                 path, found);
        cn_db_destroy(&db);
        return NULL;
    }
    if (cn_db_migrate(db->sqlite, -1, err, errcap) != 0) {
        cn_db_destroy(&db);
        return NULL;
    }
    cn_stmt_cache_attach(db->sqlite); /* without it (out of memory) statements are prepared each time */
    return db;
}

sqlite3 *cn_db_sqlite(cn_db *db) { return db->sqlite; }

void cn_db_destroy(cn_db **dbp)
{
    if (!dbp || !*dbp)
        return;
    cn_db *db = *dbp;
    if (db->sqlite) {
        cn_stmt_cache_detach(db->sqlite);
        int rc = sqlite3_close(db->sqlite);
        if (rc != SQLITE_OK)
            cn_error("fermeture de la base: %s", sqlite3_errstr(rc));
    }
    if (db->lock_fd >= 0)
        close(db->lock_fd);
    free(db);
    *dbp = NULL;
}
