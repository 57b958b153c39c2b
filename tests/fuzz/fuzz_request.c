/* fuzz_request.c: the request path as a whole — decode, validate,
 * dispatch, reply — on a real database. Each input is one frame as a
 * client would send it (fuzz_request), or, with FUZZ_ARGS, "OP\nARGS": an
 * op by its name (an unknown name picks one by its bytes) and its args as
 * msgpack, inside a valid envelope (so the fuzzer spends its time in the
 * ops, not the envelope).
 *
 * Invariants: the reply is one valid envelope, valid UTF-8 throughout,
 * never `internal`; an error reply changed nothing (no event). */
#include <string.h>

#include "fuzz_core.h"
#include "mp.h"

#include "plugin_host.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
#ifdef FUZZ_ARGS
    /* Every op, the plugins' too (declared arguments, then their handlers). */
    char ini[512];
    snprintf(ini, sizeof ini, "[node]\ntimezone = America/Toronto\n[plugins]\npath = %s\n"
                              "load = progress, calendar, adhesion, veille, notify, web\n[plugin.web]\nlisten = 127.0.0.1:%d\n"
                              "[plugin.notify]\nsmtp_url = smtp://127.0.0.1:9\n",
             FUZZ_PLUGIN_DIR, fuzz_free_port());
    cn_core *core = fuzz_core_plugins(ini);
    fuzz_call_ok(core, "calendar.add", "{\"region\": \"lanaudiere\", \"title\": \"Comité\", \"start\": \"2027-01-19T13:30\"}");
    fuzz_call_ok(core, "adhesion.policy_set", "{\"region\": \"lanaudiere\", \"charter\": \"2024\", \"categories\": "
                                              "[{\"id\": \"o\", \"name\": \"Organismes\", \"decision\": \"auto\"}]}");
#else
    fuzz_core();
#endif
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_core *core = fuzz_core();
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
#ifdef FUZZ_ARGS
    const uint8_t *nl = memchr(data, '\n', size < 48 ? size : 48);
    if (!nl)
        return 0;
    size_t name_len = (size_t)(nl - data), n = cn_core_op_count(core), pick = 0;
    const cn_op *op = NULL;
    for (size_t i = 0; i < n && !op; i++)
        if (strlen(cn_core_op_at(core, i)->name) == name_len && memcmp(cn_core_op_at(core, i)->name, data, name_len) == 0)
            op = cn_core_op_at(core, i);
    for (size_t i = 0; i < name_len; i++)
        pick = pick * 31 + data[i];
    if (!op)
        op = cn_core_op_at(core, pick % n);
    data = nl + 1;
    size -= name_len + 1;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &frame, msgpack_sbuffer_write);
    fuzz_envelope(&pk, op->name);
    msgpack_sbuffer_write(&frame, (const char *)data, size);
    const char *bytes = frame.data;
    size_t len = frame.size;
#else
    const char *bytes = (const char *)data;
    size_t len = size;
#endif
    int64_t before = fuzz_last_seq(core);
    cn_reply reply;
    cn_core_call(core, bytes, len, &reply, NULL);
    bool ok = fuzz_check_reply(&reply.buf);
    if (!ok)
        FUZZ_ASSERT(fuzz_last_seq(core) == before, "une erreur n'a rien changé (aucun événement)");
    cn_reply_destroy(&reply);
    if (fuzz_host())
        cn_host_deliver(fuzz_host(), false); /* the plugins' event handlers, as after a commit */
    msgpack_sbuffer_destroy(&frame);
    return 0;
}
