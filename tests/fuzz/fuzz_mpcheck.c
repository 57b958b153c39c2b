/* fuzz_mpcheck.c: the byte walk that guards every msgpack input
 * (lib/mpcheck.c), against msgpack-c itself. Invariants: what the walk
 * passes, msgpack-c decodes, to the same length; decoded then encoded
 * again, it encodes the same again; the id finder never reads past the frame. */
#include <string.h>

#include "fuzz_support.h"
#include <msgpack.h>

#include "mpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t used = 0, at, len;
    if (cn_mp_find_key(data, size, "id", &at, &len))
        FUZZ_ASSERT(at + len <= size, "la valeur trouvée est dans la trame");
    if (cn_mp_check(data, size, &cn_mp_stored_limits, false, &used) != CN_MP_OK)
        return 0;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    FUZZ_ASSERT(msgpack_unpack_next(&u, (const char *)data, size, &off) == MSGPACK_UNPACK_SUCCESS,
                "msgpack-c décode ce que la marche accepte");
    FUZZ_ASSERT(off == used, "à la même longueur");
    msgpack_sbuffer again;
    msgpack_sbuffer_init(&again);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &again, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, u.data);
    FUZZ_ASSERT(cn_mp_check(again.data, again.size, &cn_mp_stored_limits, true, NULL) == CN_MP_OK, "réencodé, valide");
    msgpack_unpacked v;
    msgpack_unpacked_init(&v);
    FUZZ_ASSERT(msgpack_unpack_next(&v, again.data, again.size, NULL) == MSGPACK_UNPACK_SUCCESS, "réencodé, lisible");
    /* Compared as bytes (a NaN is not equal to itself). */
    msgpack_sbuffer third;
    msgpack_sbuffer_init(&third);
    msgpack_packer_init(&pk, &third, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, v.data);
    FUZZ_ASSERT(third.size == again.size && memcmp(third.data, again.data, again.size) == 0, "réencodé, égal");
    msgpack_sbuffer_destroy(&third);
    msgpack_unpacked_destroy(&v);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&again);
    return 0;
}
