/* progress: how far each plan d'action has come.
 *
 * Keeps, for every plan, how many of its actions are done (cancelled ones
 * do not count), from the action events; answers `progress.get` with the
 * counts by status; and emits `progress.milestone` the first time a plan
 * crosses each threshold of [plugin.progress] milestones (default 25, 50,
 * 75, 100 per cent; a region may set its own in [plugin.progress.REGION]).
 *
 * It is also the SDK's worked example: it uses only concertd/plugin.h, reads
 * the plan model through api->call (the documented ops), owns one table,
 * subscribes to events and emits its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <concertd/plugin.h>

static const cd_host_api *api;

static const char *const migrations[] = {
    "CREATE TABLE progress_plans("
    "  plan INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL,"
    "  actions INTEGER NOT NULL,"       /* actions that count: all but cancelled */
    "  done INTEGER NOT NULL,"
    "  last_milestone INTEGER NOT NULL DEFAULT 0,"
    "  updated_ms INTEGER NOT NULL)",
};

/* ---- counting ------------------------------------------------------------- */

static const char *const statuses[] = {"planned", "in_progress", "done", "ongoing", "postponed", "cancelled"};
#define NSTATUS 6

typedef struct {
    int64_t by_status[NSTATUS];
    int64_t actions, done;
} counts;

/* Counts the plan's actions by status, through the action.list op. */
static int count_plan(cd_host *h, int64_t plan, counts *c, char *err, size_t errcap)
{
    msgpack_sbuffer args, out;
    msgpack_sbuffer_init(&args);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "plan", 4);
    msgpack_pack_int64(&pk, plan);
    int rc = api->call(h, "action.list", args.data, args.size, &out, err, errcap);
    memset(c, 0, sizeof *c);
    if (rc == 0) {
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        if (msgpack_unpack_next(&up, out.data, out.size, NULL) == MSGPACK_UNPACK_SUCCESS &&
            up.data.type == MSGPACK_OBJECT_ARRAY) {
            for (uint32_t i = 0; i < up.data.via.array.size; i++) {
                char status[32];
                cd_str(cd_get(&up.data.via.array.ptr[i], "status"), status, sizeof status);
                for (int s = 0; s < NSTATUS; s++)
                    if (strcmp(status, statuses[s]) == 0)
                        c->by_status[s]++;
            }
        }
        msgpack_unpacked_destroy(&up);
        c->done = c->by_status[2];
        for (int s = 0; s < NSTATUS; s++)
            if (s != 5)
                c->actions += c->by_status[s];
    }
    msgpack_sbuffer_destroy(&args);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

static int percent(const counts *c) { return c->actions ? (int)(c->done * 100 / c->actions) : 0; }

/* The highest milestone of region's list that pct reaches; 0 if none. */
static int milestone_reached(cd_host *h, const char *region, int pct)
{
    const char *list = api->config(h, region, "milestones");
    if (!list)
        list = "25, 50, 75, 100";
    int best = 0;
    for (const char *p = list; *p;) {
        char *end;
        long m = strtol(p, &end, 10);
        if (end == p) {
            p++;
            continue;
        }
        if (m > 0 && m <= 100 && pct >= m && m > best)
            best = (int)m;
        p = end;
    }
    return best;
}

/* ---- the event handler ---------------------------------------------------- */

/* Plans whose actions changed since their last count. Counting runs once
 * per plan after a burst of events (an import of a thousand actions is a
 * thousand action.created): counting at each event was quadratic and held
 * the loop for half a minute (adversary F1b). */
typedef struct {
    int64_t plan;
    char region[64];
} dirty_plan;
static dirty_plan *dirty;
static size_t ndirty, capdirty;
static cd_timer *recount_timer;

static int recount_plan(cd_host *h, int64_t plan, const char *region);

static int recount_dirty(cd_host *h, void *data)
{
    (void)data;
    api->timer_stop(recount_timer); /* one shot: started again by the next event */
    recount_timer = NULL;
    int rc = 0;
    for (size_t i = 0; i < ndirty && rc == 0; i++)
        rc = recount_plan(h, dirty[i].plan, dirty[i].region);
    ndirty = 0;
    return rc;
}

static int on_action_event(cd_host *h, const msgpack_object *event, void *data)
{
    (void)data;
    char region[64];
    cd_str(cd_get(event, "region"), region, sizeof region);
    if (api->region_origin(h, region))
        return 0; /* a peer's region: its own node counts its milestones */
    const msgpack_object *d = cd_get(event, "data");
    /* action.status_changed carries {action: {...}}; the others the entity itself. */
    const msgpack_object *subject = cd_get(d, "action");
    int64_t plan = cd_int(cd_get(subject ? subject : d, "plan"), 0);
    if (!plan)
        return 0;
    for (size_t i = 0; i < ndirty; i++)
        if (dirty[i].plan == plan)
            return 0;
    if (ndirty == capdirty) {
        size_t cap = capdirty ? capdirty * 2 : 16;
        dirty_plan *more = realloc(dirty, cap * sizeof *more);
        if (!more)
            return -1;
        dirty = more;
        capdirty = cap;
    }
    dirty[ndirty].plan = plan;
    snprintf(dirty[ndirty++].region, sizeof dirty->region, "%s", region);
    if (!recount_timer && !(recount_timer = api->timer_start(h, 0, 0, recount_dirty, NULL)))
        return -1;
    return 0;
}

/* Counts one plan again; emits progress.milestone when it crossed one. */
static int recount_plan(cd_host *h, int64_t plan, const char *region)
{
    counts c;
    char err[512];
    if (count_plan(h, plan, &c, err, sizeof err) != 0) {
        if (strncmp(err, "not_found", 9) == 0)
            return 0; /* the plan is gone; nothing to keep */
        api->log(h, CD_LOG_ERROR, "plan %lld: %s", (long long)plan, err);
        return -1;
    }
    sqlite3 *db = api->db(h);
    sqlite3_stmt *st;
    int last = 0;
    if (sqlite3_prepare_v2(db, "SELECT last_milestone FROM progress_plans WHERE plan = ?", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    if (sqlite3_step(st) == SQLITE_ROW)
        last = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);

    int pct = percent(&c), reached = milestone_reached(h, region, pct);
    int keep = reached > last ? reached : last;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO progress_plans(plan, region, actions, done, last_milestone, updated_ms)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(plan) DO UPDATE SET actions = ?3,"
                           " done = ?4, last_milestone = ?5, updated_ms = ?6",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, c.actions);
    sqlite3_bind_int64(st, 4, c.done);
    sqlite3_bind_int(st, 5, keep);
    sqlite3_bind_int64(st, 6, api->now_ms(h));
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0 || reached <= last)
        return rc;

    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    msgpack_pack_str_with_body(&pk, "plan", 4);
    msgpack_pack_int64(&pk, plan);
    msgpack_pack_str_with_body(&pk, "milestone", 9);
    msgpack_pack_int(&pk, reached);
    msgpack_pack_str_with_body(&pk, "percent", 7);
    msgpack_pack_int(&pk, pct);
    msgpack_pack_str_with_body(&pk, "done", 4);
    msgpack_pack_int64(&pk, c.done);
    msgpack_pack_str_with_body(&pk, "actions", 7);
    msgpack_pack_int64(&pk, c.actions);
    rc = api->emit(h, region, "progress.milestone", buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    if (rc == 0)
        api->log(h, CD_LOG_INFO, "plan %lld de %s: %d %% des actions réalisées (jalon %d %%)", (long long)plan, region,
                 pct, reached);
    return rc;
}

/* ---- progress.get --------------------------------------------------------- */

static int progress_get(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    /* plan.get resolves region or plan exactly as every op does. */
    msgpack_sbuffer in, out;
    msgpack_sbuffer_init(&in);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &in, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, *args);
    char err[512];
    int rc = api->call(h, "plan.get", in.data, in.size, &out, err, sizeof err);
    msgpack_sbuffer_destroy(&in);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&out);
        char *colon = strchr(err, ':');
        if (colon)
            *colon = '\0';
        return api->req_fail(req, err, NULL, "%s", colon ? colon + 2 : err);
    }
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    msgpack_unpack_next(&up, out.data, out.size, NULL);
    int64_t plan = cd_int(cd_get(&up.data, "id"), 0);
    char region[64], title[256];
    cd_str(cd_get(&up.data, "region"), region, sizeof region);
    cd_str(cd_get(&up.data, "title"), title, sizeof title);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&out);

    /* A plan changed since its last count is counted now, so the answer
     * never lags behind what the caller just did. */
    for (size_t i = 0; i < ndirty; i++)
        if (dirty[i].plan == plan) {
            dirty[i] = dirty[--ndirty];
            if (recount_plan(h, plan, region) != 0)
                return api->req_fail(req, "internal", NULL, "plan %lld: comptage impossible", (long long)plan);
            break;
        }
    counts c;
    if (count_plan(h, plan, &c, err, sizeof err) != 0)
        return api->req_fail(req, "internal", NULL, "%s", err);
    int last = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "SELECT last_milestone FROM progress_plans WHERE plan = ?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(st, 1, plan);
        if (sqlite3_step(st) == SQLITE_ROW)
            last = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    msgpack_packer *r = api->req_result(req);
    msgpack_pack_map(r, 8);
    msgpack_pack_str_with_body(r, "plan", 4);
    msgpack_pack_int64(r, plan);
    msgpack_pack_str_with_body(r, "region", 6);
    msgpack_pack_str_with_body(r, region, strlen(region));
    msgpack_pack_str_with_body(r, "title", 5);
    msgpack_pack_str_with_body(r, title, strlen(title));
    msgpack_pack_str_with_body(r, "actions", 7);
    msgpack_pack_int64(r, c.actions);
    msgpack_pack_str_with_body(r, "done", 4);
    msgpack_pack_int64(r, c.done);
    msgpack_pack_str_with_body(r, "percent", 7);
    msgpack_pack_int(r, percent(&c));
    msgpack_pack_str_with_body(r, "last_milestone", 14);
    msgpack_pack_int(r, last);
    msgpack_pack_str_with_body(r, "by_status", 9);
    msgpack_pack_map(r, NSTATUS);
    for (int s = 0; s < NSTATUS; s++) {
        msgpack_pack_str_with_body(r, statuses[s], strlen(statuses[s]));
        msgpack_pack_int64(r, c.by_status[s]);
    }
    return 0;
}

/* ---- entry ---------------------------------------------------------------- */

static int init(cd_host *h, const cd_host_api *host_api, void **state)
{
    (void)state;
    if (host_api->size < sizeof *host_api) {
        host_api->log(h, CD_LOG_ERROR, "hôte trop ancien");
        return -1;
    }
    api = host_api;
    static const cd_param get_args[] = {
        {"region", CD_REGION, .help_fr = "la région (son plan actif)", .help_en = "the region (its active plan)"},
        {"plan", CD_INT, .min = 1, .max = INT64_MAX, .help_fr = "ou le numéro du plan", .help_en = "or the plan's number"},
        CD_END};
    const cd_op_spec get = {"progress.get", progress_get, h, get_args,
                            "avancement d'un plan: actions par état, part réalisée, dernier jalon",
                            "a plan's progress: actions by status, share done, last milestone"};
    if (api->migrate(h, migrations, sizeof migrations / sizeof migrations[0]) != 0 || api->register_op(h, &get) != 0 ||
        api->subscribe(h, "*/action.created", on_action_event, NULL) != 0 ||
        api->subscribe(h, "*/action.deleted", on_action_event, NULL) != 0 ||
        api->subscribe(h, "*/action.status_changed", on_action_event, NULL) != 0)
        return -1;
    return 0;
}

static void fini(void *state)
{
    (void)state;
    free(dirty);
    dirty = NULL;
    ndirty = capdirty = 0;
    recount_timer = NULL; /* the host stops every timer at unload */
}

CD_PLUGIN("progress", "1.0", init, fini);
