/* Unit tests of lib/fold.c: comparison keys (cn_fold) and words
 * (cn_fold_words, cn_fold_has), against values worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fold.h"

static void keys_fold_accents_and_case_only(void **state)
{
    (void)state;
    char a[64], b[64];
    cn_fold("Lanaudière", a, sizeof a);
    cn_fold("LANAUDIERE", b, sizeof b);
    assert_string_equal(a, "lanaudiere");
    assert_string_equal(a, b);
    cn_fold("Été À Ç Œuvre Ÿ", a, sizeof a);
    assert_string_equal(a, "ete a c oeuvre y");
    cn_fold("Gaspésie–Îles", a, sizeof a); /* the en dash is kept as it is */
    assert_string_equal(a, "gaspesie–iles");
    cn_fold("Straße Þór Ĳssel", a, sizeof a); /* the letters of one table for both shapes */
    assert_string_equal(a, "strasse thor ijssel");
    cn_fold("Lanaudière", a, 5); /* cut at the buffer, never past it */
    assert_string_equal(a, "lana");
}

static void folds_accents_case_and_punctuation(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"Sécurité ALIMENTAIRE", " securite alimentaire "},
        {"l’économie sociale", " l economie sociale "},
        {"Œuvre, cœur & Ça", " oeuvre coeur ca "},
        {"Développement-social (MRC)", " developpement social mrc "},
        {"Ĳssel Łódź Ŝ", " ijssel lodz s "},
        {"déjà — « vu »", " deja vu "},
        {"", " "},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char *f = cn_fold_words(pairs[i][0]);
        assert_non_null(f);
        assert_string_equal(f, pairs[i][1]);
        free(f);
    }
}

static void terms_are_whole_words(void **state)
{
    (void)state;
    static const struct {
        const char *text, *term;
        bool found;
    } cases[] = {
        {"Le PAGIEPS 2024 est lancé", "pagieps", true},
        {"PAGIEPSX", "PAGIEPS", false},
        {"lutte à l'insécurité alimentaire", "sécurité alimentaire", false},
        {"la sécurité-alimentaire", "Sécurité alimentaire", true},
        {"des financements", "financement", false},
        {"Appel de projets : date limite", "appel de projets", true},
        {"appel de nouveaux projets", "appel de projets", false},
        {"n'importe quoi", "« »", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *f = cn_fold_words(cases[i].text);
        assert_non_null(f);
        if (cn_fold_has(f, cases[i].term) != cases[i].found)
            fail_msg("« %s » in « %s »: expected %d", cases[i].term, cases[i].text, cases[i].found);
        free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_fold_accents_and_case_only),
        cmocka_unit_test(folds_accents_case_and_punctuation),
        cmocka_unit_test(terms_are_whole_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
