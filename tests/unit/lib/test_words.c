/* Unit tests of words.c: what a person types for each value, in French or
 * English, with or without accents, and the words shown back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "words.h"

static const char *value(const char *typed, const char *const *allowed)
{
    return cn_word_value(typed, strlen(typed), allowed);
}

static void action_states_as_typed(void **state)
{
    (void)state;
    static const char *const statuses[] = {"planned", "in_progress", "done", "ongoing", "postponed", "cancelled", NULL};
    const char *cases[][2] = {
        {"in_progress", "in_progress"}, {"en cours", "in_progress"}, {"en_cours", "in_progress"},
        {"En Cours", "in_progress"},    {"en-cours", "in_progress"}, {"  en   cours ", "in_progress"},
        {"réalisée", "done"},           {"realisee", "done"},        {"Réalisé", "done"},
        {"terminé", "done"},            {"fait", "done"},            {"prévue", "planned"},
        {"à venir", "planned"},         {"reportée", "postponed"},   {"annulée", "cancelled"},
        {"ANNULÉE", "cancelled"},       {"en continu", "ongoing"},   {"in progress", "in_progress"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(value(cases[i][0], statuses), cases[i][1]);
    const char *wrong[] = {"", "n'importe", "encours", "accepted", "comité", "réalisée!"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        assert_null(value(wrong[i], statuses));
}

static void a_word_names_the_value_its_list_allows(void **state)
{
    (void)state;
    /* "prévu" is a reminder's state (pending); typed for an action, it is planned. */
    static const char *const statuses[] = {"planned", "done", NULL}, *const reminders[] = {"pending", "sent", NULL};
    assert_string_equal(value("prévu", statuses), "planned");
    assert_string_equal(value("prévu", reminders), "pending");
    static const char *const decisions[] = {"accepted", "needs_info", "refused", NULL};
    assert_string_equal(value("acceptée", decisions), "accepted");
    assert_string_equal(value("Refusée", decisions), "refused");
    assert_string_equal(value("à compléter", decisions), "needs_info");
    static const char *const kinds[] = {"comite", "aga", "rencontre", NULL};
    assert_string_equal(value("Comité", kinds), "comite");
    assert_string_equal(value("assemblée générale annuelle", kinds), "aga");
    assert_string_equal(value("réunion", kinds), "rencontre");
    static const char *const cadences[] = {"immediate", "daily", "weekly", NULL};
    assert_string_equal(value("quotidien", cadences), "daily");
    assert_string_equal(value("hebdomadaire", cadences), "weekly");
    static const char *const regions[] = {"local", "regional", "national", NULL};
    assert_string_equal(value("Régionale", regions), "regional");
    /* not NUL-terminated: only len bytes count */
    assert_string_equal(cn_word_value("doneXYZ", 4, statuses), "done");
    assert_string_equal(cn_word_value("prévueXYZ", strlen("prévue"), statuses), "planned");
}

static void words_shown(void **state)
{
    (void)state;
    assert_string_equal(cn_word("in_progress", false), "en cours");
    assert_string_equal(cn_word("in_progress", true), "in progress");
    assert_string_equal(cn_word("submitted", false), "soumise");
    assert_string_equal(cn_word("needs_info", false), "à compléter");
    assert_string_equal(cn_word("comite", false), "comité");
    assert_string_equal(cn_word("no-such-value", false), "no-such-value");
    assert_string_equal(cn_word(NULL, false), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(action_states_as_typed),
                                       cmocka_unit_test(a_word_names_the_value_its_list_allows),
                                       cmocka_unit_test(words_shown)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
