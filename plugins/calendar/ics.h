/* ics.h: the calendar plugin's iCalendar side, through libical: writing
 * activities as a VCALENDAR (VTIMEZONE America/Toronto, one VEVENT per
 * activity with a stable UID, SEQUENCE, STATUS, RRULE/EXDATE), reading
 * the VEVENTs of a partner's .ics, and expanding a recurrence into its
 * occurrences (wall-clock times kept across daylight-saving changes). */
#ifndef CALENDAR_ICS_H
#define CALENDAR_ICS_H

#include <stdbool.h>
#include <stddef.h>

#define ICS_TZ "America/Toronto"

/* One activity, as stored: times are local wall-clock times in ICS_TZ,
 * "YYYY-MM-DDTHH:MM", or dates "YYYY-MM-DD" when all_day. */
typedef struct {
    char uid[256], title[512], kind[64], start[32], end[32], place[512], url[1024], organisation[256], region[64];
    char description[4096], status[16], rrule[512], exdates[1024]; /* exdates: ", "-separated like start */
    bool all_day;
    int sequence;
} ics_activity;

/* A new string holding a VCALENDAR of the n activities (caller frees), or
 * NULL. name is the calendar's X-WR-CALNAME. */
char *ics_write(const ics_activity *acts, size_t n, const char *name, long long now_ms);

/* Checks an RRULE: parsable, and bounded (COUNT or UNTIL). Returns NULL
 * when good, else a message for a person. */
const char *ics_rrule_problem(const char *rrule);

/* Calls fn for each occurrence of a starting in [from, to] (dates
 * YYYY-MM-DD, inclusive), exdates left out, at most max; start is the
 * occurrence's local start as stored. Returns how many. */
typedef void (*ics_occurrence_fn)(const char *start, void *data);
int ics_expand(const ics_activity *a, const char *from, const char *to, int max, ics_occurrence_fn fn, void *data);

/* Reads the VEVENTs of text into a new array (*out, caller frees) of *n
 * activities (times converted to ICS_TZ). Returns 0, or -1 with a message
 * for a person in err. */
int ics_read(const char *text, ics_activity **out, size_t *n, char *err, size_t errcap);

/* How many problems libical finds in text (parse errors, and RFC 5546
 * restrictions for its METHOD), the first one described in first; -1 when
 * it is not iCalendar at all. */
int ics_problems(const char *text, char *first, size_t cap);

/* Frees what libical keeps for the process (built-in zones, buffers). */
void ics_cleanup(void);

#endif
