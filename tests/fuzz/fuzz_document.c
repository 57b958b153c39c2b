/* fuzz_document.c: the plan document (JSON, as concertctl and the web
 * send it) through plan.import on a real database. Invariants: the dry
 * run answers ok exactly when the import does (adversary F5); a document
 * imported, then exported, then imported into another region, exports
 * the same again (the document is the model's exact form). */
#include <jansson.h>
#include <string.h>

#include "fuzz_core.h"
#include "jsonmp.h"
#include "mp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_core();
    return 0;
}

/* Runs plan.import (or plan.export when doc is NULL) on region; the
 * reply's result is copied into *out when given. Returns ok. */
static bool call(cn_core *core, const char *op, const char *region, const json_t *doc, bool dry, json_t **out)
{
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &frame, msgpack_sbuffer_write);
    fuzz_envelope(&pk, op);
    msgpack_pack_map(&pk, doc ? 4 : 1);
    cn_pk_kstr(&pk, "region", region);
    if (doc) {
        cn_pk_kstr(&pk, "format", "document");
        cn_pk_kbool(&pk, "dry_run", dry);
        cn_pk_str(&pk, "document");
        cn_json_to_mp(&pk, doc);
    }
    cn_reply reply;
    cn_core_call(core, frame.data, frame.size, &reply, NULL);
    bool ok = fuzz_check_reply(&reply.buf);
    if (ok && out) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        msgpack_unpack_next(&u, reply.buf.data, reply.buf.size, NULL);
        *out = cn_mp_to_json(cn_mp_get(&u.data, "result"));
        msgpack_unpacked_destroy(&u);
    }
    cn_reply_destroy(&reply);
    msgpack_sbuffer_destroy(&frame);
    return ok;
}

static void new_region(cn_core *core, char *slug, size_t cap)
{
    static unsigned next;
    snprintf(slug, cap, "r%u", ++next);
    char args[128];
    snprintf(args, sizeof args, "{\"id\": \"%s\", \"name\": \"Région %s\"}", slug, slug);
    fuzz_call_ok(core, "region.create", args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_core *core = fuzz_core();
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)data, size, 0, &jerr);
    if (!doc)
        return 0;
    char a[32], b[32];
    new_region(core, a, sizeof a);
    bool dry = call(core, "plan.import", a, doc, true, NULL);
    bool real = call(core, "plan.import", a, doc, false, NULL);
    FUZZ_ASSERT(dry == real, "l'essai (dry_run) répond comme l'import");
    json_t *first = NULL, *second = NULL;
    if (real && call(core, "plan.export", a, NULL, false, &first) && first) {
        new_region(core, b, sizeof b);
        FUZZ_ASSERT(call(core, "plan.import", b, first, false, NULL), "un document exporté s'importe");
        FUZZ_ASSERT(call(core, "plan.export", b, NULL, false, &second) && second, "et s'exporte");
        /* Ids and the region differ between the two copies; the rest must not. */
        json_object_del(first, "region");
        json_object_del(second, "region");
        char *x = json_dumps(first, JSON_SORT_KEYS | JSON_COMPACT), *y = json_dumps(second, JSON_SORT_KEYS | JSON_COMPACT);
        FUZZ_ASSERT(x && y && strcmp(x, y) == 0, "exporter, importer, exporter donne le même document");
        free(x);
        free(y);
    }
    json_decref(first);
    json_decref(second);
    json_decref(doc);
    return 0;
}
