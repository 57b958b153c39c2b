/* baseline: the best a bare program can do on concertd's durable hot path,
 * for the benchmark to compare concertd with (tools/bench/bench.py). A
 * ROUTER socket; each turn it takes what is queued (up to 256 requests),
 * stores each as a row plus an event row in ONE transaction (WAL,
 * synchronous=FULL: one fsync per batch, as concertd's group commit), then
 * replies to each with {id, ok}. It decodes the request only to find its id.
 * No model, no validation, no events published.
 *
 * With "schema", the same loop writes what concertd's indicator.record
 * writes, in concertd's tables and indexes: a measurement (its index on
 * indicator and date, its foreign key checked) and an event of the same
 * size in the node's own log (keyed by seq alone, indexed by region:
 * schema 12's own_events). What
 * concertd does beyond that — reading the request, the model's checks and
 * reads, the reply's indicator, publishing — is what the two figures tell
 * apart.
 *
 * A variant of "schema" leaves one part of it out, to tell what each costs
 * (tools/bench/bench_schema.py): "schema-no-event-index" (the log not
 * indexed by region), "schema-no-measurement-index", "schema-keyed-log"
 * (the log before schema 12: one table of every origin's events keyed by
 * (origin, seq), WITHOUT ROWID), "schema-data-apart" (that log's data in a
 * rowid table of its own, the log's rows small), "schema-unique-key" (that
 * log a rowid table, (origin, seq) a unique index),
 * "schema-clustered-measurements" (the measurements a table keyed by
 * indicator, date and id, without an index apart).
 *
 *   baseline ENDPOINT DBFILE [schema[-VARIANT]]      runs until SIGTERM */
#include <msgpack.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define BATCH 256

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

/* The request's id (a positive integer), 0 when it has none. */
static uint64_t id_of(const void *data, size_t len)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    uint64_t id = 0;
    if (msgpack_unpack_next(&u, data, len, NULL) == MSGPACK_UNPACK_SUCCESS && u.data.type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
            if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 2 &&
                memcmp(kv->key.via.str.ptr, "id", 2) == 0 && kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                id = kv->val.via.u64;
        }
    msgpack_unpacked_destroy(&u);
    return id;
}

/* Bare: two rowid tables, the request stored as it came. */
static const char bare_schema[] = "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body BLOB);"
                                  "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, body BLOB);";

/* concertd's tables for a measurement and its event (core/store/migrations.c). */
static const char concertd_measurements[] =
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE indicators(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "INSERT INTO indicators VALUES (1, 'Nombre de participants');"
    "CREATE TABLE measurements(id INTEGER PRIMARY KEY,"
    "  indicator INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,"
    "  date TEXT NOT NULL, value REAL NOT NULL, note TEXT, created_ms INTEGER NOT NULL);";
/* The measurements kept in the order of the index they need (indicator,
 * date, then id): one b-tree to write instead of a table and its index. */
static const char clustered_measurements[] =
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE indicators(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "INSERT INTO indicators VALUES (1, 'Nombre de participants');"
    "CREATE TABLE measurements(id INTEGER NOT NULL,"
    "  indicator INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,"
    "  date TEXT NOT NULL, value REAL NOT NULL, note TEXT, created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(indicator, date, id)) WITHOUT ROWID;";
static const char concertd_measurement_index[] =
    "CREATE INDEX measurements_indicator ON measurements(indicator, date);";
/* The node's own log (own_events): no origin, seq the rowid. */
static const char concertd_events[] =
    "CREATE TABLE events(seq INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, region TEXT NOT NULL,"
    "  type TEXT NOT NULL, data BLOB NOT NULL, actor TEXT);";
/* The log before schema 12, every origin's events in one key. */
static const char keyed_events[] =
    "CREATE TABLE events(origin TEXT NOT NULL, seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL, region TEXT NOT NULL,"
    "  type TEXT NOT NULL, data BLOB NOT NULL, actor TEXT, PRIMARY KEY(origin, seq)) WITHOUT ROWID;";
/* The log's rows small (its data in a rowid table apart): the row of an
 * index b-tree, which a WITHOUT ROWID table is, holds the whole row. */
static const char data_apart_events[] =
    "CREATE TABLE event_data(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE events(origin TEXT NOT NULL, seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL, region TEXT NOT NULL,"
    "  type TEXT NOT NULL, data INTEGER NOT NULL, actor TEXT, PRIMARY KEY(origin, seq)) WITHOUT ROWID;";
/* A rowid table: (origin, seq) its unique index. */
static const char unique_key_events[] =
    "CREATE TABLE events(origin TEXT NOT NULL, seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL, region TEXT NOT NULL,"
    "  type TEXT NOT NULL, data BLOB NOT NULL, actor TEXT, PRIMARY KEY(origin, seq));";
static const char concertd_event_indexes[] =
    "CREATE INDEX events_region ON events(region, ts_ms);"
    "CREATE INDEX events_adhesion ON events(region, ts_ms) WHERE type GLOB 'adhesion.*';";

/* "schema" and its variants: what each leaves out. */
typedef struct {
    const char *name;
    bool measurement_index, event_indexes;
    const char *events; /* another log's tables (with an origin column), or NULL: concertd's */
    const char *measurements; /* other measurements' tables, or NULL: concertd's */
} schema_variant;
static const schema_variant variants[] = {
    {"schema", true, true, NULL, NULL},
    {"schema-no-event-index", true, false, NULL, NULL},
    {"schema-no-measurement-index", false, true, NULL, NULL},
    {"schema-keyed-log", true, true, keyed_events, NULL},
    {"schema-data-apart", true, true, data_apart_events, NULL},
    {"schema-unique-key", true, true, unique_key_events, NULL},
    {"schema-clustered-measurements", false, true, NULL, clustered_measurements},
};

static const schema_variant *variant_named(const char *name)
{
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        if (strcmp(variants[i].name, name) == 0)
            return &variants[i];
    return NULL;
}

static int create_schema(sqlite3 *db, const schema_variant *v)
{
    int rc = sqlite3_exec(db, v->measurements ? v->measurements : concertd_measurements, NULL, NULL, NULL);
    if (rc == SQLITE_OK && v->measurement_index)
        rc = sqlite3_exec(db, concertd_measurement_index, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, v->events ? v->events : concertd_events, NULL, NULL, NULL);
    if (rc == SQLITE_OK && v->event_indexes)
        rc = sqlite3_exec(db, concertd_event_indexes, NULL, NULL, NULL);
    return rc;
}

/* An event's data as large as concertd's indicator.recorded (the indicator
 * as it now is, the date, value and note: 181 bytes). */
static char event_data[181];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs an insert; true when it stored its row. */
static bool step_done(sqlite3_stmt *st)
{
    bool done = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_reset(st);
    return done;
}

int main(int argc, char **argv)
{
    const schema_variant *schema = argc == 4 ? variant_named(argv[3]) : NULL;
    if (argc != 3 && !schema) {
        fprintf(stderr, "usage: baseline ENDPOINT DBFILE [schema[-VARIANT]]\n");
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK ||
        (schema ? create_schema(db, schema) : sqlite3_exec(db, bare_schema, NULL, NULL, NULL)) != SQLITE_OK) {
        fprintf(stderr, "baseline: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    memset(event_data, 0xa5, sizeof event_data);
    sqlite3_stmt *ins, *ev, *begin, *commit, *data = NULL;
    bool apart = schema && schema->events == data_apart_events;
    if (schema) {
        sqlite3_prepare_v2(db, "INSERT INTO measurements(id, indicator, date, value, note, created_ms)"
                               " VALUES (?2, 1, '2026-12-02', 7, 'Rencontre nº 7', ?1)", -1, &ins, NULL);
        sqlite3_prepare_v2(db,
                           schema->events ? "INSERT INTO events(origin, seq, ts_ms, region, type, data, actor)"
                                            " VALUES ('local', ?1, ?2, 'bench', 'indicator.recorded', ?3, NULL)"
                                          : "INSERT INTO events(seq, ts_ms, region, type, data, actor)"
                                            " VALUES (?1, ?2, 'bench', 'indicator.recorded', ?3, NULL)",
                           -1, &ev, NULL);
        if (apart)
            sqlite3_prepare_v2(db, "INSERT INTO event_data(data) VALUES (?1)", -1, &data, NULL);
    } else {
        sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES (?1)", -1, &ins, NULL);
        sqlite3_prepare_v2(db, "INSERT INTO events(body) VALUES (?1)", -1, &ev, NULL);
    }
    sqlite3_prepare_v2(db, "BEGIN", -1, &begin, NULL);
    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL);
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    int hwm = 0;
    zmq_setsockopt(router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind(router, argv[1]) != 0) {
        fprintf(stderr, "baseline: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    signal(SIGTERM, on_term);
    static zmq_msg_t ids[BATCH], bodies[BATCH];
    int64_t seq = 0;
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    while (!stop) {
        zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 200) <= 0)
            continue;
        int n = 0;
        while (n < BATCH) {
            zmq_msg_init(&ids[n]);
            zmq_msg_init(&bodies[n]);
            if (zmq_msg_recv(&ids[n], router, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&ids[n]);
                zmq_msg_close(&bodies[n]);
                break;
            }
            zmq_msg_recv(&bodies[n], router, 0);
            n++;
        }
        sqlite3_step(begin);
        sqlite3_reset(begin);
        bool stored = true;
        for (int i = 0; i < n; i++) {
            if (schema) {
                int64_t ms = now_ms();
                sqlite3_bind_int64(ins, 1, ms);
                sqlite3_bind_int64(ins, 2, seq + 1); /* the measurements' own count, as the log's */
                sqlite3_bind_int64(ev, 1, ++seq);
                sqlite3_bind_int64(ev, 2, ms);
                if (apart) {
                    sqlite3_bind_blob(data, 1, event_data, sizeof event_data, SQLITE_STATIC);
                    stored &= step_done(data);
                    sqlite3_bind_int64(ev, 3, sqlite3_last_insert_rowid(db));
                } else
                    sqlite3_bind_blob(ev, 3, event_data, sizeof event_data, SQLITE_STATIC);
            } else {
                sqlite3_bind_blob(ins, 1, zmq_msg_data(&bodies[i]), (int)zmq_msg_size(&bodies[i]), SQLITE_STATIC);
                sqlite3_bind_blob(ev, 1, zmq_msg_data(&bodies[i]), (int)zmq_msg_size(&bodies[i]), SQLITE_STATIC);
            }
            stored &= step_done(ins) && step_done(ev);
        }
        int ok = sqlite3_step(commit) == SQLITE_DONE && stored;
        sqlite3_reset(commit);
        for (int i = 0; i < n; i++) {
            out.size = 0; /* one buffer for every reply */
            msgpack_pack_map(&pk, 2);
            msgpack_pack_str_with_body(&pk, "id", 2);
            msgpack_pack_uint64(&pk, id_of(zmq_msg_data(&bodies[i]), zmq_msg_size(&bodies[i])));
            msgpack_pack_str_with_body(&pk, "ok", 2);
            ok ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
            zmq_msg_send(&ids[i], router, ZMQ_SNDMORE);
            zmq_send(router, out.data, out.size, 0);
            zmq_msg_close(&bodies[i]);
        }
    }
    msgpack_sbuffer_destroy(&out);
    zmq_close(router);
    zmq_ctx_term(ctx);
    sqlite3_finalize(ins);
    sqlite3_finalize(ev);
    sqlite3_finalize(data);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    return 0;
}
