/* The WAL flushed on a thread of its own (core/store/wal_sync.c): a flush
 * started comes back on the loop with its ticket; one awaited with
 * cn_wal_sync_finish (while in flight, as the bus does when it must have
 * everything on disk at once) succeeds and its callback is not called;
 * another can start after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "blobs_db.h"
#include "tmpdir.h"
#include "wal_sync.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    if (cn_test_tmpdir_make(dir, sizeof dir, "walsync"))
        return -1;
    snprintf(path, sizeof path, "%s/t.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return cn_test_tmpdir_remove(dir);
}

typedef struct {
    int calls;
    uint64_t ticket;
    int err;
} seen;

static void on_flushed(void *data, uint64_t ticket, int err)
{
    seen *s = data;
    s->calls++;
    s->ticket = ticket;
    s->err = err;
}

static void write_row(sqlite3 *db)
{
    assert_int_equal(sqlite3_exec(db, "INSERT INTO t(body) VALUES (randomblob(500))", NULL, NULL, NULL), SQLITE_OK);
}

static void a_flush_in_flight_can_be_awaited_on_the_loop(void **state)
{
    (void)state;
    sqlite3 *db = cn_test_blobs_open(path);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    seen s = {0};
    cn_wal_sync *w = cn_wal_sync_new(&loop, db, on_flushed, &s);
    assert_non_null(w);

    /* A flush comes back on the loop, with its ticket. */
    write_row(db);
    assert_int_equal(cn_wal_sync_start(w, 1), 0);
    assert_true(cn_wal_sync_busy(w));
    assert_int_equal(cn_wal_sync_start(w, 2), -1); /* one at a time */
    while (s.calls == 0)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.ticket, 1);
    assert_int_equal(s.err, 0);
    assert_false(cn_wal_sync_busy(w));

    /* Awaited while in flight: done, and its callback never comes. */
    for (int round = 0; round < 50; round++) {
        write_row(db);
        assert_int_equal(cn_wal_sync_start(w, 2 + (uint64_t)round), 0);
        write_row(db);
        assert_int_equal(cn_wal_sync_finish(w), 0);
        assert_false(cn_wal_sync_busy(w));
    }
    uv_run(&loop, UV_RUN_NOWAIT); /* a signal of the thread's, if any, seen */
    assert_int_equal(s.calls, 1);

    /* And the next flush starts and comes back as the first did. */
    write_row(db);
    assert_int_equal(cn_wal_sync_start(w, 100), 0);
    while (s.calls == 1)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(s.ticket, 100);
    assert_int_equal(s.err, 0);

    cn_wal_sync_destroy(&w);
    uv_run(&loop, UV_RUN_DEFAULT); /* its handle closed */
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_flush_in_flight_can_be_awaited_on_the_loop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
