/* concertd/plugin.h: the only header a concertd plugin includes.
 *
 * A plugin is a shared object that exports one symbol,
 *
 *     const cd_plugin concertd_plugin_entry = { CD_PLUGIN_ABI, "name", "1.0", init, fini };
 *
 * (the CD_PLUGIN macro below writes it). concertd dlopen()s the file named
 * in its configuration, checks `abi` before calling anything, and calls
 * init() with a table of host functions: that table is the plugin's whole
 * view of the daemon. The daemon exports no symbols and the plugin links
 * nothing of concertd (only msgpack-c and SQLite, for their types).
 *
 * Everything runs on the daemon's one loop thread, except the `work`
 * function given to queue_work(). Callbacks that can change state
 * (command handlers, event handlers, timers, work completions) run inside
 * a transaction: what they write, and the events they emit, commit
 * together or not at all, and events are published only after the commit.
 *
 * Ownership: strings passed to the host are copied by it; strings and
 * msgpack objects the host passes to a callback are valid only during that
 * callback. See plugins/README.md for a walk-through. */
#ifndef CONCERTD_PLUGIN_H
#define CONCERTD_PLUGIN_H

#include <msgpack.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change to cd_plugin or cd_host_api. Adding a
 * function at the end of cd_host_api (in a reserved slot) is compatible. */
#define CD_PLUGIN_ABI 2 /* 2: ops declare their arguments (cd_param) */

typedef struct cd_host cd_host;   /* the host's handle for one loaded plugin */
typedef struct cd_req cd_req;     /* one command being handled */
typedef struct cd_timer cd_timer; /* a timer started with timer_start */
typedef struct cd_watch cd_watch; /* a descriptor watched with watch_start */

enum { CD_LOG_ERROR = 0, CD_LOG_WARN = 1, CD_LOG_INFO = 2, CD_LOG_DEBUG = 3 };

/* A command handler: read args, pack exactly one result object with
 * result(), return 0; or return fail(...) (-1). Runs inside the command's
 * transaction; on failure everything it wrote is undone. */
typedef int (*cd_op_fn)(cd_req *req, void *data);

/* An event handler. event is the payload map (seq, origin, ts, region, type,
 * data), exactly as published. Return 0, or -1 to have the failure logged
 * and counted (what the handler wrote is undone; the event is not
 * delivered again). */
typedef int (*cd_event_fn)(cd_host *host, const msgpack_object *event, void *data);

/* A timer callback, inside its own transaction. Return 0, or -1 (logged). */
typedef int (*cd_timer_fn)(cd_host *host, void *data);

/* A watched descriptor is ready: events holds CD_WATCH_* bits (CD_WATCH_ERROR
 * alone when polling it failed). Inside its own transaction, like a timer. */
enum { CD_WATCH_READ = 1, CD_WATCH_WRITE = 2, CD_WATCH_ERROR = 4 };
typedef int (*cd_watch_fn)(cd_host *host, int fd, int events, void *data);

/* After a callback's transaction: status 0 committed, -1 undone (after_commit). */
typedef void (*cd_commit_fn)(cd_host *host, void *data, int status);

/* Work off the loop: `work` runs on a worker thread and must not call the
 * host; `done` then runs on the loop thread, inside a transaction, with
 * status 0 (or -1 if the work could not be run). */
typedef void (*cd_work_fn)(void *data);

/* The plugin's figures for node.status and /metrics (set_status): packs ONE
 * map of name → number (counts, ages in seconds), e.g. {"outbox_waiting": 3,
 * "outbox_oldest_s": 120}. Runs on the loop; may read the plugin's tables. */
typedef void (*cd_status_fn)(cd_host *host, msgpack_packer *pk, void *data);
typedef int (*cd_done_fn)(cd_host *host, void *data, int status);

/* What an argument of a command must be. The host checks every argument
 * against its declaration before the handler runs (a wrong one is refused
 * in words naming it, and the handler never sees it), so a handler reads
 * only what was declared, of the declared type and size. A non-required
 * argument may also be nil ("unset"), which the handler interprets. */
typedef enum cd_type {
    CD_TEXT = 1, /* a string of at most max bytes (UTF-8, no NUL: every request's text is) */
    CD_INT,      /* an integer in [min, max] */
    CD_NUMBER,   /* a number (integer or float) in [min, max] */
    CD_BOOL,     /* true or false */
    CD_DATE,     /* "YYYY-MM-DD", a day that exists */
    CD_DATETIME, /* "YYYY-MM-DDTHH:MM" or "…:SS", a moment that exists (local time) */
    CD_WHEN,     /* either: a day (all day) or a date-time */
    CD_ENUM,     /* one of values */
    CD_REGION,   /* a region, by id or name: the handler gets its id (the slug), and the
                    command is refused for a region the plugin is not enabled for */
    CD_FILE,     /* a file's content: a string or bin of at most max bytes */
    CD_LIST,     /* a list of at most max elements, each of type item (item_max its size) */
    CD_MAP,      /* a map of at most max entries, whose keys the handler checks (cd_unknown_key) */
} cd_type;

typedef struct cd_param {
    const char *name;
    cd_type type;
    int required;              /* 1: must be given, and not nil */
    int64_t min, max;          /* INT, NUMBER: range; TEXT, FILE: bytes; LIST, MAP: elements */
    const char *const *values; /* ENUM: the allowed values, NULL-terminated */
    cd_type item;              /* LIST: its elements' type (TEXT, INT, DATE, DATETIME, WHEN, ENUM, MAP) */
    int64_t item_max;          /* LIST of TEXT: bytes of each; of INT: the largest */
    const char *help_fr, *help_en;
    int64_t text_max;          /* LIST, MAP: > 0 when it may instead be one text of at most text_max bytes
                                  that the handler reads (a file's lines); a list of TEXT so given is
                                  its elements separated by commas, each checked as in a list */
} cd_param;

/* Ends a list of cd_param: {…}, {…}, CD_END. */
#define CD_END {.name = NULL}

typedef struct cd_op_spec {
    const char *name;         /* "<plugin>.<verb>", e.g. "progress.get" */
    cd_op_fn fn;
    void *data;               /* passed to fn */
    const cd_param *params;   /* its arguments, ended by CD_END; any other is refused */
    const char *help_fr, *help_en;
} cd_op_spec;

typedef struct cd_host_api {
    uint32_t abi;  /* CD_PLUGIN_ABI */
    uint32_t size; /* sizeof(cd_host_api) of the host */

    /* Log a line "[plugin] message" at a CD_LOG_* level. */
    void (*log)(cd_host *h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

    /* This plugin's configuration: [plugin.NAME] key, overridden for region by
     * [plugin.NAME.REGION] key when region is not NULL. NULL when unset. */
    const char *(*config)(cd_host *h, const char *region, const char *key);
    /* 1 when the plugin is enabled for region ([plugin.NAME] regions = …, all
     * by default), else 0. Events of other regions are not delivered. */
    int (*region_enabled)(cd_host *h, const char *region);

    /* Registers a command. The name must start with "<plugin>."; every
     * argument is declared (params), with its help. Call from init only.
     * Returns 0 or -1 (logged: a declaration that makes no sense).
     * An op "<plugin>.undo" whose argument "type" is a CD_ENUM reverses the
     * plugin's events of those types for events.undo, which calls it with
     * {type, event, before} (proto/PROTOCOL.md, events.undo). */
    int (*register_op)(cd_host *h, const cd_op_spec *spec);

    /* Brings the plugin's own tables up to date: migrations[i] takes its schema
     * from version i to i+1; the version reached is recorded per plugin.
     * Every table and index a plugin creates must be named "<plugin>_…".
     * Call from init only. Returns 0 or -1 (logged). */
    int (*migrate)(cd_host *h, const char *const *migrations, size_t count);

    /* The database, for the plugin's own tables only: while plugin code runs,
     * any access to another table is refused by SQLite (SQLITE_AUTH), and so
     * are BEGIN/COMMIT/SAVEPOINT (the host owns transactions). */
    sqlite3 *(*db)(cd_host *h);

    // Subscribes to events whose topic "<region>/<type>" matches pattern, a
    // shell glob (fnmatch): "*/action.*" matches every region's action
    // events, "lanaudiere/*" one region's, "*" everything. Call from init only.
    // Delivery is after commit, in seq order, exactly once: the host keeps a
    // cursor per plugin in the same transaction as the handler's writes, and
    // catches up at start with what was logged while it was not running.
    // After the bus's commands that transaction is committed without waiting
    // for the disk (the bus flushes it next, off the loop; the handler's
    // events are published once it is on disk): a power cut in between loses
    // the handler's writes with its cursor, and the event is handed again —
    // do what leaves the machine (an e-mail) from a table, after commit. A
    // plugin loaded for the first time starts with the events that follow.
    // Events of peers' regions (federation) are delivered too, as they are
    // stored, with their origin: see region_origin. A peer's event comes
    // before the copy of the model it changes; once the copy is replaced the
    // host hands "<region>/copy.updated" (data {seq}, that origin, not
    // logged, not published) so what shows the copy reads it again.
    int (*subscribe)(cd_host *h, const char *pattern, cd_event_fn fn, void *data);

    /* Emits an event (data: one encoded msgpack map) into the log of the
     * current transaction; it is published after commit. Only from a
     * callback that runs in a transaction. Returns 0 or -1 (logged). */
    int (*emit)(cd_host *h, const char *region, const char *type, const void *data, size_t len);

    /* Calls any op in-process, inside the current transaction, exactly as a
     * client would (proto/PROTOCOL.md): args is one encoded msgpack map or
     * NULL. On success appends the encoded result to out and returns 0; on
     * failure returns -1 and writes the error code and message to err. This
     * is how a plugin reads the plan model. */
    int (*call)(cd_host *h, const char *op, const void *args, size_t len, msgpack_sbuffer *out, char *err,
                size_t errcap);

    /* Requests (inside a command handler). */
    const msgpack_object *(*req_args)(cd_req *req); /* always a map */
    msgpack_packer *(*req_result)(cd_req *req);
    /* code: bad_request, invalid_argument, not_found, conflict, forbidden,
     * unavailable or internal; field may be NULL. Returns -1. */
    int (*req_fail)(cd_req *req, const char *code, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
    /* "fr" or "en": the language the client asked for. */
    const char *(*req_lang)(cd_req *req);

    /* A timer on the loop: first after after_ms, then every repeat_ms (0: once).
     * Returns NULL on failure. The host stops every timer at unload. */
    cd_timer *(*timer_start)(cd_host *h, uint64_t after_ms, uint64_t repeat_ms, cd_timer_fn fn, void *data);
    void (*timer_stop)(cd_timer *timer);

    /* Runs work(data) on a worker thread, then done() on the loop, in a
     * transaction, with status 0. When the daemon stops, work not started
     * is cancelled and work running finishes; either way done() gets -1,
     * outside any transaction: free what data holds, write nothing. fini
     * is called after the last done(). */
    int (*queue_work)(cd_host *h, cd_work_fn work, cd_done_fn done, void *data);

    /* Milliseconds since the epoch, from the host's clock (tests may move it). */
    int64_t (*now_ms)(cd_host *h);

    /* Watches a socket the plugin owns for CD_WATCH_READ and/or _WRITE on the
     * loop (level-triggered), e.g. for libcurl's multi interface. One watch
     * per descriptor: stop it before closing the descriptor. change() sets
     * other events (0 pauses). The host stops every watch at unload, and
     * frees them after fini (which may still call watch_stop). NULL / -1 on
     * failure. */
    cd_watch *(*watch_start)(cd_host *h, int fd, int events, cd_watch_fn fn, void *data);
    int (*watch_change)(cd_watch *watch, int events);
    void (*watch_stop)(cd_watch *watch);

    /* NULL when region is this node's (or unknown); else the node id of
     * the peer that owns it: this node holds a read-only copy (federation),
     * its events reach the plugin with that origin, and emitting for it is
     * refused. The string is valid until the next call. */
    const char *(*region_origin)(cd_host *h, const char *region);

    /* As subscribe, for peers' events only (those of regions this node
     * holds a copy of): this node's own events cost such a plugin nothing.
     * Call from init only. */
    int (*subscribe_peers)(cd_host *h, const char *pattern, cd_event_fn fn, void *data);

    /* Runs fn once the transaction of the current timer, watch or work
     * callback has ended: status 0 when what the callback wrote is
     * committed (on disk), -1 when it was undone (the callback failed) or
     * the commit failed. fn runs outside any transaction: it may not call,
     * emit or touch the database. For an answer that must not say "saved"
     * before it is (a web form's reply). Returns 0, or -1 when not inside
     * such a callback. */
    int (*after_commit)(cd_host *h, cd_commit_fn fn, void *data);

    /* As call, for a person the plugin vouches for: actor ("web:marie@…",
     * 1 to 128 bytes) is recorded as the one who made the change (events'
     * actor, notes' author) instead of the plugin. */
    int (*call_as)(cd_host *h, const char *actor, const char *op, const void *args, size_t len, msgpack_sbuffer *out,
                   char *err, size_t errcap);

    /* The folder the plugin writes to, named by its setting key ([plugin.NAME]
     * export_dir…), or DATA_DIR/default_name when the key is unset (so
     * --data-dir moves it with the database). Created when missing, and
     * checked writable; from check (concertd --check-config) only checked
     * writable or creatable, nothing created. Its path in out. Returns 0, or
     * -1 with the problem logged in words ("… : permission refusée"). */
    int (*folder)(cd_host *h, const char *key, const char *default_name, char *out, size_t cap);

    /* errnum in words, in the node's language ("Aucun fichier ou dossier de
     * ce nom", not "No such file or directory"). */
    const char *(*strerror)(int errnum);

    /* Says which figures the plugin adds to node.status (concertctl status)
     * and to the Prometheus page (as concertd_NAME_KEY, a gauge). Call from
     * init only. Returns 0 or -1. */
    int (*set_status)(cd_host *h, cd_status_fn fn, void *data);

    void *reserved[6];
} cd_host_api;

typedef struct cd_plugin {
    uint32_t abi;        /* CD_PLUGIN_ABI, checked before anything is called */
    const char *name;    /* must equal the name the configuration loads it by */
    const char *version;
    /* Called once at load with the host table; may set *state, which is
     * passed to fini. Return 0, or -1 to be refused (say why with api->log). */
    int (*init)(cd_host *h, const cd_host_api *api, void **state);
    /* Called once at unload; frees what init allocated. May be NULL. */
    void (*fini)(void *state);
    /* Called instead of init by concertd --check-config: checks the plugin's
     * settings and what it will need at start (folders, files), with no side
     * effect. It may use only log, config, region_enabled, folder and
     * strerror. Each problem logged at CD_LOG_ERROR; returns how many there
     * are (0: ready to start). May be NULL (nothing to check). */
    int (*check)(cd_host *h, const cd_host_api *api);
    void *reserved[3];
} cd_plugin;

/* Helpers for reading what the host hands over (inline: not part of the ABI). */

/* The value of key in a msgpack map, or NULL. */
static inline const msgpack_object *cd_get(const msgpack_object *map, const char *key)
{
    size_t n = 0;
    while (key[n])
        n++;
    for (uint32_t i = 0; map && map->type == MSGPACK_OBJECT_MAP && i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && (n == 0 || __builtin_memcmp(k->via.str.ptr, key, n) == 0))
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

/* The first key of map that is not one of known (NULL-terminated), or
 * NULL: a nested map's misspelt key must be refused, not ignored (the host
 * checks only an op's own arguments). A non-string key is returned too. */
static inline const msgpack_object *cd_unknown_key(const msgpack_object *map, const char *const *known)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        int found = 0;
        for (size_t j = 0; k->type == MSGPACK_OBJECT_STR && known[j] && !found; j++)
            found = __builtin_strlen(known[j]) == k->via.str.size &&
                    (k->via.str.size == 0 || __builtin_memcmp(known[j], k->via.str.ptr, k->via.str.size) == 0);
        if (!found)
            return k;
    }
    return NULL;
}

/* Where to cut s (len bytes) to keep at most n bytes without splitting a
 * UTF-8 character: n itself when it falls between characters, else the
 * start of the character it falls in. Text is never cut mid-character. */
static inline size_t cd_utf8_cut(const char *s, size_t len, size_t n)
{
    if (n >= len)
        return len;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Copies a msgpack str into out as a C string (cut at cap-1 bytes, on a
 * character boundary); "" when o is not a string. Returns out. Where the
 * whole text matters, check its size first and refuse what does not fit. */
static inline char *cd_str(const msgpack_object *o, char *out, size_t cap)
{
    size_t n = o && o->type == MSGPACK_OBJECT_STR ? o->via.str.size : 0;
    if (cap == 0)
        return out;
    if (n >= cap)
        n = cd_utf8_cut(o->via.str.ptr, n, cap - 1);
    if (n)
        __builtin_memcpy(out, o->via.str.ptr, n);
    out[n] = '\0';
    return out;
}

/* The one check of every date and time concertd accepts (core, host and
 * plugins): CD_DATE for "YYYY-MM-DD" naming a day that exists (years 1900 to
 * 2999), CD_DATETIME for such a day followed by "THH:MM" or "THH:MM:SS" (00:00
 * to 23:59:59), 0 for anything else ("2024-02-30", "24:00", "2024-2-3"). */
static inline int cd_when_kind(const char *s)
{
    size_t n = 0;
    while (s && s[n] && n < 20)
        n++;
    if (!s || (n != 10 && n != 16 && n != 19))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char want = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : i == 13 || i == 16 ? ':' : '0';
        if (want == '0' ? s[i] < '0' || s[i] > '9' : s[i] != want)
            return 0;
    }
#define CD_TWO_(i) ((s[i] - '0') * 10 + (s[(i) + 1] - '0'))
    int y = CD_TWO_(0) * 100 + CD_TWO_(2), m = CD_TWO_(5), d = CD_TWO_(8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days[m - 1] + (m == 2 && leap))
        return 0;
    if (n == 10)
        return CD_DATE;
    int ok = CD_TWO_(11) < 24 && CD_TWO_(14) < 60 && (n == 16 || CD_TWO_(17) < 60);
#undef CD_TWO_
    return ok ? CD_DATETIME : 0;
}

/* A msgpack positive integer as int64_t, or dflt. */
static inline int64_t cd_int(const msgpack_object *o, int64_t dflt)
{
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= (uint64_t)INT64_MAX ? (int64_t)o->via.u64
                                                                                                 : dflt;
}

/* Packs a C string. */
static inline void cd_pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    msgpack_pack_str_with_body(pk, s, n);
}

/* Packs key, then v, or nil when v is NULL or empty. */
static inline void cd_pack_opt(msgpack_packer *pk, const char *key, const char *v)
{
    cd_pack_str(pk, key);
    if (v && *v)
        cd_pack_str(pk, v);
    else
        msgpack_pack_nil(pk);
}

/* Appends bytes that are already msgpack (items packed into another buffer)
 * to pk as they are. Returns 0, or -1 when out of memory. */
static inline int cd_pack_raw(msgpack_packer *pk, const void *data, size_t size)
{
    return size ? (pk->callback(pk->data, (const char *)data, size) == 0 ? 0 : -1) : 0;
}

/* Packs the row st stands on as a map, column name → value (NULL nil,
 * integers, reals, text; a BLOB as bin), as the core's ops answer. */
static inline void cd_pack_row(msgpack_packer *pk, sqlite3_stmt *st)
{
    int cols = sqlite3_column_count(st);
    msgpack_pack_map(pk, (size_t)cols);
    for (int i = 0; i < cols; i++) {
        const char *name = sqlite3_column_name(st, i);
        size_t len = 0;
        while (name[len])
            len++;
        msgpack_pack_str_with_body(pk, name, len);
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER: msgpack_pack_int64(pk, sqlite3_column_int64(st, i)); break;
        case SQLITE_FLOAT: msgpack_pack_double(pk, sqlite3_column_double(st, i)); break;
        case SQLITE_TEXT:
            msgpack_pack_str_with_body(pk, sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i));
            break;
        case SQLITE_BLOB:
            msgpack_pack_bin_with_body(pk, sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
            break;
        default: msgpack_pack_nil(pk); break;
        }
    }
}

/* Steps st (prepared and bound) to its end and packs its rows as an array
 * of maps (cd_pack_row). Finalizes nothing: the caller does. Returns 0, or
 * -1 when out of memory (the array is then still whole, but shorter). */
static inline int cd_pack_rows(msgpack_packer *pk, sqlite3_stmt *st)
{
    msgpack_sbuffer rows;
    msgpack_sbuffer_init(&rows);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
    uint32_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        cd_pack_row(&rp, st);
        n++;
    }
    msgpack_pack_array(pk, n);
    int rc = cd_pack_raw(pk, rows.data, rows.size);
    msgpack_sbuffer_destroy(&rows);
    return rc;
}

/* For a command that would write for region: -1 with the request failed
 * (forbidden, naming the owner) when region is a read-only copy of a
 * peer's (federation), else 0. what says what lives on the owner's node. */
static inline int cd_refuse_copy(const cd_host_api *api, cd_host *h, cd_req *req, const char *region, const char *what)
{
    const char *owner = region && region[0] ? api->region_origin(h, region) : NULL;
    if (!owner)
        return 0;
    return api->req_fail(req, "forbidden", "region",
                         "la région %s appartient au nœud %s : %s se gèrent là, pas sur cette copie en lecture seule",
                         region, owner, what);
}

/* Calls op (through api->call) with a map of n string arguments, keys[i]
 * → values[i], the result dropped: for checks such as "does this region,
 * this objective exist?". Returns 0, or -1 with the error in err. */
static inline int cd_call_check(const cd_host_api *api, cd_host *h, const char *op, size_t n,
                                const char *const *keys, const char *const *values, char *err, size_t errcap)
{
    msgpack_sbuffer args, out;
    msgpack_sbuffer_init(&args);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, n);
    for (size_t i = 0; i < n; i++) {
        size_t kl = 0, vl = 0;
        while (keys[i][kl])
            kl++;
        while (values[i][vl])
            vl++;
        msgpack_pack_str_with_body(&pk, keys[i], kl);
        msgpack_pack_str_with_body(&pk, values[i], vl);
    }
    int rc = api->call(h, op, args.data, args.size, &out, err, errcap);
    msgpack_sbuffer_destroy(&args);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

/* Records value on a plan indicator (through indicator.record, in the
 * current transaction: event indicator.recorded), dated date (YYYY-MM-DD)
 * or today when date is NULL, with a note for people. How plugins feed the
 * plan's indicators (sessions held, members). Returns 0, or -1 with the
 * error in err. */
static inline int cd_indicator_record(const cd_host_api *api, cd_host *h, int64_t indicator, int64_t value,
                                      const char *date, const char *note, char *err, size_t errcap)
{
    msgpack_sbuffer args, out;
    msgpack_sbuffer_init(&args);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, date ? 4 : 3);
    cd_pack_str(&pk, "id");
    msgpack_pack_int64(&pk, indicator);
    cd_pack_str(&pk, "value");
    msgpack_pack_int64(&pk, value);
    if (date)
        cd_pack_opt(&pk, "date", date);
    cd_pack_opt(&pk, "note", note);
    int rc = api->call(h, "indicator.record", args.data, args.size, &out, err, errcap);
    msgpack_sbuffer_destroy(&args);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

#define CD_PLUGIN_SYMBOL "concertd_plugin_entry"
/* The plugin's entry: CD_PLUGIN("hello", "1.0", init, fini), or with a
 * check function for concertd --check-config, CD_PLUGIN_CHECKED(…, check). */
#define CD_PLUGIN_CHECKED(name_, version_, init_, fini_, check_)                                                 \
    __attribute__((visibility("default"))) const cd_plugin concertd_plugin_entry = {                             \
        .abi = CD_PLUGIN_ABI, .name = name_, .version = version_, .init = init_, .fini = fini_, .check = check_, \
        .reserved = {0}}
#define CD_PLUGIN(name_, version_, init_, fini_) CD_PLUGIN_CHECKED(name_, version_, init_, fini_, NULL)

#ifdef __cplusplus
}
#endif

#endif
