/* fuzz_table_import.c: a plan text imported through plan.import (format
 * table) on a real database, dry run then for real. Invariants: the two
 * answer alike (adversary F5); the only refusal is "no objective and no
 * action found" (field text): the document the reader builds from any
 * UTF-8 text is one the model accepts, what it had to assume being said
 * in the report with its line. */
#include <string.h>

#include "fuzz_core.h"
#include "mp.h"
#include "text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_core();
    return 0;
}

/* Imports text into region; returns the reply's error field ("" when ok). */
static void import(cn_core *core, const char *region, const uint8_t *text, size_t len, bool dry, char *field,
                   size_t cap)
{
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &frame, msgpack_sbuffer_write);
    fuzz_envelope(&pk, "plan.import");
    msgpack_pack_map(&pk, 5);
    cn_pk_kstr(&pk, "region", region);
    cn_pk_kstr(&pk, "format", "table");
    cn_pk_kstr(&pk, "plan_start", "2020-04-01");
    cn_pk_kbool(&pk, "dry_run", dry);
    cn_pk_str(&pk, "text");
    cn_pk_strn(&pk, (const char *)text, len);
    cn_reply reply;
    cn_core_call(core, frame.data, frame.size, &reply, NULL);
    field[0] = '\0';
    if (!fuzz_check_reply(&reply.buf)) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        msgpack_unpack_next(&u, reply.buf.data, reply.buf.size, NULL);
        const msgpack_object *e = cn_mp_get(&u.data, "error"), *f = cn_mp_get(e, "field");
        snprintf(field, cap, "%.*s", f && f->type == MSGPACK_OBJECT_STR ? (int)f->via.str.size : 1,
                 f && f->type == MSGPACK_OBJECT_STR ? f->via.str.ptr : "?");
        if (strcmp(field, "text") != 0)
            fprintf(stderr, "fuzz: %.*s\n", (int)reply.buf.size, reply.buf.data);
        msgpack_unpacked_destroy(&u);
    }
    cn_reply_destroy(&reply);
    msgpack_sbuffer_destroy(&frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cn_utf8_valid((const char *)data, size)) /* as the envelope checks every request's text */
        return 0;
    cn_core *core = fuzz_core();
    static unsigned next;
    char region[32], args[128];
    snprintf(region, sizeof region, "t%u", ++next);
    snprintf(args, sizeof args, "{\"id\": \"%s\", \"name\": \"Table %s\"}", region, region);
    fuzz_call_ok(core, "region.create", args);
    char dry[128], real[128];
    import(core, region, data, size, true, dry, sizeof dry);
    import(core, region, data, size, false, real, sizeof real);
    FUZZ_ASSERT(strcmp(dry, real) == 0, "l'essai (dry_run) répond comme l'import");
    FUZZ_ASSERT(!real[0] || strcmp(real, "text") == 0, "le document lu d'un texte est accepté par le modèle");
    return 0;
}
