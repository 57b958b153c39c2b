/* backup_ops.c: see backup_ops.h. One copy at a time: node.backup starts it
 * on a libuv worker (the copy reads the whole database: never on the loop)
 * and answers at once with its id; node.backup_status says when it is ready;
 * node.backup_read gives it in pieces of 512 KiB from memory. The copy is
 * dropped once read to its end, or when the next one starts. */
#include "backup_ops.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "db.h"
#include "log.h"
#include "mp.h"
#include "text.h"

#define PIECE (512 * 1024)

typedef enum { NONE, RUNNING, READY, FAILED } job_state;

struct cn_backup_ops {
    cn_core *core;
    uv_loop_t *loop;
    char data_dir[4096], node_id[64];
    cn_op ops[4];
    /* The current copy; its worker owns result and error until done. */
    int64_t id;
    job_state state;
    uv_work_t work;
    cn_backup result;
    char error[1024];
    bool orphaned; /* the daemon stops while the copy is taken: freed when it is done */
    /* The current integrity check (node.check_db), the same way. */
    int64_t check_id;
    job_state check_state;
    uv_work_t check_work;
    int check_rc;
    char check_said[2560];
};

static void take(uv_work_t *w)
{
    cn_backup_ops *b = w->data;
    if (cn_backup_take(b->data_dir, b->node_id, &b->result, b->error, sizeof b->error) != 0)
        b->result.bytes = NULL;
}

/* Workers out: the struct is freed after the last one. */
static bool working(const cn_backup_ops *b) { return b->state == RUNNING || b->check_state == RUNNING; }

static void release_if_orphaned(cn_backup_ops *b)
{
    if (b->orphaned && !working(b)) {
        cn_backup_free(&b->result);
        free(b);
    }
}

static void taken(uv_work_t *w, int status)
{
    cn_backup_ops *b = w->data;
    b->state = status == 0 && b->result.bytes ? READY : FAILED;
    if (b->orphaned) {
        release_if_orphaned(b);
        return;
    }
    if (status != 0)
        snprintf(b->error, sizeof b->error, "copie annulée");
    if (b->state == READY)
        cn_info("sauvegarde n° %lld prête : %zu octets, %lld événements, dernier n° %lld", (long long)b->id,
                b->result.size, (long long)b->result.events, (long long)b->result.last_seq);
    else
        cn_error("sauvegarde n° %lld impossible : %s", (long long)b->id, b->error);
}

static const char *state_name(job_state s)
{
    return s == RUNNING ? "running" : s == READY ? "ready" : s == FAILED ? "failed" : "none";
}

static void pack_state(cn_backup_ops *b, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 7);
    cn_pk_kint(pk, "id", b->id);
    cn_pk_kstr(pk, "state", state_name(b->state));
    cn_pk_kint(pk, "size", (int64_t)b->result.size);
    cn_pk_kint(pk, "events", b->result.events);
    cn_pk_kint(pk, "last_seq", b->result.last_seq);
    cn_pk_kint(pk, "schema", b->result.schema);
    cn_pk_str(pk, "error");
    if (b->state == FAILED)
        cn_pk_str(pk, b->error);
    else
        msgpack_pack_nil(pk);
}

static int backup_start(cn_req *req)
{
    cn_backup_ops *b = (cn_backup_ops *)req->op->data;
    if (b->state != RUNNING) {
        cn_backup_free(&b->result);
        memset(&b->result, 0, sizeof b->result);
        b->error[0] = '\0';
        b->id++;
        b->work.data = b;
        if (uv_queue_work(b->loop, &b->work, take, taken) != 0)
            return cn_req_fail(req, "unavailable", NULL,
                               L("la copie ne peut être lancée (libuv)", "the copy cannot be started (libuv)"));
        b->state = RUNNING;
        cn_info("sauvegarde n° %lld lancée", (long long)b->id);
    }
    pack_state(b, cn_req_pk(req));
    return 0;
}

/* The id asked for is the current copy's, else not_found. */
static int this_copy(cn_req *req, cn_backup_ops *b)
{
    int64_t id = 0;
    if (cn_arg_int(req, "id", CN_REQUIRED, &id, NULL) < 0)
        return -1;
    if (id != b->id || b->state == NONE)
        return cn_req_fail(req, "not_found", "id",
                           L("pas de sauvegarde n° %lld en cours ou prête (node.backup en lance une)",
                             "no backup no. %lld running or ready (node.backup starts one)"),
                           (long long)id);
    return 0;
}

static int backup_status(cn_req *req)
{
    cn_backup_ops *b = (cn_backup_ops *)req->op->data;
    if (this_copy(req, b) < 0)
        return -1;
    pack_state(b, cn_req_pk(req));
    return 0;
}

static int backup_read(cn_req *req)
{
    cn_backup_ops *b = (cn_backup_ops *)req->op->data;
    int64_t offset = 0;
    if (this_copy(req, b) < 0 || cn_arg_int(req, "offset", CN_OPTIONAL, &offset, NULL) < 0)
        return -1;
    if (b->state != READY)
        return cn_req_fail(req, "conflict", "id",
                           b->state == RUNNING ? L("la copie n'est pas encore prête (node.backup_status)",
                                                   "the copy is not ready yet (node.backup_status)")
                                               : L("la copie a échoué : %s", "the copy failed: %s"),
                           b->error);
    if (offset < 0 || (size_t)offset > b->result.size)
        return cn_req_fail(req, "invalid_argument", "offset", L("offset hors de la copie (0 à %zu)",
                                                                "offset outside the copy (0 to %zu)"),
                           b->result.size);
    size_t n = b->result.size - (size_t)offset;
    if (n > PIECE)
        n = PIECE;
    bool eof = (size_t)offset + n == b->result.size;
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 4);
    cn_pk_kint(pk, "offset", offset);
    cn_pk_kint(pk, "size", (int64_t)b->result.size);
    cn_pk_kbool(pk, "eof", eof);
    cn_pk_str(pk, "data");
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, b->result.bytes + offset, n);
    return 0;
}

static void check(uv_work_t *w)
{
    cn_backup_ops *b = w->data;
    b->check_rc = cn_db_check(b->data_dir, true, b->check_said, sizeof b->check_said);
}

static void checked(uv_work_t *w, int status)
{
    cn_backup_ops *b = w->data;
    if (status != 0) {
        b->check_rc = -1;
        snprintf(b->check_said, sizeof b->check_said, "vérification annulée");
    }
    b->check_state = b->check_rc == 0 ? READY : FAILED;
    if (b->orphaned) {
        release_if_orphaned(b);
        return;
    }
    cn_log(b->check_rc == 0 ? CN_LOG_INFO : CN_LOG_ERROR, "vérification n° %lld : %s", (long long)b->check_id,
           b->check_said);
}

/* node.check_db: without id starts a full check (integrity_check, off the
 * loop); with the id it gave, says how it stands. */
static int check_db(cn_req *req)
{
    cn_backup_ops *b = (cn_backup_ops *)req->op->data;
    int64_t id = 0; /* ids start at 1: none given, a new check */
    if (cn_arg_int(req, "id", CN_OPTIONAL, &id, NULL) < 0)
        return -1;
    bool no_id = id <= 0;
    if (no_id && b->check_state != RUNNING) {
        b->check_id++;
        b->check_said[0] = '\0';
        b->check_work.data = b;
        if (uv_queue_work(b->loop, &b->check_work, check, checked) != 0)
            return cn_req_fail(req, "unavailable", NULL,
                               L("la vérification ne peut être lancée (libuv)", "the check cannot be started (libuv)"));
        b->check_state = RUNNING;
    } else if (!no_id && (id != b->check_id || b->check_state == NONE)) {
        return cn_req_fail(req, "not_found", "id", L("pas de vérification n° %lld", "no check no. %lld"), (long long)id);
    }
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 4);
    cn_pk_kint(pk, "id", b->check_id);
    cn_pk_kstr(pk, "state", b->check_state == RUNNING ? "running" : "done");
    cn_pk_str(pk, "sound");
    if (b->check_state == RUNNING)
        msgpack_pack_nil(pk);
    else
        (b->check_rc == 0 ? msgpack_pack_true : msgpack_pack_false)(pk);
    cn_pk_str(pk, "said");
    if (b->check_state == RUNNING)
        msgpack_pack_nil(pk);
    else
        cn_pk_str(pk, b->check_said);
    return 0;
}

static const char *const no_args[] = {NULL};
static const char *const id_arg[] = {"id", NULL};
static const char *const read_args[] = {"id", "offset", NULL};

cn_backup_ops *cn_backup_ops_new(uv_loop_t *loop, cn_core *core, const char *data_dir)
{
    cn_backup_ops *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->core = core;
    b->loop = loop;
    snprintf(b->data_dir, sizeof b->data_dir, "%s", data_dir);
    snprintf(b->node_id, sizeof b->node_id, "%s", cn_core_config(core)->node_id);
    b->ops[0] = (cn_op){"node.backup", backup_start, no_args,
                        "lance une copie cohérente de la base (sauvegarde à chaud) ; concertctl backup FICHIER",
                        "starts a consistent copy of the database (hot backup); concertctl backup FILE", b};
    b->ops[1] = (cn_op){"node.backup_status", backup_status, id_arg, "où en est la copie", "how the copy stands", b};
    b->ops[2] = (cn_op){"node.backup_read", backup_read, read_args, "lit la copie par morceaux de 512 Kio",
                        "reads the copy in pieces of 512 KiB", b};
    b->ops[3] = (cn_op){"node.check_db", check_db, id_arg,
                        "vérifie toute la base (integrity_check), sans arrêter le démon ; avec id : le résultat",
                        "checks the whole database (integrity_check) without stopping the daemon; with id: the result",
                        b};
    if (cn_core_register(core, b->ops, 4) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

void cn_backup_ops_destroy(cn_backup_ops **bp)
{
    cn_backup_ops *b = *bp;
    if (!b)
        return;
    *bp = NULL;
    for (int i = 0; i < 4; i++)
        cn_core_unregister(b->core, &b->ops[i]);
    if (working(b)) {
        b->orphaned = true; /* the last worker's completion frees it */
        return;
    }
    cn_backup_free(&b->result);
    free(b);
}
