/* Unit tests of core.c through cn_core_call, no sockets: envelope errors,
 * argument errors, a failing command changes nothing, a batch commits the
 * good commands while undoing the bad one, and a batch undone and handled
 * again when a command without a savepoint fails after it wrote; what
 * indicator.record reads of its indicator, kept between records. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"
#include "db.h"
#include "model.h"
#include "mp.h"
#include "tmpdir.h"

typedef struct {
    char dir[128];
    cn_db *db;
    cn_config cfg;
    cn_core *core;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[512];
    if (cn_test_tmpdir_make(f->dir, sizeof f->dir, "core") || cn_config_defaults(&f->cfg))
        return -1;
    f->db = cn_db_new(f->dir, err, sizeof err);
    f->core = f->db ? cn_core_new(cn_db_sqlite(f->db), &f->cfg) : NULL;
    if (!f->core || cn_model_register(f->core))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cn_core_destroy(&f->core);
    cn_db_destroy(&f->db);
    cn_config_clear(&f->cfg);
    int rc = cn_test_tmpdir_remove(f->dir);
    free(f);
    return rc;
}

/* Sends frame; returns the error code of the reply ("ok" when it succeeded)
 * in code (cap 32). */
static void call_raw(fixture *f, const char *frame, size_t len, char code[32])
{
    cn_reply reply;
    cn_core_call(f->core, frame, len, &reply, NULL);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    assert_int_equal(msgpack_unpack_next(&up, reply.buf.data, reply.buf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *ok = cn_mp_get(&up.data, "ok");
    assert_non_null(ok);
    if (ok->via.boolean) {
        strcpy(code, "ok");
    } else {
        const msgpack_object *c = cn_mp_get(cn_mp_get(&up.data, "error"), "code");
        assert_non_null(c);
        snprintf(code, 32, "%.*s", (int)c->via.str.size, c->via.str.ptr);
    }
    msgpack_unpacked_destroy(&up);
    cn_reply_destroy(&reply);
}

/* Starts the frame {v: 1, [id: 7,] op, args: …} in b (to destroy): the
 * caller packs the args with pk. */
static void frame_start(msgpack_sbuffer *b, msgpack_packer *pk, const char *op, bool with_id)
{
    msgpack_sbuffer_init(b);
    msgpack_packer_init(pk, b, msgpack_sbuffer_write);
    msgpack_pack_map(pk, with_id ? 4 : 3);
    cn_pk_kint(pk, "v", 1);
    if (with_id)
        cn_pk_kint(pk, "id", 7);
    cn_pk_kstr(pk, "op", op);
    cn_pk_str(pk, "args");
}

/* Builds {v:1, id:7, op, args: <args_json-like packer callback>} */
static void call_op(fixture *f, const char *op, void (*args)(msgpack_packer *), char code[32])
{
    msgpack_sbuffer b;
    msgpack_packer pk;
    frame_start(&b, &pk, op, true);
    args(&pk);
    call_raw(f, b.data, b.size, code);
    msgpack_sbuffer_destroy(&b);
}

static void region_ok(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    cn_pk_kstr(pk, "id", "mauricie");
    cn_pk_kstr(pk, "name", "Mauricie");
}
static void region_bad_type(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    cn_pk_kstr(pk, "id", "laurentides");
    cn_pk_kint(pk, "name", 5);
}
static void region_unknown_arg(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    cn_pk_kstr(pk, "id", "laurentides");
    cn_pk_kstr(pk, "name", "Laurentides");
    cn_pk_kstr(pk, "nmae", "typo");
}
static void plan_bad_date(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    cn_pk_kstr(pk, "region", "mauricie");
    cn_pk_kstr(pk, "title", "Plan d'action 2017-2020");
    cn_pk_kstr(pk, "start_date", "2023-02-30");
}
static void no_args(msgpack_packer *pk) { msgpack_pack_map(pk, 0); }

static int64_t count(fixture *f, const char *table)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(cn_db_sqlite(f->db), sql, -1, &st, NULL);
    sqlite3_step(st);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

#define RAW(f, lit, code) call_raw(f, lit, sizeof lit - 1, code)

static void envelope_errors(void **state)
{
    fixture *f = *state;
    char code[32];
    RAW(f, "\xc1", code); /* never-used msgpack byte */
    assert_string_equal(code, "bad_request");
    call_raw(f, "", 0, code);
    assert_string_equal(code, "bad_request");
    RAW(f, "\x93\x01\x02\x03", code); /* an array, not a map */
    assert_string_equal(code, "bad_request");
    RAW(f, "\x81\xa1v\x01", code); /* {v:1}: no op */
    assert_string_equal(code, "bad_request");
    RAW(f, "\x82\xa1v\x02\xa2op\xa9node.info", code); /* v:2 */
    assert_string_equal(code, "bad_request");
    RAW(f, "\x82\xa1v\x01\xa2op\xa9node.info\x00", code); /* trailing byte */
    assert_string_equal(code, "bad_request");
    RAW(f, "\x82\xa1v\x01\xa2op\xa4no.p", code);
    assert_string_equal(code, "unknown_op");
    RAW(f, "\x82\xa1v\x01\xa2op\xa2\xff\xfe", code); /* invalid UTF-8 */
    assert_string_equal(code, "bad_request");
    RAW(f, "\x82\xa1v\x01\xa2op\xa9node.info", code);
    assert_string_equal(code, "ok");
    assert_int_equal(count(f, "events"), 0);
}

static void argument_errors_change_nothing(void **state)
{
    fixture *f = *state;
    char code[32];
    call_op(f, "region.create", region_ok, code);
    assert_string_equal(code, "ok");
    int64_t events = count(f, "events"), regions = count(f, "regions");
    call_op(f, "region.create", region_ok, code);
    assert_string_equal(code, "conflict");
    call_op(f, "region.create", region_bad_type, code);
    assert_string_equal(code, "bad_request");
    call_op(f, "region.create", region_unknown_arg, code);
    assert_string_equal(code, "invalid_argument");
    call_op(f, "plan.create", plan_bad_date, code);
    assert_string_equal(code, "invalid_argument");
    call_op(f, "region.create", no_args, code);
    assert_string_equal(code, "invalid_argument");
    call_op(f, "action.get", no_args, code);
    assert_string_equal(code, "invalid_argument");
    assert_int_equal(count(f, "events"), events);
    assert_int_equal(count(f, "regions"), regions);
    assert_int_equal(count(f, "plans"), 0);
    assert_int_equal(cn_evlog_last_seq(cn_core_evlog(f->core)), events);
}

static void batch_undoes_only_the_failing_command(void **state)
{
    fixture *f = *state;
    char code[32];
    call_op(f, "region.create", region_ok, code);
    assert_string_equal(code, "ok");
    int64_t seq = cn_evlog_last_seq(cn_core_evlog(f->core));

    /* One batch: a good plan, a bad plan (date), a second good plan. */
    static const char *const titles[] = {"Plan A", "Plan B", "Plan C"};
    static const char *const starts[] = {"2017-01-01", "2017-02-30", "2020-01-01"};
    assert_int_equal(cn_core_batch_begin(f->core), 0);
    cn_reply replies[3];
    for (int i = 0; i < 3; i++) {
        msgpack_sbuffer b;
        msgpack_packer pk;
        frame_start(&b, &pk, "plan.create", false);
        msgpack_pack_map(&pk, 3);
        cn_pk_kstr(&pk, "region", "mauricie");
        cn_pk_kstr(&pk, "title", titles[i]);
        cn_pk_kstr(&pk, "start_date", starts[i]);
        cn_core_handle(f->core, b.data, b.size, &replies[i]);
        msgpack_sbuffer_destroy(&b);
    }
    assert_int_equal(cn_core_batch_commit(f->core, NULL), 0);
    assert_true(replies[0].ok);
    assert_false(replies[1].ok);
    assert_true(replies[2].ok);
    for (int i = 0; i < 3; i++)
        cn_reply_destroy(&replies[i]);
    assert_int_equal(count(f, "plans"), 2);
    /* Two events, consecutive seqs: the undone command left no gap. */
    assert_int_equal(cn_evlog_last_seq(cn_core_evlog(f->core)), seq + 2);
    assert_int_equal(count(f, "events"), seq + 2);
}

/* The result of the request in b (destroyed here), handled in the open
 * batch or on its own, which must succeed; reply and up are the caller's
 * to destroy (the result lives in them). */
static const msgpack_object *result_of(fixture *f, bool in_batch, msgpack_sbuffer *b, cn_reply *reply,
                                       msgpack_unpacked *up)
{
    if (in_batch)
        cn_core_handle(f->core, b->data, b->size, reply);
    else
        cn_core_call(f->core, b->data, b->size, reply, NULL);
    msgpack_sbuffer_destroy(b);
    assert_true(reply->ok);
    msgpack_unpacked_init(up);
    assert_int_equal(msgpack_unpack_next(up, reply->buf.data, reply->buf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    return cn_mp_get(&up->data, "result");
}

/* The text of the first action action.list gives for mauricie, by one
 * request handled in the open batch or on its own. */
static void first_action_text(fixture *f, bool in_batch, char out[64])
{
    msgpack_sbuffer b;
    msgpack_packer pk;
    frame_start(&b, &pk, "action.list", false);
    msgpack_pack_map(&pk, 1);
    cn_pk_kstr(&pk, "region", "mauricie");
    cn_reply reply;
    msgpack_unpacked up;
    const msgpack_object *list = result_of(f, in_batch, &b, &reply, &up);
    assert_true(list && list->type == MSGPACK_OBJECT_ARRAY && list->via.array.size == 1);
    cn_mp_str_copy(cn_mp_get(&list->via.array.ptr[0], "text"), out, 64);
    msgpack_unpacked_destroy(&up);
    cn_reply_destroy(&reply);
}

static void exec_sql(fixture *f, const char *sql)
{
    assert_int_equal(sqlite3_exec(cn_db_sqlite(f->db), sql, NULL, NULL, NULL), SQLITE_OK);
}

/* Mauricie's region (through the core), a plan, an objective and one
 * action of that text (straight in the tables). */
static void region_with_one_action(fixture *f, const char *text)
{
    char code[32];
    call_op(f, "region.create", region_ok, code);
    assert_string_equal(code, "ok");
    exec_sql(f, "INSERT INTO plans(region, title, created_ms, updated_ms) VALUES ('mauricie', 'Plan', 0, 0);"
                "INSERT INTO objectives(plan, number, sort_key, text, mandates) VALUES (1, '1', '1', 'O', x'90');");
    char *sql = sqlite3_mprintf("INSERT INTO actions(plan, objective, number, sort_key, text, targets, created_ms,"
                                " updated_ms) VALUES (1, 1, '1.1', '1.1', %Q, x'90', 0, 0)", text);
    exec_sql(f, sql);
    sqlite3_free(sql);
}

/* action.list is kept between changes (reply_cache.h): every change shows
 * at once, made by any statement of the connection, and one undone by a
 * rollback is not shown after it. */
static void a_kept_read_follows_every_change(void **state)
{
    fixture *f = *state;
    char text[64];
    region_with_one_action(f, "Avant");
    first_action_text(f, false, text);
    assert_string_equal(text, "Avant");
    first_action_text(f, false, text); /* kept */
    assert_string_equal(text, "Avant");
    exec_sql(f, "UPDATE actions SET text = 'Changé' WHERE number = '1.1'");
    first_action_text(f, false, text);
    assert_string_equal(text, "Changé");

    /* Read in a batch after its own change, which is then undone. */
    assert_int_equal(cn_core_batch_begin(f->core), 0);
    first_action_text(f, true, text);
    assert_string_equal(text, "Changé");
    exec_sql(f, "UPDATE actions SET text = 'Annulé' WHERE number = '1.1'");
    first_action_text(f, true, text);
    assert_string_equal(text, "Annulé");
    first_action_text(f, true, text);
    assert_string_equal(text, "Annulé");
    cn_core_batch_rollback(f->core);
    first_action_text(f, false, text);
    assert_string_equal(text, "Changé");
    first_action_text(f, false, text);
    assert_string_equal(text, "Changé");
}

/* indicator.record of indicator 1 (value 5), by one request handled in
 * the open batch or on its own: the indicator's name and action number as
 * its reply says (cap 64; "" for none). */
static void record_one(fixture *f, bool in_batch, char name[64], char action[64])
{
    msgpack_sbuffer b;
    msgpack_packer pk;
    frame_start(&b, &pk, "indicator.record", false);
    msgpack_pack_map(&pk, 2);
    cn_pk_kint(&pk, "id", 1);
    cn_pk_kint(&pk, "value", 5);
    cn_reply reply;
    msgpack_unpacked up;
    const msgpack_object *ind = result_of(f, in_batch, &b, &reply, &up);
    name[0] = action[0] = '\0';
    cn_mp_str_copy(cn_mp_get(ind, "name"), name, 64);
    cn_mp_str_copy(cn_mp_get(ind, "action"), action, 64);
    msgpack_unpacked_destroy(&up);
    cn_reply_destroy(&reply);
}

/* Runs sql on a connection of its own (not the daemon's). */
static void behind_the_back(fixture *f, const char *sql)
{
    sqlite3 *other;
    assert_int_equal(sqlite3_open(sqlite3_db_filename(cn_db_sqlite(f->db), "main"), &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
}

/* What indicator.record reads of its indicator (with its plan, region and
 * action) is kept between records (row_cache.h): the records' own rows
 * leave it kept, any other change of the connection reads it again, and
 * what was read after a change of the open batch is not kept (a rollback
 * could undo that change). The one connection that writes is the daemon's:
 * a change made behind its back shows only once it changes something. */
static void a_record_reads_its_indicator_again_after_any_change(void **state)
{
    fixture *f = *state;
    char name[64], action[64];
    region_with_one_action(f, "Action");
    exec_sql(f, "INSERT INTO indicators(plan, action, name, created_ms) VALUES (1, 1, 'Participants', 0)");
    record_one(f, false, name, action);
    assert_string_equal(name, "Participants");
    assert_string_equal(action, "1.1");

    /* Kept: a change by another connection is not seen... */
    behind_the_back(f, "UPDATE indicators SET name = 'Dans le dos' WHERE id = 1");
    record_one(f, false, name, action);
    assert_string_equal(name, "Participants");
    /* ...until this connection changes anything. */
    exec_sql(f, "UPDATE actions SET number = '1.9' WHERE id = 1");
    record_one(f, false, name, action);
    assert_string_equal(name, "Dans le dos");
    assert_string_equal(action, "1.9");

    /* Read in a batch after its own change, which is then undone. */
    assert_int_equal(cn_core_batch_begin(f->core), 0);
    exec_sql(f, "UPDATE indicators SET name = 'Annulé' WHERE id = 1");
    record_one(f, true, name, action);
    assert_string_equal(name, "Annulé");
    record_one(f, true, name, action);
    assert_string_equal(name, "Annulé");
    cn_core_batch_rollback(f->core);
    record_one(f, false, name, action);
    assert_string_equal(name, "Dans le dos");

    /* Records in a batch, undone with it: what is kept still holds (they
     * only appended rows), as a change behind the daemon's back shows. */
    assert_int_equal(cn_core_batch_begin(f->core), 0);
    record_one(f, true, name, action);
    record_one(f, true, name, action);
    cn_core_batch_rollback(f->core);
    behind_the_back(f, "UPDATE indicators SET name = 'Encore dans le dos' WHERE id = 1");
    record_one(f, false, name, action);
    assert_string_equal(name, "Dans le dos");
    exec_sql(f, "UPDATE actions SET number = '2.1' WHERE id = 1");
    record_one(f, false, name, action);
    assert_string_equal(name, "Encore dans le dos");
    assert_string_equal(action, "2.1");
    assert_int_equal(count(f, "measurements"), 6);

    /* Too long to be kept (row_cache.h): read each time, whole. */
    exec_sql(f, "UPDATE indicators SET name = printf('%.2000c', 'x') WHERE id = 1");
    record_one(f, false, name, action);
    assert_int_equal(strlen(name), 63); /* record_one's cap: the name came whole */
    record_one(f, false, name, action);
    assert_int_equal(strlen(name), 63);
    assert_int_equal(count(f, "measurements"), 8);
}

/* The events published, as the observer sees them (in order). */
typedef struct {
    int64_t seqs[16];
    int n;
} published;

static void observe(void *data, int64_t seq, const char *topic)
{
    (void)topic;
    published *p = data;
    if (p->n < 16)
        p->seqs[p->n++] = seq;
}

/* One region.update handled in the open batch: its reply's error code
 * ("ok" when it succeeded) in code. */
static void handle_update_code(fixture *f, const char *organisation, char code[32])
{
    msgpack_sbuffer b;
    msgpack_packer pk;
    frame_start(&b, &pk, "region.update", false);
    msgpack_pack_map(&pk, 2);
    cn_pk_kstr(&pk, "id", "mauricie");
    cn_pk_kstr(&pk, "organisation", organisation);
    cn_reply reply;
    cn_core_handle(f->core, b.data, b.size, &reply);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    assert_int_equal(msgpack_unpack_next(&up, reply.buf.data, reply.buf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *c = cn_mp_get(cn_mp_get(&up.data, "error"), "code");
    if (reply.ok)
        strcpy(code, "ok");
    else
        cn_mp_str_copy(c, code, 32);
    msgpack_unpacked_destroy(&up);
    cn_reply_destroy(&reply);
    msgpack_sbuffer_destroy(&b);
}

static void handle_update(fixture *f, const char *organisation)
{
    char code[32];
    handle_update_code(f, organisation, code);
    assert_string_equal(code, "ok");
}

/* The connection's PRAGMA synchronous: 1 NORMAL, 2 FULL (a statement of
 * its own, prepared afresh: a cached one would say what it was). */
static int sync_level(fixture *f)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(cn_core_db(f->core), "PRAGMA synchronous", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int level = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return level;
}

/* A batch opened for the bus begins its transaction with its first command
 * that needs the database: one of reads answered from what is kept takes
 * no lock — they are answered while another connection holds the write lock,
 * when a change is refused as unavailable, and every command after it that
 * needs the database too. */
static void a_batch_of_kept_reads_takes_no_lock(void **state)
{
    fixture *f = *state;
    char code[32], text[64];
    region_with_one_action(f, "Gardée");
    first_action_text(f, false, text); /* now kept */
    sqlite3 *db = cn_db_sqlite(f->db), *other = NULL;
    uint64_t ticket = 99;
    assert_int_equal(cn_core_batch_open(f->core, true), 0);
    first_action_text(f, true, text);
    assert_string_equal(text, "Gardée");
    assert_true(sqlite3_get_autocommit(db)); /* no transaction begun */
    assert_int_equal(cn_core_batch_commit_lazy(f->core, NULL, &ticket), 0);
    assert_int_equal(sync_level(f), 2);

    assert_int_equal(sqlite3_open(sqlite3_db_filename(db, "main"), &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    assert_int_equal(cn_core_batch_open(f->core, true), 0);
    first_action_text(f, true, text);
    assert_string_equal(text, "Gardée");
    handle_update_code(f, "Refusée", code);
    assert_string_equal(code, "unavailable");
    handle_update_code(f, "Refusée aussi", code);
    assert_string_equal(code, "unavailable");
    first_action_text(f, true, text); /* still kept: nothing changed */
    assert_string_equal(text, "Gardée");
    assert_int_equal(cn_core_batch_commit_lazy(f->core, NULL, &ticket), 0);
    assert_int_equal(ticket, cn_core_lazy_ticket(f->core)); /* wrote nothing */
    assert_false(cn_core_in_batch(f->core));

    assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(cn_core_batch_open(f->core, true), 0);
    handle_update(f, "Acceptée");
    assert_false(sqlite3_get_autocommit(db)); /* its transaction, begun by the update */
    assert_int_equal(cn_core_batch_commit_lazy(f->core, NULL, &ticket), 0);
    assert_int_equal(ticket, cn_core_lazy_ticket(f->core));
    assert_true(ticket > 0);
}

/* One region.update in a batch of its own, committed without flushing
 * (its ticket in *ticket) or flushing. Only a lazy batch runs at NORMAL
 * (from its first command: its transaction begins there);
 * every commit after it flushes (FULL) again. */
static void update_region(fixture *f, bool lazy, const char *organisation, uint64_t *ticket)
{
    assert_int_equal(lazy ? cn_core_batch_open(f->core, true) : cn_core_batch_begin(f->core), 0);
    handle_update(f, organisation);
    assert_int_equal(sync_level(f), lazy ? 1 : 2);
    if (lazy)
        assert_int_equal(cn_core_batch_commit_lazy(f->core, NULL, ticket), 0);
    else
        assert_int_equal(cn_core_batch_commit(f->core, NULL), 0);
    assert_int_equal(sync_level(f), 2);
}

/* A batch committed without flushing holds its events until it is said on
 * disk; a commit that flushes publishes the held ones first, in order; a
 * batch rolled back leaves the held ones as they were. */
static void lazy_commits_hold_their_events_until_on_disk(void **state)
{
    fixture *f = *state;
    char code[32];
    call_op(f, "region.create", region_ok, code);
    assert_string_equal(code, "ok");
    cn_evlog *log = cn_core_evlog(f->core);
    published p = {0};
    cn_evlog_set_observer(log, observe, &p);
    int64_t base = cn_evlog_last_seq(log);

    uint64_t t1, t2, t3;
    update_region(f, true, "CDSM 1", &t1);
    update_region(f, true, "CDSM 2", &t2);
    assert_true(t2 == t1 + 1);
    assert_int_equal(p.n, 0); /* committed, not on disk: nothing out */
    assert_int_equal(cn_evlog_published_seq(log), base);
    assert_int_equal(count(f, "events"), base + 2);

    cn_core_durable(f->core, t1);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.seqs[0], base + 1);
    assert_int_equal(cn_evlog_published_seq(log), base + 1);

    /* A commit that flushes: the held event first, then its own. */
    update_region(f, false, "CDSM 3", NULL);
    assert_int_equal(p.n, 3);
    assert_int_equal(p.seqs[1], base + 2);
    assert_int_equal(p.seqs[2], base + 3);
    assert_true(cn_core_durable_ticket(f->core) >= t2);

    /* A batch rolled back: its event undone, the one held before kept. */
    update_region(f, true, "CDSM 4", &t3);
    assert_int_equal(cn_core_batch_open(f->core, true), 0);
    handle_update(f, "CDSM 5");
    cn_core_batch_rollback(f->core);
    assert_int_equal(p.n, 3);
    assert_int_equal(cn_evlog_last_seq(log), base + 4);
    cn_core_durable(f->core, t3);
    assert_int_equal(p.n, 4);
    assert_int_equal(p.seqs[3], base + 4);
    assert_int_equal(count(f, "events"), base + 4);
    cn_evlog_set_observer(log, NULL, NULL);
}

/* An op that writes (a glossary row and an event) and then fails: what a
 * handler does when it finds a problem only after it wrote. */
static int write_then_fail(cn_req *req)
{
    static const char data[] = {(char)0x80}; /* {} */
    if (sqlite3_exec(req->db, "INSERT INTO glossary(region, term, definition) VALUES ('mauricie', 'CDC', 'x')", NULL,
                     NULL, NULL) != SQLITE_OK ||
        cn_req_emit(req, "mauricie", "glossary.changed", data, sizeof data) != 0)
        return cn_req_fail(req, "internal", NULL, "could not write");
    return cn_req_fail(req, "conflict", NULL, "found wrong after writing");
}
/* An op that is not db_only and succeeds (it writes a glossary row). */
static int write_apart(cn_req *req)
{
    return sqlite3_exec(req->db, "INSERT INTO glossary(region, term, definition) VALUES ('mauricie', 'MRC', 'x')", NULL,
                        NULL, NULL) == SQLITE_OK ? 0 : cn_req_fail(req, "internal", NULL, "could not write");
}
static const cn_op test_db_only_ops[] = {{"test.write_then_fail", write_then_fail, NULL, "", "", NULL}};
static const cn_op test_ops[] = {{"test.write_then_fail_apart", write_then_fail, NULL, "", "", NULL},
                                 {"test.write_apart", write_apart, NULL, "", "", NULL}};

/* plan.create of title in mauricie, or test.write_then_fail[_apart], in
 * the open batch: whether its reply is ok. */
static bool handle_one(fixture *f, const char *title, const char *op)
{
    msgpack_sbuffer b;
    msgpack_packer pk;
    frame_start(&b, &pk, op ? op : "plan.create", false);
    if (op) {
        msgpack_pack_map(&pk, 0);
    } else {
        msgpack_pack_map(&pk, 2);
        cn_pk_kstr(&pk, "region", "mauricie");
        cn_pk_kstr(&pk, "title", title);
    }
    cn_reply reply;
    cn_core_handle(f->core, b.data, b.size, &reply);
    msgpack_sbuffer_destroy(&b);
    bool ok = reply.ok;
    cn_reply_destroy(&reply);
    return ok;
}

/* In a batch its caller can handle again, the everyday edits run without a
 * savepoint: one that fails after it wrote asks for the batch to be undone
 * and handled again (then each command has its savepoint, and the failing
 * one alone is undone); one that fails before writing, or an op that is not
 * db_only, does not — and once such an op has run in the batch, the batch
 * is not handled again (its command must not run twice). The log stays
 * gap-free. */
static void a_redoable_batch_is_redone_when_a_command_fails_after_writing(void **state)
{
    fixture *f = *state;
    char code[32];
    call_op(f, "region.create", region_ok, code);
    assert_string_equal(code, "ok");
    assert_int_equal(cn_core_register(f->core, test_db_only_ops, 1), 0);
    assert_int_equal(cn_core_register(f->core, test_ops, 2), 0);
    assert_int_equal(cn_core_db_only(f->core, test_db_only_ops, 1), 0);
    cn_evlog *log = cn_core_evlog(f->core);
    int64_t base = cn_evlog_last_seq(log);

    assert_int_equal(cn_core_batch_open(f->core, true), 0);
    cn_core_batch_redoable(f->core);
    assert_true(handle_one(f, "Plan A", NULL));
    assert_false(handle_one(f, "", NULL)); /* refused before writing (empty title) */
    assert_false(cn_core_batch_must_redo(f->core));
    assert_false(handle_one(f, NULL, "test.write_then_fail"));
    assert_true(cn_core_batch_must_redo(f->core));
    assert_int_equal(count(f, "glossary"), 1); /* still there: the batch is to be undone */

    assert_int_equal(cn_core_batch_redo(f->core), 0);
    assert_false(cn_core_batch_must_redo(f->core));
    assert_int_equal(count(f, "plans"), 0);
    assert_int_equal(count(f, "glossary"), 0);
    assert_int_equal(cn_evlog_last_seq(log), base);
    /* Handled again, each in its savepoint: the failing one undone alone. */
    assert_true(handle_one(f, "Plan A", NULL));
    assert_false(handle_one(f, NULL, "test.write_then_fail"));
    assert_false(cn_core_batch_must_redo(f->core));
    assert_true(handle_one(f, "Plan C", NULL));
    uint64_t ticket;
    assert_int_equal(cn_core_batch_commit_lazy(f->core, NULL, &ticket), 0);

    assert_int_equal(count(f, "plans"), 2);
    assert_int_equal(count(f, "glossary"), 0);
    assert_int_equal(cn_evlog_last_seq(log), base + 2);
    assert_int_equal(count(f, "events"), base + 2);

    /* A command of an op that is not db_only ends the batch's chance of
     * being handled again (it must not run twice): the db_only ones after
     * it have their savepoints. */
    assert_int_equal(cn_core_batch_open(f->core, true), 0);
    cn_core_batch_redoable(f->core);
    assert_false(handle_one(f, NULL, "test.write_then_fail_apart")); /* its own savepoint: undone alone */
    assert_false(cn_core_batch_must_redo(f->core));
    assert_int_equal(count(f, "glossary"), 0);
    assert_true(handle_one(f, NULL, "test.write_apart"));
    assert_false(handle_one(f, NULL, "test.write_then_fail"));
    assert_false(cn_core_batch_must_redo(f->core));
    assert_int_equal(count(f, "glossary"), 1); /* the first one's row, not the failing one's */
    assert_true(handle_one(f, "Plan B", NULL));
    assert_int_equal(cn_core_batch_commit_lazy(f->core, NULL, &ticket), 0);
    assert_int_equal(count(f, "glossary"), 1);
    assert_int_equal(count(f, "plans"), 3);
    assert_int_equal(cn_evlog_last_seq(log), base + 3);
    exec_sql(f, "DELETE FROM glossary");

    /* A batch its caller cannot handle again: savepoints, as always. */
    assert_int_equal(cn_core_batch_begin(f->core), 0);
    assert_false(handle_one(f, NULL, "test.write_then_fail"));
    assert_false(cn_core_batch_must_redo(f->core));
    assert_true(handle_one(f, "Plan D", NULL));
    assert_int_equal(cn_core_batch_commit(f->core, NULL), 0);
    assert_int_equal(count(f, "plans"), 4);
    assert_int_equal(count(f, "glossary"), 0);
    assert_int_equal(cn_evlog_last_seq(log), base + 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(envelope_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(argument_errors_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_undoes_only_the_failing_command, setup, teardown),
        cmocka_unit_test_setup_teardown(a_kept_read_follows_every_change, setup, teardown),
        cmocka_unit_test_setup_teardown(a_record_reads_its_indicator_again_after_any_change, setup, teardown),
        cmocka_unit_test_setup_teardown(a_batch_of_kept_reads_takes_no_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(lazy_commits_hold_their_events_until_on_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(a_redoable_batch_is_redone_when_a_command_fails_after_writing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
