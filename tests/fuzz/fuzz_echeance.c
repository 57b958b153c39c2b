/* fuzz_echeance.c: the échéance reader ("an 1 à an 3", "printemps 2023",
 * "15 mars au 2 avril 2024"…). Input: an optional first line "YYYY-MM-DD"
 * (the plan's start), then the text.
 *
 * Invariants: every dated window is two real dates in 1900..2999 (what
 * the plan document accepts back: adversary F8) with start <= end; the
 * other kinds carry no dates. */
#include <string.h>

#include "echeance.h"
#include "fuzz_support.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *plan_start = NULL, *body = text;
    char start[11] = "";
    if (size > 11 && text[10] == '\n') {
        memcpy(start, text, 10);
        if (cn_date_valid(start))
            plan_start = start;
        body = text + 11;
    }
    cn_window w[16];
    size_t n = cn_echeance_parse(body, plan_start, w, 16);
    FUZZ_ASSERT(n <= 16, "au plus la capacité donnée");
    for (size_t i = 0; i < n; i++) {
        if (w[i].kind == CN_WIN_DATED) {
            FUZZ_ASSERT(cn_date_valid(w[i].start) && cn_date_valid(w[i].end), "des dates réelles");
            FUZZ_ASSERT(strcmp(w[i].start, "1900-01-01") >= 0 && strcmp(w[i].end, "2999-12-31") <= 0,
                        "dans 1900..2999, que le document de plan accepte");
            FUZZ_ASSERT(strcmp(w[i].start, w[i].end) <= 0, "le début avant la fin");
        } else {
            FUZZ_ASSERT(!w[i].start[0] && !w[i].end[0], "pas de dates hors des fenêtres datées");
        }
        FUZZ_ASSERT(cn_win_kind_name(w[i].kind) != NULL, "un genre connu");
    }
    free(text);
    return 0;
}
