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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <concertd/plugin.h>

#include "ics.h"

static const cd_host_api *api;
static char export_dir[1024];

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

static const char *const kinds[] = {"comite", "formation", "atelier", "forum", "aga", "conference", "visite",
                                    "rencontre", "autre", NULL};
static const char *const statuses[] = {"planned", "confirmed", "cancelled", "held", NULL};

/* ---- small helpers --------------------------------------------------------- */

static bool one_of(const char *v, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(v, list[i]) == 0)
            return true;
    return false;
}

/* "2026-10-03T13:30" (all_day false) or "2026-10-03" (true); -1 otherwise. */
static int time_kind(const char *s)
{
    int y, mo, d, h, mi;
    char extra;
    if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &extra) == 3)
        return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 ? 1 : -1;
    if (strlen(s) == 16 && sscanf(s, "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &extra) == 5)
        return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 ? 0 : -1;
    return -1;
}

static void col(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", v ? (const char *)v : "");
}

static const char *ACT_COLUMNS = "id, uid, region, title, kind, start, end, all_day, place, url, organisation, action,"
                                 " description, status, rrule, exdates, sequence, indicator, measure";

static void row_to_activity(sqlite3_stmt *st, ics_activity *a)
{
    memset(a, 0, sizeof *a);
    col(st, 1, a->uid, sizeof a->uid);
    col(st, 2, a->region, sizeof a->region);
    col(st, 3, a->title, sizeof a->title);
    col(st, 4, a->kind, sizeof a->kind);
    col(st, 5, a->start, sizeof a->start);
    col(st, 6, a->end, sizeof a->end);
    a->all_day = sqlite3_column_int(st, 7) != 0;
    col(st, 8, a->place, sizeof a->place);
    col(st, 9, a->url, sizeof a->url);
    col(st, 10, a->organisation, sizeof a->organisation);
    col(st, 12, a->description, sizeof a->description);
    col(st, 13, a->status, sizeof a->status);
    col(st, 14, a->rrule, sizeof a->rrule);
    col(st, 15, a->exdates, sizeof a->exdates);
    a->sequence = sqlite3_column_int(st, 16);
}

/* The activity row st (ACT_COLUMNS) as a map, with what was recorded. */
static void pack_activity(cd_host *h, msgpack_packer *pk, sqlite3_stmt *st)
{
    char v[4096];
    msgpack_pack_map(pk, 20);
    cd_pack_str(pk, "id");
    msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
    cd_pack_str(pk, "indicator");
    if (sqlite3_column_type(st, 17) == SQLITE_NULL)
        msgpack_pack_nil(pk);
    else
        msgpack_pack_int64(pk, sqlite3_column_int64(st, 17));
    col(st, 18, v, sizeof v);
    cd_pack_opt(pk, "measure", v);
    const char *names[] = {NULL, "uid", "region", "title", "kind", "start", "end", NULL, "place", "url", "organisation",
                           "action", "description", "status", "rrule", "exdates"};
    for (int i = 1; i < 16; i++) {
        if (i == 7) {
            cd_pack_str(pk, "all_day");
            sqlite3_column_int(st, 7) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
            continue;
        }
        col(st, i, v, sizeof v);
        cd_pack_opt(pk, names[i], v);
    }
    cd_pack_str(pk, "sequence");
    msgpack_pack_int(pk, sqlite3_column_int(st, 16));
    /* Participation recorded, occurrence by occurrence. */
    sqlite3_stmt *q;
    cd_pack_str(pk, "held");
    if (sqlite3_prepare_v2(api->db(h), "SELECT occurrence, participants, notes FROM calendar_held WHERE activity = ?"
                                       " ORDER BY occurrence", -1, &q, NULL) != SQLITE_OK) {
        msgpack_pack_array(pk, 0);
        return;
    }
    sqlite3_bind_int64(q, 1, sqlite3_column_int64(st, 0));
    cd_pack_rows(pk, q);
    sqlite3_finalize(q);
}

static int pack_by_id(cd_host *h, msgpack_packer *pk, int64_t id)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM calendar_activities WHERE id = ?", ACT_COLUMNS);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : 1;
    if (rc == 0)
        pack_activity(h, pk, st);
    sqlite3_finalize(st);
    return rc;
}

/* Emits activity.<what> with the activity, and makes it the result. */
static int emit_activity(cd_host *h, cd_req *req, int64_t id, const char *type)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    int rc = pack_by_id(h, &pk, id);
    char region[64] = "";
    sqlite3_stmt *st;
    if (rc == 0 && sqlite3_prepare_v2(api->db(h), "SELECT region FROM calendar_activities WHERE id = ?", -1, &st, NULL) ==
                       SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW)
            col(st, 0, region, sizeof region);
        sqlite3_finalize(st);
    }
    if (rc == 0)
        rc = api->emit(h, region, type, buf.data, buf.size);
    if (rc == 0 && req)
        cd_pack_raw(api->req_result(req), buf.data, buf.size); /* the same map, as the result */
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* ---- the published files ------------------------------------------------------ */

typedef struct export_file {
    char path[1200];
    char *text;
    int error; /* errno of a failed write, for the loop to log */
    struct export_file *next;
} export_file;

/* One rewrite in flight at a time (two on the pool could finish in the wrong
 * order and publish the older calendar); changes meanwhile ask for one more. */
static bool publishing, publish_again;

static void write_files(void *data)
{
    for (export_file *f = data; f; f = f->next) {
        char tmp[1300];
        snprintf(tmp, sizeof tmp, "%s.tmp", f->path);
        FILE *out = fopen(tmp, "wb");
        if (!out) {
            f->error = errno;
            continue;
        }
        size_t len = strlen(f->text);
        bool ok = fwrite(f->text, 1, len, out) == len;
        ok = fflush(out) == 0 && fsync(fileno(out)) == 0 && ok;
        ok = fclose(out) == 0 && ok;
        if (ok && rename(tmp, f->path) == 0) /* readers see the old file or the new one, never half */
            continue;
        f->error = errno ? errno : EIO;
        unlink(tmp);
    }
}

static int publish(cd_host *h);

static int files_written(cd_host *h, void *data, int status)
{
    for (export_file *f = data, *next; f; f = next) {
        next = f->next;
        if (f->error)
            api->log(h, CD_LOG_ERROR, "calendrier non publié dans %s : %s (l'ancien fichier reste en place)", f->path,
                     strerror(f->error));
        free(f->text);
        free(f);
    }
    publishing = false;
    if (publish_again && status >= 0) {
        publish_again = false;
        publish(h);
    }
    return 0;
}

/* The activities a WHERE clause selects, as one VCALENDAR. */
static char *calendar_text(cd_host *h, const char *where, const char *arg, const char *name)
{
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT %s FROM calendar_activities %s ORDER BY start, id", ACT_COLUMNS, where);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    size_t n = 0, cap = 16;
    ics_activity *acts = malloc(cap * sizeof *acts);
    while (acts && sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            ics_activity *p = realloc(acts, (cap *= 2) * sizeof *acts);
            if (!p) {
                free(acts);
                acts = NULL;
                break;
            }
            acts = p;
        }
        row_to_activity(st, &acts[n++]);
    }
    sqlite3_finalize(st);
    char *text = acts ? ics_write(acts, n, name, api->now_ms(h)) : NULL;
    free(acts);
    return text;
}

static void add_file(export_file **list, const char *name, char *text)
{
    export_file *f = text ? calloc(1, sizeof *f) : NULL;
    if (!f) {
        free(text);
        return;
    }
    snprintf(f->path, sizeof f->path, "%s/%s", export_dir, name);
    f->text = text;
    f->next = *list;
    *list = f;
}

/* Rewrites every published file, off the loop. */
static int publish(cd_host *h)
{
    if (!export_dir[0])
        return 0;
    if (publishing) {
        publish_again = true;
        return 0;
    }
    export_file *files = NULL;
    add_file(&files, "all.ics", calendar_text(h, "", NULL, "Activités (toutes les régions)"));
    sqlite3_stmt *st;
    const char *groups[][3] = {{"SELECT DISTINCT region FROM calendar_activities", "WHERE region = ?", "%s.ics"},
                               {"SELECT DISTINCT kind FROM calendar_activities", "WHERE kind = ?", "kind-%s.ics"}};
    for (int g = 0; g < 2; g++) {
        if (sqlite3_prepare_v2(api->db(h), groups[g][0], -1, &st, NULL) != SQLITE_OK)
            continue;
        while (sqlite3_step(st) == SQLITE_ROW) {
            char value[128], name[160], title[200];
            col(st, 0, value, sizeof value);
            if (strchr(value, '/') || value[0] == '.')
                continue;
            snprintf(name, sizeof name, groups[g][2], value);
            snprintf(title, sizeof title, g ? "Activités : %s" : "Activités de %s", value);
            add_file(&files, name, calendar_text(h, groups[g][1], value, title));
        }
        sqlite3_finalize(st);
    }
    if (!files)
        return 0;
    if (api->queue_work(h, write_files, files_written, files) != 0) {
        files_written(h, files, -1);
        return -1;
    }
    publishing = true;
    return 0;
}

/* ---- ops ------------------------------------------------------------------- */

typedef struct {
    char title[512], kind[64], start[32], end[32], place[512], url[1024], organisation[256], action[64];
    char description[4096], status[16], rrule[512], exdates[1024], region[64];
    bool has[16];
} fields;

enum { F_TITLE, F_KIND, F_START, F_END, F_PLACE, F_URL, F_ORG, F_ACTION, F_DESC, F_STATUS, F_RRULE, F_EXDATES, F_REGION };
static const char *const field_names[] = {"title",  "kind",        "start",  "end",   "place",   "url",    "organisation",
                                          "action", "description", "status", "rrule", "exdates", "region", NULL};

static char *field_ptr(fields *f, int i, size_t *cap)
{
    char *ptrs[] = {f->title,  f->kind,        f->start,  f->end,   f->place,   f->url,    f->organisation,
                    f->action, f->description, f->status, f->rrule, f->exdates, f->region};
    size_t caps[] = {sizeof f->title,  sizeof f->kind,        sizeof f->start,  sizeof f->end,  sizeof f->place,
                     sizeof f->url,    sizeof f->organisation, sizeof f->action, sizeof f->description,
                     sizeof f->status, sizeof f->rrule,       sizeof f->exdates, sizeof f->region};
    *cap = caps[i];
    return ptrs[i];
}

static void read_fields(const msgpack_object *args, fields *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; field_names[i]; i++) {
        const msgpack_object *o = cd_get(args, field_names[i]);
        size_t cap;
        char *dst = field_ptr(f, i, &cap);
        if (!o)
            continue;
        f->has[i] = true;
        if (i == F_EXDATES && o->type == MSGPACK_OBJECT_ARRAY) {
            for (uint32_t k = 0; k < o->via.array.size; k++) {
                char one[32];
                cd_str(&o->via.array.ptr[k], one, sizeof one);
                size_t len = strlen(dst);
                snprintf(dst + len, cap - len, "%s%s", len ? ", " : "", one);
            }
        } else {
            cd_str(o, dst, cap);
        }
    }
}

/* Checks a complete activity; NULL when good, else (field, message). */
static const char *check(const fields *f, bool all_day, const char **field)
{
    if (!f->title[0])
        return *field = "title", "title: le titre de l'activité est obligatoire";
    if (!one_of(f->kind, kinds))
        return *field = "kind",
               "kind: comite, formation, atelier, forum, aga, conference, visite, rencontre ou autre";
    int ks = time_kind(f->start), ke = time_kind(f->end);
    if (ks < 0)
        return *field = "start", "start: AAAA-MM-JJTHH:MM (heure de Montréal), ou AAAA-MM-JJ pour toute la journée";
    if (ke < 0 || ke != ks)
        return *field = "end", "end: au même format que start (AAAA-MM-JJTHH:MM ou AAAA-MM-JJ)";
    if (strcmp(f->end, f->start) < 0 || (!all_day && strcmp(f->end, f->start) == 0))
        return *field = "end", "end: la fin doit venir après le début";
    if (!one_of(f->status, statuses))
        return *field = "status", "status: planned, confirmed, cancelled ou held";
    if (f->rrule[0]) {
        const char *problem = ics_rrule_problem(f->rrule);
        if (problem)
            return *field = "rrule", problem;
    }
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", f->exdates);
    for (char *save = NULL, *p = strtok_r(copy, ", ", &save); p; p = strtok_r(NULL, ", ", &save))
        if (time_kind(p) != ks)
            return *field = "exdates", "exdates: des dates au même format que start";
    if (f->url[0] && strncmp(f->url, "https://", 8) && strncmp(f->url, "http://", 7))
        return *field = "url", "url: un lien http(s)://…";
    return NULL;
}

/* Runs op with args {id: text_id, or num_id when text_id is NULL}
 * through the host, to learn whether what it names exists. 0 when it does. */
static int call_id(cd_host *h, const char *op, const char *text_id, int64_t num_id, char *err, size_t cap)
{
    msgpack_sbuffer a, out;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    cd_pack_str(&pk, "id");
    if (text_id)
        cd_pack_str(&pk, text_id);
    else
        msgpack_pack_int64(&pk, num_id);
    int rc = api->call(h, op, a.data, a.size, &out, err, cap);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

static int region_exists(cd_host *h, const char *region, char *err, size_t cap)
{
    return call_id(h, "region.get", region, 0, err, cap);
}

static void new_uid(char *out, size_t cap)
{
    unsigned char r[16] = {0};
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(r, 1, sizeof r, f) != sizeof r) {
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)rand();
    }
    if (f)
        fclose(f);
    snprintf(out, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x@concertd", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

/* args.indicator / args.measure: the plan indicator this activity feeds.
 * Returns 0 (absent or stored), or the request's failure. */
static int store_feed(cd_req *req, cd_host *h, int64_t id)
{
    const msgpack_object *args = api->req_args(req), *ind = cd_get(args, "indicator");
    char measure[16];
    cd_str(cd_get(args, "measure"), measure, sizeof measure);
    if (!ind && !measure[0])
        return 0;
    int64_t indicator = cd_int(ind, 0);
    if (!measure[0])
        snprintf(measure, sizeof measure, "sessions");
    if (strcmp(measure, "sessions") && strcmp(measure, "participants"))
        return api->req_fail(req, "invalid_argument", "measure",
                             "measure: sessions (le nombre de séances tenues) ou participants (leur somme)");
    if (ind && ind->type != MSGPACK_OBJECT_NIL) {
        /* The indicator must exist: indicator.history says so. */
        char err[512];
        int rc = indicator > 0 ? call_id(h, "indicator.history", NULL, indicator, err, sizeof err) : -1;
        if (rc != 0)
            return api->req_fail(req, "not_found", "indicator", "indicator: aucun indicateur n° %lld (indicator list)",
                                 (long long)indicator);
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "UPDATE calendar_activities SET indicator = nullif(?, 0), measure = ? WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, indicator);
    sqlite3_bind_text(st, 2, measure, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc == 0 ? 0 : api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
}

/* After a session is recorded: the indicator it feeds gets this year's
 * figure (sessions held, or participants summed, over every activity
 * feeding it), as a measurement dated the session's day. */
static int feed_indicator(cd_host *h, int64_t activity, const char *occurrence)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "SELECT indicator, measure FROM calendar_activities WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, activity);
    int64_t indicator = 0;
    char measure[16] = "";
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        indicator = sqlite3_column_int64(st, 0);
        col(st, 1, measure, sizeof measure);
    }
    sqlite3_finalize(st);
    if (!indicator)
        return 0;
    bool sessions = strcmp(measure, "participants") != 0;
    char year[8];
    snprintf(year, sizeof year, "%.4s", occurrence);
    if (sqlite3_prepare_v2(api->db(h), sessions ? "SELECT count(*) FROM calendar_held h JOIN calendar_activities a"
                                                  " ON a.id = h.activity WHERE a.indicator = ? AND a.measure = 'sessions'"
                                                  " AND substr(h.occurrence, 1, 4) = ?"
                                                : "SELECT coalesce(sum(h.participants), 0) FROM calendar_held h"
                                                  " JOIN calendar_activities a ON a.id = h.activity WHERE a.indicator = ?"
                                                  " AND a.measure = 'participants' AND substr(h.occurrence, 1, 4) = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, indicator);
    sqlite3_bind_text(st, 2, year, -1, SQLITE_STATIC);
    int64_t value = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    char date[16], note[160];
    snprintf(date, sizeof date, "%.10s", occurrence);
    snprintf(note, sizeof note, sessions ? "Calendrier : %lld séance(s) tenue(s) en %s"
                                         : "Calendrier : %lld participant(s) en %s", (long long)value, year);
    char err[512];
    int rc = cd_indicator_record(api, h, indicator, value, date, note, err, sizeof err);
    if (rc != 0)
        api->log(h, CD_LOG_WARN, "indicateur %lld non mis à jour: %s", (long long)indicator, err);
    return rc;
}

static int store(cd_host *h, int64_t id, const char *uid, const fields *f, bool all_day, int sequence, int64_t *out)
{
    sqlite3_stmt *st;
    const char *sql = id ? "UPDATE calendar_activities SET region=?2, title=?3, kind=?4, start=?5, end=?6, all_day=?7,"
                           " place=nullif(?8,''), url=nullif(?9,''), organisation=nullif(?10,''), action=nullif(?11,''),"
                           " description=nullif(?12,''), status=?13, rrule=nullif(?14,''), exdates=nullif(?15,''),"
                           " sequence=?16, updated_ms=?17 WHERE id=?1"
                         : "INSERT INTO calendar_activities(uid, region, title, kind, start, end, all_day, place, url,"
                           " organisation, action, description, status, rrule, exdates, sequence, created_ms, updated_ms)"
                           " VALUES (?1,?2,?3,?4,?5,?6,?7,nullif(?8,''),nullif(?9,''),nullif(?10,''),nullif(?11,''),"
                           " nullif(?12,''),?13,nullif(?14,''),nullif(?15,''),?16,?17,?17)";
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (id)
        sqlite3_bind_int64(st, 1, id);
    else
        sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    const char *vals[] = {f->region, f->title, f->kind, f->start, f->end};
    for (int i = 0; i < 5; i++)
        sqlite3_bind_text(st, 2 + i, vals[i], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, all_day);
    const char *more[] = {f->place, f->url, f->organisation, f->action, f->description, f->status, f->rrule, f->exdates};
    for (int i = 0; i < 8; i++)
        sqlite3_bind_text(st, 8 + i, more[i], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 16, sequence);
    sqlite3_bind_int64(st, 17, api->now_ms(h));
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc == 0 && out)
        *out = id ? id : sqlite3_last_insert_rowid(api->db(h));
    return rc;
}

static int add_op(cd_req *req, void *data)
{
    cd_host *h = data;
    fields f;
    read_fields(api->req_args(req), &f);
    if (!f.region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région qui organise l'activité");
    char err[512];
    if (region_exists(h, f.region, err, sizeof err) != 0)
        return api->req_fail(req, "not_found", "region", "%s", err);
    if (!f.kind[0])
        snprintf(f.kind, sizeof f.kind, "rencontre");
    if (!f.status[0])
        snprintf(f.status, sizeof f.status, "planned");
    bool all_day = time_kind(f.start) == 1;
    if (!f.end[0] && time_kind(f.start) >= 0) {
        /* One hour, or the day itself. */
        if (all_day)
            snprintf(f.end, sizeof f.end, "%s", f.start);
        else {
            int y, mo, d, hh, mi;
            sscanf(f.start, "%d-%d-%dT%d:%d", &y, &mo, &d, &hh, &mi);
            snprintf(f.end, sizeof f.end, "%04d-%02d-%02dT%02d:%02d", y, mo, d, hh < 23 ? hh + 1 : 23, hh < 23 ? mi : 59);
        }
    }
    const char *field = NULL, *problem = check(&f, all_day, &field);
    if (problem)
        return api->req_fail(req, "invalid_argument", field, "%s", problem);
    char uid[128];
    new_uid(uid, sizeof uid);
    int64_t id;
    if (store(h, 0, uid, &f, all_day, 0, &id) != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (store_feed(req, h, id) != 0)
        return -1;
    return emit_activity(h, req, id, "activity.created") || publish(h) ? -1 : 0;
}

/* The stored activity id as fields (for update), or 1 when there is none. */
static int load(cd_host *h, int64_t id, fields *f, int *sequence, char *uid, size_t uidcap)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM calendar_activities WHERE id = ?", ACT_COLUMNS);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = 1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        memset(f, 0, sizeof *f);
        col(st, 1, uid, uidcap);
        col(st, 2, f->region, sizeof f->region);
        col(st, 3, f->title, sizeof f->title);
        col(st, 4, f->kind, sizeof f->kind);
        col(st, 5, f->start, sizeof f->start);
        col(st, 6, f->end, sizeof f->end);
        col(st, 8, f->place, sizeof f->place);
        col(st, 9, f->url, sizeof f->url);
        col(st, 10, f->organisation, sizeof f->organisation);
        col(st, 11, f->action, sizeof f->action);
        col(st, 12, f->description, sizeof f->description);
        col(st, 13, f->status, sizeof f->status);
        col(st, 14, f->rrule, sizeof f->rrule);
        col(st, 15, f->exdates, sizeof f->exdates);
        *sequence = sqlite3_column_int(st, 16);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

static int change(cd_req *req, cd_host *h, int64_t id, const fields *given, const char *type)
{
    fields f;
    int sequence;
    char uid[256];
    int r = load(h, id, &f, &sequence, uid, sizeof uid);
    if (r != 0)
        return r < 0 ? api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)))
                     : api->req_fail(req, "not_found", "id", "aucune activité n° %lld (calendar.list les donne)",
                                     (long long)id);
    for (int i = 0; field_names[i]; i++)
        if (given->has[i] && i != F_REGION) {
            size_t cap, gcap;
            char *dst = field_ptr(&f, i, &cap);
            const char *src = field_ptr((fields *)given, i, &gcap);
            snprintf(dst, cap, "%s", src);
        }
    bool all_day = time_kind(f.start) == 1;
    const char *field = NULL, *problem = check(&f, all_day, &field);
    if (problem)
        return api->req_fail(req, "invalid_argument", field, "%s", problem);
    /* Calendar apps take a change only when SEQUENCE grows. */
    if (store(h, id, uid, &f, all_day, sequence + 1, NULL) != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    return emit_activity(h, req, id, type) || publish(h) ? -1 : 0;
}

static int update_op(cd_req *req, void *data)
{
    fields f;
    read_fields(api->req_args(req), &f);
    int64_t id = cd_int(cd_get(api->req_args(req), "id"), 0);
    if (store_feed(req, data, id) != 0)
        return -1;
    return change(req, data, id, &f, "activity.updated");
}

static int cancel_op(cd_req *req, void *data)
{
    fields f = {0};
    snprintf(f.status, sizeof f.status, "cancelled");
    f.has[F_STATUS] = true;
    return change(req, data, cd_int(cd_get(api->req_args(req), "id"), 0), &f, "activity.cancelled");
}

static int show_op(cd_req *req, void *data)
{
    int64_t id = cd_int(cd_get(api->req_args(req), "id"), 0);
    int r = pack_by_id(data, api->req_result(req), id);
    return r == 0 ? 0 : api->req_fail(req, "not_found", "id", "aucune activité n° %lld", (long long)id);
}

typedef struct {
    msgpack_packer *pk;
    sqlite3_stmt *row;
    uint32_t n;
    char origin[64]; /* the owner of the row's region when it is a peer's copy, else "" */
} list_ctx;

static void on_occurrence(const char *start, void *data)
{
    list_ctx *c = data;
    char v[1024];
    msgpack_pack_map(c->pk, 9);
    cd_pack_str(c->pk, "id");
    msgpack_pack_int64(c->pk, sqlite3_column_int64(c->row, 0));
    cd_pack_opt(c->pk, "occurrence", start);
    cd_pack_opt(c->pk, "origin", c->origin);
    const char *names[] = {"region", "title", "kind"};
    for (int i = 0; i < 3; i++) {
        col(c->row, 2 + i, v, sizeof v);
        cd_pack_opt(c->pk, names[i], v);
    }
    col(c->row, 8, v, sizeof v);
    cd_pack_opt(c->pk, "place", v);
    col(c->row, 13, v, sizeof v);
    cd_pack_opt(c->pk, "status", v);
    cd_pack_str(c->pk, "recurring");
    sqlite3_column_type(c->row, 14) != SQLITE_NULL ? msgpack_pack_true(c->pk) : msgpack_pack_false(c->pk);
    c->n++;
}

static int list_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64], kind[64], from[16], to[16];
    cd_str(cd_get(args, "region"), region, sizeof region);
    cd_str(cd_get(args, "kind"), kind, sizeof kind);
    cd_str(cd_get(args, "from"), from, sizeof from);
    cd_str(cd_get(args, "to"), to, sizeof to);
    if (!from[0] || time_kind(from) != 1)
        return api->req_fail(req, "invalid_argument", "from", "from: AAAA-MM-JJ, le premier jour");
    if (!to[0] || time_kind(to) != 1 || strcmp(to, from) < 0)
        return api->req_fail(req, "invalid_argument", "to", "to: AAAA-MM-JJ, le dernier jour, pas avant from");
    char sql[700];
    snprintf(sql, sizeof sql, "SELECT %s FROM calendar_activities WHERE (?1 = '' OR region = ?1) AND (?2 = '' OR kind = ?2)"
             " AND (rrule IS NOT NULL OR (substr(start, 1, 10) BETWEEN ?3 AND ?4)) ORDER BY start, id", ACT_COLUMNS);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
    msgpack_sbuffer rows;
    msgpack_sbuffer_init(&rows);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
    list_ctx c = {&rp, st, 0, ""};
    while (sqlite3_step(st) == SQLITE_ROW && c.n < 5000) {
        ics_activity a;
        row_to_activity(st, &a);
        const char *origin = api->region_origin(h, a.region);
        snprintf(c.origin, sizeof c.origin, "%s", origin ? origin : "");
        ics_expand(&a, from, to, 5000 - (int)c.n, on_occurrence, &c);
    }
    sqlite3_finalize(st);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_array(pk, c.n);
    cd_pack_raw(pk, rows.data, rows.size);
    msgpack_sbuffer_destroy(&rows);
    return 0;
}

typedef struct {
    const char *wanted;
    bool found;
} occurrence_match;

static void match_occurrence(const char *start, void *data)
{
    occurrence_match *m = data;
    m->found = m->found || strcmp(start, m->wanted) == 0;
}

/* 1 when occurrence is one of activity id's sessions (its start, or a date of
 * its recurrence not excepted), 0 when not, -1 on error. */
static int is_occurrence(cd_host *h, int64_t id, const char *occurrence)
{
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT %s FROM calendar_activities WHERE id = ?", ACT_COLUMNS);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    occurrence_match m = {occurrence, false};
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        ics_activity a;
        row_to_activity(st, &a);
        ics_expand(&a, occurrence, occurrence, 50, match_occurrence, &m);
        rc = m.found;
    }
    sqlite3_finalize(st);
    return rc;
}

static int held_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    int64_t id = cd_int(cd_get(args, "id"), 0);
    const msgpack_object *p = cd_get(args, "participants");
    char occurrence[32], notes[2048];
    cd_str(cd_get(args, "occurrence"), occurrence, sizeof occurrence);
    cd_str(cd_get(args, "notes"), notes, sizeof notes);
    if (p && p->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return api->req_fail(req, "invalid_argument", "participants", "participants: un nombre de personnes, 0 ou plus");
    fields f;
    int sequence;
    char uid[256];
    int r = load(h, id, &f, &sequence, uid, sizeof uid);
    if (r != 0)
        return api->req_fail(req, r < 0 ? "internal" : "not_found", "id", "aucune activité n° %lld", (long long)id);
    if (strcmp(f.status, "cancelled") == 0)
        return api->req_fail(req, "conflict", "id", "l'activité %lld est annulée", (long long)id);
    if (!occurrence[0])
        snprintf(occurrence, sizeof occurrence, "%s", f.start);
    if (time_kind(occurrence) != time_kind(f.start))
        return api->req_fail(req, "invalid_argument", "occurrence", "occurrence: le début de la séance, comme start");
    int is = is_occurrence(h, id, occurrence);
    if (is < 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (!is)
        return api->req_fail(req, "invalid_argument", "occurrence",
                             f.rrule[0] ? "occurrence: %s n'est pas une séance de l'activité %lld (hors de sa récurrence,"
                                          " ou annulée par une exception)"
                                        : "occurrence: %s n'est pas le début de l'activité %lld",
                             occurrence, (long long)id);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "INSERT INTO calendar_held(activity, occurrence, participants, notes, recorded_ms)"
                                       " VALUES (?,?,?,nullif(?,''),?) ON CONFLICT(activity, occurrence) DO UPDATE SET"
                                       " participants = excluded.participants, notes = excluded.notes,"
                                       " recorded_ms = excluded.recorded_ms", -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, occurrence, -1, SQLITE_STATIC);
    if (p)
        sqlite3_bind_int64(st, 3, (int64_t)p->via.u64);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, notes, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, api->now_ms(h));
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (feed_indicator(h, id, occurrence) != 0)
        return api->req_fail(req, "internal", "indicator", "l'indicateur alimenté par cette activité n'a pu être mis à jour");
    /* A one-time activity is now held; a recurring one keeps its status. */
    if (!f.rrule[0] && strcmp(f.status, "held") != 0) {
        fields s = {0};
        snprintf(s.status, sizeof s.status, "held");
        s.has[F_STATUS] = true;
        return change(req, h, id, &s, "activity.held");
    }
    return emit_activity(h, req, id, "activity.held");
}

static int export_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64], kind[64];
    cd_str(cd_get(args, "region"), region, sizeof region);
    cd_str(cd_get(args, "kind"), kind, sizeof kind);
    char *text = region[0]  ? calendar_text(h, "WHERE region = ?", region, region)
                 : kind[0] ? calendar_text(h, "WHERE kind = ?", kind, kind)
                           : calendar_text(h, "", NULL, "Activités");
    if (!text)
        return api->req_fail(req, "internal", NULL, "iCalendar: écriture impossible");
    msgpack_packer *pk = api->req_result(req);
    char first[512];
    int problems = ics_problems(text, first, sizeof first);
    msgpack_pack_map(pk, 3);
    cd_pack_str(pk, "text");
    cd_pack_str(pk, text);
    cd_pack_str(pk, "problems"); /* libical's own validation of what was written */
    msgpack_pack_int(pk, problems);
    cd_pack_opt(pk, "first_problem", first);
    free(text);
    return 0;
}

static int import_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64], err[512];
    cd_str(cd_get(args, "region"), region, sizeof region);
    const msgpack_object *t = cd_get(args, "text");
    if (!region[0] || region_exists(h, region, err, sizeof err) != 0)
        return api->req_fail(req, region[0] ? "not_found" : "invalid_argument", "region",
                             "region: la région où ranger les activités importées");
    if (!t || t->type != MSGPACK_OBJECT_STR)
        return api->req_fail(req, "invalid_argument", "text", "text: le contenu du fichier .ics");
    char *text = malloc(t->via.str.size + 1);
    if (!text)
        return api->req_fail(req, "internal", NULL, "mémoire insuffisante");
    memcpy(text, t->via.str.ptr, t->via.str.size);
    text[t->via.str.size] = '\0';
    ics_activity *acts;
    size_t n;
    int rc = ics_read(text, &acts, &n, err, sizeof err);
    free(text);
    if (rc != 0)
        return api->req_fail(req, "invalid_argument", "text", "%s", err);
    int created = 0, updated = 0, unchanged = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        ics_activity *a = &acts[i];
        fields f = {0};
        snprintf(f.region, sizeof f.region, "%s", region);
        snprintf(f.title, sizeof f.title, "%s", a->title);
        snprintf(f.kind, sizeof f.kind, "%s", one_of(a->kind, kinds) ? a->kind : "autre");
        snprintf(f.start, sizeof f.start, "%s", a->start);
        snprintf(f.end, sizeof f.end, "%s", a->end[0] ? a->end : a->start);
        snprintf(f.place, sizeof f.place, "%s", a->place);
        snprintf(f.url, sizeof f.url, "%s", a->url);
        snprintf(f.description, sizeof f.description, "%s", a->description);
        snprintf(f.status, sizeof f.status, "%s", a->status);
        snprintf(f.rrule, sizeof f.rrule, "%s", a->rrule);
        snprintf(f.exdates, sizeof f.exdates, "%s", a->exdates);
        const char *field = NULL, *problem = check(&f, a->all_day, &field);
        if (problem) {
            rc = api->req_fail(req, "invalid_argument", "text", "événement %s : %s", a->uid, problem);
            break;
        }
        sqlite3_stmt *st;
        int64_t id = 0;
        int seq = 0;
        if (sqlite3_prepare_v2(api->db(h), "SELECT id, sequence FROM calendar_activities WHERE uid = ?", -1, &st, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_text(st, 1, a->uid, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW) {
                id = sqlite3_column_int64(st, 0);
                seq = sqlite3_column_int(st, 1);
            }
            sqlite3_finalize(st);
        }
        /* The same UID is the same activity: kept unless the file's
         * version is newer. */
        if (id && a->sequence <= seq) {
            unchanged++;
            continue;
        }
        int64_t out;
        if (store(h, id, a->uid, &f, a->all_day, a->sequence, &out) != 0) {
            rc = api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
            break;
        }
        if (emit_activity(h, NULL, out, id ? "activity.updated" : "activity.created") != 0) {
            rc = -1;
            break;
        }
        id ? updated++ : created++;
    }
    free(acts);
    if (rc != 0)
        return rc;
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 3);
    cd_pack_str(pk, "created");
    msgpack_pack_int(pk, created);
    cd_pack_str(pk, "updated");
    msgpack_pack_int(pk, updated);
    cd_pack_str(pk, "unchanged");
    msgpack_pack_int(pk, unchanged);
    return created || updated ? publish(h) : 0;
}

/* ---- reminders before activities ------------------------------------------------ */

static int remind_days[8], nremind;

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static long day_number(const char *date)
{
    int y = 0, m = 0, d = 0;
    sscanf(date, "%d-%d-%d", &y, &m, &d);
    return days_from_civil(y, m, d);
}

typedef struct {
    cd_host *h;
    sqlite3_stmt *row;
    long today;
    int rc;
} remind_ctx;

static bool fired(cd_host *h, int64_t activity, const char *occurrence, int horizon)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "SELECT 1 FROM calendar_reminders WHERE activity = ? AND occurrence = ?"
                                       " AND horizon = ?", -1, &st, NULL) != SQLITE_OK)
        return true;
    sqlite3_bind_int64(st, 1, activity);
    sqlite3_bind_text(st, 2, occurrence, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, horizon);
    bool yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* One occurrence: the latest horizon due is sent once (the ones before it,
 * passed while the daemon was down, are recorded without being sent). */
static void remind_occurrence(const char *start, void *data)
{
    remind_ctx *c = data;
    if (c->rc)
        return;
    long left = day_number(start) - c->today;
    int chosen = -1;
    for (int i = 0; i < nremind; i++)
        if (remind_days[i] >= left && (chosen < 0 || remind_days[i] < chosen))
            chosen = remind_days[i];
    int64_t id = sqlite3_column_int64(c->row, 0);
    if (left < 0 || chosen < 0 || fired(c->h, id, start, chosen))
        return;
    sqlite3_stmt *st;
    for (int i = 0; i < nremind && c->rc == 0; i++) {
        if (remind_days[i] < chosen)
            continue;
        if (sqlite3_prepare_v2(api->db(c->h), "INSERT OR IGNORE INTO calendar_reminders(activity, occurrence, horizon,"
                                              " fired_ms) VALUES (?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
            c->rc = -1;
            return;
        }
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, start, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, remind_days[i]);
        sqlite3_bind_int64(st, 4, api->now_ms(c->h));
        c->rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cd_pack_str(&pk, "activity");
    pack_activity(c->h, &pk, c->row);
    cd_pack_opt(&pk, "occurrence", start);
    cd_pack_str(&pk, "days_left");
    msgpack_pack_long(&pk, left);
    cd_pack_str(&pk, "horizon_days");
    msgpack_pack_int(&pk, chosen);
    char region[64];
    col(c->row, 2, region, sizeof region);
    if (c->rc == 0)
        c->rc = api->emit(c->h, region, "activity.upcoming", buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
}

/* The files again at start: a stop may have cancelled the last rewrite, or
 * export_dir may be new. */
static int publish_at_start(cd_host *h, void *data)
{
    (void)data;
    return publish(h);
}

static int remind_tick(cd_host *h, void *data)
{
    (void)data;
    if (!nremind)
        return 0;
    time_t now = (time_t)(api->now_ms(h) / 1000);
    struct tm tm;
    localtime_r(&now, &tm);
    char from[16], to[16];
    strftime(from, sizeof from, "%Y-%m-%d", &tm);
    int farthest = 0;
    for (int i = 0; i < nremind; i++)
        farthest = remind_days[i] > farthest ? remind_days[i] : farthest;
    struct tm end = tm;
    end.tm_mday += farthest;
    end.tm_isdst = -1;
    mktime(&end);
    strftime(to, sizeof to, "%Y-%m-%d", &end);
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT %s FROM calendar_activities WHERE status <> 'cancelled'"
             " AND (rrule IS NOT NULL OR substr(start, 1, 10) BETWEEN ? AND ?)", ACT_COLUMNS);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    remind_ctx c = {h, st, day_number(from), 0};
    while (c.rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        ics_activity a;
        row_to_activity(st, &a);
        if (api->region_origin(h, a.region))
            continue; /* a peer's: its owner reminds of it */
        ics_expand(&a, from, to, 400, remind_occurrence, &c);
    }
    sqlite3_finalize(st);
    return c.rc;
}

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
    return rc == 0 ? publish(h) : -1;
}

/* ---- load -------------------------------------------------------------------- */

static int init(cd_host *h, const cd_host_api *host_api, void **state)
{
    (void)state;
    api = host_api;
    const char *dir = api->config(h, NULL, "export_dir");
    snprintf(export_dir, sizeof export_dir, "%s", dir ? dir : "");
    if (export_dir[0] && mkdir(export_dir, 0755) != 0 && errno != EEXIST) {
        api->log(h, CD_LOG_ERROR, "[plugin.calendar] export_dir = %s: %s", export_dir, strerror(errno));
        return -1;
    }
    static const char *const add_args[] = {"region",      "title",  "kind",  "start",   "end",       "place",
                                           "url",         "organisation", "action", "description", "status",
                                           "rrule",       "exdates", "indicator", "measure", NULL};
    static const char *const update_args[] = {"id",    "title",   "kind",   "start",  "end",   "place",
                                              "url",   "organisation", "action", "description", "status", "rrule",
                                              "exdates", "indicator", "measure", NULL};
    static const char *const id_args[] = {"id", NULL};
    static const char *const list_args[] = {"region", "kind", "from", "to", NULL};
    static const char *const held_args[] = {"id", "occurrence", "participants", "notes", NULL};
    static const char *const export_args[] = {"region", "kind", NULL};
    static const char *const import_args[] = {"region", "text", NULL};
    const cd_op_spec ops[] = {
        {"calendar.add", add_op, h, add_args, "ajoute une activité au calendrier", "adds an activity"},
        {"calendar.list", list_op, h, list_args, "les activités d'une période (séances des récurrences comprises)",
         "activities in a period (recurrences expanded)"},
        {"calendar.show", show_op, h, id_args, "montre une activité", "shows an activity"},
        {"calendar.update", update_op, h, update_args, "modifie une activité", "updates an activity"},
        {"calendar.cancel", cancel_op, h, id_args, "annule une activité", "cancels an activity"},
        {"calendar.held", held_op, h, held_args, "enregistre la tenue d'une séance et sa participation",
         "records that a session was held, and who came"},
        {"calendar.export", export_op, h, export_args, "le calendrier en iCalendar (.ics)", "the calendar as iCalendar"},
        {"calendar.import", import_op, h, import_args, "importe un fichier .ics d'un partenaire (par UID)",
         "imports a partner's .ics file (by UID)"},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (api->register_op(h, &ops[i]) != 0)
            return -1;
    if (api->migrate(h, migrations, sizeof migrations / sizeof migrations[0]) != 0)
        return -1;
    /* Reminders before each occurrence: [plugin.calendar] remind_days
     * (default 7, 1; empty for none), checked every check_every_ms. */
    const char *days = api->config(h, NULL, "remind_days");
    nremind = 0;
    for (const char *p = days ? days : "7, 1"; *p && nremind < 8;) {
        char *end;
        long d = strtol(p, &end, 10);
        if (end == p) {
            p++;
            continue;
        }
        if (d < 0 || d > 366) {
            api->log(h, CD_LOG_ERROR, "[plugin.calendar] remind_days = %s: des nombres de jours de 0 à 366", days);
            return -1;
        }
        remind_days[nremind++] = (int)d;
        p = end;
    }
    if (api->subscribe_peers(h, "*/activity.*", on_peer_activity, NULL) != 0)
        return -1;
    if (export_dir[0] && !api->timer_start(h, 0, 0, publish_at_start, NULL))
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

CD_PLUGIN("calendar", "0.1.0", init, fini);
