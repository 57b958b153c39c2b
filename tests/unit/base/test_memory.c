/* Unit tests of memory.c: a flood's pace of giving memory back, and the
 * usual pace once the last flood is over. On mimalloc (linked as concertd
 * is); the sanitizer builds run without it and skip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "memory.h"

#if __has_include(<mimalloc.h>)
#include <mimalloc.h>
#pragma weak mi_option_get
#pragma weak mi_option_set
#define WITH_MIMALLOC_H 1
#endif

#ifdef WITH_MIMALLOC_H
static long delay(void) { return mi_option_get(mi_option_decommit_delay); }
#endif

/* Two floods at once (one per endpoint): memory goes back at once until
 * both are over, then at mimalloc's usual pace; one end too many changes
 * nothing. */
static void overlapping_floods(void **state)
{
    (void)state;
#ifdef WITH_MIMALLOC_H
    if (!mi_option_get)
        skip(); /* not linked with mimalloc */
    mi_option_set(mi_option_decommit_delay, 25);
    cn_memory_flood_begins();
    assert_int_equal(delay(), 0);
    cn_memory_flood_begins();
    cn_memory_flood_ends();
    assert_int_equal(delay(), 0); /* the other flood goes on */
    cn_memory_flood_ends();
    assert_int_equal(delay(), 25);
    cn_memory_flood_ends();
    assert_int_equal(delay(), 25);
    cn_memory_flood_begins();
    assert_int_equal(delay(), 0);
    cn_memory_flood_ends();
    assert_int_equal(delay(), 25);
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overlapping_floods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
