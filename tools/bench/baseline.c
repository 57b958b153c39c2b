/* baseline: the best a bare program can do on concertd's durable hot path,
 * for the benchmark to compare concertd with (tools/bench/bench.py). A
 * ROUTER socket; each turn it takes what is queued (up to 256 requests),
 * stores each as a row plus an event row in ONE transaction (WAL,
 * synchronous=FULL: one fsync per batch, as concertd's group commit), then
 * replies to each with {id, ok}. It decodes the request only to find its id.
 * No model, no validation, no events published.
 *
 *   baseline ENDPOINT DBFILE      runs until SIGTERM */
#include <msgpack.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
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

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: baseline ENDPOINT DBFILE\n");
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body BLOB);"
                         "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, body BLOB)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "baseline: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_stmt *ins, *ev, *begin, *commit;
    sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES (?)", -1, &ins, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO events(body) VALUES (?)", -1, &ev, NULL);
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
        for (int i = 0; i < n; i++) {
            sqlite3_bind_blob(ins, 1, zmq_msg_data(&bodies[i]), (int)zmq_msg_size(&bodies[i]), SQLITE_STATIC);
            sqlite3_step(ins);
            sqlite3_reset(ins);
            sqlite3_bind_blob(ev, 1, zmq_msg_data(&bodies[i]), (int)zmq_msg_size(&bodies[i]), SQLITE_STATIC);
            sqlite3_step(ev);
            sqlite3_reset(ev);
        }
        int ok = sqlite3_step(commit) == SQLITE_DONE;
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
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    return 0;
}
