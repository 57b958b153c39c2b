/* Unit tests of text.c: dates, UTF-8, plan numbering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

#include <concertd/plugin.h>

static void dates(void **state)
{
    (void)state;
    assert_true(cn_date_valid("2018-10-02"));
    assert_true(cn_date_valid("2024-02-29"));  /* leap year */
    assert_true(cn_date_valid("2000-02-29"));  /* divisible by 400 */
    assert_false(cn_date_valid("1900-02-29")); /* divisible by 100, not 400 */
    assert_false(cn_date_valid("2023-02-29"));
    assert_false(cn_date_valid("2023-02-30"));
    assert_false(cn_date_valid("2023-04-31"));
    assert_false(cn_date_valid("2023-13-01"));
    assert_false(cn_date_valid("2023-00-10"));
    assert_false(cn_date_valid("2023-1-10"));
    assert_false(cn_date_valid("2023/01/10"));
    assert_false(cn_date_valid("3 octobre 2013"));
    assert_false(cn_date_valid(""));
    assert_false(cn_date_valid(NULL));
    assert_false(cn_date_valid("2023-01-10T10:00")); /* a moment is not a day */
}

/* The one check of dates and times every op and plugin uses (plugin.h). */
static void moments(void **state)
{
    (void)state;
    assert_int_equal(cd_when_kind("2024-02-29"), CD_DATE);
    assert_int_equal(cd_when_kind("2024-02-29T00:00"), CD_DATETIME);
    assert_int_equal(cd_when_kind("2024-02-29T23:59:59"), CD_DATETIME);
    const char *wrong[] = {"2023-02-29T10:00", "2024-02-30T10:00", "2024-02-29T24:00", "2024-02-29T10:60",
                           "2024-02-29T10:00:60", "2024-02-29T10:00:5", "2024-02-29T1:00", "2024-02-29 10:00",
                           "2024-02-29T10:00Z", "2024-02-29T10:00:00Z", "1899-12-31", "3000-01-01", "2024-02-29T",
                           "+024-02-29", "2024-02-2a", "", NULL};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        assert_int_equal(cd_when_kind(wrong[i]), 0);
}

static void utf8(void **state)
{
    (void)state;
    const char *ok = "Lanaudière — « Été » œuvre 🙂";
    assert_true(cn_utf8_valid(ok, strlen(ok)));
    assert_false(cn_utf8_valid("\xff\xfe", 2));
    assert_false(cn_utf8_valid("\xc3", 1));             /* truncated é */
    assert_false(cn_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(cn_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(cn_utf8_valid("\xf4\x90\x80\x80", 4)); /* beyond U+10FFFF */
    assert_false(cn_utf8_valid("a\0b", 3));             /* NUL inside text */
}

/* A copy that fits is whole; one that does not is cut before the
 * character that would not fit whole, never inside it. */
static void copies(void **state)
{
    (void)state;
    char out[6];
    assert_string_equal(cn_text_copy(out, sizeof out, "Été", strlen("Été")), "Été");
    assert_string_equal(cn_text_copy(out, sizeof out, "abcdefgh", 3), "abc");
    assert_string_equal(cn_text_copy(out, sizeof out, "abcdefgh", 8), "abcde");
    assert_string_equal(cn_text_copy(out, sizeof out, "abcdé", strlen("abcdé")), "abcd"); /* é is 2 bytes: 4 + 2 > 5 */
    assert_string_equal(cn_text_copy(out, sizeof out, "", 0), "");
    char one[1];
    assert_string_equal(cn_text_copy(one, sizeof one, "x", 1), "");
}

static void numbering(void **state)
{
    (void)state;
    char n[64], k1[160], k2[160];
    assert_true(cn_number_parse("1.2.1", n, sizeof n, k1, sizeof k1));
    assert_string_equal(n, "1.2.1");
    assert_true(cn_number_parse("1.1.", n, sizeof n, k1, sizeof k1));
    assert_string_equal(n, "1.1");
    assert_true(cn_number_parse("1.9", n, sizeof n, k1, sizeof k1));
    assert_true(cn_number_parse("1.10", n, sizeof n, k2, sizeof k2));
    assert_true(strcmp(k1, k2) < 0); /* 1.9 sorts before 1.10 */
    assert_true(cn_number_parse("2", n, sizeof n, k1, sizeof k1));
    assert_true(cn_number_parse("10", n, sizeof n, k2, sizeof k2));
    assert_true(strcmp(k1, k2) < 0);
    assert_false(cn_number_parse("", n, sizeof n, k1, sizeof k1));
    assert_false(cn_number_parse("1..2", n, sizeof n, k1, sizeof k1));
    assert_false(cn_number_parse(".1", n, sizeof n, k1, sizeof k1));
    assert_false(cn_number_parse("1.2 bis", n, sizeof n, k1, sizeof k1));
    assert_false(cn_number_parse("123456789", n, sizeof n, k1, sizeof k1)); /* group over 8 characters */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(dates), cmocka_unit_test(moments), cmocka_unit_test(utf8),
                                       cmocka_unit_test(numbering), cmocka_unit_test(copies)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
