/* fuzz_core.c: see fuzz_core.h. */
#include "fuzz_core.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "jsonmp.h"
#include "log.h"
#include "model.h"
#include "mp.h"
#include "mpcheck.h"

static char dir[64];
static cn_db *db;
static cn_config cfg;
static cn_core *core;

static void remove_dir(void)
{
    cn_core_destroy(&core);
    cn_db_destroy(&db);
    cn_config_clear(&cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: %s reste à effacer\n", dir);
}

cn_core *fuzz_core(void)
{
    if (core)
        return core;
    cn_log_set_level(CN_LOG_ERROR);
    snprintf(dir, sizeof dir, "/tmp/concertd-fuzz-XXXXXX");
    char err[512];
    FUZZ_ASSERT(mkdtemp(dir) && cn_config_defaults(&cfg) == 0, "dossier temporaire");
    db = cn_db_new(dir, err, sizeof err);
    FUZZ_ASSERT(db, err);
    /* Durability is not what is fuzzed here: no fsync per input. */
    sqlite3_exec(cn_db_sqlite(db), "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    core = cn_core_new(cn_db_sqlite(db), &cfg);
    FUZZ_ASSERT(core && cn_model_register(core) == 0, "core");
    atexit(remove_dir);
    fuzz_call_ok(core, "region.create", "{\"id\": \"lanaudiere\", \"name\": \"Lanaudière\", \"territories\": [\"Joliette\"]}");
    fuzz_call_ok(core, "plan.create", "{\"region\": \"lanaudiere\", \"title\": \"Plan d'action 2018-2023\", "
                                      "\"start_date\": \"2018-10-02\", \"mandates\": [\"Veiller\", \"Réunir\"]}");
    fuzz_call_ok(core, "orientation.create", "{\"region\": \"lanaudiere\", \"number\": \"1\", \"statement\": \"Agir\"}");
    fuzz_call_ok(core, "objective.create",
                 "{\"region\": \"lanaudiere\", \"orientation\": \"1\", \"number\": \"1\", \"text\": \"S'entendre\"}");
    fuzz_call_ok(core, "action.create", "{\"region\": \"lanaudiere\", \"objective\": \"1\", \"number\": \"1.1\", "
                                        "\"text\": \"Réaliser un exercice\", \"schedule\": \"An 1\"}");
    fuzz_call_ok(core, "indicator.create",
                 "{\"region\": \"lanaudiere\", \"action\": \"1.1\", \"name\": \"Nombre de membres\", \"target\": 200}");
    return core;
}

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
    msgpack_sbuffer_destroy(&req);
}
