/* calendar: the tables' calendar of activities (meetings, trainings,
 * forums, AGA…), shared as iCalendar.
 *
 * Activities live in calendar_activities, each with a UID that never
 * changes and a SEQUENCE bumped on every change, so calendar apps update
 * rather than duplicate. Times are wall-clock times in America/Toronto
 * ("2026-10-03T13:30", or a date for all-day ones); a recurrence is an
 * RFC 5545 RRULE that must end (COUNT or UNTIL), with exceptions. After
 * every change the .ics files named by [plugin.calendar] export_dir are
 * rewritten off the loop (all.ics, <region>.ics, kind-<kind>.ics), for any
 * web server to publish. Partner files are imported by UID. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <concertd/plugin.h>

#include "activity.h"

static const char *const migrations[] = {
    "CREATE TABLE calendar_activities("
    "  id INTEGER PRIMARY KEY,"
    "  uid TEXT NOT NULL UNIQUE,"
    "  region TEXT NOT NULL, title TEXT NOT NULL, kind TEXT NOT NULL,"
    "  start TEXT NOT NULL, end TEXT NOT NULL, all_day INTEGER NOT NULL,"
    "  place TEXT, url TEXT, organisation TEXT, action TEXT, description TEXT,"
    "  status TEXT NOT NULL DEFAULT 'planned' CHECK(status IN ('planned', 'confirmed', 'cancelled', 'held')),"
    "  rrule TEXT, exdates TEXT,"
    "  sequence INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE INDEX calendar_activities_region ON calendar_activities(region, start);"
    "CREATE TABLE calendar_held("
    "  activity INTEGER NOT NULL REFERENCES calendar_activities(id) ON DELETE CASCADE,"
    "  occurrence TEXT NOT NULL,"  /* the occurrence's start */
    "  participants INTEGER, notes TEXT, recorded_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(activity, occurrence));",

    /* 2: an activity may feed one of the plan's indicators, with the
     * number of sessions held or the participants, year by year. */
    "ALTER TABLE calendar_activities ADD COLUMN indicator INTEGER;"
    "ALTER TABLE calendar_activities ADD COLUMN measure TEXT;", /* sessions | participants, checked by store_feed */

    /* 3: reminders before an occurrence, each (occurrence, horizon) once. */
    "CREATE TABLE calendar_reminders("
    "  activity INTEGER NOT NULL REFERENCES calendar_activities(id) ON DELETE CASCADE,"
    "  occurrence TEXT NOT NULL, horizon INTEGER NOT NULL, fired_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(activity, occurrence, horizon));",
};


/* ---- peers' calendars (federation) ------------------------------------------------- */

/* A peer's activity event: its copy here follows it, by UID (read-only:
 * this node's ops cannot change it, and its owner reminds of it). */
static int on_peer_activity(cd_host *h, const msgpack_object *event, void *data)
{
    (void)data;
    char region[64], type[64];
    cd_str(cd_get(event, "region"), region, sizeof region);
    cd_str(cd_get(event, "type"), type, sizeof type);
    if (!api->region_origin(h, region) || strcmp(type, "activity.upcoming") == 0)
        return 0; /* this node's own, or a reminder: nothing to copy */
    const msgpack_object *a = cd_get(event, "data");
    char uid[256];
    cd_str(cd_get(a, "uid"), uid, sizeof uid);
    if (!uid[0]) {
        api->log(h, CD_LOG_WARN, "activité de la région %s sans UID : non copiée", region);
        return 0;
    }
    static const char *const copied[] = {"title", "kind", "start", "end", "place", "url", "organisation", "action",
                                         "description", "status", "rrule", "exdates"};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "INSERT INTO calendar_activities(uid, region, title, kind, start, end, place, url,"
                           " organisation, action, description, status, rrule, exdates, all_day, sequence,"
                           " created_ms, updated_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
                           " ?17,?17)"
                           " ON CONFLICT(uid) DO UPDATE SET region = ?2, title = ?3, kind = ?4, start = ?5, end = ?6,"
                           " place = ?7, url = ?8, organisation = ?9, action = ?10, description = ?11, status = ?12,"
                           " rrule = ?13, exdates = ?14, all_day = ?15, sequence = ?16, updated_ms = ?17",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_TRANSIENT);
    for (int i = 0; i < 12; i++) {
        const msgpack_object *v = cd_get(a, copied[i]);
        if (v && v->type == MSGPACK_OBJECT_STR)
            sqlite3_bind_text(st, 3 + i, v->via.str.ptr, (int)v->via.str.size, SQLITE_TRANSIENT);
        else if (i < 4) /* title, kind, start, end are required */
            sqlite3_bind_text(st, 3 + i, "", 0, SQLITE_STATIC);
    }
    const msgpack_object *all_day = cd_get(a, "all_day");
    sqlite3_bind_int(st, 15, all_day && all_day->type == MSGPACK_OBJECT_BOOLEAN && all_day->via.boolean);
    sqlite3_bind_int64(st, 16, cd_int(cd_get(a, "sequence"), 0));
    sqlite3_bind_int64(st, 17, api->now_ms(h));
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    /* The sessions held, as the owner recorded them. */
    const msgpack_object *held = cd_get(a, "held");
    if (rc == 0 && held && held->type == MSGPACK_OBJECT_ARRAY) {
        if (sqlite3_prepare_v2(api->db(h), "DELETE FROM calendar_held WHERE activity = (SELECT id FROM"
                                           " calendar_activities WHERE uid = ?)", -1, &st, NULL) != SQLITE_OK)
            return -1;
        sqlite3_bind_text(st, 1, uid, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
        for (uint32_t i = 0; rc == 0 && i < held->via.array.size; i++) {
            const msgpack_object *o = &held->via.array.ptr[i];
            char occurrence[40], notes[2048];
            cd_str(cd_get(o, "occurrence"), occurrence, sizeof occurrence);
            cd_str(cd_get(o, "notes"), notes, sizeof notes);
            const msgpack_object *n = cd_get(o, "participants");
            if (sqlite3_prepare_v2(api->db(h), "INSERT OR REPLACE INTO calendar_held(activity, occurrence, participants,"
                                               " notes, recorded_ms) SELECT id, ?2, ?3, ?4, ?5 FROM calendar_activities"
                                               " WHERE uid = ?1", -1, &st, NULL) != SQLITE_OK)
                return -1;
            sqlite3_bind_text(st, 1, uid, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, occurrence, -1, SQLITE_TRANSIENT);
            if (n && n->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                sqlite3_bind_int64(st, 3, (int64_t)n->via.u64);
            if (notes[0])
                sqlite3_bind_text(st, 4, notes, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 5, api->now_ms(h));
            rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
            sqlite3_finalize(st);
        }
    }
    return rc == 0 ? publish_calendars(h) : -1;
}

/* A region erased for good: its rows went with it (the core erases every
 * table's rows about it); its published file goes too. */
static int on_region_purged(cd_host *h, const msgpack_object *event, void *data)
{
    (void)data;
    char region[64];
    cd_str(cd_get(event, "region"), region, sizeof region);
    return region[0] ? publish_forget(h, region) : 0;
}

/* ---- load -------------------------------------------------------------------- */

static int init(cd_host *h, const cd_host_api *host_api, void **state)
{
    (void)state;
    api = host_api;
    if (publish_init(h) != 0)
        return -1;
    if (ops_register(h) != 0)
        return -1;
    if (api->migrate(h, migrations, sizeof migrations / sizeof migrations[0]) != 0)
        return -1;
    if (reminders_configure(h) != 0)
        return -1;
    if (api->subscribe_peers(h, "*/activity.*", on_peer_activity, NULL) != 0 ||
        api->subscribe(h, "*/region.purged", on_region_purged, NULL) != 0)
        return -1;
    if (publishing_files() && !api->timer_start(h, 0, 0, publish_at_start, NULL))
        return -1;
    const char *every = api->config(h, NULL, "check_every_ms");
    long ms = every ? strtol(every, NULL, 10) : 60000;
    return api->timer_start(h, 0, (uint64_t)(ms > 10 ? ms : 60000), remind_tick, NULL) ? 0 : -1;
}

static void fini(void *state)
{
    (void)state;
    ics_cleanup();
}

/* concertd --check-config: the folder the calendars are published in. */
static int check(cd_host *h, const cd_host_api *host_api)
{
    api = host_api;
    return publish_check(h);
}

CD_PLUGIN_CHECKED("calendar", "0.1.0", init, fini, check);
