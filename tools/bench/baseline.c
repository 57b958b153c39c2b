/* baseline: the bare minimum the benchmark compares concertd with: a ROUTER
 * socket and, per request, one SQLite INSERT committed on its own, with
 * the same durability as concertd (WAL, synchronous=FULL), then the reply.
 * No decoding, no model, no events.
 *
 *   baseline ENDPOINT DBFILE      runs until SIGTERM */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <zmq.h>

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: baseline ENDPOINT DBFILE\n");
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open(argv[2], &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body BLOB)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "baseline: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES (?)", -1, &ins, NULL);
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    if (zmq_bind(router, argv[1]) != 0) {
        fprintf(stderr, "baseline: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    signal(SIGTERM, on_term);
    int timeout = 200;
    zmq_setsockopt(router, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    while (!stop) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&id, router, 0) < 0 || zmq_msg_recv(&body, router, 0) < 0) {
            zmq_msg_close(&id);
            zmq_msg_close(&body);
            continue;
        }
        sqlite3_bind_blob(ins, 1, zmq_msg_data(&body), (int)zmq_msg_size(&body), SQLITE_STATIC);
        int rc = sqlite3_step(ins);
        sqlite3_reset(ins);
        zmq_msg_send(&id, router, ZMQ_SNDMORE);
        zmq_send(router, rc == SQLITE_DONE ? "ok" : "no", 2, 0);
        zmq_msg_close(&body);
    }
    zmq_close(router);
    zmq_ctx_term(ctx);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return 0;
}
