/* blobs_db.c: see blobs_db.h. */
#include "blobs_db.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "db.h"

sqlite3 *cn_test_blobs_open(const char *path)
{
    sqlite3 *db;
    assert_int_equal(cn_db_open_raw(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA synchronous=NORMAL;"
                                      "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body BLOB)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    return db;
}

long cn_test_blobs_seen(const char *path)
{
    sqlite3 *r;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &r, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(r, "SELECT count(*) FROM t", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(r, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(r);
    return n;
}
