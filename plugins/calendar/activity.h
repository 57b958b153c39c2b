/* activity.h: what the calendar plugin's files share (private).
 *
 * activity.c    an activity's kinds, fields (read, checked), row and events
 * indicators.c  the plan's participation indicators an activity feeds
 * publish.c     the .ics files of export_dir, rewritten off the loop
 * reminders.c   activity.upcoming before each occurrence
 * ops.c         calendar.add, update, cancel, show, list, held, export, import
 * calendar.c    loading, tables, peers' activities, timers
 * ics.c         iCalendar through libical: texts, recurrences */
#ifndef CALENDAR_ACTIVITY_H
#define CALENDAR_ACTIVITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <concertd/plugin.h>

#include "ics.h"

extern const cd_host_api *api; /* set by init (calendar.c) */

/* ---- activity.c ---- */
extern const char *const kinds[];    /* comite, formation, … (NULL-terminated) */
extern const char *const statuses[]; /* planned, confirmed, cancelled, held */
/* The columns an activity row is read with, in row_to_activity's order. */
extern const char *const ACT_COLUMNS;

/* An activity's fields as an op or a peer gives them; has[F_…] says which. */
typedef struct {
    char title[512], kind[64], start[32], end[32], place[512], url[1024], organisation[256], action[64];
    char description[4096], status[16], rrule[512], exdates[1024], region[64];
    bool has[16];
} fields;
enum { F_TITLE, F_KIND, F_START, F_END, F_PLACE, F_URL, F_ORG, F_ACTION, F_DESC, F_STATUS, F_RRULE, F_EXDATES, F_REGION };
extern const char *const field_names[]; /* in F_… order, NULL-terminated */

bool activity_one_of(const char *v, const char *const *list);
/* 1 for a date ("2026-10-03", all day), 0 for a date and time
 * ("2026-10-03T13:30"), -1 for neither. */
int activity_time_kind(const char *s);
/* Copies text column i of st's row into out ("" when NULL). */
void column_text(sqlite3_stmt *st, int i, char *out, size_t cap);
void row_to_activity(sqlite3_stmt *st, ics_activity *a);
/* Packs the activity row st (read with ACT_COLUMNS) as the protocol's map. */
void pack_activity(cd_host *h, msgpack_packer *pk, sqlite3_stmt *st);
int activity_pack_by_id(cd_host *h, msgpack_packer *pk, int64_t id);
/* Emits event type for activity id (the request's, or the host's). */
int emit_activity(cd_host *h, cd_req *req, int64_t id, const char *type);
/* Field f's buffer and its size. */
char *activity_field_ptr(fields *f, int i, size_t *cap);
/* Reads the fields args gives. NULL, or the name of a field whose text is
 * longer than its limit (*limit bytes): the request must be refused. */
const char *activity_read_fields(const msgpack_object *args, fields *f, size_t *limit);
/* NULL when f is a valid activity, else why (and the field at fault). */
const char *activity_check(const fields *f, bool all_day, const char **field);
/* Whether an entity exists, asked through the host's op (0, or -1 with why). */
int call_check(cd_host *h, const char *op, const char *text_id, int64_t num_id, char *err, size_t cap);
int region_exists(cd_host *h, const char *region, char *err, size_t cap);

/* ---- indicators.c ---- */
/* Stores args.indicator / args.measure of activity id, checked. */
int store_feed(cd_req *req, cd_host *h, int64_t id);
/* A session of activity held on occurrence: a measurement on its indicator. */
int feed_indicator(cd_host *h, int64_t activity, const char *occurrence);

/* ---- publish.c ---- */
int publish_init(cd_host *h);  /* reads export_dir (default DATA_DIR/calendrier), makes it */
int publish_check(cd_host *h); /* --check-config: 1 when the folder cannot be written, else 0 */
bool publishing_files(void);   /* export_dir is set */
int publish_calendars(cd_host *h);
/* A region erased for good (region.purged): its file removed, the others rewritten. */
int publish_forget(cd_host *h, const char *region);
int publish_at_start(cd_host *h, void *data);
/* The iCalendar text of the activities matching where (arg), named name. */
char *calendar_text(cd_host *h, const char *where, const char *arg, const char *name);

/* ---- reminders.c ---- */
int reminders_configure(cd_host *h); /* [plugin.calendar] remind_days */
int remind_tick(cd_host *h, void *data);

/* ---- ops.c ---- */
int ops_register(cd_host *h);
int activity_load(cd_host *h, int64_t id, fields *f, int *sequence, char *uid, size_t uidcap);
/* Applies given to activity id (checked, stored, SEQUENCE bumped), emits type. */
int activity_change(cd_req *req, cd_host *h, int64_t id, const fields *given, const char *type);

#endif
