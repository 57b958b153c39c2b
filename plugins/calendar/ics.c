/* ics.c: see ics.h. */
#include "ics.h"

#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include <concertd/plugin.h> /* cd_when_kind */

static icaltimezone *toronto(void) { return icaltimezone_get_builtin_timezone(ICS_TZ); }

/* The zone as calendar apps expect it: TZID "America/Toronto" and today's
 * rules (since 2007), rather than libical's built-in one with a prefixed
 * TZID and every rule since 1895. */
static icalcomponent *vtimezone(void)
{
    return icalparser_parse_string("BEGIN:VTIMEZONE\r\n"
                                   "TZID:" ICS_TZ "\r\n"
                                   "X-LIC-LOCATION:" ICS_TZ "\r\n"
                                   "BEGIN:DAYLIGHT\r\n"
                                   "TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\n"
                                   "DTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"
                                   "END:DAYLIGHT\r\n"
                                   "BEGIN:STANDARD\r\n"
                                   "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\n"
                                   "DTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"
                                   "END:STANDARD\r\n"
                                   "END:VTIMEZONE\r\n");
}

/* "2026-10-03T13:30" or "2026-10-03" → an icaltimetype in Toronto (a date
 * when all_day). */
static struct icaltimetype local_time(const char *s, bool all_day)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0;
    sscanf(s, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi);
    struct icaltimetype t = icaltime_null_time();
    t.year = y;
    t.month = mo;
    t.day = d;
    if (all_day) {
        t.is_date = 1;
        return t;
    }
    t.hour = h;
    t.minute = mi;
    return t; /* wall-clock time; the TZID parameter says where */
}

static void format_local(struct icaltimetype t, bool all_day, char *out, size_t cap)
{
    if (all_day || t.is_date)
        snprintf(out, cap, "%04d-%02d-%02d", t.year, t.month, t.day);
    else
        snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d", t.year, t.month, t.day, t.hour, t.minute);
}

static icalproperty *with_tz(icalproperty *p, bool all_day)
{
    if (!all_day)
        icalproperty_add_parameter(p, icalparameter_new_tzid(ICS_TZ));
    return p;
}

static icalproperty_status status_of(const char *s)
{
    if (strcmp(s, "cancelled") == 0)
        return ICAL_STATUS_CANCELLED;
    if (strcmp(s, "planned") == 0)
        return ICAL_STATUS_TENTATIVE;
    return ICAL_STATUS_CONFIRMED;
}

char *ics_write(const ics_activity *acts, size_t n, const char *name, long long now_ms)
{
    icalcomponent *cal = icalcomponent_new_vcalendar();
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal, icalproperty_new_prodid("-//concertd//calendrier des activités//FR"));
    /* No METHOD: a subscribed feed is not an iTIP message (PUBLISH would
     * require an ORGANIZER on every event). */
    icalproperty *xname = icalproperty_new_x(name);
    icalproperty_set_x_name(xname, "X-WR-CALNAME");
    icalcomponent_add_property(cal, xname);
    icalproperty *xtz = icalproperty_new_x(ICS_TZ);
    icalproperty_set_x_name(xtz, "X-WR-TIMEZONE");
    icalcomponent_add_property(cal, xtz);
    icalcomponent *vtz = vtimezone();
    if (vtz)
        icalcomponent_add_component(cal, vtz);
    struct icaltimetype stamp = icaltime_from_timet_with_zone((time_t)(now_ms / 1000), 0, icaltimezone_get_utc_timezone());
    for (size_t i = 0; i < n; i++) {
        const ics_activity *a = &acts[i];
        icalcomponent *ev = icalcomponent_new_vevent();
        icalcomponent_add_property(ev, icalproperty_new_uid(a->uid));
        icalcomponent_add_property(ev, icalproperty_new_dtstamp(stamp));
        icalcomponent_add_property(ev, icalproperty_new_sequence(a->sequence));
        icalcomponent_add_property(ev, icalproperty_new_summary(a->title));
        icalcomponent_add_property(ev, with_tz(icalproperty_new_dtstart(local_time(a->start, a->all_day)), a->all_day));
        icalcomponent_add_property(ev, with_tz(icalproperty_new_dtend(local_time(a->end, a->all_day)), a->all_day));
        icalcomponent_add_property(ev, icalproperty_new_status(status_of(a->status)));
        icalcomponent_add_property(ev, icalproperty_new_categories(a->kind));
        if (a->place[0])
            icalcomponent_add_property(ev, icalproperty_new_location(a->place));
        if (a->url[0])
            icalcomponent_add_property(ev, icalproperty_new_url(a->url));
        char desc[5000];
        snprintf(desc, sizeof desc, "%s%s%s", a->description, a->description[0] && a->organisation[0] ? "\n\n" : "",
                 a->organisation[0] ? a->organisation : "");
        if (desc[0])
            icalcomponent_add_property(ev, icalproperty_new_description(desc));
        if (a->rrule[0])
            icalcomponent_add_property(ev, icalproperty_new_rrule(icalrecurrencetype_from_string(a->rrule)));
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", a->exdates);
        for (char *save = NULL, *p = strtok_r(copy, ", ", &save); p; p = strtok_r(NULL, ", ", &save))
            icalcomponent_add_property(ev, with_tz(icalproperty_new_exdate(local_time(p, a->all_day)), a->all_day));
        icalcomponent_add_component(cal, ev);
    }
    char *text = icalcomponent_as_ical_string_r(cal);
    icalcomponent_free(cal);
    return text;
}

/* A time libical read that names a moment that exists: libical takes
 * "20240230" or "T250000" without a word, and calendar apps refuse them. */
static bool ical_time_real(struct icaltimetype t)
{
    if (t.year < 1900 || t.year > 2999 || t.month < 1 || t.month > 12 || t.day < 1 ||
        t.day > icaltime_days_in_month(t.month, t.year))
        return false;
    return t.is_date || (t.hour >= 0 && t.hour < 24 && t.minute >= 0 && t.minute < 60 && t.second >= 0 && t.second < 60);
}

const char *ics_rrule_problem(const char *rrule)
{
    icalerror_clear_errno();
    struct icalrecurrencetype r = icalrecurrencetype_from_string(rrule);
    if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
        icalerror_clear_errno();
        return "rrule: une règle RFC 5545 est attendue, par ex. FREQ=MONTHLY;INTERVAL=3;COUNT=4";
    }
    if (r.count == 0 && icaltime_is_null_time(r.until))
        return "rrule: une répétition sans fin n'est pas acceptée : ajoutez COUNT=… ou UNTIL=…";
    if (!icaltime_is_null_time(r.until) && !ical_time_real(r.until))
        return "rrule: UNTIL doit être une date qui existe (AAAAMMJJ, ou AAAAMMJJTHHMMSSZ)";
    return NULL;
}

int ics_expand(const ics_activity *a, const char *from, const char *to, int max, ics_occurrence_fn fn, void *data)
{
    char first[16], last[16];
    snprintf(first, sizeof first, "%.10s", from);
    snprintf(last, sizeof last, "%.10s", to);
    int n = 0;
    if (!a->rrule[0]) {
        char day[16];
        snprintf(day, sizeof day, "%.10s", a->start);
        if (strcmp(day, first) >= 0 && strcmp(day, last) <= 0 && max > 0) {
            fn(a->start, data);
            n++;
        }
        return n;
    }
    struct icalrecurrencetype r = icalrecurrencetype_from_string(a->rrule);
    struct icaltimetype start = local_time(a->start, a->all_day);
    icalrecur_iterator *it = icalrecur_iterator_new(r, start);
    if (!it)
        return 0;
    for (struct icaltimetype t = icalrecur_iterator_next(it); !icaltime_is_null_time(t) && n < max;
         t = icalrecur_iterator_next(it)) {
        char when[32], day[16];
        format_local(t, a->all_day, when, sizeof when);
        snprintf(day, sizeof day, "%.10s", when);
        if (strcmp(day, last) > 0)
            break;
        if (strcmp(day, first) < 0)
            continue;
        bool excluded = false;
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", a->exdates);
        for (char *save = NULL, *p = strtok_r(copy, ", ", &save); p && !excluded; p = strtok_r(NULL, ", ", &save))
            excluded = strncmp(p, when, strlen(p)) == 0;
        if (excluded)
            continue;
        fn(when, data);
        n++;
    }
    icalrecur_iterator_free(it);
    return n;
}

/* A DTSTART/DTEND/EXDATE of an imported file as a Toronto wall-clock time. */
static void read_time(icalproperty *p, struct icaltimetype t, char *out, size_t cap, bool *all_day)
{
    if (t.is_date) {
        *all_day = true;
        format_local(t, true, out, cap);
        return;
    }
    icalparameter *tzid = p ? icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER) : NULL;
    icaltimezone *zone = NULL;
    if (tzid)
        zone = icaltimezone_get_builtin_timezone(icalparameter_get_tzid(tzid));
    if (icaltime_is_utc(t))
        zone = icaltimezone_get_utc_timezone();
    if (zone) {
        t = icaltime_set_timezone(&t, zone);
        t = icaltime_convert_to_zone(t, toronto());
    }
    format_local(t, false, out, cap);
}

/* Copies s, cut (if it must be) on a whole character. */
static void copy_text(const char *s, char *out, size_t cap)
{
    snprintf(out, cap, "%s", s ? s : "");
    out[cn_utf8_valid_prefix(out, strlen(out))] = '\0';
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM" naming a moment that exists, 1900..2999:
 * libical reads "48449955" as a date without looking. */
static bool real_time(const char *s)
{
    int kind = cd_when_kind(s);
    return kind == CD_DATE || (kind == CD_DATETIME && strlen(s) == 16);
}

int ics_read(const char *text, ics_activity **out, size_t *n, char *err, size_t errcap)
{
    *out = NULL;
    *n = 0;
    toronto();
    icalcomponent *root = icalparser_parse_string(text);
    if (!root) {
        snprintf(err, errcap, "ce n'est pas un fichier iCalendar (BEGIN:VCALENDAR … END:VCALENDAR)");
        return -1;
    }
    icalcomponent *cal = icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT
                             ? root
                             : icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
    size_t count = cal ? (size_t)icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT) : 0;
    if (!cal || count == 0) {
        snprintf(err, errcap, "aucun événement (VEVENT) dans ce fichier iCalendar");
        icalcomponent_free(root);
        return -1;
    }
    ics_activity *acts = calloc(count, sizeof *acts);
    if (!acts) {
        icalcomponent_free(root);
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    size_t k = 0;
    int rc = 0;
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev && rc == 0;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT), k++) {
        ics_activity *a = &acts[k];
        icalproperty *perr = icalcomponent_get_first_property(ev, ICAL_XLICERROR_PROPERTY);
        if (perr) {
            snprintf(err, errcap, "événement %zu : %s", k + 1, icalproperty_get_xlicerror(perr));
            cn_utf8_scrub(err); /* libical quotes the bytes it could not read */
            rc = -1;
            break;
        }
        const char *uid = icalcomponent_get_uid(ev);
        icalproperty *ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
        if (!uid || !*uid || !ps) {
            snprintf(err, errcap, "événement %zu : UID et DTSTART sont obligatoires", k + 1);
            rc = -1;
            break;
        }
        copy_text(uid, a->uid, sizeof a->uid);
        copy_text(icalcomponent_get_summary(ev), a->title, sizeof a->title);
        if (!a->title[0])
            copy_text("(sans titre)", a->title, sizeof a->title);
        copy_text(icalcomponent_get_location(ev), a->place, sizeof a->place);
        copy_text(icalcomponent_get_description(ev), a->description, sizeof a->description);
        icalproperty *pc = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY);
        copy_text(pc ? icalproperty_get_categories(pc) : "autre", a->kind, sizeof a->kind);
        icalproperty *pu = icalcomponent_get_first_property(ev, ICAL_URL_PROPERTY);
        copy_text(pu ? icalproperty_get_url(pu) : "", a->url, sizeof a->url);
        icalproperty *pq = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
        a->sequence = pq ? icalproperty_get_sequence(pq) : 0;
        icalproperty_status st = icalcomponent_get_status(ev);
        copy_text(st == ICAL_STATUS_CANCELLED ? "cancelled" : st == ICAL_STATUS_TENTATIVE ? "planned" : "confirmed",
                  a->status, sizeof a->status);
        read_time(ps, icalproperty_get_dtstart(ps), a->start, sizeof a->start, &a->all_day);
        if (!real_time(a->start)) {
            snprintf(err, errcap, "événement %zu : DTSTART n'est pas une date réelle (%s)", k + 1, a->start);
            cn_utf8_scrub(err);
            rc = -1;
            break;
        }
        icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
        bool end_day = a->all_day;
        if (pe)
            read_time(pe, icalproperty_get_dtend(pe), a->end, sizeof a->end, &end_day);
        else {
            struct icaltimetype e = icalcomponent_get_dtend(ev); /* from DURATION, or DTSTART */
            read_time(ps, e, a->end, sizeof a->end, &end_day);
        }
        icalproperty *pr = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
        if (pr) {
            struct icalrecurrencetype r = icalproperty_get_rrule(pr);
            char *s = icalrecurrencetype_as_string_r(&r);
            copy_text(s, a->rrule, sizeof a->rrule);
            free(s);
        }
        for (icalproperty *px = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); px;
             px = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
            char when[32];
            bool day = a->all_day;
            read_time(px, icalproperty_get_exdate(px), when, sizeof when, &day);
            size_t len = strlen(a->exdates);
            snprintf(a->exdates + len, sizeof a->exdates - len, "%s%s", len ? ", " : "", when);
        }
    }
    icalcomponent_free(root);
    if (rc != 0) {
        free(acts);
        return -1;
    }
    *out = acts;
    *n = k;
    return 0;
}

static void first_error(icalcomponent *c, char *out, size_t cap)
{
    for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p && !out[0];
         p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY))
        snprintf(out, cap, "%s: %s", icalcomponent_kind_to_string(icalcomponent_isa(c)), icalproperty_get_xlicerror(p));
    for (icalcomponent *k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); k && !out[0];
         k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
        first_error(k, out, cap);
}

/* The dates of one event a calendar app would refuse (libical's check lets
 * them through): each DTSTART, DTEND, EXDATE, RDATE and RRULE's UNTIL. */
static int impossible_times(icalcomponent *ev, char *first, size_t cap)
{
    int n = 0;
    const char *uid = icalcomponent_get_uid(ev); /* before the loop: it moves the component's one iterator */
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ANY_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_ANY_PROPERTY)) {
        icalproperty_kind kind = icalproperty_isa(p);
        struct icaltimetype t;
        if (kind == ICAL_DTSTART_PROPERTY)
            t = icalproperty_get_dtstart(p);
        else if (kind == ICAL_DTEND_PROPERTY)
            t = icalproperty_get_dtend(p);
        else if (kind == ICAL_EXDATE_PROPERTY)
            t = icalproperty_get_exdate(p);
        else if (kind == ICAL_RDATE_PROPERTY)
            t = icalproperty_get_rdate(p).time;
        else if (kind == ICAL_RRULE_PROPERTY)
            t = icalproperty_get_rrule(p).until;
        else
            continue;
        if (icaltime_is_null_time(t) || ical_time_real(t))
            continue;
        if (n++ == 0 && !first[0])
            snprintf(first, cap, "VEVENT %s: %s %04d-%02d-%02d %02d:%02d:%02d n'existe pas",
                     uid ? uid : "?", icalproperty_kind_to_string(kind),
                     t.year, t.month, t.day, t.hour, t.minute, t.second);
    }
    return n;
}

int ics_problems(const char *text, char *first, size_t cap)
{
    first[0] = '\0';
    icalcomponent *c = icalparser_parse_string(text);
    if (!c)
        return -1;
    /* libical's own checks: RFC 5545's restrictions (and RFC 5546's for a METHOD),
     * then every X-LIC-ERROR the parse and the check left. */
    icalrestriction_check(c);
    int n = icalcomponent_count_errors(c);
    if (n)
        first_error(c, first, cap);
    icalcomponent *cal = icalcomponent_isa(c) == ICAL_VCALENDAR_COMPONENT
                             ? c
                             : icalcomponent_get_first_component(c, ICAL_VCALENDAR_COMPONENT);
    for (icalcomponent *ev = cal ? icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT) : NULL; ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
        n += impossible_times(ev, first, cap);
    icalcomponent_free(c);
    return n;
}

void ics_cleanup(void)
{
    icaltimezone_free_builtin_timezones();
    icalmemory_free_ring();
}
