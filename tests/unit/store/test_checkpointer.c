/* The WAL copied back into the database off the committing thread
 * (core/store/checkpointer.c): under commits that never pause, the WAL
 * still starts over (its file stays bounded), every committed row is
 * there, and the database is whole, seen from another connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "blobs_db.h"
#include "checkpointer.h"
#include "tmpdir.h"

static char dir[64], path[128], wal[136];

static int setup(void **state)
{
    (void)state;
    if (cn_test_tmpdir_make(dir, sizeof dir, "ckpt"))
        return -1;
    snprintf(path, sizeof path, "%s/t.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return cn_test_tmpdir_remove(dir);
}

static long long wal_size(void)
{
    struct stat st;
    return stat(wal, &st) == 0 ? (long long)st.st_size : 0;
}

static void the_wal_starts_over_under_steady_commits(void **state)
{
    (void)state;
    /* Commits without a flush each, as the bus's batches (the checkpoints
     * flush as ever). */
    sqlite3 *db = cn_test_blobs_open(path);
    cn_checkpointer *c = cn_checkpointer_new(db);
    assert_non_null(c);
    sqlite3_stmt *ins;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES (randomblob(3000))", -1, &ins, NULL),
                     SQLITE_OK);
    /* Some 4 frames a commit: 40 000 frames in all, four times the most
     * the WAL holds before the committing side completes a copy. */
    enum { COMMITS = 10000, ROWS = 3 };
    long long largest = 0;
    for (int i = 0; i < COMMITS; i++) {
        assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
        for (int r = 0; r < ROWS; r++) {
            assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
            sqlite3_reset(ins);
        }
        assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        long long size = wal_size();
        largest = size > largest ? size : largest;
    }
    sqlite3_finalize(ins);
    /* 4120-byte frames: the WAL never held all the frames written; it
     * started over past 10 000 (not at 1 000: the copies were the thread's),
     * and at the latest just past 20 000 (these commits outrun the thread's
     * copies: the committing side finishes the copy there, waiting for the
     * thread's if it must), not 40 000. */
    long long frames = largest / 4120;
    assert_true(frames > 2000); /* not SQLite's own checkpoint at 1000 */
    assert_true(frames < 21000);
    assert_true(cn_checkpointer_copied(c) > 1000); /* the thread copied, not only the committing side */
    cn_checkpointer_destroy(&c);
    assert_null(c);

    /* Seen from another connection: every row, the database whole. */
    assert_int_equal(cn_test_blobs_seen(path), COMMITS * ROWS);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_wal_starts_over_under_steady_commits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
