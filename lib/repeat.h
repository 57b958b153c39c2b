/* repeat.h: a recurrence in words, both ways (repeat.c): the calendar
 * reads them, concertctl and the web show rules with them. */
#ifndef CN_REPEAT_H
#define CN_REPEAT_H

#include <stdbool.h>
#include <stddef.h>

/* "le 2e mardi du mois, sauf juillet et août, 10 fois" as an RRULE into
 * out. 0, or -1 with why in err (French). Without "N fois" or "jusqu'au",
 * the rule has no end: the caller decides. */
int repeat_to_rrule(const char *text, char *out, size_t cap, char *err, size_t errcap);

/* An RRULE in French (or English) words; the rule itself when it says more
 * than words here can. */
void rrule_to_words(const char *rrule, bool en, char *out, size_t cap);

#endif
