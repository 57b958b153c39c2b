/* load: the benchmarks' client, in C so that it is not what limits the
 * figures (a Python client tops out at a few tens of thousands of messages
 * per second). One DEALER socket keeps IN_FLIGHT requests outstanding,
 * COUNT in all, each the template frame with its "id" set to the request's
 * number; replies are matched by id, so the latency of each is exact
 * whatever the order. Prints one line:
 *
 *   ops_per_s=… p50_ms=… p90_ms=… p99_ms=… max_ms=… errors=…
 *
 *   load ENDPOINT COUNT IN_FLIGHT OP [ARGS_JSON_AS_MSGPACK_FILE]
 *
 * ARGS file: the op's args as one msgpack map (bench.py writes it), the
 * same for every request. A reply whose "ok" is false counts as an error. */
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "mpcheck.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* {v:1, id:n, op, args} with args copied from the template. */
static void pack_request(msgpack_sbuffer *buf, long n, const char *op, const char *args, size_t args_len)
{
    buf->size = 0;
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, args ? 4 : 3);
    msgpack_pack_str_with_body(&pk, "v", 1);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_long(&pk, n + 1);
    msgpack_pack_str_with_body(&pk, "op", 2);
    msgpack_pack_str_with_body(&pk, op, strlen(op));
    if (args) {
        msgpack_pack_str_with_body(&pk, "args", 4);
        msgpack_sbuffer_write(buf, args, args_len);
    }
}

/* The value of key in the reply as one msgpack object (false when none).
 * Found by cn_mp_find_key, which stops at it: concertd packs "id" and "ok"
 * first, and a load generator that decoded every result in full (22.7 KiB
 * for action.list) would measure its own unpacking as much as the daemon. */
static bool reply_field(const char *data, size_t len, const char *key, msgpack_unpacked *out)
{
    size_t at, size;
    return cn_mp_find_key(data, len, key, &at, &size) &&
           msgpack_unpack_next(out, data + at, size, NULL) == MSGPACK_UNPACK_SUCCESS;
}

/* The reply's id and whether it is ok (-1: unreadable). */
static long reply_id(const char *data, size_t len, int *ok)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    long id = -1;
    if (reply_field(data, len, "id", &u) && u.data.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        id = (long)u.data.via.u64;
    *ok = reply_field(data, len, "ok", &u) && u.data.type == MSGPACK_OBJECT_BOOLEAN && u.data.via.boolean;
    msgpack_unpacked_destroy(&u);
    return id;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: load ENDPOINT COUNT IN_FLIGHT OP [ARGS_MSGPACK_FILE]\n");
        return 2;
    }
    long count = atol(argv[2]), in_flight = atol(argv[3]);
    const char *op = argv[4];
    char *args = NULL;
    size_t args_len = 0;
    if (argc == 6) {
        FILE *f = fopen(argv[5], "rb");
        if (!f) {
            perror(argv[5]);
            return 1;
        }
        args = malloc(65536);
        args_len = fread(args, 1, 65536, f);
        fclose(f);
    }
    if (count < 1 || in_flight < 1) {
        fprintf(stderr, "load: COUNT and IN_FLIGHT are at least 1\n");
        return 2;
    }
    double *sent_at = calloc((size_t)count, sizeof *sent_at), *latency = calloc((size_t)count, sizeof *latency);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, hwm = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (!sent_at || !latency || zmq_connect(s, argv[1]) != 0) {
        fprintf(stderr, "load: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    long sent = 0, done = 0, errors = 0;
    double start = now_s();
    while (done < count) {
        while (sent < count && sent - done < in_flight) {
            pack_request(&buf, sent, op, args, args_len);
            sent_at[sent] = now_s();
            if (zmq_send(s, buf.data, buf.size, 0) < 0) {
                fprintf(stderr, "load: send: %s\n", zmq_strerror(zmq_errno()));
                return 1;
            }
            sent++;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) < 0) {
            fprintf(stderr, "load: recv: %s\n", zmq_strerror(zmq_errno()));
            return 1;
        }
        int ok;
        long id = reply_id(zmq_msg_data(&m), zmq_msg_size(&m), &ok);
        zmq_msg_close(&m);
        if (id < 1 || id > sent || latency[id - 1] != 0) {
            fprintf(stderr, "load: a reply that answers no request (id %ld)\n", id);
            return 1;
        }
        latency[id - 1] = now_s() - sent_at[id - 1];
        errors += !ok;
        done++;
    }
    double elapsed = now_s() - start;
    qsort(latency, (size_t)count, sizeof *latency, by_value);
    printf("ops_per_s=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%ld\n", (double)count / elapsed,
           1000 * latency[count / 2], 1000 * latency[(long)(0.9 * (double)(count - 1))],
           1000 * latency[(long)(0.99 * (double)(count - 1))], 1000 * latency[count - 1], errors);
    msgpack_sbuffer_destroy(&buf);
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(sent_at);
    free(latency);
    free(args);
    return errors ? 3 : 0;
}
