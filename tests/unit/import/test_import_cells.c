/* Unit tests of import_cells.c: what one cell of a copied-out plan table
 * becomes (HTML out, plan numbers, several actions in one cell). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "import_cells.h"

static msgpack_zone *zone;

static int setup(void **state)
{
    (void)state;
    zone = msgpack_zone_new(4096);
    return zone ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    msgpack_zone_free(zone);
    return 0;
}

static const char *clean(const char *s) { return cn_cell_clean(zone, s, strlen(s)); }

static void test_clean(void **state)
{
    (void)state;
    assert_string_equal(clean("MOYENS D'ACTION (<i>priorisés et secondaires</i>)"),
                        "MOYENS D'ACTION (priorisés et secondaires)");
    assert_string_equal(clean("une <u>compréhension commune</u>"), "une compréhension commune");
    assert_string_equal(clean("<p>Aut.13</p><p>Hiver 14</p>"), "Aut.13\nHiver 14");
    assert_string_equal(clean("<ul style=\"x\"><li> a </li><li>b</li></ul>"), "a\nb");
    assert_string_equal(clean("soutien &agrave; la demande&nbsp;!"), "soutien à la demande !");
    assert_string_equal(clean("&#233;t&#xE9; &unknown; &amp;"), "été &unknown; &");
    assert_string_equal(clean("  trop    d'espaces\t "), "trop d'espaces");
    assert_string_equal(clean("1 < 2 et 3 > 2"), "1 < 2 et 3 > 2");
    assert_string_equal(clean("\xC2\xA0insécable\xE2\x80\xAF:"), "insécable :");
    assert_string_equal(clean(""), "");
}

static void test_num_prefix(void **state)
{
    (void)state;
    static const struct {
        const char *text, *num;
        size_t len;
    } cases[] = {
        {"1.2 Inviter", "1.2", 4},    {"2.2.2. Les projets", "2.2.2", 7}, {"1. S'entendre", "1", 3},
        {"3) Voir", "3", 3},          {"1.1. Renforcer", "1.1", 5},       {"500 Amis facebook", "", 0},
        {"2023, des acteurs", "", 0}, {"2018. Fin", "", 0},               {"1.2", "1.2", 3},
        {"6.1, 6.3", "", 0},          {"PARSIS 2010-2015", "", 0},        {"0-5 ans", "", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char num[64];
        size_t n = cn_num_prefix(cases[i].text, num);
        assert_int_equal(n, cases[i].len);
        if (n)
            assert_string_equal(num, cases[i].num);
    }
    assert_int_equal(cn_num_depth("1.2.1"), 3);
    assert_int_equal(cn_num_depth("4"), 1);
}

static void test_num_follows(void **state)
{
    (void)state;
    assert_true(cn_num_follows("1.2", "1.2.1"));
    assert_true(cn_num_follows("1.2.1", "1.2.2"));
    assert_true(cn_num_follows("3.1", "3.2"));
    assert_true(cn_num_follows("2.1", "2.3")); /* numbering that skips */
    assert_true(cn_num_follows("1.2.2", "1.3"));
    assert_false(cn_num_follows("7.1", "6.1"));
    assert_false(cn_num_follows("3.1", "3.9"));
    assert_false(cn_num_follows("1.2", "2.1.4"));
}

static void test_items(void **state)
{
    (void)state;
    cn_item it[8];
    size_t n = cn_cell_items(zone, "1.2 Inviter les acteurs 1.2.1 lors d'un événement 1.2.2 et d'autres activités "
                                   "Note : les signataires deviennent membres)", it, 8);
    assert_int_equal(n, 3);
    assert_string_equal(it[0].num, "1.2");
    assert_string_equal(it[0].text, "Inviter les acteurs Note : les signataires deviennent membres)");
    assert_string_equal(it[1].num, "1.2.1");
    assert_string_equal(it[1].text, "lors d'un événement");
    assert_string_equal(it[2].text, "et d'autres activités");
    /* A number inside the text that does not follow is text. */
    n = cn_cell_items(zone, "7.1 Revoir les enjeux (voir 6.1 et 6.3)", it, 8);
    assert_int_equal(n, 1);
    assert_string_equal(it[0].text, "Revoir les enjeux (voir 6.1 et 6.3)");
    n = cn_cell_items(zone, "- Tenir un forum - Offrir du soutien - à la demande", it, 8);
    assert_int_equal(n, 2);
    assert_string_equal(it[1].text, "Offrir du soutien - à la demande");
    n = cn_cell_items(zone, "Réaliser un portrait\nDiffuser le portrait", it, 8);
    assert_int_equal(n, 2);
    assert_string_equal(it[0].num, "");
    n = cn_cell_items(zone, "1.1 a 1.2 b 1.3 c", it, 2);
    assert_int_equal(n, 2); /* never more than asked for */
}

static void test_by_number(void **state)
{
    (void)state;
    const char *nums[] = {"3.1", "3.2"};
    char *parts[3];
    size_t found = cn_cell_by_number(zone, "Commun 3.1 Pour la première 3.2 Pour la seconde", nums, 2, parts);
    assert_int_equal(found, 2);
    assert_string_equal(parts[0], "Pour la première");
    assert_string_equal(parts[1], "Pour la seconde");
    assert_string_equal(parts[2], "Commun");
    const char *one[] = {"1.1.2"};
    found = cn_cell_by_number(zone, "1.1.2 Quatre rencontres. 1.1.2 Une rencontre conjointe.", one, 1, parts);
    assert_int_equal(found, 2);
    assert_string_equal(parts[0], "Quatre rencontres. Une rencontre conjointe.");
    assert_null(parts[1]);
    found = cn_cell_by_number(zone, "Voir 6.1 et 6.3", one, 1, parts);
    assert_int_equal(found, 0);
    assert_string_equal(parts[1], "Voir 6.1 et 6.3");
}

static void test_letter_case(void **state)
{
    (void)state;
    assert_true(cn_starts_lower("été"));
    assert_true(cn_starts_lower("œuvre"));
    assert_false(cn_starts_lower("Été"));
    assert_true(cn_starts_upper("Élus"));
    assert_true(cn_starts_upper("À venir"));
    assert_false(cn_starts_upper("à venir"));
    assert_false(cn_starts_upper("(référence"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),      cmocka_unit_test(test_num_prefix), cmocka_unit_test(test_num_follows),
        cmocka_unit_test(test_items),      cmocka_unit_test(test_by_number),  cmocka_unit_test(test_letter_case),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
