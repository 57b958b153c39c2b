/* core.c: see core.h. */
#include "core.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mp.h"
#include "reply_cache.h"
#include "row_cache.h"
#include "text.h"
#include "stmt_cache.h"

struct cn_core {
    sqlite3 *db;
    const cn_config *cfg;
    cn_evlog *evlog;
    const cn_op **ops;
    size_t nops, capops;
    /* ops by name (open addressing, a power of two at least twice nops):
     * a request finds its op in one or two probes, not through a hundred
     * names. Rebuilt when an op comes or goes. */
    const cn_op **by_name;
    size_t by_name_cap;
    bool in_batch;
    int64_t started_ms;
    cn_info_fn info_fn;
    void *info_data;
    cn_describe_fn describe_fn;
    void *describe_data;
    cn_undoes_fn undoes_fn;
    void *undoes_data;
    bool mirroring; /* a peer's region is being copied in: its events are the peer's, none of ours */
    cn_foreign_fn foreign_fn;
    cn_foreign_wanted_fn foreign_wanted;
    void *foreign_data;
    cn_copy_as_of_fn as_of_fn;
    void *as_of_data;
    struct {
        cn_keeper_fn fn;
        void *data;
    } keepers[4];
    size_t nkeepers;
    const cn_preparer *preparers[8];
    size_t npreparers;
    cn_reply_cache *replies; /* results of the cached reads (reply_cache.h) */
    const cn_op *cached[4];  /* the ops whose results it keeps */
    size_t ncached;
    struct {
        const cn_op *ops;
        size_t n;
    } db_only[8]; /* lists of db_only ops (cn_core_db_only) */
    size_t ndb_only;
    int64_t batch_gen; /* the connection's count of changes when the open batch began */
    cn_row_cache *rows;     /* what handlers read of existing rows (row_cache.h) */
    int64_t appended;       /* of the connection's changes, the rows handlers declared appended */
    int64_t batch_stamp;    /* the row cache's stamp when the open batch began */
    /* Commits that did not flush the WAL (the bus's, wal_sync.h): how many
     * wrote something, and how many of those are known to be on disk. */
    uint64_t lazy_issued, lazy_durable;
    bool opened_lazy; /* the open batch was opened lazy (cn_core_batch_open) */
    bool lazy_batch;  /* and its transaction, begun, will not flush the WAL at its COMMIT */
    /* The open batch's transaction has not begun yet: it begins with the
     * first command that needs the database (cn_core_batch_open). */
    bool deferred;
    bool begin_failed; /* it could not begin: the batch's other commands are unavailable too */
    /* Its caller can handle the open batch again (db_only commands run
     * without a savepoint), and one of them failed after it wrote. */
    bool redoable, must_redo;
    int depth; /* cn_core_handle calls in progress: 1 for a request, more for those nested in it */
};

/* SQLite's commit hook: while a batch is open, nothing commits but the
 * batch (commit() marks it closed first). Should SQLite have undone the
 * batch's transaction itself (an I/O error), a statement run after that
 * would otherwise be committed on its own, whatever its command's reply:
 * it fails instead (its COMMIT turned into a ROLLBACK). */
static int refuse_stray_commit(void *arg)
{
    const cn_core *core = arg;
    return core->in_batch && !core->deferred;
}

cn_core *cn_core_new(sqlite3 *db, const cn_config *cfg)
{
    cn_core *core = calloc(1, sizeof *core);
    if (!core)
        return NULL;
    core->db = db;
    core->cfg = cfg;
    core->started_ms = cn_now_ms();
    core->evlog = cn_evlog_new(db, cfg->node_id);
    core->replies = cn_reply_cache_new();
    core->rows = cn_row_cache_new();
    if (!core->evlog || !core->replies || !core->rows) {
        cn_evlog_destroy(&core->evlog);
        cn_reply_cache_destroy(&core->replies);
        cn_row_cache_destroy(&core->rows);
        free(core);
        return NULL;
    }
    sqlite3_commit_hook(db, refuse_stray_commit, core);
    return core;
}

void cn_core_destroy(cn_core **corep)
{
    if (!corep || !*corep)
        return;
    cn_core *core = *corep;
    if (core->in_batch)
        cn_stmt_exec(core->db, "ROLLBACK");
    sqlite3_commit_hook(core->db, NULL, NULL);
    cn_evlog_destroy(&core->evlog);
    cn_reply_cache_destroy(&core->replies);
    cn_row_cache_destroy(&core->rows);
    free(core->ops);
    free(core->by_name);
    free(core);
    *corep = NULL;
}

const cn_config *cn_core_config(const cn_core *core) { return core->cfg; }
sqlite3 *cn_core_db(const cn_core *core) { return core->db; }
cn_evlog *cn_core_evlog(const cn_core *core) { return core->evlog; }
size_t cn_core_op_count(const cn_core *core) { return core->nops; }
const cn_op *cn_core_op_at(const cn_core *core, size_t i) { return i < core->nops ? core->ops[i] : NULL; }
int64_t cn_core_started_ms(const cn_core *core) { return core->started_ms; }

/* FNV-1a of a name's bytes. */
static size_t name_hash(const char *name, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211u;
    return (size_t)h;
}

static void index_one(cn_core *core, const cn_op *op)
{
    size_t mask = core->by_name_cap - 1, at = name_hash(op->name, strlen(op->name)) & mask;
    while (core->by_name[at])
        at = (at + 1) & mask;
    core->by_name[at] = op;
}

/* Room for n ops in all, in the list and the index (rebuilt bigger when
 * it would be more than half full): 0, or -1 without memory (unchanged). */
static int reserve_ops(cn_core *core, size_t n)
{
    if (n > core->capops) {
        size_t cap = core->capops ? core->capops : 64;
        while (cap < n)
            cap *= 2;
        const cn_op **p = realloc(core->ops, cap * sizeof *p);
        if (!p)
            return -1;
        core->ops = p;
        core->capops = cap;
    }
    if (core->by_name && 2 * n <= core->by_name_cap)
        return 0;
    size_t cap = 64;
    while (cap < 2 * n)
        cap *= 2;
    const cn_op **t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    free(core->by_name);
    core->by_name = t;
    core->by_name_cap = cap;
    for (size_t i = 0; i < core->nops; i++)
        index_one(core, core->ops[i]);
    return 0;
}

/* op out of the index, the ops probed past it put back (no allocation). */
static void unindex_op(cn_core *core, const cn_op *op)
{
    if (!core->by_name)
        return;
    size_t mask = core->by_name_cap - 1, at = name_hash(op->name, strlen(op->name)) & mask;
    while (core->by_name[at] && core->by_name[at] != op) /* its probe, as find_op walks it */
        at = (at + 1) & mask;
    if (!core->by_name[at])
        return;
    core->by_name[at] = NULL;
    for (at = (at + 1) & mask; core->by_name[at]; at = (at + 1) & mask) {
        const cn_op *moved = core->by_name[at];
        core->by_name[at] = NULL;
        index_one(core, moved);
    }
}

static const cn_op *find_op(const cn_core *core, const char *name, size_t len)
{
    if (!core->by_name)
        return NULL;
    size_t mask = core->by_name_cap - 1;
    for (size_t at = name_hash(name, len) & mask; core->by_name[at]; at = (at + 1) & mask) {
        const char *n = core->by_name[at]->name;
        /* strnlen first: a name with a NUL in it reads no further than n's end. */
        if (strnlen(n, len + 1) == len && memcmp(n, name, len) == 0)
            return core->by_name[at];
    }
    return NULL;
}

int cn_core_register(cn_core *core, const cn_op *ops, size_t n)
{
    if (reserve_ops(core, core->nops + n) != 0)
        return -1;
    size_t before = core->nops;
    for (size_t i = 0; i < n; i++) {
        if (find_op(core, ops[i].name, strlen(ops[i].name))) {
            cn_error("opération %s déjà enregistrée", ops[i].name);
            while (core->nops > before) /* none of this call's ops kept */
                unindex_op(core, core->ops[--core->nops]);
            return -1;
        }
        core->ops[core->nops++] = &ops[i];
        index_one(core, &ops[i]);
    }
    return 0;
}

int cn_core_cache_op(cn_core *core, const char *name)
{
    const cn_op *op = find_op(core, name, strlen(name));
    if (!op || core->ncached == sizeof core->cached / sizeof core->cached[0])
        return -1;
    core->cached[core->ncached++] = op;
    return 0;
}

int cn_core_db_only(cn_core *core, const cn_op *ops, size_t n)
{
    if (core->ndb_only == sizeof core->db_only / sizeof core->db_only[0])
        return -1;
    core->db_only[core->ndb_only].ops = ops;
    core->db_only[core->ndb_only++].n = n;
    return 0;
}

static bool is_db_only(const cn_core *core, const cn_op *op)
{
    for (size_t i = 0; i < core->ndb_only; i++)
        if ((uintptr_t)op - (uintptr_t)core->db_only[i].ops < core->db_only[i].n * sizeof *op)
            return true;
    return false;
}

void cn_core_unregister(cn_core *core, const cn_op *op)
{
    for (size_t i = 0; i < core->nops; i++)
        if (core->ops[i] == op) {
            memmove(&core->ops[i], &core->ops[i + 1], (core->nops - i - 1) * sizeof *core->ops);
            core->nops--;
            unindex_op(core, op);
            return;
        }
}

/* ---- errors ------------------------------------------------------------ */

int cn_req_failv(cn_req *req, const char *code, const char *field, const char *fmt, va_list ap)
{
    if (req->err_code)
        return -1; /* keep the first, most precise error */
    req->err_code = code;
    snprintf(req->err_field, sizeof req->err_field, "%s", field ? field : "");
    vsnprintf(req->err_msg, sizeof req->err_msg, fmt, ap);
    /* A message that quoted a long value is cut at a character, never inside one. */
    req->err_field[cn_utf8_valid_prefix(req->err_field, strlen(req->err_field))] = '\0';
    req->err_msg[cn_utf8_valid_prefix(req->err_msg, strlen(req->err_msg))] = '\0';
    return -1;
}

/* src into dst (cap bytes), cut to fit on a character boundary. */
static void copy_whole_chars(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cn_utf8_valid_prefix(src, cap - 1);
    memmove(dst, src, n);
    dst[n] = '\0';
}

int cn_req_nest_field(cn_req *req, const char *where, bool in_message)
{
    char buf[sizeof req->err_msg + 160];
    snprintf(buf, sizeof buf, "%s%s%s", where, req->err_field[0] ? "." : "", req->err_field);
    copy_whole_chars(req->err_field, sizeof req->err_field, buf);
    if (in_message) {
        snprintf(buf, sizeof buf, "%s: %s", where, req->err_msg);
        copy_whole_chars(req->err_msg, sizeof req->err_msg, buf);
    }
    return -1;
}

int cn_req_fail(cn_req *req, const char *code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cn_req_failv(req, code, field, fmt, ap);
    va_end(ap);
    return -1;
}

bool cn_core_in_batch(const cn_core *core) { return core->in_batch; }

void cn_core_set_info_hook(cn_core *core, cn_info_fn fn, void *data)
{
    core->info_fn = fn;
    core->info_data = data;
}

void cn_core_pack_info_hook(cn_core *core, msgpack_packer *pk)
{
    if (core->info_fn)
        core->info_fn(pk, core->info_data);
    else
        msgpack_pack_array(pk, 0);
}

void cn_core_set_describe_hook(cn_core *core, cn_describe_fn fn, void *data)
{
    core->describe_fn = fn;
    core->describe_data = data;
}

bool cn_core_describe_op(cn_core *core, const cn_op *op, msgpack_packer *pk)
{
    return core->describe_fn && core->describe_fn(core->describe_data, op, pk);
}

void cn_core_set_undoes_hook(cn_core *core, cn_undoes_fn fn, void *data)
{
    core->undoes_fn = fn;
    core->undoes_data = data;
}

const cn_op *cn_core_undoer(const cn_core *core, const char *type)
{
    for (size_t i = 0; core->undoes_fn && i < core->nops; i++)
        if (core->undoes_fn(core->undoes_data, core->ops[i], type))
            return core->ops[i];
    return NULL;
}

static int begin_deferred(cn_core *core);

int cn_core_in_savepoint(cn_core *core, int (*fn)(void *arg), void *arg)
{
    if (begin_deferred(core) != 0)
        return -1;
    size_t mark = cn_evlog_mark(core->evlog);
    if (cn_stmt_exec(core->db, "SAVEPOINT cb") != SQLITE_OK)
        return -1;
    int rc = fn(arg);
    if (rc == 0 && cn_stmt_exec(core->db, "RELEASE cb") != SQLITE_OK)
        rc = -1;
    if (rc != 0) {
        cn_stmt_exec(core->db, "ROLLBACK TO cb");
        cn_stmt_exec(core->db, "RELEASE cb");
        cn_evlog_rewind(core->evlog, mark);
    }
    return rc;
}

int cn_req_sqlite_fail(cn_req *req, int rc)
{
    const char *detail = sqlite3_errmsg(req->db);
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return cn_req_fail(req, "conflict", NULL, L("conflit avec les données existantes: %s",
                                                    "conflicts with existing data: %s"), detail);
    case SQLITE_FULL:
        return cn_req_fail(req, "unavailable", NULL,
                           L("disque plein: rien n'a été enregistré; libérez de l'espace puis réessayez",
                             "disk full: nothing was saved; free some space and try again"));
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
        return cn_req_fail(req, "unavailable", NULL,
                           L("stockage indisponible (%s): rien n'a été enregistré; réessayez",
                             "storage unavailable (%s): nothing was saved; try again"), detail);
    default:
        cn_error("SQLite: %s (code %d)", detail, rc);
        return cn_req_fail(req, "internal", NULL, L("erreur interne de la base de données: %s",
                                                    "internal database error: %s"), detail);
    }
}

int cn_req_prepare(cn_req *req, const char *sql, sqlite3_stmt **st)
{
    int rc = cn_stmt_get(req->db, sql, st);
    if (rc != SQLITE_OK) {
        cn_error("SQL invalide: %s: %s", sqlite3_errmsg(req->db), sql);
        return cn_req_sqlite_fail(req, rc);
    }
    return 0;
}

int cn_req_exec(cn_req *req, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        out = cn_req_sqlite_fail(req, rc);
    cn_stmt_done(st);
    return out;
}

/* Whether a region whose row names origin as its holder is a peer's (no
 * origin: this node's, as before the federation). */
static bool held_by_other(const cn_core *core, const char *origin)
{
    return origin && strcmp(origin, core->cfg->node_id) != 0;
}

/* Who holds region (CN_REGION_*, -1 on a database error), its holder's
 * name into owner, and whether it is archived (when archived is not NULL):
 * the region row says, or, before a copy's first snapshot, the record the
 * federation made when its first event came. */
static int region_state(cn_core *core, const char *region, char *owner, size_t cap, bool *archived)
{
    sqlite3_stmt *st;
    if (cn_stmt_get(core->db,
                    "SELECT origin, archived_ms IS NOT NULL FROM regions WHERE id = ?1"
                    " UNION ALL SELECT origin, 0 FROM mirrors WHERE region = ?1",
                    &st) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int held = CN_REGION_UNKNOWN;
    if (archived)
        *archived = false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *origin = (const char *)sqlite3_column_text(st, 0);
        held = held_by_other(core, origin) ? CN_REGION_COPY : CN_REGION_OWN;
        if (owner)
            snprintf(owner, cap, "%s", origin ? origin : "");
        if (archived)
            *archived = sqlite3_column_int(st, 1);
    }
    cn_stmt_done(st);
    return held;
}

int cn_core_region_owner(cn_core *core, const char *region, char *owner, size_t cap)
{
    return region_state(core, region, owner, cap, NULL);
}

bool cn_core_region_archived(cn_core *core, const char *region)
{
    sqlite3_stmt *st;
    if (cn_stmt_get(core->db, "SELECT 1 FROM regions WHERE id = ? AND archived_ms IS NOT NULL", &st) !=
        SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    bool archived = sqlite3_step(st) == SQLITE_ROW;
    cn_stmt_done(st);
    return archived;
}

int cn_req_fail_archived(cn_req *req, const char *region)
{
    return cn_req_fail(req, "forbidden", "region",
                       L("la région %s est archivée : rien n'y change (concertctl region restore %s la rouvre)",
                         "region %s is archived: nothing in it changes (concertctl region restore %s reopens it)"),
                       region, region);
}

int cn_req_fail_copy(cn_req *req, const char *region, const char *owner)
{
    return cn_req_fail(req, "forbidden", "region",
                       L("la région %s appartient au nœud %s : ce nœud n'en a qu'une copie en lecture seule ; "
                         "la modifier se fait sur %s",
                         "region %s belongs to node %s: this node only holds a read-only copy; change it on %s"),
                       region, owner, owner);
}

void cn_core_set_mirroring(cn_core *core, bool on) { core->mirroring = on; }
bool cn_core_mirroring(const cn_core *core) { return core->mirroring; }

void cn_core_set_copy_as_of_hook(cn_core *core, cn_copy_as_of_fn fn, void *data)
{
    core->as_of_fn = fn;
    core->as_of_data = data;
}

int64_t cn_core_copy_as_of(cn_core *core, const char *peer)
{
    return core->as_of_fn ? core->as_of_fn(core->as_of_data, peer) : -1;
}

int cn_core_add_keeper(cn_core *core, cn_keeper_fn fn, void *data)
{
    if (core->nkeepers == sizeof core->keepers / sizeof core->keepers[0])
        return -1;
    core->keepers[core->nkeepers].fn = fn;
    core->keepers[core->nkeepers++].data = data;
    return 0;
}

int64_t cn_core_keepers_bound(cn_core *core, const char *origin, char *who, size_t whocap)
{
    int64_t bound = INT64_MAX;
    if (whocap)
        who[0] = '\0';
    for (size_t i = 0; i < core->nkeepers; i++) {
        char name[128] = "";
        int64_t b = core->keepers[i].fn(core->keepers[i].data, origin, name, sizeof name);
        if (b < bound) {
            bound = b;
            snprintf(who, whocap, "%s", name);
        }
    }
    return bound;
}

void cn_core_set_foreign_hook(cn_core *core, cn_foreign_fn fn, cn_foreign_wanted_fn wanted, void *data)
{
    core->foreign_fn = fn;
    core->foreign_wanted = wanted;
    core->foreign_data = data;
}

bool cn_core_foreign_wanted(cn_core *core, const char *topic)
{
    return core->foreign_fn && (!core->foreign_wanted || core->foreign_wanted(core->foreign_data, topic));
}

int cn_core_foreign_event(cn_core *core, const msgpack_object *event, const char *topic)
{
    return core->foreign_fn ? core->foreign_fn(core->foreign_data, event, topic) : 0;
}

int cn_req_emit(cn_req *req, const char *region, const char *type, const void *data, size_t len)
{
    if (req->core->mirroring)
        return 0; /* the copy of a peer's region: its events came from the peer */
    /* Who holds the region and whether it is archived, in one look. */
    char owner[64] = "";
    bool archived;
    int held = region_state(req->core, region, owner, sizeof owner, &archived);
    if (held < 0)
        return cn_req_sqlite_fail(req, sqlite3_errcode(req->db));
    if (cn_req_region_writable(req, region, held == CN_REGION_COPY ? owner : NULL, archived))
        return -1;
    return cn_req_emit_checked(req, region, type, data, len);
}

int cn_req_region_writable(cn_req *req, const char *region, const char *origin, bool archived)
{
    if (req->core->mirroring)
        return 0; /* the copy of a peer's region, changed by the peer's events */
    if (held_by_other(req->core, origin))
        return cn_req_fail_copy(req, region, origin);
    return archived ? cn_req_fail_archived(req, region) : 0;
}

/* ---- what handlers read of existing rows, kept (row_cache.h) ------------- */

/* The row cache's stamp: every change but the rows declared appended. */
static int64_t rows_stamp(const cn_core *core) { return sqlite3_total_changes64(core->db) - core->appended; }

void cn_req_appended(cn_req *req, int64_t since)
{
    req->core->appended += sqlite3_total_changes64(req->db) - since;
}

const void *cn_req_kept(cn_req *req, int kind, int64_t id, size_t *len)
{
    return cn_row_cache_get(req->core->rows, kind, id, rows_stamp(req->core), len);
}

void cn_req_keep(cn_req *req, int kind, int64_t id, const void *data, size_t len)
{
    /* Read from what is committed, appends aside: nothing else written in
     * the open batch, so no rollback can take back what data says. */
    cn_core *core = req->core;
    int64_t stamp = rows_stamp(core);
    if (core->in_batch && stamp == core->batch_stamp)
        cn_row_cache_put(core->rows, kind, id, stamp, data, len);
}

int cn_req_emit_checked(cn_req *req, const char *region, const char *type, const void *data, size_t len)
{
    if (req->core->mirroring)
        return 0;
    int rc = cn_evlog_append(req->core->evlog, region, type, data, len);
    return rc == SQLITE_OK ? 0 : cn_req_sqlite_fail(req, rc);
}

int cn_req_run(cn_req *req, const char *name, const msgpack_object *args, msgpack_sbuffer *out)
{
    const cn_op *op = find_op(req->core, name, strlen(name));
    if (!op)
        return cn_req_fail(req, "internal", NULL, "%s: no such op", name);
    const cn_op *saved_op = req->op;
    const msgpack_object *saved_args = req->args;
    size_t mark = req->result.size;
    req->op = op;
    req->args = args;
    int rc = op->fn(req);
    req->op = saved_op;
    req->args = saved_args;
    if (rc == 0 && out)
        msgpack_sbuffer_write(out, req->result.data + mark, req->result.size - mark);
    req->result.size = mark;
    return rc;
}

const char *cn_req_strdup(cn_req *req, const msgpack_object *str)
{
    char *s = msgpack_zone_malloc(req->zone, str->via.str.size + 1);
    if (!s)
        return NULL;
    memcpy(s, str->via.str.ptr, str->via.str.size);
    s[str->via.str.size] = '\0';
    return s;
}

/* ---- envelope and dispatch --------------------------------------------- */

void cn_reply_destroy(cn_reply *reply)
{
    msgpack_sbuffer_destroy(&reply->buf);
}

/* Packs the reply map's first three entries (v, id, ok) and the key of the
 * fourth ("result" or "error"), whose value the caller packs. */
static void pack_head_to(msgpack_packer *pk, const cn_reply *reply, bool ok)
{
    msgpack_pack_map(pk, 4);
    cn_pk_kint(pk, "v", 1);
    cn_pk_str(pk, "id");
    if (reply->id_len)
        cn_pk_raw(pk, reply->id, reply->id_len);
    else
        msgpack_pack_nil(pk);
    cn_pk_kbool(pk, "ok", ok);
    cn_pk_str(pk, ok ? "result" : "error");
}

static void pack_head(msgpack_packer *pk, cn_reply *reply, bool ok)
{
    msgpack_sbuffer_clear(&reply->buf);
    msgpack_packer_init(pk, &reply->buf, msgpack_sbuffer_write);
    pack_head_to(pk, reply, ok);
    reply->ok = ok;
}

static void pack_error(cn_reply *reply, const char *code, const char *message, const char *field)
{
    msgpack_packer pk;
    pack_head(&pk, reply, false);
    msgpack_pack_map(&pk, field && *field ? 3 : 2);
    cn_pk_kstr(&pk, "code", code);
    /* A reply is valid UTF-8 whatever went into its message (text quoted
     * from a request and cut at a byte limit). */
    cn_pk_str(&pk, "message");
    cn_pk_strn(&pk, message, cn_utf8_valid_prefix(message, strlen(message)));
    if (field && *field) {
        cn_pk_str(&pk, "field");
        cn_pk_strn(&pk, field, cn_utf8_valid_prefix(field, strlen(field)));
    }
}

void cn_reply_init_error(cn_reply *reply, const char *code, const char *message)
{
    msgpack_sbuffer_init(&reply->buf);
    reply->id_len = 0;
    pack_error(reply, code, message, NULL);
}

/* ---- requests prepared off the loop ------------------------------------ */

static void keep_refused_id(const char *frame, size_t len, cn_reply *reply);

int cn_core_add_preparer(cn_core *core, const cn_preparer *preparer)
{
    if (core->npreparers == sizeof core->preparers / sizeof core->preparers[0])
        return -1;
    core->preparers[core->npreparers++] = preparer;
    return 0;
}

/* The preparer the request in msg wants, and its args; NULL when none. */
static const cn_preparer *preparer_of(const cn_core *core, const msgpack_object *msg, const msgpack_object **args)
{
    const msgpack_object *op = cn_mp_get(msg, "op");
    *args = cn_mp_get(msg, "args");
    if (!op || op->type != MSGPACK_OBJECT_STR || !*args || (*args)->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (size_t i = 0; i < core->npreparers; i++) {
        const cn_preparer *p = core->preparers[i];
        if (strlen(p->op) == op->via.str.size && memcmp(p->op, op->via.str.ptr, op->via.str.size) == 0)
            return p->wanted(*args) ? p : NULL;
    }
    return NULL;
}

bool cn_core_needs_preparing(const cn_core *core, const char *frame, size_t len)
{
    if (!core->npreparers)
        return false;
    /* Most requests are for an op no preparer takes: known from the op's
     * bytes, without decoding the whole request. */
    size_t at, size;
    if (!cn_mp_find_key(frame, len, "op", &at, &size))
        return false;
    const unsigned char *o = (const unsigned char *)frame + at;
    size_t head = (o[0] & 0xe0) == 0xa0 ? 1 : o[0] == 0xd9 ? 2 : o[0] == 0xda ? 3 : o[0] == 0xdb ? 5 : 0;
    if (!head || head > size)
        return false;
    bool maybe = false;
    for (size_t i = 0; i < core->npreparers && !maybe; i++) {
        const char *name = core->preparers[i]->op;
        maybe = strlen(name) == size - head && memcmp(name, o + head, size - head) == 0;
    }
    if (!maybe)
        return false;
    msgpack_unpacked msg;
    msgpack_unpacked_init(&msg);
    const msgpack_object *args;
    bool yes = cn_mp_unpack(&msg, frame, len, &cn_mp_request_limits) == CN_MP_OK &&
               msg.data.type == MSGPACK_OBJECT_MAP && preparer_of(core, &msg.data, &args) != NULL;
    msgpack_unpacked_destroy(&msg);
    return yes;
}

int cn_core_prepare(const cn_core *core, const char *frame, size_t len, msgpack_sbuffer *out, cn_reply *reply)
{
    msgpack_sbuffer_init(&reply->buf);
    reply->id_len = 0;
    reply->ok = false;
    msgpack_unpacked msg;
    msgpack_unpacked_init(&msg);
    const msgpack_object *args = NULL;
    const cn_preparer *p = NULL;
    if (cn_mp_unpack(&msg, frame, len, &cn_mp_request_limits) == CN_MP_OK && msg.data.type == MSGPACK_OBJECT_MAP)
        p = preparer_of(core, &msg.data, &args);
    char code[32] = "internal", field[96] = "", message[600] = "";
    int rc = -1;
    if (p) {
        /* The envelope as it came, its args as the preparer made them. */
        msgpack_packer pk;
        msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
        const msgpack_object *root = &msg.data;
        msgpack_pack_map(&pk, root->via.map.size);
        rc = 0;
        for (uint32_t i = 0; i < root->via.map.size && rc == 0; i++) {
            const msgpack_object_kv *kv = &root->via.map.ptr[i];
            msgpack_pack_object(&pk, kv->key);
            if (&kv->val == args)
                rc = p->prepare(args, &pk, code, field, message, sizeof message);
            else
                msgpack_pack_object(&pk, kv->val);
        }
    } else {
        snprintf(message, sizeof message, "no preparer");
    }
    if (rc != 0) {
        keep_refused_id(frame, len, reply);
        pack_error(reply, code, message, field);
    }
    msgpack_unpacked_destroy(&msg);
    return rc;
}

void cn_core_refuse(const char *frame, size_t len, const char *code, const char *message, cn_reply *reply)
{
    msgpack_sbuffer_init(&reply->buf);
    reply->id_len = 0;
    reply->ok = false;
    keep_refused_id(frame, len, reply);
    pack_error(reply, code, message, NULL);
}

void cn_core_unavailable(cn_core *core, cn_reply *reply)
{
    (void)core;
    pack_error(reply, "unavailable",
               L("la modification n'a pas pu être écrite sur le disque; rien n'a été enregistré, réessayez",
                 "the change could not be written to disk; nothing was saved, try again"),
               NULL);
}

static bool unknown_args(cn_req *req, const cn_op *op)
{
    if (!op->args)
        return false;
    for (uint32_t i = 0; i < req->args->via.map.size; i++) {
        const msgpack_object *k = &req->args->via.map.ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR) {
            cn_req_fail(req, "bad_request", "args", L("les clés de args doivent être des chaînes",
                                                      "args keys must be strings"));
            return true;
        }
        bool known = false;
        for (size_t j = 0; op->args[j] && !known; j++)
            known = strlen(op->args[j]) == k->via.str.size &&
                    memcmp(op->args[j], k->via.str.ptr, k->via.str.size) == 0;
        if (!known) {
            char name[96];
            snprintf(name, sizeof name, "%.*s", (int)k->via.str.size, k->via.str.ptr);
            char list[512] = "";
            for (size_t j = 0; op->args[j]; j++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "", op->args[j]);
            }
            cn_req_fail(req, "invalid_argument", name,
                        L("argument inconnu pour %s: %s (acceptés: %s)", "unknown argument for %s: %s (accepted: %s)"),
                        op->name, name, list);
            return true;
        }
    }
    return false;
}

/* No batch open any more (its transaction, if any, committed or undone). */
static void end_batch(cn_core *core) { core->in_batch = core->deferred = core->redoable = core->must_redo = false; }

int cn_core_batch_open(cn_core *core, bool lazy)
{
    if (core->in_batch)
        return 0;
    core->in_batch = core->deferred = true;
    core->opened_lazy = lazy;
    core->begin_failed = false;
    core->redoable = core->must_redo = false;
    core->batch_gen = sqlite3_total_changes64(core->db);
    core->batch_stamp = core->batch_gen - core->appended;
    return 0;
}

int cn_core_batch_begin(cn_core *core)
{
    if (!core->in_batch) {
        cn_core_batch_open(core, false);
        if (begin_deferred(core) != 0) {
            end_batch(core);
            return -1;
        }
        return 0;
    }
    return begin_deferred(core);
}

/* The open batch's transaction, begun by the first command that needs it:
 * 0, or -1 (logged once; that command and the batch's next ones that need
 * the database are unavailable). */
static int begin_deferred(cn_core *core)
{
    if (!core->deferred)
        return 0;
    if (core->begin_failed)
        return -1; /* said once per batch */
    /* SQLite's safety level is set outside a transaction only: a lazy
     * batch will not flush the WAL at its COMMIT (wal_sync.h does). */
    core->lazy_batch = core->opened_lazy && cn_stmt_exec(core->db, "PRAGMA synchronous=NORMAL") == SQLITE_OK;
    if (cn_stmt_exec(core->db, "BEGIN IMMEDIATE") != SQLITE_OK) {
        cn_error("début de transaction impossible: %s", sqlite3_errmsg(core->db));
        if (core->lazy_batch)
            cn_stmt_exec(core->db, "PRAGMA synchronous=FULL");
        core->lazy_batch = false;
        core->begin_failed = true;
        return -1;
    }
    core->deferred = false;
    return 0;
}

void cn_core_batch_rollback(cn_core *core)
{
    if (!core->in_batch)
        return;
    bool begun = !core->deferred;
    end_batch(core);
    if (begun)
        cn_stmt_exec(core->db, "ROLLBACK");
    cn_evlog_abort(core->evlog);
    if (core->lazy_batch) {
        core->lazy_batch = false;
        cn_stmt_exec(core->db, "PRAGMA synchronous=FULL");
    }
}

void cn_core_batch_redoable(cn_core *core) { core->redoable = core->in_batch; }
bool cn_core_batch_must_redo(const cn_core *core) { return core->must_redo; }

int cn_core_batch_redo(cn_core *core)
{
    if (!core->in_batch)
        return -1;
    /* Rolled back and opened again as it was (lazy or not), not redoable:
     * each command has its savepoint this time. If SQLite has already rolled
     * back (an I/O error), ROLLBACK only says so. Rare: the two safety-level
     * statements more a lazy batch costs here do not matter. */
    bool lazy = core->opened_lazy;
    cn_core_batch_rollback(core);
    return cn_core_batch_open(core, lazy);
}

/* COMMIT, or on failure the batch undone and said in words. */
static int commit(cn_core *core)
{
    end_batch(core);
    int rc = cn_stmt_exec(core->db, "COMMIT");
    if (rc != SQLITE_OK) {
        cn_error("l'écriture sur disque a échoué (%s): le lot de commandes est annulé, rien n'en a été enregistré; "
                 "vérifiez l'espace libre et les droits du dossier de données", sqlite3_errmsg(core->db));
        cn_stmt_exec(core->db, "ROLLBACK");
        cn_evlog_abort(core->evlog);
        return -1;
    }
    return 0;
}

/* Commits the open batch. Begun lazily, its WAL is not flushed here: its
 * events are held under a new ticket. Otherwise the COMMIT flushed the WAL
 * (synchronous=FULL), the frames of the lazy commits before it with its
 * own: everything held goes out with its events. */
static int batch_commit(cn_core *core, void *pub, uint64_t *ticket)
{
    *ticket = core->lazy_issued;
    if (!core->in_batch)
        return 0;
    if (core->deferred) { /* nothing in it needed the database */
        end_batch(core);
        return 0;
    }
    bool lazy = core->lazy_batch, wrote = sqlite3_total_changes64(core->db) != core->batch_gen;
    core->lazy_batch = false;
    int rc = commit(core);
    if (lazy)
        cn_stmt_exec(core->db, "PRAGMA synchronous=FULL"); /* every other commit flushes at once */
    if (rc != 0 || !wrote)
        return rc; /* read only: nothing flushed, no event */
    if (lazy) {
        *ticket = ++core->lazy_issued;
        cn_evlog_hold(core->evlog, *ticket, pub);
    } else {
        core->lazy_durable = core->lazy_issued;
        cn_evlog_publish(core->evlog, pub);
    }
    return 0;
}

int cn_core_batch_commit(cn_core *core, void *pub)
{
    uint64_t ticket;
    return batch_commit(core, pub, &ticket);
}

int cn_core_batch_commit_lazy(cn_core *core, void *pub, uint64_t *ticket) { return batch_commit(core, pub, ticket); }

void cn_core_durable(cn_core *core, uint64_t ticket)
{
    if (ticket <= core->lazy_durable)
        return;
    core->lazy_durable = ticket;
    cn_evlog_publish_held(core->evlog, ticket);
}

uint64_t cn_core_durable_ticket(const cn_core *core) { return core->lazy_durable; }
uint64_t cn_core_lazy_ticket(const cn_core *core) { return core->lazy_issued; }

/* A msgpack_packer's writer into a reply's id (which always fits: checked). */
static int id_write(void *data, const char *buf, size_t len)
{
    cn_reply *reply = data;
    if (len > sizeof reply->id - reply->id_len)
        return -1;
    memcpy(reply->id + reply->id_len, buf, len);
    reply->id_len = (uint16_t)(reply->id_len + len);
    return 0;
}

/* Decodes and checks the envelope; on success fills *op and *args. */
static int check_envelope(cn_core *core, const msgpack_object *root, cn_reply *reply, const cn_op **op,
                          const msgpack_object **args, cn_lang *lang, const msgpack_object **actor)
{
    char path[256];
    if (root->type != MSGPACK_OBJECT_MAP) {
        pack_error(reply, "bad_request", L("la requête doit être une map msgpack {v, id, op, args}",
                                           "the request must be a msgpack map {v, id, op, args}"), NULL);
        return -1;
    }
    const msgpack_object *id = cn_mp_get(root, "id");
    if (id && id->type != MSGPACK_OBJECT_NIL) {
        if (id->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
            (id->type == MSGPACK_OBJECT_STR && id->via.str.size <= 256 &&
             cn_utf8_valid(id->via.str.ptr, id->via.str.size))) {
            msgpack_packer pk;
            msgpack_packer_init(&pk, reply, id_write);
            msgpack_pack_object(&pk, *id);
        } else {
            pack_error(reply, "bad_request", L("id doit être un entier positif ou une chaîne (256 octets au plus)",
                                               "id must be a positive integer or a string (at most 256 bytes)"),
                       "id");
            return -1;
        }
    }
    const msgpack_object *l = cn_mp_get(root, "lang");
    if (cn_mp_str_eq(l, "en"))
        *lang = CN_LANG_EN;
    else if (cn_mp_str_eq(l, "fr"))
        *lang = CN_LANG_FR;
    cn_lang_set(*lang);
    if (l && l->type != MSGPACK_OBJECT_NIL && !cn_mp_str_eq(l, "en") && !cn_mp_str_eq(l, "fr")) {
        pack_error(reply, "bad_request", L("lang: \"fr\" ou \"en\"", "lang: \"fr\" or \"en\""), "lang");
        return -1;
    }
    /* The envelope's own keys only: a misspelt one ("lnag") is not ignored. */
    static const char *const envelope_keys[] = {"v", "id", "op", "args", "lang", "actor"};
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object *k = &root->via.map.ptr[i].key;
        bool known = false;
        for (size_t j = 0; j < sizeof envelope_keys / sizeof *envelope_keys && !known; j++)
            known = cn_mp_str_eq(k, envelope_keys[j]);
        if (!known) {
            pack_error(reply, "bad_request",
                       L("clé inconnue dans l'enveloppe (acceptées: v, id, op, args, lang, actor)",
                         "unknown key in the envelope (accepted: v, id, op, args, lang, actor)"),
                       NULL);
            return -1;
        }
    }

    const msgpack_object *v = cn_mp_get(root, "v");
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 != 1) {
        pack_error(reply, "bad_request", v ? L("version de protocole non prise en charge: seule v=1 l'est",
                                               "unsupported protocol version: only v=1 is")
                                           : L("champ v manquant (version du protocole, 1)",
                                               "missing field v (protocol version, 1)"),
                   "v");
        return -1;
    }
    const msgpack_object *o = cn_mp_get(root, "op");
    if (!o || o->type != MSGPACK_OBJECT_STR) {
        pack_error(reply, "bad_request", L("champ op manquant ou pas une chaîne (ex.: \"region.list\")",
                                           "missing field op, or not a string (e.g. \"region.list\")"),
                   "op");
        return -1;
    }
    const msgpack_object *a = cn_mp_get(root, "args");
    if (a && a->type != MSGPACK_OBJECT_MAP && a->type != MSGPACK_OBJECT_NIL) {
        pack_error(reply, "bad_request", L("args doit être une map", "args must be a map"), "args");
        return -1;
    }
    cn_text_verdict text = cn_mp_text_check(root, path, sizeof path);
    if (text != CN_TEXT_OK) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 text == CN_TEXT_NUL ? L("%s contient un caractère NUL (U+0000), qu'aucun texte ne peut contenir",
                                         "%s holds a NUL character (U+0000), which no text may hold")
                 : text == CN_TEXT_DUPLICATE ? L("clé donnée deux fois: %s", "key given twice: %s")
                                             : L("texte qui n'est pas de l'UTF-8 valide dans %s",
                                                 "text that is not valid UTF-8 in %s"),
                 path);
        pack_error(reply, "bad_request", msg, path);
        return -1;
    }
    /* Who makes the request (a concertctl user, a web account, a plugin):
     * recorded with its events and notes. A short text, no control character. */
    const msgpack_object *who = cn_mp_get(root, "actor");
    if (who && who->type != MSGPACK_OBJECT_NIL) {
        bool ok = who->type == MSGPACK_OBJECT_STR && who->via.str.size >= 1 && who->via.str.size <= 128;
        for (uint32_t i = 0; ok && i < who->via.str.size; i++)
            ok = (unsigned char)who->via.str.ptr[i] >= 0x20 && who->via.str.ptr[i] != 0x7f;
        if (!ok) {
            pack_error(reply, "bad_request",
                       L("actor doit être un texte de 1 à 128 octets sans caractère de contrôle (qui fait la demande)",
                         "actor must be a text of 1 to 128 bytes with no control character (who makes the request)"),
                       "actor");
            return -1;
        }
        *actor = who;
    }
    *op = find_op(core, o->via.str.ptr, o->via.str.size);
    if (!*op) {
        char msg[400];
        snprintf(msg, sizeof msg, L("opération inconnue: %.*s (node.info donne la liste)",
                                    "unknown operation: %.*s (node.info lists them)"),
                 (int)(o->via.str.size > 100 ? 100 : o->via.str.size), o->via.str.ptr);
        pack_error(reply, "unknown_op", msg, "op");
        return -1;
    }
    *args = (a && a->type == MSGPACK_OBJECT_MAP) ? a : NULL;
    return 0;
}

/* A frame refused before decoding is still answered with its id when the
 * id can be found, so a client that pipelines knows which request failed. */
static void keep_refused_id(const char *frame, size_t len, cn_reply *reply)
{
    size_t at, size;
    if (!cn_mp_find_key(frame, len, "id", &at, &size) || size > sizeof reply->id)
        return;
    msgpack_unpacked id;
    msgpack_unpacked_init(&id);
    if (cn_mp_unpack(&id, frame + at, size, &cn_mp_request_limits) == CN_MP_OK &&
        (id.data.type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
         (id.data.type == MSGPACK_OBJECT_STR && id.data.via.str.size <= 256 &&
          cn_utf8_valid(id.data.via.str.ptr, id.data.via.str.size))))
        id_write(reply, frame + at, size);
    msgpack_unpacked_destroy(&id);
}

/* The open batch's transaction is no more: SQLite rolled it back itself
 * (some I/O errors do), and the connection is back in autocommit. */
static bool transaction_lost(const cn_core *core)
{
    return core->in_batch && !core->deferred && sqlite3_get_autocommit(core->db);
}

static void handle_request(cn_core *core, const char *frame, size_t len, cn_reply *reply)
{
    msgpack_sbuffer_init(&reply->buf);
    reply->id_len = 0;
    reply->ok = false;
    /* A nested call (a plugin calling an op) hands back the caller's language. */
    cn_lang outer = cn_lang_get();
    cn_lang lang = core->cfg->lang;
    cn_lang_set(lang);

    /* The bytes are walked before msgpack-c sees them: it would reserve
     * memory by what the frame declares (PROTOCOL.md, "Limits"). */
    msgpack_unpacked msg;
    msgpack_unpacked_init(&msg);
    cn_mp_verdict verdict = cn_mp_unpack(&msg, frame, len, &cn_mp_request_limits);
    if (verdict != CN_MP_OK) {
        char why[200];
        keep_refused_id(frame, len, reply);
        cn_mp_verdict_text(verdict, &cn_mp_request_limits,
                           cn_lang_get() == CN_LANG_EN, why, sizeof why);
        pack_error(reply, "bad_request", why, NULL);
        msgpack_unpacked_destroy(&msg);
        cn_lang_set(outer);
        return;
    }

    const cn_op *op = NULL;
    const msgpack_object *args = NULL, *actor = NULL;
    if (check_envelope(core, &msg.data, reply, &op, &args, &lang, &actor) != 0) {
        msgpack_unpacked_destroy(&msg);
        cn_lang_set(outer);
        return;
    }
    /* The request's actor for its events and notes; a nested call without
     * one keeps its caller's. */
    char outer_actor[129] = "";
    const char *had = cn_evlog_actor(core->evlog);
    if (had)
        cn_text_copy(outer_actor, sizeof outer_actor, had, strlen(had));
    if (actor) {
        char who[129];
        cn_evlog_set_actor(core->evlog, cn_text_copy(who, sizeof who, actor->via.str.ptr, actor->via.str.size));
    }

    static const msgpack_object empty_map = {.type = MSGPACK_OBJECT_MAP};
    cn_req req = {.core = core, .op = op, .db = core->db, .args = args ? args : &empty_map, .zone = msg.zone};
    msgpack_sbuffer_init(&req.result);
    msgpack_packer_init(&req.pk, &req.result, msgpack_sbuffer_write);
    /* The reply's head first: the result is packed where it is sent from,
     * not copied after it (an error's reply is packed apart). */
    pack_head_to(&req.pk, reply, true);
    size_t head = req.result.size;

    /* A cacheable read asked again while the database has not changed:
     * the result kept (reply_cache.h), keyed by its args' bytes. */
    msgpack_sbuffer key;
    msgpack_sbuffer_init(&key);
    char day[11] = "";
    int64_t gen = 0;
    const char *kept = NULL;
    size_t kept_len = 0;
    bool cached = false;
    for (size_t i = 0; i < core->ncached && !cached; i++)
        cached = core->cached[i] == op;
    if (cached) {
        msgpack_packer kp;
        msgpack_packer_init(&kp, &key, msgpack_sbuffer_write);
        msgpack_pack_object(&kp, *req.args);
        cn_date_today(day);
        gen = sqlite3_total_changes64(core->db);
        kept = cn_reply_cache_get(core->replies, op, (int)lang, day, key.data, key.size, gen, &kept_len);
    }

    size_t mark = cn_evlog_mark(core->evlog);
    /* Its own savepoint, unless its batch can be handled again (then, should
     * it fail after it wrote, the batch is: cn_core_batch_redo). A batch is
     * handled again only while every command in it so far is db_only: one
     * that is not (a backup started, a plugin's op) must not run twice. */
    bool db_only = is_db_only(core, op);
    if (core->depth == 1 && !db_only)
        core->redoable = false;
    bool own_savepoint = !(core->redoable && core->depth == 1 && db_only), savepoint = false;
    int64_t changes = sqlite3_total_changes64(core->db);
    int rc = -1;
    if (kept) {
        rc = msgpack_sbuffer_write(&req.result, kept, kept_len);
    } else if (begin_deferred(core) != 0) {
        cn_req_fail(&req, "unavailable", NULL, L("base de données indisponible; réessayez", "database unavailable; try again"));
    } else if (!transaction_lost(core)) { /* else nothing runs: see below */
        savepoint = own_savepoint && cn_stmt_exec(core->db, "SAVEPOINT cmd") == SQLITE_OK;
        if (own_savepoint && !savepoint)
            cn_req_sqlite_fail(&req, sqlite3_errcode(core->db));
        else if (!unknown_args(&req, op))
            rc = op->fn(&req);
        if (rc == 0 && !req.err_code && !transaction_lost(core)) {
            if (savepoint && cn_stmt_exec(core->db, "RELEASE cmd") != SQLITE_OK) {
                cn_req_sqlite_fail(&req, sqlite3_errcode(core->db));
                rc = -1;
            }
        } else {
            rc = -1;
        }
        /* Kept only when it read what is committed (nothing written yet in
         * the open batch: a rollback cannot undo what it saw, and the count
         * of changes does not go back with one) and it wrote nothing. */
        if (rc == 0 && cached && !req.uncacheable && req.result.size > head &&
            (!core->in_batch || gen == core->batch_gen) && sqlite3_total_changes64(core->db) == gen)
            cn_reply_cache_put(core->replies, op, (int)lang, day, key.data, key.size, gen, req.result.data + head,
                               req.result.size - head);
    }
    msgpack_sbuffer_destroy(&key);
    if (rc != 0) {
        /* SQLite undid the batch's transaction itself, before this command
         * or during it (some I/O errors do; a handler may have taken the
         * failed read for "no row" and gone on: its writes outside the
         * transaction were refused, refuse_stray_commit): whatever it said,
         * it is unavailable. */
        bool lost = transaction_lost(core);
        if (lost) {
            req.err_code = NULL;
            cn_req_fail(&req, "unavailable", NULL, L("stockage indisponible: rien n'a été enregistré; réessayez",
                                                     "storage unavailable: nothing was saved; try again"));
        }
        if (savepoint && !lost) {
            cn_stmt_exec(core->db, "ROLLBACK TO cmd");
            cn_stmt_exec(core->db, "RELEASE cmd");
        }
        /* Its rows stay until the batch is undone; or SQLite undid all of
         * the batch (an I/O error): what came before it is to run again. */
        if (core->redoable && core->depth == 1 &&
            (lost || (!own_savepoint && sqlite3_total_changes64(core->db) != changes)))
            core->must_redo = true;
        cn_evlog_rewind(core->evlog, mark);
        if (!req.err_code) {
            cn_error("%s: le gestionnaire a échoué sans dire pourquoi", op->name);
            cn_req_fail(&req, "internal", NULL, L("erreur interne", "internal error"));
        }
        if (strcmp(req.err_code, "internal") == 0)
            cn_warn("%s: %s", op->name, req.err_msg);
        pack_error(reply, req.err_code, req.err_msg, req.err_field);
    } else {
        if (req.result.size == head)
            msgpack_pack_nil(&req.pk);
        msgpack_sbuffer_destroy(&reply->buf);
        reply->buf = req.result;
        reply->ok = true;
        msgpack_sbuffer_init(&req.result);
    }
    msgpack_sbuffer_destroy(&req.result);
    msgpack_unpacked_destroy(&msg);
    cn_evlog_set_actor(core->evlog, outer_actor);
    cn_lang_set(outer);
}

void cn_core_handle(cn_core *core, const char *frame, size_t len, cn_reply *reply)
{
    core->depth++;
    handle_request(core, frame, len, reply);
    core->depth--;
}

int cn_core_call(cn_core *core, const char *frame, size_t len, cn_reply *reply, void *pub)
{
    if (cn_core_batch_begin(core) != 0) {
        msgpack_sbuffer_init(&reply->buf);
        reply->id_len = 0;
        cn_core_unavailable(core, reply);
        return -1;
    }
    cn_core_handle(core, frame, len, reply);
    if (cn_core_batch_commit(core, pub) != 0) {
        cn_core_unavailable(core, reply);
        return -1;
    }
    return reply->ok ? 0 : -1;
}
