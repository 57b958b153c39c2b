/* fuzz_request.c: the request path as a whole — decode, validate,
 * dispatch, reply — on a real database. Each input is one frame as a
 * client would send it (fuzz_request), or, with FUZZ_ARGS, an op picked by
 * the first byte with the rest as its args, inside a valid envelope (so
 * the fuzzer spends its time in the ops, not the envelope).
 *
 * Invariants: the reply is one valid envelope, valid UTF-8 throughout,
 * never `internal`; an error reply changed nothing (no event). */
#include <string.h>

#include "fuzz_core.h"
#include "mp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_core();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_core *core = fuzz_core();
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
#ifdef FUZZ_ARGS
    if (size < 1)
        return 0;
    size_t n = cn_core_op_count(core);
    const cn_op *op = cn_core_op_at(core, data[0] % n);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &frame, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kint(&pk, "id", 7);
    cn_pk_kstr(&pk, "op", op->name);
    cn_pk_str(&pk, "args");
    msgpack_sbuffer_write(&frame, (const char *)data + 1, size - 1);
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
    msgpack_sbuffer_destroy(&frame);
    return 0;
}
