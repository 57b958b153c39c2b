/* probe: a test plugin that uses every function of the host API and fails
 * on purpose, so the tests can check what the host guarantees.
 *
 * ops:    probe.echo {text}          → {text, lang, regions_enabled}
 *         probe.fail {mode}          → fails: silent | reason | write_then_fail | core_write | commit
 *         probe.count {table}        → rows in probe_<table>
 *         probe.work {region, n}     → sums 1..n on a worker thread, then emits probe.worked
 *         probe.read {region}        → the region's name, through api->call
 *         probe.types {region, title, count, …} → its arguments as the host handed them (every cd_type)
 * events: every region.* event is recorded in probe_events; one whose region
 *         name contains "boom" makes the handler fail after writing; a
 *         region.created makes it emit probe.seen.
 * timer:  with [plugin.probe] tick_region = R, emits probe.tick for R once,
 *         right after start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <concertd/plugin.h>

static const cd_host_api *api;
static cd_host *self;

static const char *const migrations[] = {
    "CREATE TABLE probe_events(seq INTEGER PRIMARY KEY, topic TEXT NOT NULL)",
    "CREATE TABLE probe_log(id INTEGER PRIMARY KEY, what TEXT);"
    "CREATE TABLE probe_work(id INTEGER PRIMARY KEY, n INTEGER, sum INTEGER)",
};

static int emit_simple(cd_host *h, const char *region, const char *type, const char *key, int64_t value)
{
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, key, strlen(key));
    msgpack_pack_int64(&pk, value);
    int rc = api->emit(h, region, type, b.data, b.size);
    msgpack_sbuffer_destroy(&b);
    return rc;
}

static int echo(cd_req *req, void *data)
{
    (void)data;
    char text[256];
    cd_str(cd_get(api->req_args(req), "text"), text, sizeof text);
    msgpack_packer *r = api->req_result(req);
    msgpack_pack_map(r, 3);
    msgpack_pack_str_with_body(r, "text", 4);
    msgpack_pack_str_with_body(r, text, strlen(text));
    msgpack_pack_str_with_body(r, "lang", 4);
    msgpack_pack_str_with_body(r, api->req_lang(req), 2);
    msgpack_pack_str_with_body(r, "greeting", 8);
    const char *g = api->config(self, NULL, "greeting");
    msgpack_pack_str_with_body(r, g ? g : "", g ? strlen(g) : 0);
    return 0;
}

static int fail(cd_req *req, void *data)
{
    (void)data;
    char mode[64];
    cd_str(cd_get(api->req_args(req), "mode"), mode, sizeof mode);
    sqlite3 *db = api->db(self);
    if (strcmp(mode, "silent") == 0)
        return -1;
    if (strcmp(mode, "reason") == 0)
        return api->req_fail(req, "invalid_argument", "mode", "le mode « reason » échoue toujours");
    if (strcmp(mode, "write_then_fail") == 0) {
        sqlite3_exec(db, "INSERT INTO probe_log(what) VALUES ('should be undone')", NULL, NULL, NULL);
        emit_simple(self, "lanaudiere", "probe.undone", "n", 1);
        return -1;
    }
    if (strcmp(mode, "core_write") == 0 || strcmp(mode, "commit") == 0) {
        int rc = sqlite3_exec(db, strcmp(mode, "commit") == 0 ? "COMMIT" : "UPDATE regions SET name = 'volé'", NULL,
                              NULL, NULL);
        return api->req_fail(req, "forbidden", NULL, "SQLite a répondu %d (%s)", rc, sqlite3_errstr(rc));
    }
    return api->req_fail(req, "invalid_argument", "mode", "mode inconnu");
}

static int count(cd_req *req, void *data)
{
    (void)data;
    char table[32], sql[96];
    cd_str(cd_get(api->req_args(req), "table"), table, sizeof table);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM probe_%s", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(self), sql, -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "invalid_argument", "table", "%s", sqlite3_errmsg(api->db(self)));
    sqlite3_step(st);
    msgpack_pack_int64(api->req_result(req), sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    return 0;
}

typedef struct {
    char region[64];
    int64_t n, sum;
} job;

static void work(void *data)
{
    job *j = data; /* a worker thread: no host calls here */
    for (int64_t i = 1; i <= j->n; i++)
        j->sum += i;
}

static int work_done(cd_host *h, void *data, int status)
{
    job *j = data;
    int rc = -1;
    if (status == 0) {
        sqlite3_stmt *st;
        sqlite3_prepare_v2(api->db(h), "INSERT INTO probe_work(n, sum) VALUES (?, ?)", -1, &st, NULL);
        sqlite3_bind_int64(st, 1, j->n);
        sqlite3_bind_int64(st, 2, j->sum);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
        if (rc == 0)
            rc = emit_simple(h, j->region, "probe.worked", "sum", j->sum);
    }
    free(j);
    return rc;
}

static int start_work(cd_req *req, void *data)
{
    (void)data;
    job *j = calloc(1, sizeof *j);
    if (!j)
        return api->req_fail(req, "internal", NULL, "mémoire");
    cd_str(cd_get(api->req_args(req), "region"), j->region, sizeof j->region);
    const msgpack_object *n = cd_get(api->req_args(req), "n");
    j->n = n && n->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)n->via.u64 : 0;
    if (api->queue_work(self, work, work_done, j) != 0) {
        free(j);
        return api->req_fail(req, "unavailable", NULL, "file de travail pleine");
    }
    msgpack_pack_true(api->req_result(req));
    return 0;
}

static int read_region(cd_req *req, void *data)
{
    (void)data;
    char region[64];
    cd_str(cd_get(api->req_args(req), "region"), region, sizeof region);
    msgpack_sbuffer in, out;
    msgpack_sbuffer_init(&in);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &in, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_str_with_body(&pk, region, strlen(region));
    char err[256];
    int rc = api->call(self, "region.get", in.data, in.size, &out, err, sizeof err);
    if (rc == 0) {
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        msgpack_unpack_next(&up, out.data, out.size, NULL);
        msgpack_pack_object(api->req_result(req), *cd_get(&up.data, "name"));
        msgpack_unpacked_destroy(&up);
    } else {
        rc = api->req_fail(req, "not_found", "region", "%s", err);
    }
    msgpack_sbuffer_destroy(&in);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

static int on_region(cd_host *h, const msgpack_object *event, void *data)
{
    (void)data;
    char topic[128], region[64], type[64], name[256];
    cd_str(cd_get(event, "region"), region, sizeof region);
    cd_str(cd_get(event, "type"), type, sizeof type);
    cd_str(cd_get(cd_get(event, "data"), "name"), name, sizeof name);
    snprintf(topic, sizeof topic, "%s/%s", region, type);
    const msgpack_object *seq = cd_get(event, "seq");
    sqlite3_stmt *st;
    sqlite3_prepare_v2(api->db(h), "INSERT INTO probe_events(seq, topic) VALUES (?, ?)", -1, &st, NULL);
    sqlite3_bind_int64(st, 1, seq ? (int64_t)seq->via.u64 : 0);
    sqlite3_bind_text(st, 2, topic, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (strstr(name, "boom"))
        return -1; /* after writing: the host must undo the insert */
    if (rc == 0 && strcmp(type, "region.created") == 0)
        rc = emit_simple(h, region, "probe.seen", "seq", seq ? (int64_t)seq->via.u64 : 0);
    return rc;
}

static int on_tick(cd_host *h, void *data)
{
    (void)data;
    const char *region = api->config(h, NULL, "tick_region");
    return region ? emit_simple(h, region, "probe.tick", "at", api->now_ms(h)) : 0;
}

/* Its arguments as the handler got them: what the host checked and resolved. */
static int types(cd_req *req, void *data)
{
    (void)data;
    msgpack_pack_object(api->req_result(req), *api->req_args(req));
    return 0;
}

static int init(cd_host *h, const cd_host_api *host_api, void **state)
{
    (void)state;
    api = host_api;
    self = h;
    static const char *const kinds[] = {"rencontre", "forum", NULL};
    static const cd_param echo_args[] = {{"text", CD_TEXT, .max = 255, .help_fr = "le texte", .help_en = "the text"},
                                         CD_END},
                          fail_args[] = {{"mode", CD_TEXT, .max = 63, .help_fr = "comment échouer"}, CD_END},
                          count_args[] = {{"table", CD_TEXT, .max = 31, .help_fr = "la table probe_…"}, CD_END},
                          work_args[] = {{"region", CD_REGION, .help_fr = "la région"},
                                         {"n", CD_INT, .min = 0, .max = 10000000, .help_fr = "jusqu'où sommer"},
                                         CD_END},
                          read_args[] = {{"region", CD_REGION, .help_fr = "la région"}, CD_END},
                          types_args[] = {
                              {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"},
                              {"title", CD_TEXT, .min = 1, .max = 8, .help_fr = "un titre", .help_en = "a title"},
                              {"count", CD_INT, .min = -2, .max = 5, .help_fr = "un compte"},
                              {"ratio", CD_NUMBER, .min = 0, .max = 1, .help_fr = "une part"},
                              {"flag", CD_BOOL, .help_fr = "un drapeau"},
                              {"day", CD_DATE, .help_fr = "un jour"},
                              {"at", CD_DATETIME, .help_fr = "un moment"},
                              {"when", CD_WHEN, .help_fr = "un jour ou un moment"},
                              {"kind", CD_ENUM, .values = kinds, .help_fr = "un genre"},
                              {"file", CD_FILE, .max = 16, .help_fr = "un fichier"},
                              {"tags", CD_LIST, .max = 3, .item = CD_TEXT, .item_max = 4, .help_fr = "des étiquettes"},
                              {"days", CD_LIST, .max = 2, .item = CD_DATE, .help_fr = "des jours"},
                              {"extra", CD_MAP, .max = 2, .help_fr = "une map"},
                              CD_END};
    const cd_op_spec ops[] = {
        {"probe.echo", echo, NULL, echo_args, "renvoie le texte", "echoes the text"},
        {"probe.fail", fail, NULL, fail_args, "échoue exprès", "fails on purpose"},
        {"probe.count", count, NULL, count_args, "compte les lignes", "counts rows"},
        {"probe.work", start_work, NULL, work_args, "travail hors boucle", "off-loop work"},
        {"probe.read", read_region, NULL, read_args, "lit une région", "reads a region"},
        {"probe.types", types, NULL, types_args, "renvoie ses arguments tels que le greffon les reçoit",
         "returns its arguments as the plugin gets them"},
    };
    if (api->migrate(h, migrations, 2) != 0)
        return -1;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (api->register_op(h, &ops[i]) != 0)
            return -1;
    if (api->subscribe(h, "*/region.*", on_region, NULL) != 0)
        return -1;
    if (api->config(h, NULL, "tick_region") && !api->timer_start(h, 0, 0, on_tick, NULL))
        return -1;
    return 0;
}

CD_PLUGIN("probe", "0.1", init, NULL);
