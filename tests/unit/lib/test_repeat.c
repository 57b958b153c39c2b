/* Unit tests of repeat.c: recurrences as tables say them, to RFC 5545
 * rules worked out by hand, and rules back in words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "repeat.h"

static void words_to_rules(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"le 2e mardi du mois, sauf juillet et août", "FREQ=MONTHLY;BYDAY=2TU;BYMONTH=1,2,3,4,5,6,9,10,11,12"},
        {"deuxième mardi de chaque mois", "FREQ=MONTHLY;BYDAY=2TU"},
        {"le premier lundi du mois", "FREQ=MONTHLY;BYDAY=1MO"},
        {"le dernier vendredi du mois", "FREQ=MONTHLY;BYDAY=-1FR"},
        {"chaque lundi", "FREQ=WEEKLY;BYDAY=MO"},
        {"tous les jeudis", "FREQ=WEEKLY;BYDAY=TH"},
        {"aux deux semaines", "FREQ=WEEKLY;INTERVAL=2"},
        {"toutes les 3 semaines, 6 fois", "FREQ=WEEKLY;INTERVAL=3;COUNT=6"},
        {"le 15 de chaque mois", "FREQ=MONTHLY;BYMONTHDAY=15"},
        {"tous les trois mois", "FREQ=MONTHLY;INTERVAL=3"},
        {"chaque trimestre", "FREQ=MONTHLY;INTERVAL=3"},
        {"chaque année", "FREQ=YEARLY"},
        {"chaque mois jusqu'au 2027-06-30", "FREQ=MONTHLY;UNTIL=20270630"},
        {"chaque mois jusqu'au 30 juin 2027", "FREQ=MONTHLY;UNTIL=20270630"},
        {"Chaque Mois, 10 FOIS", "FREQ=MONTHLY;COUNT=10"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rule[256], err[256];
        assert_int_equal(repeat_to_rrule(cases[i][0], rule, sizeof rule, err, sizeof err), 0);
        assert_string_equal(rule, cases[i][1]);
    }
    const char *wrong[] = {"", "n'importe quoi", "chaque mois jusqu'au 31 février" /* no year */, "chaque mois jusqu'au bientôt"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        char rule[256], err[256] = "";
        int rc = repeat_to_rrule(wrong[i], rule, sizeof rule, err, sizeof err);
        assert_int_equal(rc, -1);
        assert_true(strncmp(err, "repeat", 6) == 0);
    }
}

static void rules_to_words(void **state)
{
    (void)state;
    const char *cases[][3] = {
        {"FREQ=MONTHLY;BYDAY=2TU;BYMONTH=1,2,3,4,5,6,9,10,11,12;COUNT=10",
         "le 2e mardi du mois, sauf juillet et août, 10 fois",
         "the second tuesday of the month, except July and August, 10 times"},
        {"FREQ=WEEKLY;BYDAY=MO;UNTIL=20270630", "chaque lundi, jusqu'au 2027-06-30", "every monday, until 2027-06-30"},
        {"FREQ=WEEKLY;INTERVAL=2;COUNT=6", "toutes les 2 semaines, 6 fois", "every 2 weeks, 6 times"},
        {"FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3", "le 15 de chaque mois, 3 fois", "on the 15 of every month, 3 times"},
        {"FREQ=MONTHLY;BYDAY=-1FR;COUNT=2", "le dernier vendredi du mois, 2 fois", "the last friday of the month, 2 times"},
        {"FREQ=YEARLY;COUNT=4", "chaque année, 4 fois", "every year, 4 times"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char fr[256], en[256];
        rrule_to_words(cases[i][0], false, fr, sizeof fr);
        rrule_to_words(cases[i][0], true, en, sizeof en);
        assert_string_equal(fr, cases[i][1]);
        assert_string_equal(en, cases[i][2]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(words_to_rules), cmocka_unit_test(rules_to_words)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
