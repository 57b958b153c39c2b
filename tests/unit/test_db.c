/* Unit tests of db.c: an older database is upgraded in place, keeping its
 * data; a newer one is refused; a second opener of a data dir is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/concertd-unit-db-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void upgrade_in_place(void **state)
{
    (void)state;
    char path[300], err[512];
    snprintf(path, sizeof path, "%s/old.db", dir);
    sqlite3 *db;
    assert_int_equal(cn_db_open_raw(path, &db), SQLITE_OK);
    assert_int_equal(cn_db_migrate(db, 1, err, sizeof err), 0);
    assert_int_equal(cn_db_version(db), 1);
    assert_int_equal(cn_db_exec(db, "INSERT INTO regions VALUES ('mauricie','Mauricie','mauricie',NULL,'regional',"
                                    "'n1',0,0); INSERT INTO territories VALUES ('mauricie',0,'Maskinongé');"),
                     SQLITE_OK);
    assert_int_equal(cn_db_migrate(db, -1, err, sizeof err), 0);
    assert_int_equal(cn_db_version(db), cn_db_latest_version());
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name, kind FROM territories WHERE region = 'mauricie'", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "Maskinongé");
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "MRC"); /* added by migration 2 */
    sqlite3_finalize(st);
    assert_int_equal(cn_db_exec(db, "INSERT INTO glossary VALUES ('mauricie','DS','Développement social')"), SQLITE_OK);
    sqlite3_close(db);
}

static void newer_schema_refused(void **state)
{
    (void)state;
    char path[300], err[512];
    snprintf(path, sizeof path, "%s/new.db", dir);
    sqlite3 *db;
    assert_int_equal(cn_db_open_raw(path, &db), SQLITE_OK);
    assert_int_equal(cn_db_exec(db, "PRAGMA user_version = 999"), SQLITE_OK);
    assert_int_equal(cn_db_migrate(db, -1, err, sizeof err), -1);
    assert_non_null(strstr(err, "plus récent"));
    sqlite3_close(db);
}

static void second_opener_refused(void **state)
{
    (void)state;
    char data[300], err[512];
    snprintf(data, sizeof data, "%s/data", dir);
    cn_db *first = cn_db_new(data, err, sizeof err);
    assert_non_null(first);
    cn_db *second = cn_db_new(data, err, sizeof err);
    assert_null(second);
    assert_non_null(strstr(err, "utilise déjà"));
    cn_db_destroy(&first);
    assert_null(first);
    cn_db_destroy(&first); /* safe twice */
    second = cn_db_new(data, err, sizeof err);
    assert_non_null(second);
    cn_db_destroy(&second);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(upgrade_in_place), cmocka_unit_test(newer_schema_refused),
                                       cmocka_unit_test(second_opener_refused)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
