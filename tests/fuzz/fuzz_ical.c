/* fuzz_ical.c: a partner's iCalendar file, read through libical into
 * activities, as calendar.import does. Invariants: read or refused in
 * words; every activity's texts are valid UTF-8 and its times are
 * "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM"; writing them back gives a
 * calendar that reads again with as many activities. */
#include <string.h>

#include "fuzz_support.h"
#include "ics.h"
#include "text.h"

static bool time_ok(const char *s)
{
    size_t n = strlen(s);
    if (n != 10 && n != 16)
        return false;
    char date[11];
    memcpy(date, s, 10);
    date[10] = '\0';
    return cn_date_valid(date) && (n == 10 || s[10] == 'T');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ics_activity *acts = NULL;
    size_t n = 0;
    char err[512] = "";
    if (ics_read(text, &acts, &n, err, sizeof err) != 0) {
        FUZZ_ASSERT(err[0] && cn_utf8_valid(err, strlen(err)), "un refus en mots");
    } else {
        for (size_t i = 0; i < n; i++) {
            const ics_activity *a = &acts[i];
            const char *texts[] = {a->uid, a->title, a->place, a->url, a->organisation, a->description, a->rrule};
            for (size_t k = 0; k < sizeof texts / sizeof *texts; k++)
                FUZZ_ASSERT(cn_utf8_valid(texts[k], strlen(texts[k])), "des textes en UTF-8 valide");
            if (a->start[0] && !time_ok(a->start))
                fprintf(stderr, "fuzz: début « %s »\n", a->start);
            FUZZ_ASSERT(!a->start[0] || time_ok(a->start), "un début AAAA-MM-JJ[THH:MM]");
        }
        char *again = ics_write(acts, n, "Fuzz", 0);
        if (again) {
            ics_activity *back = NULL;
            size_t m = 0;
            if (ics_read(again, &back, &m, err, sizeof err) == 0)
                FUZZ_ASSERT(m == n, "relu, autant d'activités");
            free(back);
            free(again);
        }
    }
    free(acts);
    free(text);
    return 0;
}
