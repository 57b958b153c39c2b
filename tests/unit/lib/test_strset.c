/* Unit tests of lib/strset.c: keys found again with their values, across
 * growth, and keys never put not found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strset.h"

static void keys_keep_their_values_across_growth(void **state)
{
    (void)state;
    enum { N = 20000 };
    static char keys[N][16];
    cn_strset *set = cn_strset_new();
    assert_non_null(set);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "1.%d", i);
        assert_int_equal(cn_strset_put(set, keys[i], (void *)(intptr_t)(i + 1)), 0);
    }
    assert_int_equal(cn_strset_count(set), N);
    for (int i = 0; i < N; i++) {
        char probe[16]; /* another copy of the text: found by content, not address */
        snprintf(probe, sizeof probe, "1.%d", i);
        void *v = NULL;
        assert_true(cn_strset_get(set, probe, &v));
        assert_int_equal((intptr_t)v, i + 1);
    }
    assert_false(cn_strset_get(set, "1.20000", NULL));
    assert_false(cn_strset_get(set, "", NULL));
    assert_int_equal(cn_strset_put(set, "1.5", (void *)(intptr_t)-7), 0); /* replaced, not added */
    assert_int_equal(cn_strset_count(set), N);
    void *v = NULL;
    assert_true(cn_strset_get(set, "1.5", &v));
    assert_int_equal((intptr_t)v, -7);
    cn_strset_free(&set);
    assert_null(set);
}

static void an_empty_set_finds_nothing(void **state)
{
    (void)state;
    cn_strset *set = cn_strset_new();
    assert_false(cn_strset_get(set, "x", NULL));
    assert_int_equal(cn_strset_count(set), 0);
    cn_strset_free(&set);
    cn_strset_free(&set); /* safe twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_keep_their_values_across_growth),
        cmocka_unit_test(an_empty_set_finds_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
