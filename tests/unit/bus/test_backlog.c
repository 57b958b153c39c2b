/* Unit tests of backlog.c: a backlog's bookkeeping, and when it tells the
 * allocator a flood began and ended (memory.h; the hooks are wrapped at
 * link time, tests/CMakeLists.txt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "backlog.h"

static int floods_begun, floods_ended;
void __wrap_cn_memory_flood_begins(void) { floods_begun++; }
void __wrap_cn_memory_flood_ends(void) { floods_ended++; }

/* A message of client `who`: its routing id, then a body. */
static cn_frames message_of(int who)
{
    char id[16];
    int len = snprintf(id, sizeof id, "client-%d", who);
    cn_frames m = {.n = 2};
    zmq_msg_init_size(&m.f[0], (size_t)len);
    memcpy(zmq_msg_data(&m.f[0]), id, (size_t)len);
    zmq_msg_init_size(&m.f[1], 3);
    memcpy(zmq_msg_data(&m.f[1]), "abc", 3);
    return m;
}

/* A backlog, and a ROUTER that knows none of its clients: flushing to it
 * drops them all, as when they have gone. */
typedef struct fixture {
    void *ctx, *sock;
    cn_backlog *bl;
} fixture;

static int setup(void **state)
{
    static fixture f;
    floods_begun = floods_ended = 0;
    f.ctx = zmq_ctx_new();
    f.sock = zmq_socket(f.ctx, ZMQ_ROUTER);
    int one = 1;
    zmq_setsockopt(f.sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    f.bl = cn_backlog_new(20000);
    *state = &f;
    return f.bl ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cn_backlog_destroy(&f->bl);
    zmq_close(f->sock);
    zmq_ctx_term(f->ctx);
    return 0;
}

static void hold_requests(cn_backlog *bl, int who, int n)
{
    for (int i = 0; i < n; i++) {
        cn_frames m = message_of(who);
        assert_int_equal(cn_backlog_hold_request(bl, &m), 0);
    }
}

/* Flushes to a router that knows none of the clients: they have all gone,
 * and nothing is left kept. */
static void all_gone(fixture *f)
{
    cn_frames out[4];
    assert_int_equal(cn_backlog_flush(f->bl, f->sock, out, 4), 0);
    assert_false(cn_backlog_pending(f->bl));
}

static void keep_reply(cn_backlog *bl, int who)
{
    cn_frames m = message_of(who);
    assert_int_equal(cn_backlog_keep_reply(bl, &m), 0);
    assert_int_equal(m.n, 0); /* the frames moved into the backlog */
}

/* Fifteen clients not reading are not a flood; the sixteenth makes one,
 * told once; it ends, told once, when the last of them has gone. */
static void many_clients_not_reading_are_a_flood(void **state)
{
    fixture *f = *state;
    cn_backlog *bl = f->bl;
    for (int who = 0; who < 15; who++)
        keep_reply(bl, who);
    keep_reply(bl, 0); /* a second reply of a client already counted */
    assert_int_equal(floods_begun, 0);
    keep_reply(bl, 15);
    assert_int_equal(floods_begun, 1);
    keep_reply(bl, 16);
    assert_int_equal(floods_begun, 1);
    cn_backlog_stats st = cn_backlog_stats_of(bl);
    assert_int_equal(st.clients, 17);
    assert_int_equal(st.replies, 18);
    assert_int_equal(floods_ended, 0);

    all_gone(f);
    assert_int_equal(floods_ended, 1);

    /* The count went back to nothing: fifteen new ones are no flood. */
    for (int who = 100; who < 115; who++)
        keep_reply(bl, who);
    assert_int_equal(floods_begun, 1);
}

/* One client that pipelines far more than it reads is a flood once ten
 * thousand of its requests are held. */
static void ten_thousand_held_requests_are_a_flood(void **state)
{
    fixture *f = *state;
    cn_backlog *bl = f->bl;
    keep_reply(bl, 7);
    hold_requests(bl, 7, 9999);
    assert_int_equal(floods_begun, 0);
    hold_requests(bl, 7, 1);
    assert_int_equal(floods_begun, 1);
    assert_int_equal(cn_backlog_stats_of(bl).held, 10000);

    all_gone(f);
    assert_int_equal(floods_ended, 1);
}

/* A client that once pipelined past ZeroMQ's queue is no flood: nothing
 * told, neither when its backlog began nor when it emptied. */
static void one_slow_client_is_no_flood(void **state)
{
    fixture *f = *state;
    cn_backlog *bl = f->bl;
    keep_reply(bl, 1);
    hold_requests(bl, 1, 50);
    all_gone(f);
    assert_int_equal(floods_begun, 0);
    assert_int_equal(floods_ended, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(many_clients_not_reading_are_a_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(ten_thousand_held_requests_are_a_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(one_slow_client_is_no_flood, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
