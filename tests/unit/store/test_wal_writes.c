/* Unit tests of wal_writes.c, over the faulty VFS (tests/support), which
 * counts the writes that reach the files and fails the ones it is told to:
 * a commit's WAL frames reach the file in one write, before the commit
 * returns (a second connection, on its own descriptor, sees them); a
 * transaction bigger than what is gathered, with pages spilled before its
 * commit, is whole; a failed write fails the commit and leaves the database
 * as it was, and the same connection commits again once the disk is back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blobs_db.h"
#include "faulty_vfs.h"
#include "tmpdir.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    if (cn_test_tmpdir_make(dir, sizeof dir, "walw") || faulty_vfs_install() != SQLITE_OK)
        return -1;
    snprintf(path, sizeof path, "%s/t.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return cn_test_tmpdir_remove(dir);
}

static sqlite3 *open_writer(void)
{
    sqlite3 *db = cn_test_blobs_open(path);
    /* No checkpoint: the writes counted are the commit's alone. */
    assert_int_equal(sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

/* rows rows of size bytes each, in one transaction: its COMMIT's (extended) code;
 * fail_at: the COMMIT's I/O that fails (0: none). */
static int insert_failing(sqlite3 *db, int rows, int size, int fail_at)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO t(body) SELECT randomblob(%d) FROM n;",
             rows, size);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    if (fail_at)
        faulty_vfs_arm(fail_at, false);
    int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    faulty_vfs_disarm();
    if (rc != SQLITE_OK) {
        rc = sqlite3_extended_errcode(db);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

static int insert(sqlite3 *db, int rows, int size) { return insert_failing(db, rows, size, 0); }

static void a_commit_is_one_write_seen_at_once(void **state)
{
    (void)state;
    sqlite3 *db = open_writer();
    long before_rows = cn_test_blobs_seen(path);
    long before = faulty_vfs_writes();
    /* Some twenty pages: forty writes frame by frame. */
    assert_int_equal(insert(db, 40, 1500), SQLITE_OK);
    assert_int_equal(faulty_vfs_writes() - before, 1);
    assert_int_equal(cn_test_blobs_seen(path), before_rows + 40);
    sqlite3_close(db);
}

static void a_big_transaction_is_whole(void **state)
{
    (void)state;
    sqlite3 *db = open_writer();
    /* A small page cache: pages are spilled to the WAL before the commit
     * (and read back from it); 3 MiB: more than one gathered write. */
    assert_int_equal(sqlite3_exec(db, "PRAGMA cache_size=20", NULL, NULL, NULL), SQLITE_OK);
    long before_rows = cn_test_blobs_seen(path);
    long before = faulty_vfs_writes();
    assert_int_equal(insert(db, 1000, 3000), SQLITE_OK);
    assert_true(faulty_vfs_writes() - before > 1);
    assert_int_equal(cn_test_blobs_seen(path), before_rows + 1000);
    sqlite3_close(db);
}

static void a_failed_write_fails_the_commit_only(void **state)
{
    (void)state;
    sqlite3 *db = open_writer();
    long before_rows = cn_test_blobs_seen(path);
    /* The COMMIT's only I/O is its one write (no sync: synchronous=NORMAL). */
    assert_int_equal(insert_failing(db, 40, 1500, 1), SQLITE_IOERR_WRITE);
    assert_true(faulty_vfs_fired());
    assert_int_equal(cn_test_blobs_seen(path), before_rows);
    assert_int_equal(insert(db, 40, 1500), SQLITE_OK);
    assert_int_equal(cn_test_blobs_seen(path), before_rows + 40);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_commit_is_one_write_seen_at_once),
        cmocka_unit_test(a_big_transaction_is_whole),
        cmocka_unit_test(a_failed_write_fails_the_commit_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
