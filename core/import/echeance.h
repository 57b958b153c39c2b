/* echeance.h: reading a French échéance ("Automne 2013", "3 octobre 2013",
 * "An 1-2", "Aut.13 - Hiver 14", "En continu", "Sur invitation", …) into
 * windows with a start and an end date, or kinds that have no date.
 *
 * Conventions (documented in proto/PROTOCOL.md):
 * - seasons are Québec's astronomical ones: printemps 03-21..06-20, été
 *   06-21..09-22, automne 09-23..12-20, and "hiver YYYY" is the winter that
 *   ends in YYYY: (YYYY-1)-12-21..YYYY-03-20;
 * - a two-digit year YY is 20YY (19YY from 70 up);
 * - "an N" is the Nth year of the plan: from plan_start + N-1 years to the
 *   day before plan_start + N years; without a plan start it is unknown;
 * - a range "A - B", "A à B", "de A à B" runs from A's start to B's end; a
 *   first part without a year takes the second's ("septembre à décembre
 *   2014");
 * - quarters and semesters are the calendar's ("2e trimestre 2026": April
 *   to June); "début", "mi-", "fin" take a month's days 1-10, 11-20, 21-end,
 *   a year's four months, another span's third of its days;
 * - a deadline ("d'ici mai 2026", "au plus tard le 30 septembre", "jusqu'au
 *   …") is the day it falls; "avant X" the day before X begins;
 * - "semaine du D" is D and the six days after; "hiver 2025-2026" the winter
 *   between them; "année scolaire 2025-2026" runs 1 July to 30 June, "année
 *   financière" and "exercice" 1 April to 31 March;
 * - months or seasons listed before a year share it ("mars et octobre 2025");
 * - several expressions in one text are several windows, in order;
 * - "en continu", "en tout temps", "annuellement", "chaque année", and
 *   rhythms ("trimestriel", "chaque mois", "aux six mois", "une fois
 *   l'an") are ongoing; "sur invitation", "au besoin", "sur demande", "selon les
 *   besoins" are on demand;
 * - text holding none of these is one window of kind unknown. */
#ifndef CN_ECHEANCE_H
#define CN_ECHEANCE_H

#include <stddef.h>

/* Dated windows lie within these years (what a plan document accepts);
 * a reading outside them is not dated. */
#define CN_ECHEANCE_FIRST_YEAR 1900
#define CN_ECHEANCE_LAST_YEAR 2999

typedef enum { CN_WIN_DATED, CN_WIN_ONGOING, CN_WIN_ON_DEMAND, CN_WIN_UNKNOWN } cn_win_kind;

typedef struct {
    cn_win_kind kind;
    char start[11], end[11]; /* YYYY-MM-DD, empty unless dated */
} cn_window;

/* Parses text; plan_start (YYYY-MM-DD) anchors "an N" and may be NULL.
 * Writes at most cap windows and returns how many (at least 1 when cap>0). */
size_t cn_echeance_parse(const char *text, const char *plan_start, cn_window *out, size_t cap);

/* "dated", "ongoing", "on_demand" or "unknown". */
const char *cn_win_kind_name(cn_win_kind kind);

#endif
