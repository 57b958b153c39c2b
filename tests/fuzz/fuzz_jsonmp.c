/* fuzz_jsonmp.c: JSON ⇄ msgpack (lib/jsonmp.c), the bridge every plan
 * document and --json output crosses. Invariant: JSON → msgpack → JSON
 * gives the same JSON (strings byte for byte, integers and reals apart). */
#include <jansson.h>
#include <string.h>

#include <msgpack.h>

#include "fuzz_support.h"
#include "jsonmp.h"
#include "mpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!j)
        return 0;
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    /* msgpack-c decodes at most 32 levels (requests are capped at 8 before it). */
    const cn_mp_limits msgpack_c = {.depth = 32, .items = UINT32_MAX, .bytes = UINT32_MAX};
    if (cn_json_to_mp(&pk, j) == 0 && cn_mp_check(b.data, b.size, &msgpack_c, true, NULL) != CN_MP_TOO_DEEP) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        FUZZ_ASSERT(msgpack_unpack_next(&u, b.data, b.size, NULL) == MSGPACK_UNPACK_SUCCESS, "lisible");
        json_t *back = cn_mp_to_json(&u.data);
        FUZZ_ASSERT(back && json_equal(j, back), "JSON → msgpack → JSON rend le même JSON");
        json_decref(back);
        msgpack_unpacked_destroy(&u);
    }
    msgpack_sbuffer_destroy(&b);
    json_decref(j);
    return 0;
}
