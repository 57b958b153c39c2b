/* Unit tests of db.c: an older database is upgraded in place, keeping its
 * data (and the upgrade to reminders arms them, on an index); a newer one
 * is refused; a second opener of a data dir is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "tmpdir.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    return cn_test_tmpdir_make(dir, sizeof dir, "db");
}

static int teardown(void **state)
{
    (void)state;
    return cn_test_tmpdir_remove(dir);
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

/* Upgrading to the reminders (migration 4) arms the actions already there:
 * what is still ahead is pending, what has passed is skipped, not sent. */
static void upgrade_arms_reminders(void **state)
{
    (void)state;
    char path[300], err[512];
    snprintf(path, sizeof path, "%s/v3.db", dir);
    sqlite3 *db;
    assert_int_equal(cn_db_open_raw(path, &db), SQLITE_OK);
    assert_int_equal(cn_db_migrate(db, 3, err, sizeof err), 0);
    assert_int_equal(cn_db_exec(db, "INSERT INTO regions VALUES ('estrie','Estrie','estrie',NULL,'regional','n1',0,0);"
                                    "INSERT INTO plans(id, region, title, created_ms, updated_ms) VALUES (1,'estrie','P',0,0);"
                                    "INSERT INTO objectives VALUES (1,1,NULL,'1','1','O',x'90');"
                                    "INSERT INTO actions(id, plan, objective, number, sort_key, text, targets, status,"
                                    " created_ms, updated_ms) VALUES (1,1,1,'1.1','1.1','A',x'90','planned',0,0);"
                                    "INSERT INTO action_windows VALUES (1,0,'dated','2099-01-01','2099-03-31');"
                                    "INSERT INTO action_windows VALUES (1,1,'dated','2001-01-01','2001-03-31');"),
                     SQLITE_OK);
    assert_int_equal(cn_db_migrate(db, -1, err, sizeof err), 0);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT window_end, state, count(*), min(due_on) FROM reminders"
                                            " GROUP BY window_end, state ORDER BY window_end", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "2001-03-31");
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "skipped");
    assert_int_equal(sqlite3_column_int(st, 2), 4);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "2099-03-31");
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "pending");
    assert_int_equal(sqlite3_column_int(st, 2), 4); /* 30, 7, 1 days before, and the day after */
    assert_string_equal((const char *)sqlite3_column_text(st, 3), "2099-03-01");
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);

    /* What is due is found on the index of pending rows by date, without
     * scanning the table or sorting: its cost follows what is due. */
    assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT action, window_end FROM reminders"
                                            " INDEXED BY reminders_due WHERE state = 'pending' AND due_on <= ?"
                                            " ORDER BY due_on LIMIT 200", -1, &st, NULL),
                     SQLITE_OK);
    char plan[1024] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t len = strlen(plan);
        snprintf(plan + len, sizeof plan - len, "%s; ", (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    assert_non_null(strstr(plan, "USING INDEX reminders_due (due_on<?)"));
    assert_null(strstr(plan, "TEMP B-TREE"));
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
    const struct CMUnitTest tests[] = {cmocka_unit_test(upgrade_in_place), cmocka_unit_test(upgrade_arms_reminders),
                                       cmocka_unit_test(newer_schema_refused),
                                       cmocka_unit_test(second_opener_refused)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
