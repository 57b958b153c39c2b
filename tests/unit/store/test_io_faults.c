/* I/O errors on every write path, as SQLite tests itself: for N = 1, 2,
 * 3, … the Nth read, write, sync or truncate fails (once, or for good: a
 * disk that stays broken), until the operation runs without reaching N.
 * After each: no request was acknowledged that is not on disk, an error
 * changed nothing (all of a batch or none of it, with its events), the
 * database passes PRAGMA integrity_check, and the same core serves again
 * once the disk is back, without being restarted.
 *
 * Paths: opening and migrating a new database, group commit of a batch
 * (the model's rows and the event log together), WAL checkpoints, a
 * plugin's writes (its migrations, and the events it is handed, recorded
 * with its cursor in one transaction: the probe test plugin), and a peer's
 * region copy replaced by its snapshot (region.mirror, as the federation
 * applies it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <msgpack.h>

#include "core.h"
#include "db.h"
#include "faulty_vfs.h"
#include "jsonmp.h"
#include "log.h"
#include "model.h"
#include "mp.h"
#include "plugin_host.h"
#include "tmpdir.h"

#define MAX_N 2000 /* far more I/O than any of these operations does */

static char dir[64];

static void fresh_dir(void)
{
    if (dir[0])
        assert_int_equal(cn_test_tmpdir_remove(dir), 0);
    assert_int_equal(cn_test_tmpdir_make(dir, sizeof dir, "faults"), 0);
}

static void assert_intact(sqlite3 *db)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

static int64_t count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void frame_for(msgpack_sbuffer *b, const char *op, const char *id, const char *name)
{
    msgpack_sbuffer_init(b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kint(&pk, "id", 1);
    cn_pk_kstr(&pk, "op", op);
    cn_pk_str(&pk, "args");
    msgpack_pack_map(&pk, 2);
    cn_pk_kstr(&pk, "id", id);
    cn_pk_kstr(&pk, "name", name);
}

static void opening_and_migrating(void **state)
{
    (void)state;
    for (int sticky = 0; sticky < 2; sticky++) {
        int n;
        for (n = 1; n < MAX_N; n++) {
            fresh_dir();
            char err[512];
            faulty_vfs_arm(n, sticky);
            cn_db *db = cn_db_new(dir, err, sizeof err);
            bool fired = faulty_vfs_fired();
            faulty_vfs_disarm();
            if (db)
                cn_db_destroy(&db);
            else
                assert_true(fired && err[0]); /* a failure is said, and only comes from the disk */
            /* Opened again on a sound disk: whole, at the latest schema. */
            db = cn_db_new(dir, err, sizeof err);
            assert_non_null(db);
            assert_int_equal(cn_db_version(cn_db_sqlite(db)), cn_db_latest_version());
            assert_intact(cn_db_sqlite(db));
            cn_db_destroy(&db);
            if (!fired)
                break;
        }
        assert_true(n > 3 && n < MAX_N);
    }
}

/* The batch's cn_core_handle for frame i, as the bus does it: in a batch
 * it can handle again, a command that asks for it undoes the batch and
 * handles again those before it (server.c's redo_batch). */
static bool handle_in_batch(cn_core *core, bool redoable, msgpack_sbuffer *frames, cn_reply *replies, int i)
{
    cn_core_handle(core, frames[i].data, frames[i].size, &replies[i]);
    if (!redoable || !cn_core_batch_must_redo(core))
        return true;
    bool again = cn_core_batch_redo(core) == 0;
    for (int j = 0; j <= i; j++) {
        cn_reply_destroy(&replies[j]);
        if (again)
            cn_core_handle(core, frames[j].data, frames[j].size, &replies[j]);
        else
            cn_reply_init_error(&replies[j], "unavailable", "x");
    }
    return again;
}

static void a_batch_is_acknowledged_only_when_on_disk(void **state)
{
    (void)state;
    for (int mode = 0; mode < 4; mode++) {
        /* A disk that fails once or stays broken; a batch with a savepoint
         * per command, or the bus's (none for the everyday edits, undone
         * and handled again should one fail after it wrote or SQLite undo
         * it all). */
        int sticky = mode & 1;
        bool redoable = mode >> 1;
        fresh_dir();
        char err[512];
        cn_config cfg;
        assert_int_equal(cn_config_defaults(&cfg), 0);
        cn_db *db = cn_db_new(dir, err, sizeof err);
        assert_non_null(db);
        sqlite3 *sq = cn_db_sqlite(db);
        cn_core *core = cn_core_new(sq, &cfg);
        assert_non_null(core);
        assert_int_equal(cn_model_register(core), 0);
        int64_t acked = 0;
        int n;
        for (n = 1; n < MAX_N; n++) {
            /* One batch of three commands, as the bus groups them. */
            cn_reply replies[3];
            bool ok[3] = {false, false, false};
            int64_t seq_before = count(sq, "SELECT coalesce(max(seq), 0) FROM events");
            msgpack_sbuffer frames[3];
            for (int i = 0; i < 3; i++) {
                char id[32], name[64];
                snprintf(id, sizeof id, "r%d-%d-%d", mode, n, i);
                snprintf(name, sizeof name, "Région %d-%d-%d", mode, n, i);
                frame_for(&frames[i], "region.create", id, name);
            }
            /* The page cache let go: the commands read pages, and a read
             * that fails mid-command makes SQLite undo the whole batch. */
            sqlite3_db_release_memory(sq);
            faulty_vfs_arm(n, sticky);
            bool began = cn_core_batch_begin(core) == 0;
            if (began && redoable)
                cn_core_batch_redoable(core);
            for (int i = 0; i < 3; i++) {
                if (began)
                    began = handle_in_batch(core, redoable, frames, replies, i);
                else
                    cn_reply_init_error(&replies[i], "unavailable", "x");
            }
            for (int i = 0; i < 3; i++)
                msgpack_sbuffer_destroy(&frames[i]);
            bool committed = began && cn_core_batch_commit(core, NULL) == 0;
            bool fired = faulty_vfs_fired();
            faulty_vfs_disarm();
            for (int i = 0; i < 3; i++) {
                if (!committed && replies[i].ok)
                    cn_core_unavailable(core, &replies[i]);
                ok[i] = replies[i].ok;
                cn_reply_destroy(&replies[i]);
            }
            /* What was acknowledged is there, with its event; what was not, is not. */
            for (int i = 0; i < 3; i++) {
                char sql[160];
                snprintf(sql, sizeof sql, "SELECT count(*) FROM regions WHERE id = 'r%d-%d-%d'", mode, n, i);
                assert_int_equal(count(sq, sql), ok[i] ? 1 : 0);
                acked += ok[i];
            }
            int64_t seq_after = count(sq, "SELECT coalesce(max(seq), 0) FROM events");
            assert_int_equal(seq_after - seq_before, ok[0] + ok[1] + ok[2]);
            assert_int_equal(count(sq, "SELECT count(*) FROM events"), seq_after); /* gap-free from 1 */
            assert_int_equal(count(sq, "SELECT count(*) FROM regions"), acked);
            assert_intact(sq);
            if (!fired) {
                assert_true(ok[0] && ok[1] && ok[2]);
                break;
            }
        }
        assert_true(n > 1 && n < MAX_N);
        /* The same core serves again, the disk being sound. */
        msgpack_sbuffer frame;
        frame_for(&frame, "region.create", "apres", "Après la panne");
        cn_reply reply;
        assert_int_equal(cn_core_call(core, frame.data, frame.size, &reply, NULL), 0);
        cn_reply_destroy(&reply);
        msgpack_sbuffer_destroy(&frame);
        /* And a checkpoint failing at every step leaves everything whole. */
        int k;
        for (k = 1; k < MAX_N; k++) {
            faulty_vfs_arm(k, sticky);
            sqlite3_exec(sq, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
            bool fired = faulty_vfs_fired();
            faulty_vfs_disarm();
            assert_intact(sq);
            assert_int_equal(count(sq, "SELECT count(*) FROM regions"), acked + 1);
            if (!fired)
                break;
        }
        assert_true(k < MAX_N);
        cn_core_destroy(&core);
        cn_db_destroy(&db);
        cn_config_clear(&cfg);
    }
}

static int64_t probe_count(sqlite3 *db)
{
    return count(db, "SELECT count(*) FROM probe_events");
}

static void plugin_writes_are_whole_or_not_at_all(void **state)
{
    (void)state;
    for (int sticky = 0; sticky < 2; sticky++) {
        fresh_dir();
        char err[512];
        cn_config cfg;
        assert_int_equal(cn_config_defaults(&cfg), 0);
        assert_int_equal(cn_config_set(&cfg.plugin_path, TEST_PLUGIN_DIR), 0);
        assert_int_equal(cn_config_add_plugin(&cfg, "probe"), 0);
        cn_db *db = cn_db_new(dir, err, sizeof err);
        assert_non_null(db);
        sqlite3 *sq = cn_db_sqlite(db);
        cn_core *core = cn_core_new(sq, &cfg);
        assert_non_null(core);
        assert_int_equal(cn_model_register(core), 0);
        uv_loop_t loop;
        assert_int_equal(uv_loop_init(&loop), 0);
        /* The plugin's migrations on a failing disk: loaded or refused, and
         * loaded whole once the disk is back. */
        int n;
        cn_host *host = NULL;
        for (n = 1; n < MAX_N; n++) {
            faulty_vfs_arm(n, sticky);
            host = cn_host_new(core, &loop, &cfg);
            bool fired = faulty_vfs_fired();
            faulty_vfs_disarm();
            assert_non_null(host);
            assert_intact(sq);
            if (!fired)
                break;
            cn_host_stop(host);
            uv_run(&loop, UV_RUN_DEFAULT);
            cn_host_destroy(&host);
        }
        assert_true(n < MAX_N);
        assert_int_equal(probe_count(sq), 0); /* its table is there */
        /* A plugin's first delivery starts from the log's end (it is not
         * handed the past): one event to set its place. */
        msgpack_sbuffer first;
        frame_for(&first, "region.create", sticky ? "premiere-b" : "premiere-a", "Première");
        cn_reply made;
        assert_int_equal(cn_core_call(core, first.data, first.size, &made, NULL), 0);
        cn_reply_destroy(&made);
        msgpack_sbuffer_destroy(&first);
        cn_host_deliver(host, false);
        int64_t before = count(sq, "SELECT count(*) FROM events WHERE type LIKE 'region.%'") - probe_count(sq);
        /* Events handed to it on a failing disk: what it wrote, and its cursor,
         * kept together or not at all; handed again later, never twice. */
        for (n = 1; n < MAX_N; n++) {
            msgpack_sbuffer frame;
            char id[32], name[64];
            snprintf(id, sizeof id, "p%d-%d", sticky, n);
            snprintf(name, sizeof name, "Région %d-%d", sticky, n);
            frame_for(&frame, "region.create", id, name);
            cn_reply reply;
            assert_int_equal(cn_core_call(core, frame.data, frame.size, &reply, NULL), 0);
            cn_reply_destroy(&reply);
            msgpack_sbuffer_destroy(&frame);
            faulty_vfs_arm(n, sticky);
            cn_host_deliver(host, false);
            bool fired = faulty_vfs_fired();
            faulty_vfs_disarm();
            assert_intact(sq);
            cn_host_deliver(host, false); /* the disk back: what was not recorded is handed now */
            assert_int_equal(probe_count(sq), count(sq, "SELECT count(*) FROM events WHERE type LIKE 'region.%'") - before);
            assert_int_equal(count(sq, "SELECT count(*) FROM probe_events p JOIN events e ON e.seq = p.seq"),
                             probe_count(sq));
            if (!fired)
                break;
        }
        assert_true(n > 1 && n < MAX_N);
        cn_host_stop(host);
        uv_run(&loop, UV_RUN_DEFAULT);
        cn_host_destroy(&host);
        assert_int_equal(uv_loop_close(&loop), 0);
        cn_core_destroy(&core);
        cn_db_destroy(&db);
        cn_config_clear(&cfg);
    }
}

/* Runs op with args (a packed map) on core; the reply, kept in frame (the
 * caller destroys it), unpacked into u (which points into frame). */
static void call_into(cn_core *core, const char *op, const msgpack_sbuffer *args, msgpack_sbuffer *kept,
                      msgpack_unpacked *u)
{
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &frame, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kint(&pk, "id", 1);
    cn_pk_kstr(&pk, "op", op);
    cn_pk_str(&pk, "args");
    msgpack_sbuffer_write(&frame, args->data, args->size);
    cn_reply reply;
    assert_int_equal(cn_core_call(core, frame.data, frame.size, &reply, NULL), 0);
    msgpack_sbuffer_init(kept);
    msgpack_sbuffer_write(kept, reply.buf.data, reply.buf.size);
    cn_reply_destroy(&reply);
    msgpack_sbuffer_destroy(&frame);
    msgpack_unpacked_init(u);
    assert_int_equal(msgpack_unpack_next(u, kept->data, kept->size, NULL), MSGPACK_UNPACK_SUCCESS);
}

static void call_json(cn_core *core, const char *op, const char *json)
{
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    assert_non_null(j);
    assert_int_equal(cn_json_to_mp(&pk, j), 0);
    json_decref(j);
    msgpack_unpacked u;
    msgpack_sbuffer kept;
    call_into(core, op, &args, &kept, &u);
    const msgpack_object *ok = cn_mp_get(&u.data, "ok");
    assert_true(ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&kept);
    msgpack_sbuffer_destroy(&args);
}

/* region.mirror's frame for source's snapshot, as the copy "copie" of node tpdsl at seq. */
static void mirror_frame(cn_core *core, int64_t seq, msgpack_sbuffer *frame)
{
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    cn_pk_kstr(&pk, "id", "source");
    msgpack_unpacked u;
    msgpack_sbuffer kept;
    call_into(core, "region.snapshot", &args, &kept, &u);
    msgpack_sbuffer_destroy(&args);
    const msgpack_object *snap = cn_mp_get(&u.data, "result"), *region = cn_mp_get(snap, "region");
    assert_true(region && region->type == MSGPACK_OBJECT_MAP && cn_mp_get(snap, "plans"));
    msgpack_sbuffer_init(frame);
    msgpack_packer_init(&pk, frame, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kint(&pk, "id", 1);
    cn_pk_kstr(&pk, "op", "region.mirror");
    cn_pk_str(&pk, "args");
    msgpack_pack_map(&pk, 5);
    cn_pk_kstr(&pk, "origin", "tpdsl");
    cn_pk_kstr(&pk, "peer", "tpdsl");
    cn_pk_kint(&pk, "seq", seq);
    cn_pk_str(&pk, "region"); /* the source's, named as the copy */
    msgpack_pack_map(&pk, region->via.map.size);
    for (uint32_t i = 0; i < region->via.map.size; i++) {
        const msgpack_object_kv *kv = &region->via.map.ptr[i];
        msgpack_pack_object(&pk, kv->key);
        if (cn_mp_str_eq(&kv->key, "id"))
            cn_pk_str(&pk, "copie");
        else if (cn_mp_str_eq(&kv->key, "name"))
            cn_pk_str(&pk, "Copie");
        else
            msgpack_pack_object(&pk, kv->val);
    }
    cn_pk_str(&pk, "plans");
    msgpack_pack_object(&pk, *cn_mp_get(snap, "plans"));
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&kept);
}

/* As the federation applies a snapshot: region.mirror in a batch of its own. */
static bool apply_mirror(cn_core *core, const msgpack_sbuffer *frame)
{
    if (cn_core_batch_begin(core) != 0)
        return false;
    cn_reply reply;
    cn_core_set_mirroring(core, true);
    cn_core_handle(core, frame->data, frame->size, &reply);
    cn_core_set_mirroring(core, false);
    bool ok = reply.ok;
    cn_reply_destroy(&reply);
    return cn_core_batch_commit(core, NULL) == 0 && ok;
}

static void a_copy_is_replaced_whole_or_not_at_all(void **state)
{
    (void)state;
    for (int sticky = 0; sticky < 2; sticky++) {
        fresh_dir();
        char err[512];
        cn_config cfg;
        assert_int_equal(cn_config_defaults(&cfg), 0);
        cn_db *db = cn_db_new(dir, err, sizeof err);
        assert_non_null(db);
        sqlite3 *sq = cn_db_sqlite(db);
        cn_core *core = cn_core_new(sq, &cfg);
        assert_non_null(core);
        assert_int_equal(cn_model_register(core), 0);
        call_json(core, "region.create", "{\"id\": \"source\", \"name\": \"Source\"}");
        call_json(core, "plan.create", "{\"region\": \"source\", \"title\": \"Plan\"}");
        call_json(core, "objective.create", "{\"region\": \"source\", \"number\": \"1\", \"text\": \"o\"}");
        call_json(core, "action.create", "{\"region\": \"source\", \"objective\": \"1\", \"number\": \"1.1\", \"text\": \"a\"}");
        msgpack_sbuffer before, after;
        mirror_frame(core, 1, &before);
        call_json(core, "action.create", "{\"region\": \"source\", \"objective\": \"1\", \"number\": \"1.2\", \"text\": \"b\"}");
        mirror_frame(core, 2, &after);
        const char *actions = "SELECT count(*) FROM actions a JOIN plans p ON p.id = a.plan WHERE p.region = 'copie'";
        const char *seq = "SELECT snapshot_seq FROM mirrors WHERE region = 'copie'";
        int n;
        for (n = 1; n < MAX_N; n++) {
            assert_true(apply_mirror(core, &before)); /* the copy as it was, on a sound disk */
            assert_int_equal(count(sq, actions), 1);
            faulty_vfs_arm(n, sticky);
            bool applied = apply_mirror(core, &after);
            bool fired = faulty_vfs_fired();
            faulty_vfs_disarm();
            /* The new copy whole, or the old one untouched: never a mix. */
            assert_int_equal(count(sq, seq), applied ? 2 : 1);
            assert_int_equal(count(sq, actions), applied ? 2 : 1);
            assert_intact(sq);
            if (!fired) {
                assert_true(applied);
                break;
            }
        }
        assert_true(n > 1 && n < MAX_N);
        msgpack_sbuffer_destroy(&before);
        msgpack_sbuffer_destroy(&after);
        cn_core_destroy(&core);
        cn_db_destroy(&db);
        cn_config_clear(&cfg);
    }
}

static int setup(void **state)
{
    (void)state;
    cn_log_set_level(CN_LOG_ERROR);
    return faulty_vfs_install() == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return dir[0] ? cn_test_tmpdir_remove(dir) : 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opening_and_migrating),
        cmocka_unit_test(a_batch_is_acknowledged_only_when_on_disk),
        cmocka_unit_test(plugin_writes_are_whole_or_not_at_all),
        cmocka_unit_test(a_copy_is_replaced_whole_or_not_at_all),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
