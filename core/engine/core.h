/* core.h: the command core. It decodes a request envelope, dispatches it to
 * the handler of its op, and runs every command of the current batch
 * transaction so that a failing command changes nothing while the others of
 * the batch still commit together (group commit: one fsync for many
 * commands, each reply sent only after that fsync): inside a savepoint of
 * its own, or — an op whose only effects are rows and events (db_only), in
 * a batch its caller can handle again — without one, the batch undone and
 * handled again, each command in its savepoint, in the rare case that such
 * a command fails after it wrote (SQLite copies every page a savepoint
 * touches: a tenth of a command's time).
 *
 * The socket side (server.c) calls, for each batch:
 *   cn_core_batch_open → cn_core_batch_redoable → cn_core_handle × N
 *   (cn_core_batch_redo when cn_core_batch_must_redo) → cn_core_batch_commit_lazy
 * and sends the replies only when the commit succeeded and its WAL frames
 * are on disk (cn_core_durable). */
#ifndef CN_CORE_H
#define CN_CORE_H

#include <msgpack.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "evlog.h"

typedef struct cn_core cn_core;
typedef struct cn_req cn_req;

/* A handler fills req's result (cn_req_pk) and returns 0, or returns the
 * value of cn_req_fail() (-1). Its writes are undone when it fails. */
typedef int (*cn_op_fn)(cn_req *req);

typedef struct cn_op {
    const char *name;          /* "<noun>.<verb>" */
    cn_op_fn fn;
    const char *const *args;   /* accepted argument names, NULL-terminated */
    const char *help_fr, *help_en;
    const void *data;          /* for fn (plugin ops: which plugin handler) */
} cn_op;

/* The reply to one request, kept until the batch is committed. */
typedef struct cn_reply {
    msgpack_sbuffer buf; /* the encoded reply frame */
    bool ok;
    /* The request's id as it was encoded (none: id_len 0): a positive
     * integer or a str of 256 bytes at most, kept here without allocating. */
    uint16_t id_len;
    char id[264];
} cn_reply;

/* Creates the core over an open database. db and cfg stay the caller's and
 * must outlive the core. Returns NULL on failure. The core takes db's
 * commit hook: while a batch is open nothing else commits (should SQLite
 * undo the batch itself on an I/O error, what a command writes after that
 * fails rather than being committed on its own). */
cn_core *cn_core_new(sqlite3 *db, const cn_config *cfg);
void cn_core_destroy(cn_core **corep);

/* Adds ops to the dispatch table; ops must stay valid while the core lives.
 * Returns -1 when a name is already taken. */
int cn_core_register(cn_core *core, const cn_op *ops, size_t n);

/* Marks the registered op name as a read whose result depends only on the
 * database, its args, the language and the day: its results are kept until
 * the database changes (reply_cache.h). -1 when no such op or too many. */
int cn_core_cache_op(cn_core *core, const char *name);

/* The n ops at ops (registered) are db_only: their handlers touch nothing
 * but the database and the event log (no file, socket, plugin, nor memory
 * of their own), so they may run without a savepoint and run again
 * (cn_core_batch_redo). Up to eight such lists; -1 past that. */
int cn_core_db_only(cn_core *core, const cn_op *ops, size_t n);

/* Removes op (registered earlier) from the dispatch table. */
void cn_core_unregister(cn_core *core, const cn_op *op);

/* Opens the batch transaction. Returns 0 or -1 (logged). */
int cn_core_batch_begin(cn_core *core);

/* Handles one request frame inside the batch; always fills *reply (init'd
 * here; the caller destroys it with cn_reply_destroy). */
void cn_core_handle(cn_core *core, const char *frame, size_t len, cn_reply *reply);

/* Commits the batch. On success publishes its events on pub (may be NULL)
 * and returns 0. On failure rolls everything back, logs why, and returns -1:
 * the caller must then replace every ok reply with cn_core_unavailable(). */
int cn_core_batch_commit(cn_core *core, void *pub);

/* Opens a batch of commands run by cn_core_handle alone (the bus's): its
 * transaction begins with the first of them that needs the database — a
 * batch of reads answered from what is kept (reply_cache.h) takes no lock
 * and writes nothing; when it cannot begin, that command and the batch's
 * next ones that need the database are answered unavailable. lazy: its
 * COMMIT will not flush the WAL (synchronous=NORMAL while it is open:
 * SQLite's level is set outside a transaction only). Always 0.
 * cn_core_batch_begin inside it begins its transaction now. */
int cn_core_batch_open(cn_core *core, bool lazy);
/* Commits a batch opened lazy (any other as cn_core_batch_commit does):
 * its events are held (not published) under *ticket, the count of such
 * commits that wrote something, until cn_core_durable(ticket) — once the
 * caller has flushed the WAL (wal_sync.h). A batch that wrote nothing
 * gets the latest ticket: what it read may be held still. A later
 * cn_core_batch_commit that writes flushes everything, held included. */
int cn_core_batch_commit_lazy(cn_core *core, void *pub, uint64_t *ticket);
/* The lazy commits up to ticket are on disk: their events go out. */
void cn_core_durable(cn_core *core, uint64_t ticket);
/* The highest ticket known to be on disk. */
uint64_t cn_core_durable_ticket(const cn_core *core);
/* The ticket of the latest lazy commit that wrote (0: none yet). */
uint64_t cn_core_lazy_ticket(const cn_core *core);

/* Rolls the open batch back (what it wrote and the events it emitted);
 * no reply of it may then be ok. */
void cn_core_batch_rollback(cn_core *core);

/* The caller of the open batch can handle its commands again: from now on
 * until it ends — or until a command of an op that is not db_only comes
 * (it must not run twice) — a db_only op's command (not one nested in
 * another) runs without a savepoint of its own. Should one fail after it
 * wrote, cn_core_batch_must_redo says so at once. */
void cn_core_batch_redoable(cn_core *core);
/* A command of the open batch failed after it wrote, without a savepoint
 * to undo only it — or SQLite rolled the whole batch back itself (some I/O
 * errors do): the caller must call cn_core_batch_redo, then handle again
 * every command of the batch so far, that one included. */
bool cn_core_batch_must_redo(const cn_core *core);
/* Undoes the open batch (its rows and its events) and opens it again as it
 * was opened (cn_core_batch_open), in which every command has its
 * savepoint (this cannot come twice): 0, or -1 when the batch was not open. */
int cn_core_batch_redo(cn_core *core);

/* True while a batch transaction is open. */
bool cn_core_in_batch(const cn_core *core);

/* Inside the open batch: runs fn(arg) in its own savepoint. When fn returns
 * non-zero, what it wrote and the events it emitted are undone. Returns
 * fn's result (or -1 when the savepoint could not be opened). */
int cn_core_in_savepoint(cn_core *core, int (*fn)(void *arg), void *arg);

/* A function node.info calls to add a "plugins" entry (one msgpack object). */
typedef void (*cn_info_fn)(msgpack_packer *pk, void *data);
void cn_core_set_info_hook(cn_core *core, cn_info_fn fn, void *data);
void cn_core_pack_info_hook(cn_core *core, msgpack_packer *pk);
/* The declared arguments of an op, for node.info (plugin ops declare
 * theirs; core ops give only their names): the hook returns false when op
 * has none, and packs them (an array) when pk is not NULL. */
typedef bool (*cn_describe_fn)(void *data, const cn_op *op, msgpack_packer *pk);
void cn_core_set_describe_hook(cn_core *core, cn_describe_fn fn, void *data);
bool cn_core_describe_op(cn_core *core, const cn_op *op, msgpack_packer *pk);
/* Whether op reverses events of type for events.undo (a plugin's
 * "<plugin>.undo", which declares the types it takes). */
typedef bool (*cn_undoes_fn)(void *data, const cn_op *op, const char *type);
void cn_core_set_undoes_hook(cn_core *core, cn_undoes_fn fn, void *data);
/* The op that reverses events of type, or NULL. */
const cn_op *cn_core_undoer(const cn_core *core, const char *type);

/* ---- requests prepared off the loop ------------------------------------ */

/* Some requests must first read what they carry (plan.import of a .docx:
 * unzip, parse XML), which may take longer than the loop may wait. Their
 * op registers a preparer: wanted(args) says whether a request needs it;
 * prepare(args, out) runs on a worker thread, touching neither the
 * database nor the core, and packs the args to run the op with instead
 * (one map), or fails with a protocol code, the field at fault and a
 * message. The bus runs it, then hands the rewritten request to a batch. */
typedef struct cn_preparer {
    const char *op;
    bool (*wanted)(const msgpack_object *args);
    int (*prepare)(const msgpack_object *args, msgpack_packer *out, char code[32], char field[96], char *message,
                   size_t cap);
} cn_preparer;

/* preparer must stay valid while the core lives. At most 8. */
int cn_core_add_preparer(cn_core *core, const cn_preparer *preparer);
/* Whether the request in frame must be prepared before it is handled. */
bool cn_core_needs_preparing(const cn_core *core, const char *frame, size_t len);
/* Thread-safe: the request in frame, prepared, as a new frame in out (0);
 * or -1 with its error reply in reply (destroy it with cn_reply_destroy). */
int cn_core_prepare(const cn_core *core, const char *frame, size_t len, msgpack_sbuffer *out, cn_reply *reply);

/* Thread-safe: reply is the error code/message to the request in frame
 * (its id kept), refused before it is handled. */
void cn_core_refuse(const char *frame, size_t len, const char *code, const char *message, cn_reply *reply);

/* Rewrites reply as an "unavailable" error saying the change was not saved. */
void cn_core_unavailable(cn_core *core, cn_reply *reply);

/* Initialises reply as an error with no id (for frames the core never saw;
 * cn_core_refuse keeps the request's id). */
void cn_reply_init_error(cn_reply *reply, const char *code, const char *message);

void cn_reply_destroy(cn_reply *reply);

/* Runs one request outside any batch (begin, handle, commit), for the demo
 * loader and the tests. Returns 0 when the reply is ok. */
int cn_core_call(cn_core *core, const char *frame, size_t len, cn_reply *reply, void *pub);

const cn_config *cn_core_config(const cn_core *core);
sqlite3 *cn_core_db(const cn_core *core);
cn_evlog *cn_core_evlog(const cn_core *core);
size_t cn_core_op_count(const cn_core *core);
const cn_op *cn_core_op_at(const cn_core *core, size_t i);
int64_t cn_core_started_ms(const cn_core *core);

/* ---- regions of other nodes (federation) ------------------------------ */

/* Who holds region here: CN_REGION_OWN (this node), CN_REGION_COPY
 * (another node's, owner filled with its id; also before the copy's
 * first snapshot), CN_REGION_UNKNOWN, or -1 on a database error. */
enum { CN_REGION_UNKNOWN = 0, CN_REGION_OWN = 1, CN_REGION_COPY = 2 };
int cn_core_region_owner(cn_core *core, const char *region, char *owner, size_t cap);

/* Whether region is archived here (region.delete): read-only until region.restore. */
bool cn_core_region_archived(cn_core *core, const char *region);
/* Fails req as forbidden: region is archived. Returns -1. */
int cn_req_fail_archived(cn_req *req, const char *region);

/* Fails req as forbidden: region is a read-only copy of owner's. Returns -1. */
int cn_req_fail_copy(cn_req *req, const char *region, const char *owner);

/* While on, the ops that change the model emit no event: the federation
 * copies a peer's region in (its events are the peer's, stored as they
 * came). Otherwise an event for another node's region is refused
 * (forbidden, naming the owner): a copy is read-only. */
void cn_core_set_mirroring(cn_core *core, bool on);
bool cn_core_mirroring(const cn_core *core);

/* Hands an event of another origin, stored inside the open batch, to
 * whoever set the hook (the plugin host: plugins see peers' events too).
 * event is the payload map (seq, origin, ts, region, type, data). */
typedef int (*cn_foreign_fn)(void *data, const msgpack_object *event, const char *topic);
/* Whether anyone behind the hook wants events of topic ("region/type"):
 * when not, the federation does not decode an event again to hand it. */
typedef bool (*cn_foreign_wanted_fn)(void *data, const char *topic);

/* Until when a copy of a peer's region is known up to date (the federation
 * says: now while the peer's links are up, else when it was last heard
 * from; 0 never): the "à jour au" of the national views. -1 without a hook. */
typedef int64_t (*cn_copy_as_of_fn)(void *data, const char *peer);
void cn_core_set_copy_as_of_hook(cn_core *core, cn_copy_as_of_fn fn, void *data);
int64_t cn_core_copy_as_of(cn_core *core, const char *peer);
void cn_core_set_foreign_hook(cn_core *core, cn_foreign_fn fn, cn_foreign_wanted_fn wanted, void *data);
bool cn_core_foreign_wanted(cn_core *core, const char *topic);

/* What a part of the daemon still needs of the event log (the plugin host:
 * its plugins' cursors; the federation: what each declared peer holds):
 * the newest seq of origin that may be removed, INT64_MAX for any. who
 * names what holds it back (for node.compact's report). Called inside the
 * compaction's transaction. */
typedef int64_t (*cn_keeper_fn)(void *data, const char *origin, char *who, size_t whocap);
int cn_core_add_keeper(cn_core *core, cn_keeper_fn fn, void *data);
/* The lowest of the keepers' bounds for origin (who: the one that set it). */
int64_t cn_core_keepers_bound(cn_core *core, const char *origin, char *who, size_t whocap);
int cn_core_foreign_event(cn_core *core, const msgpack_object *event, const char *topic);

/* ---- for handlers ---------------------------------------------------- */

struct cn_req {
    cn_core *core;
    const cn_op *op;
    sqlite3 *db;
    const msgpack_object *args; /* always a map (possibly empty) */
    msgpack_zone *zone;         /* the decoded request's memory, freed with it */
    msgpack_sbuffer result;
    msgpack_packer pk;          /* packs the result; exactly one object */
    const char *err_code;
    char err_field[96];
    char err_msg[512];
    bool uncacheable; /* this result of a cached op depends on more (cn_req_uncacheable) */
};

static inline msgpack_packer *cn_req_pk(cn_req *req) { return &req->pk; }

/* This result of a cached op depends on more than the database (a
 * copy's "up to date until" from the federation's links): not kept. */
static inline void cn_req_uncacheable(cn_req *req) { req->uncacheable = true; }

/* Sets the request's error and returns -1. code is one of the protocol's
 * codes; field names the argument at fault, or NULL. */
int cn_req_fail(cn_req *req, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int cn_req_failv(cn_req *req, const char *code, const char *field, const char *fmt, va_list ap);

/* Puts where in front of the failed request's field, so the error names
 * the whole path ("windows[2]" and "start" make "windows[2].start"); also
 * in front of its message when in_message. Cut on a character boundary.
 * Returns -1. */
int cn_req_nest_field(cn_req *req, const char *where, bool in_message);

/* Maps an SQLite failure to a protocol error (constraint → conflict, disk
 * full or I/O → unavailable, else internal) and returns -1. */
int cn_req_sqlite_fail(cn_req *req, int rc);

/* Prepares sql on the request's database, failing the request on error. */
int cn_req_prepare(cn_req *req, const char *sql, sqlite3_stmt **st);

/* Steps a statement that returns no row; finalizes it; fails the request on
 * error. Returns 0 or -1. */
int cn_req_exec(cn_req *req, sqlite3_stmt *st);

/* Emits an event inside the command's transaction (see evlog.h); refused
 * (forbidden) for a region this node holds a copy of, or archived. */
int cn_req_emit(cn_req *req, const char *region, const char *type, const void *data, size_t len);
/* What a handler read of existing rows, kept between changes for the next
 * command that needs it (row_cache.h): kind says what it is (a handler's
 * own constant, not 0), id which. cn_req_kept gives it back (NULL: read it
 * again), valid until the handler keeps something; cn_req_keep keeps it,
 * unless something but appends was written in the open batch before it was
 * read (a rollback could then take it back). At most 1 KiB (more is not
 * kept); what is kept must not depend on appended rows. */
const void *cn_req_kept(cn_req *req, int kind, int64_t id, size_t *len);
void cn_req_keep(cn_req *req, int kind, int64_t id, const void *data, size_t len);
/* The changes made since since (sqlite3_total_changes64 before them) only
 * appended rows (a measurement, an event): what is kept still holds. */
void cn_req_appended(cn_req *req, int64_t since);

/* Whether a change may be made in region, as its row says (its holder,
 * NULL for this node, and whether archived): 0, or -1 with the request
 * failed (forbidden: a peer's copy, or archived). Always 0 while mirroring. */
int cn_req_region_writable(cn_req *req, const char *region, const char *origin, bool archived);
/* cn_req_emit for a region the caller has checked, in this transaction,
 * with cn_req_region_writable: no second look. */
int cn_req_emit_checked(cn_req *req, const char *region, const char *type, const void *data, size_t len);

/* ---- arguments -------------------------------------------------------
 * Each getter returns 0 when the argument is absent, 1 when it is present
 * (an explicit nil is present, with *out NULL / *is_null true), and -1 with
 * the request failed when it is missing but required or of the wrong type. */

enum { CN_OPTIONAL = 0, CN_REQUIRED = 1 };

int cn_arg_str(cn_req *req, const char *key, int required, const char **out);
int cn_arg_int(cn_req *req, const char *key, int required, int64_t *out, bool *is_null);
int cn_arg_num(cn_req *req, const char *key, int required, double *out, bool *is_null);
int cn_arg_bool(cn_req *req, const char *key, int required, bool *out);
/* A string that must be one of allowed (NULL-terminated). */
int cn_arg_enum(cn_req *req, const char *key, int required, const char *const *allowed, const char **out);
/* A YYYY-MM-DD date that exists. */
int cn_arg_date(cn_req *req, const char *key, int required, const char **out);
/* An array whose items are all strings; *out is the array object. */
int cn_arg_strlist(cn_req *req, const char *key, int required, const msgpack_object **out);
/* An array of anything; *out is the array object. */
int cn_arg_array(cn_req *req, const char *key, int required, const msgpack_object **out);

/* Refuses (invalid_argument, field "path.key") a key of map that is not
 * one of known (NULL-terminated): a misspelt option inside a nested map
 * is never ignored. 0 when map is not a map or has only known keys. */
int cn_map_keys(cn_req *req, const msgpack_object *map, const char *path, const char *const *known);

/* Runs another op of the core as part of this request (same savepoint),
 * with args (a map). Its result is copied into out (when not NULL) and
 * left out of this request's result. Returns 0, or -1 with req failed. */
int cn_req_run(cn_req *req, const char *op, const msgpack_object *args, msgpack_sbuffer *out);

/* Copies a msgpack str into the request's memory as a NUL-terminated string. */
const char *cn_req_strdup(cn_req *req, const msgpack_object *str);

#endif
