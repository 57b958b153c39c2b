/* demo.c: see demo.h. The bundle goes through region.create and
 * plan.import like any client's request: no private path into the model. */
#include "demo.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "jsonmp.h"
#include "log.h"
#include "text.h"

static int call(cn_core *core, const char *op, json_t *args, void *pub)
{
    json_t *req = json_pack("{s:i, s:s, s:s, s:O}", "v", 1, "id", "demo", "op", op, "args", args);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    int rc = req ? cn_json_to_mp(&pk, req) : -1;
    json_decref(req);
    if (rc == 0) {
        cn_reply reply;
        rc = cn_core_call(core, buf.data, buf.size, &reply, pub);
        if (rc != 0) {
            msgpack_unpacked up;
            msgpack_unpacked_init(&up);
            if (msgpack_unpack_next(&up, reply.buf.data, reply.buf.size, NULL) == MSGPACK_UNPACK_SUCCESS) {
                json_t *j = cn_mp_to_json(&up.data);
                char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
                cn_error("démo: %s a échoué: %s", op, text ? text : "?");
                free(text);
                json_decref(j);
            }
            msgpack_unpacked_destroy(&up);
        }
        cn_reply_destroy(&reply);
    }
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

int cn_demo_load(cn_core *core, const char *path, void *pub)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cn_core_db(core), "SELECT count(*) FROM regions", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int regions = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (regions != 0)
        return regions < 0 ? -1 : 0;

    json_error_t jerr;
    json_t *bundle = json_load_file(path, 0, &jerr);
    if (!bundle && json_error_code(&jerr) == json_error_cannot_open_file)
        cn_error("démo : %s : %s (concertd --demo FILE, ou [demo] file)", path, cn_system_error(errno, strerror(errno)));
    else if (!bundle)
        cn_error("démo : %s, ligne %d : %s", path, jerr.line, jerr.text);
    if (!bundle) {
        return -1;
    }
    json_t *region = json_object_get(bundle, "region");
    json_t *document = json_object_get(bundle, "document");
    int rc = -1;
    if (!json_is_object(region) || !json_is_object(document)) {
        cn_error("démo: %s: attendu {\"region\": {...}, \"document\": {...}}", path);
    } else if (json_object_set_new(region, "demo", json_true()) == 0 && call(core, "region.create", region, pub) == 0) {
        json_t *args = json_pack("{s:O, s:O}", "region", json_object_get(region, "id"), "document", document);
        rc = args ? call(core, "plan.import", args, pub) : -1;
        json_decref(args);
        if (rc == 0)
            cn_info("démo: région %s et son plan chargés depuis %s", json_string_value(json_object_get(region, "id")),
                    path);
    }
    json_decref(bundle);
    return rc;
}
