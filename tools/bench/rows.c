/* rows: what SQLite alone spends on the statements of one indicator.record,
 * each apart, CPU only (WAL, synchronous=OFF: no flush), in transactions
 * of 50 commands (the bus's batches with 100 requests in flight). Tells
 * which part of concertd's time per command is SQLite's work on its own
 * tables and which is the daemon's (tools/PERFORMANCE.md). The database is
 * concertd's own, opened and migrated as the daemon does (store/db.h); the
 * statements are cn_measurement_record's (core/model/ops_indicator.c).
 *
 *   rows [ROUNDS]        prints one line per statement: µs per command */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "record_sql.h"

#define COMMANDS 200000
#define BATCH 50

/* What an indicator.record needs there: two regions (the demo's and the
 * benchmarked one), a plan, an objective, an action and its indicator. */
static const char rows[] =
    "INSERT INTO regions(id, name, name_key, kind, origin, created_ms, updated_ms) VALUES"
    " ('bench', 'Bénchmark', 'benchmark', 'regional', 'local', 0, 0),"
    " ('lanaudiere', 'Lanaudière', 'lanaudiere', 'regional', 'local', 0, 0);"
    "INSERT INTO plans(id, region, title, created_ms, updated_ms) VALUES (1, 'bench', 'Plan', 0, 0);"
    "INSERT INTO objectives(id, plan, number, sort_key, text, mandates) VALUES (1, 1, '1', '1', 'Objectif', x'90');"
    "INSERT INTO actions(id, plan, objective, number, sort_key, text, targets, created_ms, updated_ms)"
    " VALUES (1, 1, 1, '1.1', '1.1', 'Action', x'90', 0, 0);"
    "INSERT INTO indicators(id, plan, action, name, created_ms) VALUES (1, 1, 1, 'Nombre de participants', 0);";
static const char no_event_indexes[] = "DROP INDEX own_events_region; DROP INDEX own_events_adhesion;",
                  no_adhesion_index[] = "DROP INDEX own_events_adhesion;";

enum { READ = 1, MEASUREMENT = 2, EVENT = 4, SAVEPOINT = 8, NO_EVENT_INDEXES = 16, LATEST = 32, NO_ADHESION_INDEX = 64 };

static const struct {
    const char *what;
    int parts;
} cases[] = {
    {"the indicator's context read (a join of four tables)", READ},
    {"the measurement inserted (its index, its foreign key)", MEASUREMENT},
    {"the probe for a later measurement", LATEST},
    {"the event inserted (the log, events_region, the adhesion index)", EVENT},
    {"the event inserted, without the two region indexes", EVENT | NO_EVENT_INDEXES},
    {"the event inserted, without the adhesion index", EVENT | NO_ADHESION_INDEX},
    {"both inserts", MEASUREMENT | EVENT},
    {"both inserts in the command's savepoint", MEASUREMENT | EVENT | SAVEPOINT},
    {"a record, its context kept: savepoint, both inserts, the probe", MEASUREMENT | EVENT | SAVEPOINT | LATEST},
    {"all of it: savepoint, read, both inserts, the probe", READ | MEASUREMENT | EVENT | SAVEPOINT | LATEST},
};
#define NCASES (sizeof cases / sizeof cases[0])

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "rows: %s: %s\n", sql, sqlite3_errmsg(db));
        exit(1);
    }
    return st;
}

static void run(sqlite3 *db, sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "rows: %s: %s\n", sqlite3_sql(st), sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(st);
}

/* Microseconds per command of the statements in parts, on a new database. */
static double measure(const char *dir, int parts)
{
    char path[512];
    snprintf(path, sizeof path, "%s/rows.db", dir);
    sqlite3 *db;
    char err[512] = "";
    if (cn_db_open_raw(path, &db) != SQLITE_OK || cn_db_migrate(db, -1, err, sizeof err) != 0 ||
        sqlite3_exec(db, "PRAGMA synchronous=OFF;", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, rows, NULL, NULL, NULL) != SQLITE_OK ||
        ((parts & NO_EVENT_INDEXES) && sqlite3_exec(db, no_event_indexes, NULL, NULL, NULL) != SQLITE_OK) ||
        ((parts & NO_ADHESION_INDEX) && sqlite3_exec(db, no_adhesion_index, NULL, NULL, NULL) != SQLITE_OK)) {
        fprintf(stderr, "rows: %s\n", err[0] ? err : sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_stmt *begin = prepare(db, "BEGIN IMMEDIATE"), *commit = prepare(db, "COMMIT"),
                 *savepoint = prepare(db, "SAVEPOINT cmd"), *release = prepare(db, "RELEASE cmd"),
                 *read = prepare(db, CN_RECORD_CONTEXT_SQL),
                 *measurement = prepare(db, CN_MEASUREMENT_INSERT_SQL), *latest = prepare(db, CN_LATER_MEASUREMENT_SQL),
                 *event = prepare(db, "INSERT INTO own_events(seq, ts_ms, region, type, data, actor)"
                                      " VALUES (?1, ?2, 'bench', 'indicator.recorded', ?3, NULL)");
    static char data[181]; /* as large as concertd's indicator.recorded */
    memset(data, 0xa5, sizeof data);
    /* Indicator 1, today, as concertd binds them (run() keeps the bindings). */
    static const char today[] = "2026-12-03", note[] = "Rencontre nº 7";
    sqlite3_bind_int64(measurement, 1, 1);
    sqlite3_bind_text(measurement, 2, today, -1, SQLITE_STATIC);
    sqlite3_bind_double(measurement, 3, 7);
    sqlite3_bind_text(measurement, 4, note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(latest, 1, 1);
    sqlite3_bind_text(latest, 2, today, -1, SQLITE_STATIC);
    long seq = 0;
    double start = now_s();
    for (int b = 0; b < COMMANDS / BATCH; b++) {
        run(db, begin);
        for (int i = 0; i < BATCH; i++) {
            if (parts & SAVEPOINT)
                run(db, savepoint);
            if (parts & READ) {
                sqlite3_bind_int64(read, 1, 1);
                run(db, read);
            }
            if (parts & MEASUREMENT) {
                sqlite3_bind_int64(measurement, 5, 1796300000000 + seq);
                run(db, measurement);
            }
            if (parts & LATEST)
                run(db, latest);
            if (parts & EVENT) {
                sqlite3_bind_int64(event, 1, ++seq);
                sqlite3_bind_int64(event, 2, 1796300000000 + seq);
                sqlite3_bind_blob(event, 3, data, sizeof data, SQLITE_STATIC);
                run(db, event);
            }
            if (parts & SAVEPOINT)
                run(db, release);
        }
        run(db, commit);
    }
    double us = (now_s() - start) / COMMANDS * 1e6;
    sqlite3_stmt *all[] = {begin, commit, savepoint, release, read, measurement, latest, event};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    sqlite3_close(db);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char file[540];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
    return us;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1 || rounds > 50) {
        fprintf(stderr, "usage: rows [ROUNDS]   (1 to 50, default 5)\n");
        return 2;
    }
    cn_log_set_level(CN_LOG_WARN); /* not "database created" for each case */
    char dir[] = "/tmp/concertd-rows-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("rows: mkdtemp");
        return 1;
    }
    /* Every case measured once per round, the rounds one after the other:
     * this machine's speed moves from minute to minute. */
    static double us[NCASES][50];
    for (int r = 0; r < rounds; r++)
        for (size_t c = 0; c < NCASES; c++)
            us[c][r] = measure(dir, cases[c].parts);
    rmdir(dir);
    printf("SQLite %s, %d commands in transactions of %d, %d rounds: median (min-max) microseconds per command\n",
           sqlite3_libversion(), COMMANDS, BATCH, rounds);
    for (size_t c = 0; c < NCASES; c++) {
        qsort(us[c], (size_t)rounds, sizeof us[c][0], by_value);
        printf("%-66s %5.2f (%.2f-%.2f)\n", cases[c].what, us[c][rounds / 2], us[c][0], us[c][rounds - 1]);
    }
    return 0;
}
