/* Unit tests of lib/mpcheck.c: the byte walk that runs before any msgpack
 * is decoded. Frames are written byte by byte from the msgpack
 * specification, or packed by msgpack-c and then cut or altered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "mpcheck.h"

static cn_mp_verdict check(const void *p, size_t n) { return cn_mp_check(p, n, &cn_mp_request_limits, true, NULL); }

static void a_request_passes_and_its_size_is_told(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    msgpack_pack_str_with_body(&pk, "v", 1);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_str_with_body(&pk, "op", 2);
    msgpack_pack_str_with_body(&pk, "région.list", strlen("région.list"));
    msgpack_pack_str_with_body(&pk, "args", 4);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "f", 1);
    msgpack_pack_double(&pk, 1.5);
    msgpack_pack_str_with_body(&pk, "b", 1);
    msgpack_pack_bin_with_body(&pk, "\0\1", 2);
    msgpack_pack_str_with_body(&pk, "e", 1);
    msgpack_pack_ext_with_body(&pk, "abcd", 4, 5);
    size_t used = 0;
    assert_int_equal(cn_mp_check(sb.data, sb.size, &cn_mp_request_limits, true, &used), CN_MP_OK);
    assert_int_equal(used, sb.size);
    /* Every cut of it is truncated, never taken for a whole frame. */
    for (size_t cut = 1; cut < sb.size; cut++)
        assert_int_equal(check(sb.data, cut), CN_MP_TRUNCATED);
    assert_int_equal(check(sb.data, 0), CN_MP_EMPTY);
    msgpack_sbuffer_destroy(&sb);
}

static void declared_sizes_larger_than_the_frame_are_refused(void **state)
{
    (void)state;
    /* The adversary's 21-byte frames: a map32 and an array32 announcing
     * billions of elements, which msgpack-c would reserve memory for. */
    const unsigned char map32[] = {0xdf, 0xfd, 0x48, 0xfc, 0xd6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    const unsigned char arr32[] = {0xdd, 0x19, 0xac, 0x07, 0x37, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(check(map32, sizeof map32), CN_MP_TOO_MANY);
    assert_int_equal(check(arr32, sizeof arr32), CN_MP_TOO_MANY);
    /* Under the element cap but over the bytes left: truncated. */
    const unsigned char arr16[] = {0xdc, 0x01, 0x00, 0xc0, 0xc0};
    assert_int_equal(check(arr16, sizeof arr16), CN_MP_TRUNCATED);
    const unsigned char str32[] = {0xdb, 0x00, 0x10, 0x00, 0x00, 'a'};
    assert_int_equal(check(str32, sizeof str32), CN_MP_TRUNCATED);
    const unsigned char ext8[] = {0xc7, 0x05, 0x01, 'a'};
    assert_int_equal(check(ext8, sizeof ext8), CN_MP_TRUNCATED);
    const unsigned char fixext16[] = {0xd8, 0x01, 'a', 'b'};
    assert_int_equal(check(fixext16, sizeof fixext16), CN_MP_TRUNCATED);
    const unsigned char u64[] = {0xcf, 0, 0, 0};
    assert_int_equal(check(u64, sizeof u64), CN_MP_TRUNCATED);
}

static void depth_is_capped_at_the_limit(void **state)
{
    (void)state;
    unsigned char frame[64];
    /* 8 nested arrays around a nil pass, 9 do not. */
    memset(frame, 0x91, 8);
    frame[8] = 0xc0;
    assert_int_equal(check(frame, 9), CN_MP_OK);
    memset(frame, 0x91, 9);
    frame[9] = 0xc0;
    assert_int_equal(check(frame, 10), CN_MP_TOO_DEEP);
    /* 100 000 levels: refused at level 9, nothing recursed. */
    unsigned char *deep = malloc(100001);
    assert_non_null(deep);
    memset(deep, 0x81, 100000); /* maps whose keys are maps: deep on the key side */
    deep[100000] = 0xc0;
    assert_int_equal(check(deep, 100001), CN_MP_TOO_DEEP);
    free(deep);
}

static void elements_and_bytes_are_capped(void **state)
{
    (void)state;
    cn_mp_limits small = {.depth = 4, .items = 3, .bytes = 4};
    const unsigned char three[] = {0x93, 1, 2, 3};
    const unsigned char four[] = {0x94, 1, 2, 3, 4};
    assert_int_equal(cn_mp_check(three, sizeof three, &small, true, NULL), CN_MP_OK);
    assert_int_equal(cn_mp_check(four, sizeof four, &small, true, NULL), CN_MP_TOO_MANY);
    const unsigned char map3[] = {0x83, 1, 1, 2, 2, 3, 3};
    const unsigned char map4[] = {0x84, 1, 1, 2, 2, 3, 3, 4, 4};
    assert_int_equal(cn_mp_check(map3, sizeof map3, &small, true, NULL), CN_MP_OK);
    assert_int_equal(cn_mp_check(map4, sizeof map4, &small, true, NULL), CN_MP_TOO_MANY);
    const unsigned char s4[] = {0xa4, 'a', 'b', 'c', 'd'};
    const unsigned char s5[] = {0xa5, 'a', 'b', 'c', 'd', 'e'};
    const unsigned char b5[] = {0xc4, 5, 'a', 'b', 'c', 'd', 'e'};
    assert_int_equal(cn_mp_check(s4, sizeof s4, &small, true, NULL), CN_MP_OK);
    assert_int_equal(cn_mp_check(s5, sizeof s5, &small, true, NULL), CN_MP_TOO_LONG);
    assert_int_equal(cn_mp_check(b5, sizeof b5, &small, true, NULL), CN_MP_TOO_LONG);
    /* The request limits: 65 536 elements pass, 65 537 do not. */
    size_t n = 65537;
    unsigned char *big = malloc(5 + n);
    assert_non_null(big);
    big[0] = 0xdd;
    big[1] = 0;
    big[2] = 1;
    big[3] = 0;
    big[4] = 0;
    memset(big + 5, 0xc0, n);
    assert_int_equal(check(big, 5 + 65536), CN_MP_OK);
    big[4] = 1;
    assert_int_equal(check(big, 5 + n), CN_MP_TOO_MANY);
    free(big);
}

static void bad_bytes_and_extra_bytes(void **state)
{
    (void)state;
    const unsigned char c1[] = {0x92, 0x01, 0xc1};
    assert_int_equal(check(c1, sizeof c1), CN_MP_INVALID);
    const unsigned char extra[] = {0x80, 0x00};
    assert_int_equal(check(extra, sizeof extra), CN_MP_EXTRA);
    size_t used = 0;
    assert_int_equal(cn_mp_check(extra, sizeof extra, &cn_mp_request_limits, false, &used), CN_MP_OK);
    assert_int_equal(used, 1);
}

/* On random bytes the walk and msgpack-c agree: whatever the walk passes,
 * msgpack-c decodes, to the same length. */
static void agrees_with_msgpack_c_on_random_frames(void **state)
{
    (void)state;
    static const unsigned char alphabet[] = {0x00, 0x7f, 0x80, 0x81, 0x82, 0x90, 0x91, 0x92, 0xa0, 0xa1, 0xa3, 0xc0,
                                             0xc2, 0xc4, 0xc7, 0xca, 0xcb, 0xcc, 0xcd, 0xd4, 0xd9, 0xdc, 0xde, 0xe0,
                                             0x01, 0x02, 0x03, 0xff};
    unsigned seed = 12345;
    int passed = 0;
    for (int round = 0; round < 200000; round++) {
        unsigned char frame[24];
        size_t n = 1 + (seed = seed * 1103515245 + 12345) % sizeof frame;
        for (size_t i = 0; i < n; i++)
            frame[i] = alphabet[((seed = seed * 1103515245 + 12345) >> 16) % sizeof alphabet];
        size_t used = 0;
        if (cn_mp_check(frame, n, &cn_mp_request_limits, false, &used) != CN_MP_OK)
            continue;
        passed++;
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        assert_int_not_equal(msgpack_unpack_next(&u, (const char *)frame, n, &off), MSGPACK_UNPACK_PARSE_ERROR);
        assert_int_equal(off, used);
        msgpack_unpacked_destroy(&u);
    }
    assert_true(passed > 1000);
}

static void a_key_is_found_without_decoding(void **state)
{
    (void)state;
    /* {"args": {"x": [65 537 nils]}, "id": 7}: over the limits, yet its id is found. */
    size_t n = 65537, len = 1 + 5 + 1 + 2 + 5 + n + 3 + 1;
    unsigned char *f = malloc(len), *p = f;
    assert_non_null(f);
    *p++ = 0x82;
    memcpy(p, "\xa4" "args", 5), p += 5;
    *p++ = 0x81;
    memcpy(p, "\xa1" "x", 2), p += 2;
    memcpy(p, "\xdd\x00\x01\x00\x01", 5), p += 5;
    memset(p, 0xc0, n), p += n;
    memcpy(p, "\xa2" "id", 3), p += 3;
    *p++ = 0x07;
    assert_int_equal((size_t)(p - f), len);
    assert_int_equal(check(f, len), CN_MP_TOO_MANY);
    size_t at = 0, size = 0;
    assert_true(cn_mp_find_key(f, len, "id", &at, &size));
    assert_int_equal(at, len - 1);
    assert_int_equal(size, 1);
    assert_false(cn_mp_find_key(f, len, "op", &at, &size));
    assert_false(cn_mp_find_key(f, len - 1, "id", &at, &size)); /* cut before its value */
    free(f);
    const unsigned char bin_key[] = {0x81, 0xc4, 2, 'i', 'd', 0x07}; /* a bin key is not the str "id" */
    assert_false(cn_mp_find_key(bin_key, sizeof bin_key, "id", &at, &size));
}

static void verdicts_are_told_in_words(void **state)
{
    (void)state;
    char out[200];
    assert_non_null(strstr(cn_mp_verdict_text(CN_MP_TOO_DEEP, &cn_mp_request_limits, false, out, sizeof out),
                           "plus de 8 niveaux"));
    assert_non_null(strstr(cn_mp_verdict_text(CN_MP_TOO_MANY, &cn_mp_request_limits, true, out, sizeof out),
                           "more than 65536 elements"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_request_passes_and_its_size_is_told),
        cmocka_unit_test(declared_sizes_larger_than_the_frame_are_refused),
        cmocka_unit_test(depth_is_capped_at_the_limit),
        cmocka_unit_test(elements_and_bytes_are_capped),
        cmocka_unit_test(bad_bytes_and_extra_bytes),
        cmocka_unit_test(agrees_with_msgpack_c_on_random_frames),
        cmocka_unit_test(a_key_is_found_without_decoding),
        cmocka_unit_test(verdicts_are_told_in_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
