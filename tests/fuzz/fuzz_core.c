/* fuzz_core.c: see fuzz_core.h. */
#include "fuzz_core.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "jsonmp.h"
#include "log.h"
#include "model.h"
#include "plugin_host.h"
#include "mp.h"
#include "mpcheck.h"

static char dir[64];
static cn_db *db;
static cn_config cfg;
static cn_core *core;
static uv_loop_t loop;
static cn_host *host;

static void remove_dir(void)
{
    if (host) {
        cn_host_stop(host);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        cn_host_destroy(&host);
    }
    cn_core_destroy(&core);
    cn_db_destroy(&db);
    cn_config_clear(&cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: %s reste à effacer\n", dir);
}

/* The core (and, with a configuration, the plugin host it names), then a
 * small plan in "lanaudiere". */
static cn_core *setup(const char *ini)
{
    cn_log_set_level(getenv("FUZZ_DEBUG") ? CN_LOG_DEBUG : CN_LOG_ERROR);
    snprintf(dir, sizeof dir, "/tmp/concertd-fuzz-XXXXXX");
    char err[512];
    FUZZ_ASSERT(mkdtemp(dir) && cn_config_defaults(&cfg) == 0, "dossier temporaire");
    if (ini) {
        char path[128];
        snprintf(path, sizeof path, "%s/concertd.conf", dir);
        FILE *f = fopen(path, "w");
        FUZZ_ASSERT(f && fputs(ini, f) >= 0 && fclose(f) == 0, path);
        FUZZ_ASSERT(cn_config_load(&cfg, path, err, sizeof err) == 0, err);
    }
    db = cn_db_new(dir, err, sizeof err);
    FUZZ_ASSERT(db, err);
    /* Durability is not what is fuzzed here: no fsync per input. */
    sqlite3_exec(cn_db_sqlite(db), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    core = cn_core_new(cn_db_sqlite(db), &cfg);
    FUZZ_ASSERT(core && cn_model_register(core) == 0, "core");
    atexit(remove_dir);
    if (ini) {
        FUZZ_ASSERT(uv_loop_init(&loop) == 0 && (host = cn_host_new(core, &loop, &cfg)) != NULL, "hôte des greffons");
    }
    fuzz_call_ok(core, "region.create", "{\"id\": \"lanaudiere\", \"name\": \"Lanaudière\", \"territories\": [\"Joliette\"]}");
    fuzz_call_ok(core, "plan.create", "{\"region\": \"lanaudiere\", \"title\": \"Plan d'action 2018-2023\", "
                                      "\"start_date\": \"2018-10-02\", \"mandates\": [\"Veiller\", \"Réunir\"]}");
    fuzz_call_ok(core, "orientation.create", "{\"region\": \"lanaudiere\", \"number\": \"1\", \"statement\": \"Agir\"}");
    fuzz_call_ok(core, "objective.create",
                 "{\"region\": \"lanaudiere\", \"orientation\": \"1\", \"number\": \"1\", \"text\": \"S'entendre\"}");
    fuzz_call_ok(core, "action.create", "{\"region\": \"lanaudiere\", \"objective\": \"1\", \"number\": \"1.1\", "
                                        "\"text\": \"Réaliser un exercice <b>&amp;</b>\", \"schedule\": \"An 1\"}");
    fuzz_call_ok(core, "indicator.create",
                 "{\"region\": \"lanaudiere\", \"action\": \"1.1\", \"name\": \"Nombre de membres\", \"target\": 200}");
    return core;
}

cn_core *fuzz_core(void) { return core ? core : setup(NULL); }

int fuzz_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    FUZZ_ASSERT(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
                    getsockname(s, (struct sockaddr *)&a, &len) == 0,
                "un port libre");
    close(s);
    return ntohs(a.sin_port);
}

cn_core *fuzz_core_plugins(const char *ini) { return core ? core : setup(ini); }

cn_host *fuzz_host(void) { return host; }

uv_loop_t *fuzz_loop(void) { return host ? &loop : NULL; }

int64_t fuzz_last_seq(cn_core *c)
{
    sqlite3_stmt *st;
    int64_t seq = -1;
    if (sqlite3_prepare_v2(cn_core_db(c), "SELECT coalesce(max(seq), 0) FROM events", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        seq = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return seq;
}

bool fuzz_check_reply(const msgpack_sbuffer *frame)
{
    FUZZ_ASSERT(cn_mp_check(frame->data, frame->size, &cn_mp_stored_limits, true, NULL) == CN_MP_OK,
                "la réponse est une seule valeur msgpack");
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    FUZZ_ASSERT(msgpack_unpack_next(&u, frame->data, frame->size, NULL) == MSGPACK_UNPACK_SUCCESS, "réponse lisible");
    char path[256];
    FUZZ_ASSERT(cn_mp_utf8_valid(&u.data, path, sizeof path), "toute la réponse est de l'UTF-8 valide");
    const msgpack_object *v = cn_mp_get(&u.data, "v"), *ok = cn_mp_get(&u.data, "ok");
    FUZZ_ASSERT(u.data.type == MSGPACK_OBJECT_MAP && v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 == 1,
                "une map avec v = 1");
    FUZZ_ASSERT(ok && ok->type == MSGPACK_OBJECT_BOOLEAN, "ok est un booléen");
    bool good = ok->via.boolean;
    if (!good) {
        const msgpack_object *e = cn_mp_get(&u.data, "error");
        const msgpack_object *code = cn_mp_get(e, "code"), *message = cn_mp_get(e, "message");
        FUZZ_ASSERT(code && code->type == MSGPACK_OBJECT_STR && message && message->type == MSGPACK_OBJECT_STR &&
                        message->via.str.size > 0,
                    "une erreur a un code et un message");
        FUZZ_ASSERT(!cn_mp_str_eq(code, "internal"), "aucune erreur interne");
    } else {
        FUZZ_ASSERT(cn_mp_get(&u.data, "result") != NULL, "un succès a un résultat");
    }
    msgpack_unpacked_destroy(&u);
    return good;
}

void fuzz_envelope(msgpack_packer *pk, const char *op)
{
    msgpack_pack_map(pk, 4);
    cn_pk_kint(pk, "v", 1);
    cn_pk_kint(pk, "id", 1);
    cn_pk_kstr(pk, "op", op);
    cn_pk_str(pk, "args");
}

void fuzz_call_ok(cn_core *c, const char *op, const char *json_args)
{
    json_error_t jerr;
    json_t *args = json_loads(json_args, 0, &jerr);
    FUZZ_ASSERT(args, jerr.text);
    msgpack_sbuffer req;
    msgpack_sbuffer_init(&req);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &req, msgpack_sbuffer_write);
    fuzz_envelope(&pk, op);
    FUZZ_ASSERT(cn_json_to_mp(&pk, args) == 0, "args");
    json_decref(args);
    cn_reply reply;
    int rc = cn_core_call(c, req.data, req.size, &reply, NULL);
    if (rc != 0)
        fprintf(stderr, "fuzz: %s a échoué: %.*s\n", op, (int)reply.buf.size, reply.buf.data);
    FUZZ_ASSERT(rc == 0, op);
    cn_reply_destroy(&reply);
    if (host)
        cn_host_deliver(host, false);
    msgpack_sbuffer_destroy(&req);
}
