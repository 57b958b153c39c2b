/* Unit tests of echeance.c: French schedule texts and the windows they
 * mean, worked out by hand from the conventions in echeance.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "echeance.h"

typedef struct {
    const char *text, *plan_start, *expected;
} case_t;

#define P "2018-10-02" /* Lanaudière's plan, adopted 2 October 2018 */

static const case_t cases[] = {
    /* exact dates */
    {"3 octobre 2013", NULL, "2013-10-03..2013-10-03"},
    {"2 oct. 2013", NULL, "2013-10-02..2013-10-02"},
    {"1er mai 2014", NULL, "2014-05-01..2014-05-01"},
    {"15 février 2016", NULL, "2016-02-15..2016-02-15"},
    {"15 FÉVRIER 2016", NULL, "2016-02-15..2016-02-15"},
    {"15 fevrier 2016", NULL, "2016-02-15..2016-02-15"},
    {"29 février 2016", NULL, "2016-02-29..2016-02-29"},
    {"30 février 2016", NULL, "unknown"},
    {"31 déc. 2019", NULL, "2019-12-31..2019-12-31"},
    {"Mise à jour : 2013-10-11", NULL, "2013-10-11..2013-10-11"},
    {"2013-10-11", NULL, "2013-10-11..2013-10-11"},
    {"2023-02-30", NULL, "unknown"},
    {"le 11/10/2013", NULL, "2013-10-11..2013-10-11"},
    {"3 octobre 13", NULL, "2013-10-03..2013-10-03"},
    {"Rencontre le 12 juin 2019 à Joliette", NULL, "2019-06-12..2019-06-12"},
    /* months */
    {"Novembre 2013", NULL, "2013-11-01..2013-11-30"},
    {"nov. 13", NULL, "2013-11-01..2013-11-30"},
    {"nov 13", NULL, "2013-11-01..2013-11-30"},
    {"Février 2016", NULL, "2016-02-01..2016-02-29"},
    {"février 2017", NULL, "2017-02-01..2017-02-28"},
    {"juin 2015", NULL, "2015-06-01..2015-06-30"},
    {"Sept. 2014", NULL, "2014-09-01..2014-09-30"},
    {"août 2020", NULL, "2020-08-01..2020-08-31"},
    {"AOUT 2020", NULL, "2020-08-01..2020-08-31"},
    {"janv. 2021", NULL, "2021-01-01..2021-01-31"},
    {"juil. 2022", NULL, "2022-07-01..2022-07-31"},
    {"décembre 2018", NULL, "2018-12-01..2018-12-31"},
    {"2019-03", NULL, "2019-03-01..2019-03-31"},
    /* seasons */
    {"Automne 2013", NULL, "2013-09-23..2013-12-20"},
    {"Aut.13", NULL, "2013-09-23..2013-12-20"},
    {"aut. 2013", NULL, "2013-09-23..2013-12-20"},
    {"Hiver 14", NULL, "2013-12-21..2014-03-20"},
    {"hiver 2019", NULL, "2018-12-21..2019-03-20"},
    {"à l'hiver 2019", NULL, "2018-12-21..2019-03-20"},
    {"printemps 2014", NULL, "2014-03-21..2014-06-20"},
    {"Printemps 14", NULL, "2014-03-21..2014-06-20"},
    {"Été 2014", NULL, "2014-06-21..2014-09-22"},
    {"ete 2014", NULL, "2014-06-21..2014-09-22"},
    {"ÉTÉ 14", NULL, "2014-06-21..2014-09-22"},
    {"Bases au printemps 2014", NULL, "2014-03-21..2014-06-20"},
    {"Ébauche de définition établie par le CA à l'hiver 2019", NULL, "2018-12-21..2019-03-20"},
    {"une rencontre à l'automne 2017", NULL, "2017-09-23..2017-12-20"},
    /* years */
    {"En 2014", NULL, "2014-01-01..2014-12-31"},
    {"2014", NULL, "2014-01-01..2014-12-31"},
    {"Tableau de bord mis à jour en 2019 et en 2023.", NULL, "2019-01-01..2019-12-31|2023-01-01..2023-12-31"},
    {"2018-2023", NULL, "2018-01-01..2023-12-31"},
    {"2013-14", NULL, "2013-01-01..2014-12-31"},
    {"2021-2024", NULL, "2021-01-01..2024-12-31"},
    /* ranges */
    {"Aut.13 - Hiver 14", NULL, "2013-09-23..2014-03-20"},
    {"Aut.13 – Hiver 14", NULL, "2013-09-23..2014-03-20"},
    {"Juin 13-Juin 15", NULL, "2013-06-01..2015-06-30"},
    {"juin 13 - juin 15", NULL, "2013-06-01..2015-06-30"},
    {"septembre à décembre 2014", NULL, "2014-09-01..2014-12-31"},
    {"de septembre à décembre 2014", NULL, "2014-09-01..2014-12-31"},
    {"novembre à février 2015", NULL, "2014-11-01..2015-02-28"},
    {"de l'automne 2013 à l'hiver 2014", NULL, "2013-09-23..2014-03-20"},
    {"printemps 2014 à l'automne 2015", NULL, "2014-03-21..2015-12-20"},
    {"3 octobre 2013 - 15 novembre 2013", NULL, "2013-10-03..2013-11-15"},
    {"3 au 5 octobre 2013", NULL, "2013-10-03..2013-10-05"},
    {"janvier 2014 jusqu'à juin 2014", NULL, "2014-01-01..2014-06-30"},
    {"Automne 2013 au printemps 2014", NULL, "2013-09-23..2014-06-20"},
    {"2014 à 2016", NULL, "2014-01-01..2016-12-31"},
    /* lists */
    {"Novembre 2013 Mai 2014", NULL, "2013-11-01..2013-11-30|2014-05-01..2014-05-31"},
    {"Novembre 2013, Mai 2014", NULL, "2013-11-01..2013-11-30|2014-05-01..2014-05-31"},
    {"Automne 2013 et hiver 2014", NULL, "2013-09-23..2013-12-20|2013-12-21..2014-03-20"},
    {"mars 2014; juin 2014; sept. 2014", NULL,
     "2014-03-01..2014-03-31|2014-06-01..2014-06-30|2014-09-01..2014-09-30"},
    {"Aut.13 Hiver 14", NULL, "2013-09-23..2013-12-20|2013-12-21..2014-03-20"},
    /* plan-relative years */
    {"an 1", P, "2018-10-02..2019-10-01"},
    {"An 1", P, "2018-10-02..2019-10-01"},
    {"AN 3", P, "2020-10-02..2021-10-01"},
    {"an 5", P, "2022-10-02..2023-10-01"},
    {"An 1-2", P, "2018-10-02..2020-10-01"},
    {"An 1, 2, 3", P, "2018-10-02..2019-10-01|2019-10-02..2020-10-01|2020-10-02..2021-10-01"},
    {"an 1 et 3", P, "2018-10-02..2019-10-01|2020-10-02..2021-10-01"},
    {"an 2, 15 mai 2021", P, "2019-10-02..2020-10-01|2021-05-15..2021-05-15"},
    {"an 1-2.", P, "2018-10-02..2020-10-01"},
    {"an 1 à an 5", P, "2018-10-02..2023-10-01"},
    {"An 1 à 3", P, "2018-10-02..2021-10-01"},
    {"année 2", P, "2019-10-02..2020-10-01"},
    {"an1", P, "2018-10-02..2019-10-01"},
    {"(structures en place, partenaires impliqués, etc.); an 1.", P, "2018-10-02..2019-10-01"},
    {"an 1", "2016-02-29", "2016-02-29..2017-02-27"},
    {"an 1", NULL, "unknown"},
    {"An 2, An 4", P, "2019-10-02..2020-10-01|2021-10-02..2022-10-01"},
    /* quarters and semesters (calendar ones) */
    {"2e trimestre 2026", NULL, "2026-04-01..2026-06-30"},
    {"T4 2025", NULL, "2025-10-01..2025-12-31"},
    {"premier trimestre 2027", NULL, "2027-01-01..2027-03-31"},
    {"1er trimestre 2027", NULL, "2027-01-01..2027-03-31"},
    {"dernier trimestre de 2025", NULL, "2025-10-01..2025-12-31"},
    {"premier semestre 2027", NULL, "2027-01-01..2027-06-30"},
    {"2e semestre 2026", NULL, "2026-07-01..2026-12-31"},
    {"3e trimestre", NULL, "unknown"},
    /* beginnings, middles and ends: a month in tens of days, a year in
     * thirds of months, a season in thirds of its days */
    {"début 2026", NULL, "2026-01-01..2026-04-30"},
    {"mi-2026", NULL, "2026-05-01..2026-08-31"},
    {"fin 2026", NULL, "2026-09-01..2026-12-31"},
    {"début avril 2025", NULL, "2025-04-01..2025-04-10"},
    {"mi-avril 2025", NULL, "2025-04-11..2025-04-20"},
    {"fin avril 2025", NULL, "2025-04-21..2025-04-30"},
    {"fin février 2026", NULL, "2026-02-21..2026-02-28"},
    {"fin de l'automne 2024", NULL, "2024-11-21..2024-12-20"},
    {"début de l'été 2025", NULL, "2025-06-21..2025-07-21"},
    /* deadlines: the day it falls */
    {"d'ici mai 2026", NULL, "2026-05-31..2026-05-31"},
    {"au plus tard le 30 septembre 2025", NULL, "2025-09-30..2025-09-30"},
    {"avant l'été 2026", NULL, "2026-06-20..2026-06-20"},
    {"avant le 15 mars 2026", NULL, "2026-03-14..2026-03-14"},
    {"d'ici la fin de 2026", NULL, "2026-12-31..2026-12-31"},
    /* weeks */
    {"semaine du 9 février 2026", NULL, "2026-02-09..2026-02-15"},
    {"la semaine du 28 décembre 2026", NULL, "2026-12-28..2027-01-03"},
    /* seasons and years spanning two years */
    {"hiver 2025-2026", NULL, "2025-12-21..2026-03-20"},
    {"hiver 2025-26", NULL, "2025-12-21..2026-03-20"},
    {"année scolaire 2025-2026", NULL, "2025-07-01..2026-06-30"},
    {"année financière 2025-2026", NULL, "2025-04-01..2026-03-31"},
    {"exercice 2025-2026", NULL, "2025-04-01..2026-03-31"},
    /* lists sharing a year or a plan */
    {"mars et octobre 2025", NULL, "2025-03-01..2025-03-31|2025-10-01..2025-10-31"},
    {"Mars, juin 2022", NULL, "2022-03-01..2022-03-31|2022-06-01..2022-06-30"},
    {"mars, juin et septembre 2022", NULL, "2022-03-01..2022-03-31|2022-06-01..2022-06-30|2022-09-01..2022-09-30"},
    {"printemps et automne 2025", NULL, "2025-03-21..2025-06-20|2025-09-23..2025-12-20"},
    {"an 1 et an 4", P, "2018-10-02..2019-10-01|2021-10-02..2022-10-01"},
    {"années 2 à 4", P, "2019-10-02..2022-10-01"},
    /* day ranges within a month */
    {"9-10 avril 2026", NULL, "2026-04-09..2026-04-10"},
    {"du 9 au 10 avril 2026", NULL, "2026-04-09..2026-04-10"},
    /* rhythms: ongoing */
    {"trimestriel", NULL, "ongoing"},
    {"Rencontres trimestrielles", NULL, "ongoing"},
    {"aux six mois", NULL, "ongoing"},
    {"une fois l'an", NULL, "ongoing"},
    {"chaque mois", NULL, "ongoing"},
    {"hebdomadaire", NULL, "ongoing"},
    {"mensuel", NULL, "ongoing"},
    {"deux fois par année", NULL, "ongoing"},
    /* no date */
    {"En continu", NULL, "ongoing"},
    {"en continu", NULL, "ongoing"},
    {"EN CONTINU", NULL, "ongoing"},
    {"En tout temps", NULL, "ongoing"},
    {"Annuellement", NULL, "ongoing"},
    {"Sur invitation", NULL, "on_demand"},
    {"Au besoin", NULL, "on_demand"},
    {"Sur demande", NULL, "on_demand"},
    {"selon les besoins", NULL, "on_demand"},
    {"En continu depuis l'automne 2013", NULL, "ongoing|2013-09-23..2013-12-20"},
    {"", NULL, "unknown"},
    {"À déterminer", NULL, "unknown"},
    {"CA et équipe", NULL, "unknown"},
    {"Mars", NULL, "unknown"},
    {"Nombre de membres: 200", NULL, "unknown"},
    {"X", NULL, "unknown"},
    /* impossible dates are not read as their year (adversary F9) */
    {"31/31/2024", NULL, "unknown"},
    {"29/02/2023", NULL, "unknown"},
    {"29/02/2024", NULL, "2024-02-29..2024-02-29"},
    {"2019-13", NULL, "unknown"},
    {"2019-02-29 - 2019-03-01", NULL, "unknown"},
    {"an 1 à an 99", P, "unknown"},
    {"an 21", P, "unknown"},
    {"an 20", P, "2037-10-02..2038-10-01"},
    {"an 999999", P, "unknown"},
    /* only dates a plan document accepts back, 1900..2999 (adversary F8) */
    {"hiver 1900", NULL, "unknown"},
    {"an 2", "2999-06-01", "unknown"},
    {"an 1", "2998-06-01", "2998-06-01..2999-05-31"},
};

static void render(const cn_window *w, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        if (w[i].kind == CN_WIN_DATED)
            snprintf(out + len, cap - len, "%s%s..%s", i ? "|" : "", w[i].start, w[i].end);
        else
            snprintf(out + len, cap - len, "%s%s", i ? "|" : "", cn_win_kind_name(w[i].kind));
    }
}

static void expressions(void **state)
{
    (void)state;
    size_t failures = 0, total = sizeof cases / sizeof cases[0];
    assert_true(total >= 80);
    for (size_t i = 0; i < total; i++) {
        cn_window w[8];
        size_t n = cn_echeance_parse(cases[i].text, cases[i].plan_start, w, 8);
        char got[512];
        render(w, n, got, sizeof got);
        if (strcmp(got, cases[i].expected) != 0) {
            print_error("« %s »%s%s: attendu %s, obtenu %s\n", cases[i].text, cases[i].plan_start ? " début " : "",
                        cases[i].plan_start ? cases[i].plan_start : "", cases[i].expected, got);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void the_whole_text_is_read(void **state)
{
    (void)state;
    /* A date after 1 KB of text was once not seen (the text was cut). */
    char text[3000];
    memset(text, 'x', 2000);
    text[2000] = '\0';
    strcat(text, " le 3 octobre 2013");
    cn_window w[2];
    assert_int_equal(cn_echeance_parse(text, NULL, w, 2), 1);
    assert_string_equal(w[0].start, "2013-10-03");
}

static void capacity(void **state)
{
    (void)state;
    cn_window w[2];
    assert_int_equal(cn_echeance_parse("an 1, an 2, an 3, an 4", P, w, 2), 2);
    assert_int_equal(cn_echeance_parse("an 1", P, w, 0), 0);
    assert_int_equal(cn_echeance_parse(NULL, NULL, w, 2), 1);
    assert_int_equal(w[0].kind, CN_WIN_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(expressions), cmocka_unit_test(the_whole_text_is_read),
                                       cmocka_unit_test(capacity)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
