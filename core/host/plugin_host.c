/* plugin_host.c: see plugin_host.h and concertd/plugin.h.
 *
 * What C cannot protect against: a plugin runs in the daemon's process, so
 * a crash (segfault, abort), an infinite loop or memory corruption in a
 * plugin takes the daemon down or hangs it. What the host does enforce: a
 * plugin that returns an error fails only its own command or event
 * delivery, with its writes undone; it can touch only its own tables
 * (SQLite authorizer); it cannot commit or roll back the host's
 * transactions; and it is refused at load when its ABI does not match. */
#include "plugin_host.h"

#include <dlfcn.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <concertd/plugin.h>

#include "log.h"
#include "model.h"
#include "mp.h"
#include "text.h"

#define MAX_ROUNDS 16   /* cascades of plugin events delivered per trigger */
#define DELIVER_BATCH 256

typedef struct {
    char *pattern;
    cd_event_fn fn;
    void *data;
    bool peers_only; /* subscribe_peers: peers' events only */
} subscription;

typedef struct {
    cn_op op; /* registered with the core; op.data points back here */
    cd_host *plugin;
    cd_op_fn fn;
    void *data;
    char *name, **args, *help_fr, *help_en;
} plugin_op;

struct cd_timer {
    uv_timer_t handle;
    cd_host *plugin;
    cd_timer_fn fn;
    void *data;
    cd_timer *next;
    bool stopped;
};

struct cd_watch {
    uv_poll_t handle;
    cd_host *plugin;
    cd_watch_fn fn;
    void *data;
    int fd, ready;
    cd_watch *next;
    bool stopped;
};

typedef struct work_item {
    uv_work_t req;
    cd_host *plugin;
    cd_work_fn work;
    cd_done_fn done;
    void *data;
    struct work_item *next; /* the plugin's work not yet done */
} work_item;

enum plugin_state { P_REFUSED, P_RUNNING, P_STOPPED };

struct cd_host {
    cn_host *host;
    char *name, *file;
    const char *version;
    void *dl;
    const cd_plugin *entry;
    void *state;
    enum plugin_state status;
    char reason[512];
    bool initialising;
    subscription *subs;
    size_t nsubs;
    plugin_op **ops;
    size_t nops;
    cd_timer *timers;
    cd_watch *watches;
    work_item *works; /* queued or running: fini waits for them */
    bool finished;    /* fini has been called */
    char section[128];
    int64_t cursor; /* last seq looked at; -1 until read from plugin_state */
    bool pending;   /* the log may hold events for it past cursor */
    int64_t op_errors, event_errors, callback_errors, events_delivered;
    char origin[64]; /* region_origin's answer */
};

struct cn_host {
    cn_core *core;
    uv_loop_t *loop;
    const cn_config *cfg;
    void *pub;
    cd_host **plugins;
    size_t n;
    cd_host *current; /* the plugin whose code is running, for the authorizer */
    size_t subscribers;
    bool delivering;
    cn_req *current_req; /* the command a plugin op is handling, for emit's refusals */
};

static const cd_host_api api; /* defined at the end */

/* ---- which plugin's code is running ------------------------------------- */

/* Host code run on a plugin's behalf switches the authorizer off, and back. */
#define AS_HOST(h)                                                                                               \
    cd_host *const saved_current_ = (h)->host->current;                                                         \
    (h)->host->current = NULL
#define AS_PLUGIN_AGAIN(h) (h)->host->current = saved_current_

static bool has_prefix(const char *name, const char *plugin)
{
    size_t n = strlen(plugin);
    return name && strncmp(name, plugin, n) == 0 && name[n] == '_';
}

static int authorize(void *data, int action, const char *a1, const char *a2, const char *db, const char *trigger)
{
    (void)db;
    (void)trigger;
    cn_host *host = data;
    cd_host *p = host->current;
    if (!p)
        return SQLITE_OK;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_READ:
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        /* The schema table is written by CREATE/ALTER/DROP, which are checked
         * by their own action codes below; SQLite refuses direct writes to it. */
        if (strcmp(a1, "sqlite_sequence") == 0 || strcmp(a1, "sqlite_master") == 0 ||
            strcmp(a1, "sqlite_schema") == 0 || strcmp(a1, "sqlite_temp_master") == 0)
            return SQLITE_OK;
        return has_prefix(a1, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_CREATE_TABLE:
    case SQLITE_DROP_TABLE:
    case SQLITE_CREATE_VIEW:
    case SQLITE_DROP_VIEW:
        return has_prefix(a1, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_CREATE_INDEX:
    case SQLITE_DROP_INDEX:
        /* UNIQUE and PRIMARY KEY constraints make indexes SQLite names
         * itself ("sqlite_autoindex_<table>_1"): the table's prefix counts. */
        if (strncmp(a1, "sqlite_autoindex_", 17) == 0)
            return has_prefix(a1 + 17, p->name) && has_prefix(a2, p->name) ? SQLITE_OK : SQLITE_DENY;
        return has_prefix(a1, p->name) && has_prefix(a2, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_DROP_TRIGGER:
        return has_prefix(a1, p->name) && has_prefix(a2, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_REINDEX: /* a new index is filled by a reindex of it */
        return a1 && has_prefix(a1, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_ALTER_TABLE:
        return has_prefix(a2, p->name) ? SQLITE_OK : SQLITE_DENY;
    default: /* transactions, savepoints, pragmas, attach: the host's */
        return SQLITE_DENY;
    }
}

/* ---- logging ------------------------------------------------------------ */

static void plugin_log(cd_host *h, int level, const char *fmt, ...)
{
    char msg[1800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (level < CD_LOG_ERROR)
        level = CD_LOG_ERROR;
    if (level > CD_LOG_DEBUG)
        level = CD_LOG_DEBUG;
    cn_log((cn_log_level)level, "[%s] %s", h->name, msg);
}

/* ---- configuration ------------------------------------------------------ */

static const char *plugin_config(cd_host *h, const char *region, const char *key)
{
    const cn_config *cfg = h->host->cfg;
    if (region) {
        char section[256];
        snprintf(section, sizeof section, "%s.%s", h->section, region);
        const char *v = cn_config_setting(cfg, section, key);
        if (v)
            return v;
    }
    return cn_config_setting(cfg, h->section, key);
}

static int region_enabled(cd_host *h, const char *region)
{
    const char *list = cn_config_setting(h->host->cfg, h->section, "regions");
    if (!list || !*list || strcmp(list, "*") == 0)
        return 1;
    size_t n = strlen(region);
    for (const char *p = list; (p = strstr(p, region)) != NULL; p += n) {
        bool start = p == list || p[-1] == ',' || p[-1] == ' ';
        bool end = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
        if (start && end)
            return 1;
    }
    return 0;
}

/* ---- ops ---------------------------------------------------------------- */

static int op_trampoline(cn_req *req)
{
    plugin_op *po = (plugin_op *)req->op->data;
    cd_host *p = po->plugin;
    cn_host *host = p->host;
    /* A command naming a region the plugin is not enabled for is refused here,
     * so no plugin has to remember to check. */
    const char *region = NULL;
    if (cn_mp_get(req->args, "region") && cn_region_arg(req, "region", CN_OPTIONAL, &region) < 0)
        return -1;
    if (region && !region_enabled(p, region))
        return cn_req_fail(req, "forbidden", "region",
                           L("le greffon %s n'est pas activé pour la région %s ([plugin.%s] regions)",
                             "plugin %s is not enabled for region %s ([plugin.%s] regions)"),
                           p->name, region, p->name);
    cd_host *outer = host->current;
    cn_req *outer_req = host->current_req;
    host->current = p;
    host->current_req = req;
    int rc = po->fn((cd_req *)req, po->data);
    host->current = outer;
    host->current_req = outer_req;
    if (rc == 0 && !req->err_code)
        return 0;
    if (!req->err_code || strcmp(req->err_code, "internal") == 0) {
        p->op_errors++;
        cn_error("[%s] %s a échoué%s%s", p->name, po->name, req->err_code ? ": " : " sans dire pourquoi",
                 req->err_code ? req->err_msg : "");
        if (!req->err_code)
            cn_req_fail(req, "internal", NULL,
                        L("le greffon %s a échoué en traitant %s; rien n'a été modifié (voir le journal du démon)",
                          "plugin %s failed handling %s; nothing was changed (see the daemon's log)"),
                        p->name, po->name);
    }
    return -1;
}

static void free_op(plugin_op *po)
{
    if (!po)
        return;
    free(po->name);
    for (size_t i = 0; po->args && po->args[i]; i++)
        free(po->args[i]);
    free(po->args);
    free(po->help_fr);
    free(po->help_en);
    free(po);
}

static int register_op(cd_host *h, const cd_op_spec *spec)
{
    if (!h->initialising) {
        plugin_log(h, CD_LOG_ERROR, "register_op: seulement pendant init");
        return -1;
    }
    size_t n = strlen(h->name);
    if (!spec || !spec->name || !spec->fn || strncmp(spec->name, h->name, n) != 0 || spec->name[n] != '.' ||
        !spec->name[n + 1]) {
        plugin_log(h, CD_LOG_ERROR, "register_op: le nom doit être « %s.<verbe> » (reçu %s)", h->name,
                   spec && spec->name ? spec->name : "NULL");
        return -1;
    }
    plugin_op *po = calloc(1, sizeof *po);
    plugin_op **ops = po ? realloc(h->ops, (h->nops + 1) * sizeof *ops) : NULL;
    if (!ops) {
        free(po);
        return -1;
    }
    h->ops = ops;
    po->plugin = h;
    po->fn = spec->fn;
    po->data = spec->data;
    po->name = strdup(spec->name);
    po->help_fr = strdup(spec->help_fr ? spec->help_fr : "");
    po->help_en = strdup(spec->help_en ? spec->help_en : (spec->help_fr ? spec->help_fr : ""));
    size_t na = 0;
    while (spec->args && spec->args[na])
        na++;
    po->args = spec->args ? calloc(na + 1, sizeof *po->args) : NULL;
    bool ok = po->name && po->help_fr && po->help_en && (!spec->args || po->args);
    for (size_t i = 0; ok && i < na; i++)
        ok = (po->args[i] = strdup(spec->args[i])) != NULL;
    if (!ok) {
        free_op(po);
        return -1;
    }
    po->op = (cn_op){po->name, op_trampoline, (const char *const *)po->args, po->help_fr, po->help_en, po};
    if (cn_core_register(h->host->core, &po->op, 1) != 0) {
        plugin_log(h, CD_LOG_ERROR, "register_op: %s existe déjà", spec->name);
        free_op(po);
        return -1;
    }
    h->ops[h->nops++] = po;
    return 0;
}

/* ---- own tables ---------------------------------------------------------- */

static sqlite3 *plugin_db(cd_host *h) { return cn_core_db(h->host->core); }

static int migrate(cd_host *h, const char *const *migrations, size_t count)
{
    if (!h->initialising) {
        plugin_log(h, CD_LOG_ERROR, "migrate: seulement pendant init");
        return -1;
    }
    sqlite3 *db = plugin_db(h);
    AS_HOST(h);
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(db, "SELECT schema_version FROM plugin_state WHERE plugin = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    if ((size_t)version > count) {
        AS_PLUGIN_AGAIN(h);
        plugin_log(h, CD_LOG_ERROR, "la base est au schéma %d du greffon, plus récent que celui-ci (%zu)", version,
                   count);
        return -1;
    }
    int rc = 0;
    for (size_t v = (size_t)version; v < count && rc == 0; v++) {
        char *msg = NULL;
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
        if (rc == SQLITE_OK) {
            h->host->current = h; /* the plugin's SQL, under its rights */
            rc = sqlite3_exec(db, migrations[v], NULL, NULL, &msg);
            h->host->current = NULL;
        }
        if (rc == SQLITE_OK && sqlite3_prepare_v2(db,
                                                  "INSERT INTO plugin_state(plugin, schema_version) VALUES (?1, ?2)"
                                                  " ON CONFLICT(plugin) DO UPDATE SET schema_version = ?2",
                                                  -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, (int)v + 1);
            rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
            sqlite3_finalize(st);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            cn_error("[%s] migration %zu de son schéma refusée: %s%s", h->name, v + 1,
                     msg ? msg : sqlite3_errmsg(db),
                     rc == SQLITE_AUTH ? " (un greffon ne crée que des tables nommées « <greffon>_… »)" : "");
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        } else if (v + 1 == count) {
            cn_info("[%s] schéma du greffon à la version %zu", h->name, count);
        }
    }
    AS_PLUGIN_AGAIN(h);
    return rc == SQLITE_OK ? 0 : -1;
}

/* ---- events ------------------------------------------------------------- */

static int add_subscription(cd_host *h, const char *pattern, cd_event_fn fn, void *data, bool peers_only)
{
    if (!h->initialising || !pattern || !fn) {
        plugin_log(h, CD_LOG_ERROR, "subscribe: pendant init, avec un motif et une fonction");
        return -1;
    }
    subscription *subs = realloc(h->subs, (h->nsubs + 1) * sizeof *subs);
    if (!subs)
        return -1;
    h->subs = subs;
    if (!(subs[h->nsubs].pattern = strdup(pattern)))
        return -1;
    subs[h->nsubs].fn = fn;
    subs[h->nsubs].data = data;
    subs[h->nsubs].peers_only = peers_only;
    h->nsubs++;
    h->host->subscribers++;
    return 0;
}

static int subscribe(cd_host *h, const char *pattern, cd_event_fn fn, void *data)
{
    return add_subscription(h, pattern, fn, data, false);
}

static int subscribe_peers(cd_host *h, const char *pattern, cd_event_fn fn, void *data)
{
    return add_subscription(h, pattern, fn, data, true);
}

static int emit(cd_host *h, const char *region, const char *type, const void *data, size_t len)
{
    cn_core *core = h->host->core;
    if (!cn_core_in_batch(core)) {
        plugin_log(h, CD_LOG_ERROR, "emit %s: hors d'une transaction (seulement depuis une commande, un événement, "
                                    "une minuterie ou la fin d'un travail)", type ? type : "?");
        return -1;
    }
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    bool map = region && type && data && msgpack_unpack_next(&up, data, len, &off) == MSGPACK_UNPACK_SUCCESS &&
               off == len && up.data.type == MSGPACK_OBJECT_MAP;
    msgpack_unpacked_destroy(&up);
    if (!map || strchr(type, '/') || !cn_utf8_valid(type, strlen(type))) {
        plugin_log(h, CD_LOG_ERROR, "emit: région, type et données (une map msgpack) attendus");
        return -1;
    }
    AS_HOST(h);
    sqlite3_stmt *st;
    bool known = false;
    if (sqlite3_prepare_v2(cn_core_db(core), "SELECT 1 FROM regions WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        known = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    char owner[64];
    if (known && cn_core_region_owner(core, region, owner, sizeof owner) == CN_REGION_COPY) {
        /* A copy of a peer's region is read-only, for plugins too. */
        AS_PLUGIN_AGAIN(h);
        if (h->host->current_req)
            cn_req_fail_copy(h->host->current_req, region, owner);
        else
            plugin_log(h, CD_LOG_WARN, "emit %s/%s : la région appartient au nœud %s (copie en lecture seule)", region,
                       type, owner);
        return -1;
    }
    int rc = known ? cn_evlog_append(cn_core_evlog(core), region, type, data, len) : SQLITE_NOTFOUND;
    AS_PLUGIN_AGAIN(h);
    if (rc != SQLITE_OK) {
        plugin_log(h, CD_LOG_ERROR, "emit %s/%s: %s", region, type, known ? sqlite3_errstr(rc) : "région inconnue");
        return -1;
    }
    return 0;
}

/* ---- calling ops -------------------------------------------------------- */

static int call(cd_host *h, const char *op, const void *args, size_t len, msgpack_sbuffer *out, char *err,
                size_t errcap)
{
    cn_core *core = h->host->core;
    if (!cn_core_in_batch(core)) {
        snprintf(err, errcap, "unavailable: call hors d'une transaction");
        return -1;
    }
    msgpack_sbuffer req;
    msgpack_sbuffer_init(&req);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &req, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kstr(&pk, "op", op);
    cn_pk_kstr(&pk, "lang", cn_lang_get() == CN_LANG_EN ? "en" : "fr");
    cn_pk_str(&pk, "args");
    if (args && len)
        cn_pk_raw(&pk, args, len);
    else
        msgpack_pack_map(&pk, 0);
    cn_reply reply;
    AS_HOST(h);
    cn_core_handle(core, req.data, req.size, &reply);
    AS_PLUGIN_AGAIN(h);
    msgpack_sbuffer_destroy(&req);

    int rc = -1;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    if (msgpack_unpack_next(&up, reply.buf.data, reply.buf.size, NULL) == MSGPACK_UNPACK_SUCCESS) {
        if (reply.ok) {
            const msgpack_object *result = cn_mp_get(&up.data, "result");
            msgpack_packer opk;
            msgpack_packer_init(&opk, out, msgpack_sbuffer_write);
            msgpack_pack_object(&opk, *result);
            rc = 0;
        } else {
            const msgpack_object *e = cn_mp_get(&up.data, "error");
            const msgpack_object *code = cn_mp_get(e, "code"), *msg = cn_mp_get(e, "message");
            snprintf(err, errcap, "%.*s: %.*s", code ? (int)code->via.str.size : 0, code ? code->via.str.ptr : "",
                     msg ? (int)msg->via.str.size : 0, msg ? msg->via.str.ptr : "");
        }
    }
    msgpack_unpacked_destroy(&up);
    cn_reply_destroy(&reply);
    return rc;
}

/* ---- requests ----------------------------------------------------------- */

static const msgpack_object *req_args(cd_req *req) { return ((cn_req *)req)->args; }
static msgpack_packer *req_result(cd_req *req) { return cn_req_pk((cn_req *)req); }
static const char *req_lang(cd_req *req)
{
    (void)req;
    return cn_lang_get() == CN_LANG_EN ? "en" : "fr";
}

static int req_fail(cd_req *req, const char *code, const char *field, const char *fmt, ...)
{
    static const char *const codes[] = {"bad_request", "invalid_argument", "not_found", "conflict",
                                        "forbidden",   "unavailable",      "internal"};
    const char *known = "internal";
    for (size_t i = 0; code && i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i]) == 0)
            known = codes[i];
    va_list ap;
    va_start(ap, fmt);
    cn_req_failv((cn_req *)req, known, field, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- transactions for callbacks outside commands ------------------------- */

typedef struct {
    cd_host *plugin;
    int (*fn)(cd_host *h, void *arg);
    void *arg;
} plugin_call;

static int run_as_plugin(void *data)
{
    plugin_call *c = data;
    cn_host *host = c->plugin->host;
    cd_host *outer = host->current;
    host->current = c->plugin;
    int rc = c->fn(c->plugin, c->arg);
    host->current = outer;
    return rc;
}

/* Runs fn in a transaction of its own, commits, publishes, delivers. */
static int run_in_transaction(cd_host *p, int (*fn)(cd_host *h, void *arg), void *arg, const char *what)
{
    cn_host *host = p->host;
    if (cn_core_batch_begin(host->core) != 0)
        return -1;
    plugin_call c = {p, fn, arg};
    int rc = cn_core_in_savepoint(host->core, run_as_plugin, &c);
    if (rc != 0) {
        p->callback_errors++;
        cn_error("[%s] %s a échoué; ce qu'il avait écrit est annulé", p->name, what);
    }
    if (cn_core_batch_commit(host->core, host->pub) != 0)
        return -1;
    cn_host_deliver(host);
    return rc;
}

/* ---- timers ------------------------------------------------------------- */

static int timer_call(cd_host *h, void *arg)
{
    cd_timer *t = arg;
    return t->fn(h, t->data);
}

static void on_timer(uv_timer_t *handle)
{
    cd_timer *t = handle->data;
    if (t->plugin->status == P_RUNNING)
        run_in_transaction(t->plugin, timer_call, t, "une minuterie");
}

static void on_timer_closed(uv_handle_t *handle) { free(handle->data); }

static cd_timer *timer_start(cd_host *h, uint64_t after_ms, uint64_t repeat_ms, cd_timer_fn fn, void *data)
{
    cd_timer *t = calloc(1, sizeof *t);
    if (!t || !fn || uv_timer_init(h->host->loop, &t->handle) != 0) {
        free(t);
        return NULL;
    }
    t->handle.data = t;
    t->plugin = h;
    t->fn = fn;
    t->data = data;
    uv_timer_start(&t->handle, on_timer, after_ms, repeat_ms);
    t->next = h->timers;
    h->timers = t;
    return t;
}

static void timer_stop(cd_timer *t)
{
    if (!t || t->stopped)
        return;
    t->stopped = true;
    for (cd_timer **pp = &t->plugin->timers; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    uv_timer_stop(&t->handle);
    uv_close((uv_handle_t *)&t->handle, on_timer_closed);
}

/* ---- descriptors ----------------------------------------------------------- */

static int watch_call(cd_host *h, void *arg)
{
    cd_watch *w = arg;
    return w->fn(h, w->fd, w->ready, w->data);
}

static void on_poll(uv_poll_t *handle, int status, int events)
{
    cd_watch *w = handle->data;
    if (w->stopped || w->plugin->status != P_RUNNING)
        return;
    w->ready = status < 0 ? CD_WATCH_ERROR
                          : ((events & UV_READABLE) ? CD_WATCH_READ : 0) | ((events & UV_WRITABLE) ? CD_WATCH_WRITE : 0);
    run_in_transaction(w->plugin, watch_call, w, "une attente sur un descripteur");
}

static int poll_events(int events)
{
    return ((events & CD_WATCH_READ) ? UV_READABLE : 0) | ((events & CD_WATCH_WRITE) ? UV_WRITABLE : 0);
}

static void on_watch_closed(uv_handle_t *handle) { free(handle->data); }

static cd_watch *watch_start(cd_host *h, int fd, int events, cd_watch_fn fn, void *data)
{
    cd_watch *w = calloc(1, sizeof *w);
    if (!w || !fn || uv_poll_init_socket(h->host->loop, &w->handle, fd) != 0) {
        free(w);
        return NULL;
    }
    w->handle.data = w;
    w->plugin = h;
    w->fn = fn;
    w->data = data;
    w->fd = fd;
    w->next = h->watches;
    h->watches = w;
    if (poll_events(events) && uv_poll_start(&w->handle, poll_events(events), on_poll) != 0) {
        h->watches = w->next;
        uv_close((uv_handle_t *)&w->handle, on_watch_closed);
        return NULL;
    }
    return w;
}

static int watch_change(cd_watch *w, int events)
{
    if (!w || w->stopped)
        return -1;
    int rc = poll_events(events) ? uv_poll_start(&w->handle, poll_events(events), on_poll) : uv_poll_stop(&w->handle);
    return rc == 0 ? 0 : -1;
}

static void close_watch(cd_watch *w)
{
    for (cd_watch **pp = &w->plugin->watches; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    uv_poll_stop(&w->handle);
    uv_close((uv_handle_t *)&w->handle, on_watch_closed);
}

/* Once the plugin is stopping, a stopped watch stays allocated until its
 * fini has returned: fini may stop it again (libcurl's cleanup does). */
static void watch_stop(cd_watch *w)
{
    if (!w || w->stopped)
        return;
    w->stopped = true;
    if (w->plugin->status == P_STOPPED)
        uv_poll_stop(&w->handle);
    else
        close_watch(w);
}

/* ---- work off the loop -------------------------------------------------- */

static void on_work(uv_work_t *req)
{
    work_item *w = req->data;
    w->work(w->data);
}

static int done_call(cd_host *h, void *arg)
{
    work_item *w = arg;
    return w->done(h, w->data, 0);
}

static void finish(cd_host *p)
{
    if (p->finished)
        return;
    p->finished = true;
    if (p->entry && p->entry->fini) {
        cn_host *host = p->host;
        host->current = p;
        p->entry->fini(p->state);
        host->current = NULL;
    }
    while (p->watches)
        close_watch(p->watches);
}

static void on_work_done(uv_work_t *req, int status)
{
    work_item *w = req->data;
    cd_host *p = w->plugin;
    for (work_item **pp = &p->works; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    if (w->done) {
        if (p->status == P_RUNNING && status == 0) {
            run_in_transaction(p, done_call, w, "la fin d'un travail");
        } else if (!p->finished) {
            /* Cancelled, or finished while the daemon stops: the plugin is
             * told (-1), outside any transaction, and frees what it gave. */
            w->done(p, w->data, -1);
        }
    }
    free(w);
    /* A stopping plugin's fini waits for its last piece of work. */
    if (p->status == P_STOPPED && !p->works)
        finish(p);
}

static int queue_work(cd_host *h, cd_work_fn work, cd_done_fn done, void *data)
{
    work_item *w = work ? calloc(1, sizeof *w) : NULL;
    if (!w)
        return -1;
    w->req.data = w;
    w->plugin = h;
    w->work = work;
    w->done = done;
    w->data = data;
    if (uv_queue_work(h->host->loop, &w->req, on_work, on_work_done) != 0) {
        free(w);
        return -1;
    }
    w->next = h->works;
    h->works = w;
    return 0;
}

static int64_t now_ms(cd_host *h)
{
    (void)h;
    return cn_now_ms();
}

/* ---- delivery ----------------------------------------------------------- */

typedef struct {
    cd_host *plugin;
    const msgpack_object *event;
    const char *topic;
    bool foreign; /* a peer's event */
} delivery;

/* Whether one of p's subscriptions matches topic ("<region>/<type>"). */
static bool wants(const cd_host *p, const char *topic, bool foreign)
{
    for (size_t i = 0; i < p->nsubs; i++)
        if ((foreign || !p->subs[i].peers_only) && fnmatch(p->subs[i].pattern, topic, 0) == 0)
            return true;
    return false;
}

static int deliver_one(void *data)
{
    delivery *d = data;
    cd_host *p = d->plugin;
    cn_host *host = p->host;
    int rc = 0;
    for (size_t i = 0; i < p->nsubs && rc == 0; i++) {
        if ((p->subs[i].peers_only && !d->foreign) || fnmatch(p->subs[i].pattern, d->topic, 0) != 0)
            continue; /* each matching subscription gets the event */
        host->current = p;
        rc = p->subs[i].fn(p, d->event, p->subs[i].data);
        host->current = NULL;
    }
    return rc;
}

static int64_t cursor_of(cn_host *host, cd_host *p)
{
    sqlite3 *db = cn_core_db(host->core);
    sqlite3_stmt *st;
    int64_t seq = -1;
    if (sqlite3_prepare_v2(db, "SELECT cursor_seq FROM plugin_state WHERE plugin = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            seq = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return seq;
}

static int set_cursor(cn_host *host, cd_host *p, int64_t seq)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(cn_core_db(host->core),
                                "INSERT INTO plugin_state(plugin, cursor_seq) VALUES (?1, ?2)"
                                " ON CONFLICT(plugin) DO UPDATE SET cursor_seq = ?2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(cn_core_db(host->core));
    sqlite3_finalize(st);
    return rc;
}

/* Delivers up to DELIVER_BATCH events past p's cursor; returns how many
 * were looked at. The cursor is stored only in a transaction that delivered
 * something to p, so events p does not want cost no write (after a restart
 * they are looked at again and skipped again). */
static int deliver_to(cn_host *host, cd_host *p)
{
    const char *origin = cn_evlog_origin(cn_core_evlog(host->core));
    if (p->cursor < 0) {
        p->cursor = cursor_of(host, p);
        if (p->cursor < 0) {
            /* First start of this plugin here: it begins with what happens from now on. */
            p->cursor = cn_evlog_last_seq(cn_core_evlog(host->core));
            set_cursor(host, p, p->cursor);
            return 0;
        }
    }
    int64_t cursor = p->cursor;
    bool delivered = false;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cn_core_db(host->core),
                           "SELECT seq, ts_ms, region, type, data FROM events WHERE origin = ? AND seq > ?"
                           " ORDER BY seq LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, cursor);
    sqlite3_bind_int(st, 3, DELIVER_BATCH);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        const char *region = (const char *)sqlite3_column_text(st, 2);
        const char *type = (const char *)sqlite3_column_text(st, 3);
        char topic[256];
        snprintf(topic, sizeof topic, "%s/%s", region, type);
        if (wants(p, topic, false) && region_enabled(p, region)) {
            msgpack_sbuffer buf;
            msgpack_sbuffer_init(&buf);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
            cn_evlog_pack_event(&pk, seq, origin, sqlite3_column_int64(st, 1), region, type,
                                sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4));
            msgpack_unpacked up;
            msgpack_unpacked_init(&up);
            if (msgpack_unpack_next(&up, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS) {
                delivery d = {p, &up.data, topic, false};
                delivered = true;
                if (cn_core_in_savepoint(host->core, deliver_one, &d) != 0) {
                    p->event_errors++;
                    cn_error("[%s] l'événement %s (seq %lld) a fait échouer le greffon; ce qu'il avait écrit est "
                             "annulé et l'événement ne lui sera pas redonné",
                             p->name, topic, (long long)seq);
                } else {
                    p->events_delivered++;
                }
            }
            msgpack_unpacked_destroy(&up);
            msgpack_sbuffer_destroy(&buf);
        }
        cursor = seq;
        n++;
    }
    sqlite3_finalize(st);
    if (delivered && set_cursor(host, p, cursor) != SQLITE_OK)
        cn_error("[%s] position dans le journal non enregistrée: %s", p->name, sqlite3_errmsg(cn_core_db(host->core)));
    p->cursor = cursor;
    return n;
}

/* An event of another node (the federation stored it in the open batch):
 * every running plugin that subscribed to its topic gets it, each in its
 * own savepoint, in the same transaction, so it is delivered exactly when
 * it is stored. Plugins' cursors count this node's events only. */
static int deliver_foreign(void *data, const msgpack_object *event, const char *topic)
{
    cn_host *host = data;
    const msgpack_object *r = cn_mp_get(event, "region");
    char region[64] = "";
    if (r && r->type == MSGPACK_OBJECT_STR && r->via.str.size < sizeof region) {
        memcpy(region, r->via.str.ptr, r->via.str.size);
        region[r->via.str.size] = '\0';
    }
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->status != P_RUNNING || !p->nsubs || !wants(p, topic, true) || !region_enabled(p, region))
            continue;
        delivery d = {p, event, topic, true};
        if (cn_core_in_savepoint(host->core, deliver_one, &d) != 0) {
            p->event_errors++;
            cn_error("[%s] l'événement %s d'un pair a fait échouer le greffon; ce qu'il avait écrit est annulé",
                     p->name, topic);
        } else {
            p->events_delivered++;
        }
    }
    return 0;
}

/* Told of every committed event: a plugin that wants none of them only moves
 * its cursor in memory, so events it did not subscribe to cost it no query
 * and no transaction. */
static void observe(void *data, int64_t seq, const char *topic)
{
    cn_host *host = data;
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->status != P_RUNNING || !p->nsubs || p->pending)
            continue;
        if (p->cursor != seq - 1) {
            p->pending = true; /* not in step (first start, catch-up): read the log */
            continue;
        }
        if (wants(p, topic, false))
            p->pending = true;
        else
            p->cursor = seq;
    }
}

void cn_host_deliver(cn_host *host)
{
    if (!host || host->subscribers == 0 || host->delivering)
        return;
    bool any = false;
    for (size_t i = 0; i < host->n && !any; i++)
        any = host->plugins[i]->pending;
    if (!any)
        return;
    host->delivering = true; /* run_in_transaction inside a handler must not recurse */
    for (int round = 0; round < MAX_ROUNDS; round++) {
        if (cn_core_batch_begin(host->core) != 0)
            break;
        int n = 0;
        for (size_t i = 0; i < host->n; i++) {
            cd_host *p = host->plugins[i];
            if (p->status != P_RUNNING || !p->nsubs || !p->pending)
                continue;
            p->pending = false;
            int looked = deliver_to(host, p);
            if (looked == DELIVER_BATCH)
                p->pending = true; /* more to read */
            n += looked;
        }
        /* On a failed commit the stored cursors did not move: reload them, and
         * the delivery is tried again after the next commit. */
        if (cn_core_batch_commit(host->core, host->pub) != 0) {
            for (size_t i = 0; i < host->n; i++) {
                host->plugins[i]->cursor = -1;
                host->plugins[i]->pending = true;
            }
            break;
        }
        any = false;
        for (size_t i = 0; i < host->n && !any; i++)
            any = host->plugins[i]->pending;
        if (n == 0 || !any)
            break;
    }
    host->delivering = false;
}

/* ---- loading ------------------------------------------------------------ */

static void refuse(cd_host *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(cd_host *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
    p->status = P_REFUSED;
    cn_error("greffon %s refusé (%s): %s; le démon continue sans lui", p->name, p->file ? p->file : "?", p->reason);
}

static char *find_file(const cn_config *cfg, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s", cfg->plugin_path ? cfg->plugin_path : "");
    for (char *save = NULL, *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char file[8192];
        snprintf(file, sizeof file, "%s/%s.so", dir, name);
        if (access(file, R_OK) == 0)
            return strdup(file);
    }
    return NULL;
}

static void drop_subscriptions(cd_host *p);

static void load(cn_host *host, cd_host *p)
{
    snprintf(p->section, sizeof p->section, "plugin.%s", p->name);
    p->file = find_file(host->cfg, p->name);
    if (!p->file) {
        refuse(p, "aucun fichier %s.so dans le chemin des greffons ([plugins] path = %s)", p->name,
               host->cfg->plugin_path ? host->cfg->plugin_path : "(vide)");
        return;
    }
    p->dl = dlopen(p->file, RTLD_NOW | RTLD_LOCAL);
    if (!p->dl) {
        refuse(p, "chargement impossible: %s", dlerror());
        return;
    }
    p->entry = dlsym(p->dl, CD_PLUGIN_SYMBOL);
    if (!p->entry) {
        refuse(p, "le fichier n'exporte pas %s (est-ce un greffon concertd? voir CD_PLUGIN)", CD_PLUGIN_SYMBOL);
        return;
    }
    if (p->entry->abi != CD_PLUGIN_ABI) {
        refuse(p, "construit pour l'ABI %u, ce concertd offre l'ABI %d: recompilez-le avec ce concertd/plugin.h",
               p->entry->abi, CD_PLUGIN_ABI);
        return;
    }
    if (!p->entry->name || strcmp(p->entry->name, p->name) != 0) {
        refuse(p, "il se nomme « %s », pas « %s »", p->entry->name ? p->entry->name : "(sans nom)", p->name);
        return;
    }
    if (!p->entry->init) {
        refuse(p, "pas de fonction init");
        return;
    }
    p->version = p->entry->version ? p->entry->version : "?";
    p->initialising = true;
    host->current = p;
    int rc = p->entry->init(p, &api, &p->state);
    host->current = NULL;
    p->initialising = false;
    if (rc != 0) {
        refuse(p, "son init a échoué (voir les lignes [%s] ci-dessus)", p->name);
        drop_subscriptions(p);
        return;
    }
    p->status = P_RUNNING;
    cn_info("greffon %s %s chargé depuis %s: %zu opération(s), %zu abonnement(s)", p->name, p->version, p->file,
            p->nops, p->nsubs);
}

static void drop_subscriptions(cd_host *p)
{
    p->host->subscribers -= p->nsubs;
    for (size_t i = 0; i < p->nsubs; i++)
        free(p->subs[i].pattern);
    free(p->subs);
    p->subs = NULL;
    p->nsubs = 0;
}

static void pack_info(msgpack_packer *pk, void *data)
{
    cn_host *host = data;
    static const char *const words[] = {"refused", "running", "stopped"};
    msgpack_pack_array(pk, host->n);
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        msgpack_pack_map(pk, 10);
        cn_pk_kstr(pk, "name", p->name);
        cn_pk_kstr(pk, "version", p->version);
        cn_pk_kstr(pk, "file", p->file);
        cn_pk_kstr(pk, "state", words[p->status]);
        cn_pk_kstr(pk, "reason", p->reason[0] ? p->reason : NULL);
        cn_pk_str(pk, "ops");
        msgpack_pack_array(pk, p->status == P_RUNNING ? p->nops : 0);
        for (size_t k = 0; p->status == P_RUNNING && k < p->nops; k++)
            cn_pk_str(pk, p->ops[k]->name);
        cn_pk_kint(pk, "op_errors", p->op_errors);
        cn_pk_kint(pk, "event_errors", p->event_errors);
        cn_pk_kint(pk, "callback_errors", p->callback_errors);
        cn_pk_kint(pk, "events_delivered", p->events_delivered);
    }
}

/* An op of a plugin that is not running answers "unavailable". */
static int refused_op(cd_req *req, void *data)
{
    (void)data;
    return req_fail(req, "unavailable", NULL, "%s", L("ce greffon n'est pas en service; voir node.info",
                                                       "this plugin is not running; see node.info"));
}

cn_host *cn_host_new(cn_core *core, uv_loop_t *loop, const cn_config *cfg)
{
    cn_host *host = calloc(1, sizeof *host);
    if (!host)
        return NULL;
    host->core = core;
    host->loop = loop;
    host->cfg = cfg;
    host->plugins = calloc(cfg->nplugins ? cfg->nplugins : 1, sizeof *host->plugins);
    if (!host->plugins) {
        free(host);
        return NULL;
    }
    sqlite3_set_authorizer(cn_core_db(core), authorize, host);
    cn_core_set_info_hook(core, pack_info, host);
    cn_evlog_set_observer(cn_core_evlog(core), observe, host);
    cn_core_set_foreign_hook(core, deliver_foreign, host);
    for (size_t i = 0; i < cfg->nplugins; i++) {
        cd_host *p = calloc(1, sizeof *p);
        if (!p || !(p->name = strdup(cfg->plugins[i]))) {
            free(p);
            break;
        }
        p->host = host;
        p->cursor = -1;
        p->pending = true;
        host->plugins[host->n++] = p;
        load(host, p);
        /* Ops registered before a failed init stay listed but answer "unavailable". */
        for (size_t k = 0; p->status != P_RUNNING && k < p->nops; k++)
            p->ops[k]->fn = refused_op;
    }
    return host;
}

void cn_host_set_pub(cn_host *host, void *pub)
{
    if (host)
        host->pub = pub;
}

void cn_host_stop(cn_host *host)
{
    for (size_t i = 0; host && i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->status != P_RUNNING)
            continue;
        while (p->timers)
            timer_stop(p->timers);
        p->status = P_STOPPED;
        for (cd_watch *w = p->watches; w; w = w->next)
            watch_stop(w); /* closed after fini */
        /* Work not started is cancelled; work running finishes, and its
         * done() hears -1. fini comes after the last one. */
        for (work_item *w = p->works; w; w = w->next)
            uv_cancel((uv_req_t *)&w->req);
        if (!p->works)
            finish(p);
    }
}

void cn_host_destroy(cn_host **hostp)
{
    if (!hostp || !*hostp)
        return;
    cn_host *host = *hostp;
    cn_host_stop(host);
    sqlite3_set_authorizer(cn_core_db(host->core), NULL, NULL);
    cn_core_set_info_hook(host->core, NULL, NULL);
    cn_core_set_foreign_hook(host->core, NULL, NULL);
    cn_evlog_set_observer(cn_core_evlog(host->core), NULL, NULL);
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->status == P_STOPPED)
            finish(p); /* in case work outlived the loop (it cannot when the loop ran to its end) */
        for (size_t k = 0; k < p->nops; k++) {
            cn_core_unregister(host->core, &p->ops[k]->op);
            free_op(p->ops[k]);
        }
        free(p->ops);
        for (size_t k = 0; k < p->nsubs; k++)
            free(p->subs[k].pattern);
        free(p->subs);
        /* The library stays mapped: the process is ending, and unloading
         * it would make the process-wide caches of the libraries it uses
         * (ICU behind libical…) look lost to leak checkers. */
        p->dl = NULL;
        free(p->name);
        free(p->file);
        free(p);
    }
    free(host->plugins);
    free(host);
    *hostp = NULL;
}

static const char *region_origin(cd_host *h, const char *region)
{
    AS_HOST(h);
    int held = region ? cn_core_region_owner(h->host->core, region, h->origin, sizeof h->origin) : CN_REGION_UNKNOWN;
    AS_PLUGIN_AGAIN(h);
    return held == CN_REGION_COPY ? h->origin : NULL;
}

static const cd_host_api api = {
    .abi = CD_PLUGIN_ABI,
    .size = sizeof(cd_host_api),
    .log = plugin_log,
    .config = plugin_config,
    .region_enabled = region_enabled,
    .register_op = register_op,
    .migrate = migrate,
    .db = plugin_db,
    .subscribe = subscribe,
    .emit = emit,
    .call = call,
    .req_args = req_args,
    .req_result = req_result,
    .req_fail = req_fail,
    .req_lang = req_lang,
    .timer_start = timer_start,
    .timer_stop = timer_stop,
    .queue_work = queue_work,
    .now_ms = now_ms,
    .watch_start = watch_start,
    .watch_change = watch_change,
    .watch_stop = watch_stop,
    .region_origin = region_origin,
    .subscribe_peers = subscribe_peers,
};
