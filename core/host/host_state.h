/* host_state.h: what the plugin host's files share: each plugin's state
 * (cd_host: its entry, ops, subscriptions, timers, watches, work, cursor)
 * and the host's (cn_host). plugin_env.c answers a plugin about itself,
 * authorizer.c keeps it to its own tables, plugin_ops.c registers and runs
 * its ops, events.c delivers the log's events, callbacks.c runs its
 * timers, watches and work in transactions, plugin_host.c loads it and
 * hands it the API. Private to them. */
#ifndef CN_HOST_STATE_H
#define CN_HOST_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include <concertd/plugin.h>

#include "core.h"
#include "plugin_host.h"


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
    cd_param *params; /* declared arguments (plugin_params.c), nparams of them */
    size_t nparams;
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
    /* In the delivery round under way (events.c): not served yet; in the
     * group being read; handed an event by that read (its cursor stored). */
    bool waiting, reading, handed;
    int64_t op_errors, event_errors, callback_errors, events_delivered;
    char origin[64]; /* region_origin's answer */
    cd_status_fn status_fn; /* its figures for node.status (set_status) */
    void *status_data;
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
    bool storage_failed; /* a delivery hit a failing disk: its batch is rolled back */
    cn_req *current_req; /* the command a plugin op is handling, for emit's refusals */
    bool collecting;     /* inside a callback's transaction: after_commit may be asked */
    struct commit_wait *waiting; /* after_commit's, told when the transaction ends */
    bool checking;       /* concertd --check-config: no core, no loop, nothing created */
};


/* ---- which plugin's code is running ------------------------------------- */

/* Host code run on a plugin's behalf switches the authorizer off, and back. */
#define AS_HOST(h)                                                                                               \
    cd_host *const saved_current_ = (h)->host->current;                                                         \
    (h)->host->current = NULL
#define AS_PLUGIN_AGAIN(h) (h)->host->current = saved_current_

/* ---- plugin_env.c: the plugin about itself ------------------------------ */
void host_plugin_log(cd_host *h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *host_plugin_config(cd_host *h, const char *region, const char *key);
/* 1 when the plugin serves region ([plugin.NAME.REGION] enabled), else 0. */
int host_region_enabled(cd_host *h, const char *region);
const char *host_region_origin(cd_host *h, const char *region);
int64_t host_now_ms(cd_host *h);
/* name is one of a comma-separated list. */
bool host_listed(const char *list, const char *name);
int host_plugin_folder(cd_host *h, const char *key, const char *default_name, char *out, size_t cap);
int host_set_status(cd_host *h, cd_status_fn fn, void *data);
/* The plugin as the actor ("plugin:NAME") of what its callback or event
 * handler writes; pop gives back the actor it replaced (saved). */
void host_actor_push(cd_host *p, char saved[129]);
void host_actor_pop(cd_host *p, const char saved[129]);

/* ---- authorizer.c: its own tables --------------------------------------- */
int host_authorize(void *data, int action, const char *a1, const char *a2, const char *db, const char *trigger);
sqlite3 *host_plugin_db(cd_host *h);
int host_migrate(cd_host *h, const char *const *migrations, size_t count);

/* ---- plugin_ops.c: its ops and its calls -------------------------------- */
int host_register_op(cd_host *h, const cd_op_spec *spec);
bool host_op_undoes(void *data, const cn_op *op, const char *type); /* the core's undoes hook */
void host_free_op(plugin_op *po);
/* node.info's description of a plugin op's arguments (cn_describe_fn). */
bool host_describe_op(void *data, const cn_op *op, struct msgpack_packer *pk);

/* ---- plugin_params.c: its ops' declared arguments ----------------------- */
/* A copy of src (ended by a NULL name) and its count, or NULL with why
 * (the declaration makes no sense, or memory). */
cd_param *host_params_copy(const cd_param *src, size_t *count, char *why, size_t cap);
void host_params_free(cd_param *params, size_t n);
/* 0 when req's args are what params declare, else -1 (the request failed, naming the argument). */
int host_params_check(cn_req *req, const cd_param *params, size_t n);
/* After the check: each enumerated value as its value, however a person
 * typed it ("en cours" → in_progress), in a copy of req's args. 0 or -1. */
int host_params_canonical(cn_req *req, const cd_param *params, size_t n);
/* The declarations as node.info shows them: [{name, type, required, help, max?, min?, item?, item_max?, text_max?, values?}]. */
void host_params_pack(struct msgpack_packer *pk, const cd_param *params, size_t n);
/* An op of a plugin that is not running answers "unavailable". */
int host_refused_op(cd_req *req, void *data);
int host_call(cd_host *h, const char *op, const void *args, size_t len, msgpack_sbuffer *out, char *err,
              size_t errcap);
int host_call_as(cd_host *h, const char *actor, const char *op, const void *args, size_t len, msgpack_sbuffer *out,
                 char *err, size_t errcap);
const msgpack_object *host_req_args(cd_req *req);
msgpack_packer *host_req_result(cd_req *req);
const char *host_req_lang(cd_req *req);
int host_req_fail(cd_req *req, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- events.c: events in and out ---------------------------------------- */
int host_subscribe(cd_host *h, const char *pattern, cd_event_fn fn, void *data);
int host_subscribe_peers(cd_host *h, const char *pattern, cd_event_fn fn, void *data);
void host_drop_subscriptions(cd_host *p);
int host_emit(cd_host *h, const char *region, const char *type, const void *data, size_t len);
/* Told of every committed event (the event log's observer). */
void host_observe(void *data, int64_t seq, const char *topic);
/* An event of another node, stored in the open batch (the core's foreign hook). */
int host_deliver_foreign(void *data, const msgpack_object *event, const char *topic);
bool host_wants_foreign(void *data, const char *topic);
/* The event log's keeper (node.compact): this node's events a running
 * plugin has yet to look at stay. */
int64_t host_log_keeper(void *data, const char *origin, char *who, size_t whocap);

/* ---- callbacks.c: timers, watches, work --------------------------------- */
cd_timer *host_timer_start(cd_host *h, uint64_t after_ms, uint64_t repeat_ms, cd_timer_fn fn, void *data);
void host_timer_stop(cd_timer *t);
cd_watch *host_watch_start(cd_host *h, int fd, int events, cd_watch_fn fn, void *data);
int host_watch_change(cd_watch *w, int events);
void host_watch_stop(cd_watch *w);
int host_queue_work(cd_host *h, cd_work_fn work, cd_done_fn done, void *data);
int host_after_commit(cd_host *h, cd_commit_fn fn, void *data);
/* Calls the plugin's fini once its last work is done (and its watches are
 * closed); safe to call again. */
void host_finish(cd_host *p);

#endif
