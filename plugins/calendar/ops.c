/* ops.c: the calendar's ops: add, update, cancel, show, list (recurring
 * activities expanded between two dates), held (a session that took place,
 * with its participants), export and import of iCalendar. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "activity.h"
#include "repeat.h"

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

/* Reads the request's fields; -1 (the request failed) when one is too long. */
static int refuse_too_long(cd_req *req, fields *f)
{
    size_t limit = 0;
    const char *field = activity_read_fields(api->req_args(req), f, &limit);
    if (!field)
        return 0;
    bool en = strcmp(api->req_lang(req), "en") == 0;
    return api->req_fail(req, "invalid_argument", field,
                         en ? "%s: at most %zu bytes (PROTOCOL.md, calendar); nothing was changed"
                            : "%s : %zu octets au plus (PROTOCOL.md, calendar) ; rien n'a été modifié",
                         field, limit);
}

/* Today plus days, local: "YYYY-MM-DD". */
static void local_day(cd_host *h, int days, char *out, size_t cap)
{
    time_t t = (time_t)(api->now_ms(h) / 1000);
    struct tm tm;
    localtime_r(&t, &tm); /* the daemon sets TZ from [node] timezone */
    tm.tm_mday += days;
    tm.tm_hour = 12; /* clear of daylight-saving edges */
    mktime(&tm);
    strftime(out, cap, "%Y-%m-%d", &tm);
}

/* The day days after day ("YYYY-MM-DD"). */
static void day_after(const char *day, int days, char *out, size_t cap)
{
    struct tm tm = {.tm_hour = 12};
    if (sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) {
        snprintf(out, cap, "%s", day);
        return;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_mday += days;
    timegm(&tm);
    strftime(out, cap, "%Y-%m-%d", &tm);
}

/* The host's clock as local wall time: "YYYY-MM-DD" (day) or "YYYY-MM-DDTHH:MM". */
static void local_now(cd_host *h, bool day, char *out, size_t cap)
{
    time_t t = (time_t)(api->now_ms(h) / 1000);
    struct tm tm;
    localtime_r(&t, &tm); /* the daemon sets TZ from [node] timezone */
    strftime(out, cap, day ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M", &tm);
}

/* "repeat" in words ("le 2e mardi du mois") as the rule; without an end,
 * a year from from (the first session, or today). 0, or -1 with req failed. */
static int read_repeat(cd_req *req, fields *f, const char *from)
{
    const msgpack_object *said = cd_get(api->req_args(req), "repeat");
    if (!said || said->type != MSGPACK_OBJECT_STR)
        return 0;
    if (f->has[F_RRULE])
        return api->req_fail(req, "invalid_argument", "repeat", "repeat ou rrule, pas les deux");
    char words[256], rule[512], err[400];
    cd_str(said, words, sizeof words);
    if (repeat_to_rrule(words, rule, sizeof rule, err, sizeof err) != 0)
        return api->req_fail(req, "invalid_argument", "repeat", "%s", err);
    if (!strstr(rule, "COUNT=") && !strstr(rule, "UNTIL=")) {
        int y = 0, m = 0, d = 0;
        if (sscanf(from, "%4d-%2d-%2d", &y, &m, &d) == 3)
            snprintf(rule + strlen(rule), sizeof rule - strlen(rule), ";UNTIL=%04d%02d%02d", y + 1, m,
                     m == 2 && d == 29 ? 28 : d); /* a year of sessions, unless said */
    }
    snprintf(f->rrule, sizeof f->rrule, "%s", rule);
    f->has[F_RRULE] = true;
    return 0;
}

static int add_op(cd_req *req, void *data)
{
    cd_host *h = data;
    fields f;
    if (refuse_too_long(req, &f) != 0)
        return -1;
    if (!f.region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région qui organise l'activité");
    if (read_repeat(req, &f, f.start) != 0)
        return -1;
    char err[512];
    if (region_exists(h, f.region, err, sizeof err) != 0)
        return api->req_fail(req, "not_found", "region", "%s", err);
    if (!f.kind[0])
        snprintf(f.kind, sizeof f.kind, "rencontre");
    if (!f.status[0])
        snprintf(f.status, sizeof f.status, "confirmed");
    bool all_day = activity_time_kind(f.start) == 1;
    if (!f.end[0] && activity_time_kind(f.start) >= 0) {
        /* One hour, or the day itself. */
        if (all_day)
            snprintf(f.end, sizeof f.end, "%s", f.start);
        else {
            int y, mo, d, hh, mi;
            sscanf(f.start, "%d-%d-%dT%d:%d", &y, &mo, &d, &hh, &mi);
            snprintf(f.end, sizeof f.end, "%04d-%02d-%02dT%02d:%02d", y, mo, d, hh < 23 ? hh + 1 : 23, hh < 23 ? mi : 59);
        }
    }
    const char *field = NULL, *problem = activity_check(&f, all_day, &field);
    if (problem)
        return api->req_fail(req, "invalid_argument", field, "%s", problem);
    char uid[128];
    new_uid(uid, sizeof uid);
    int64_t id;
    if (store(h, 0, uid, &f, all_day, 0, &id) != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (store_feed(req, h, id) != 0)
        return -1;
    return emit_activity(h, req, id, "activity.created") || publish_calendars(h) ? -1 : 0;
}

/* The stored activity id as fields (for update), or 1 when there is none. */
int activity_load(cd_host *h, int64_t id, fields *f, int *sequence, char *uid, size_t uidcap)
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
        column_text(st, 1, uid, uidcap);
        column_text(st, 2, f->region, sizeof f->region);
        column_text(st, 3, f->title, sizeof f->title);
        column_text(st, 4, f->kind, sizeof f->kind);
        column_text(st, 5, f->start, sizeof f->start);
        column_text(st, 6, f->end, sizeof f->end);
        column_text(st, 8, f->place, sizeof f->place);
        column_text(st, 9, f->url, sizeof f->url);
        column_text(st, 10, f->organisation, sizeof f->organisation);
        column_text(st, 11, f->action, sizeof f->action);
        column_text(st, 12, f->description, sizeof f->description);
        column_text(st, 13, f->status, sizeof f->status);
        column_text(st, 14, f->rrule, sizeof f->rrule);
        column_text(st, 15, f->exdates, sizeof f->exdates);
        *sequence = sqlite3_column_int(st, 16);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int activity_change(cd_req *req, cd_host *h, int64_t id, const fields *given, const char *type)
{
    fields f;
    int sequence;
    char uid[256];
    int r = activity_load(h, id, &f, &sequence, uid, sizeof uid);
    if (r != 0)
        return r < 0 ? api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)))
                     : api->req_fail(req, "not_found", "id", "aucune activité n° %lld (calendar.list les donne)",
                                     (long long)id);
    for (int i = 0; field_names[i]; i++)
        if (given->has[i] && i != F_REGION) {
            size_t cap, gcap;
            char *dst = activity_field_ptr(&f, i, &cap);
            const char *src = activity_field_ptr((fields *)given, i, &gcap);
            snprintf(dst, cap, "%s", src);
        }
    bool all_day = activity_time_kind(f.start) == 1;
    const char *field = NULL, *problem = activity_check(&f, all_day, &field);
    if (problem)
        return api->req_fail(req, "invalid_argument", field, "%s", problem);
    /* Calendar apps take a change only when SEQUENCE grows. */
    if (store(h, id, uid, &f, all_day, sequence + 1, NULL) != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    return emit_activity(h, req, id, type) || publish_calendars(h) ? -1 : 0;
}

static int update_op(cd_req *req, void *data)
{
    fields f;
    if (refuse_too_long(req, &f) != 0)
        return -1;
    int64_t id = cd_int(cd_get(api->req_args(req), "id"), 0);
    char today[16];
    local_day(data, 0, today, sizeof today);
    if (read_repeat(req, &f, f.start[0] ? f.start : today) != 0 || store_feed(req, data, id) != 0)
        return -1;
    return activity_change(req, data, id, &f, "activity.updated");
}

static int cancel_op(cd_req *req, void *data)
{
    fields f = {0};
    snprintf(f.status, sizeof f.status, "cancelled");
    f.has[F_STATUS] = true;
    return activity_change(req, data, cd_int(cd_get(api->req_args(req), "id"), 0), &f, "activity.cancelled");
}

static int show_op(cd_req *req, void *data)
{
    int64_t id = cd_int(cd_get(api->req_args(req), "id"), 0);
    int r = activity_pack_by_id(data, api->req_result(req), id);
    return r == 0 ? 0 : api->req_fail(req, "not_found", "id", "aucune activité n° %lld", (long long)id);
}

/* Where one occurrence's row lies in the packed rows, to put every
 * region's sessions in date order. */
typedef struct {
    char when[20];
    int64_t id;
    size_t off, len;
} placed;

typedef struct {
    msgpack_packer *pk;
    msgpack_sbuffer *rows;
    sqlite3_stmt *row;
    uint32_t n;
    char origin[64]; /* the owner of the row's region when it is a peer's copy, else "" */
    placed *order;
    size_t cap;
    bool failed; /* out of memory */
    bool en;     /* the asker reads English */
} list_ctx;

static int by_date(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    int c = strcmp(x->when, y->when);
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

static void on_occurrence(const char *start, void *data)
{
    list_ctx *c = data;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        placed *grown = realloc(c->order, cap * sizeof *grown);
        if (!grown) {
            c->failed = true;
            return;
        }
        c->order = grown;
        c->cap = cap;
    }
    placed *p = &c->order[c->n];
    snprintf(p->when, sizeof p->when, "%s", start);
    p->id = sqlite3_column_int64(c->row, 0);
    p->off = c->rows->size;
    char v[1024];
    msgpack_pack_map(c->pk, 10);
    cd_pack_str(c->pk, "id");
    msgpack_pack_int64(c->pk, sqlite3_column_int64(c->row, 0));
    cd_pack_opt(c->pk, "occurrence", start);
    cd_pack_opt(c->pk, "origin", c->origin);
    const char *names[] = {"region", "title", "kind"};
    for (int i = 0; i < 3; i++) {
        column_text(c->row, 2 + i, v, sizeof v);
        cd_pack_opt(c->pk, names[i], v);
    }
    column_text(c->row, 8, v, sizeof v);
    cd_pack_opt(c->pk, "place", v);
    column_text(c->row, 13, v, sizeof v);
    cd_pack_opt(c->pk, "status", v);
    cd_pack_str(c->pk, "recurring");
    sqlite3_column_type(c->row, 14) != SQLITE_NULL ? msgpack_pack_true(c->pk) : msgpack_pack_false(c->pk);
    char words[512] = "";
    if (sqlite3_column_type(c->row, 14) != SQLITE_NULL) /* the rule in words, in the asker's language */
        rrule_to_words((const char *)sqlite3_column_text(c->row, 14), c->en, words, sizeof words);
    cd_pack_opt(c->pk, "repeat", words);
    p->len = c->rows->size - p->off;
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
    /* Said nothing: what comes in the next 90 days. */
    if (!from[0])
        local_day(h, 0, from, sizeof from);
    if (!to[0])
        day_after(from, 90, to, sizeof to);
    if (activity_time_kind(from) != 1)
        return api->req_fail(req, "invalid_argument", "from", "from: AAAA-MM-JJ, le premier jour");
    if (activity_time_kind(to) != 1 || strcmp(to, from) < 0)
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
    list_ctx c = {.pk = &rp, .rows = &rows, .row = st, .en = strcmp(api->req_lang(req), "en") == 0};
    while (sqlite3_step(st) == SQLITE_ROW && c.n < 5000 && !c.failed) {
        ics_activity a;
        row_to_activity(st, &a);
        const char *origin = api->region_origin(h, a.region);
        snprintf(c.origin, sizeof c.origin, "%s", origin ? origin : "");
        ics_expand(&a, from, to, 5000 - (int)c.n, on_occurrence, &c);
    }
    sqlite3_finalize(st);
    if (c.failed) {
        free(c.order);
        msgpack_sbuffer_destroy(&rows);
        return api->req_fail(req, "internal", NULL, "mémoire insuffisante");
    }
    /* Every region's sessions in date order (each activity gave its own in turn). */
    if (c.n)
        qsort(c.order, c.n, sizeof *c.order, by_date);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_array(pk, c.n);
    for (uint32_t i = 0; i < c.n; i++)
        cd_pack_raw(pk, rows.data + c.order[i].off, c.order[i].len);
    free(c.order);
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
    int r = activity_load(h, id, &f, &sequence, uid, sizeof uid);
    if (r != 0)
        return api->req_fail(req, r < 0 ? "internal" : "not_found", "id", "aucune activité n° %lld", (long long)id);
    if (strcmp(f.status, "cancelled") == 0)
        return api->req_fail(req, "conflict", "id", "l'activité %lld est annulée", (long long)id);
    if (!occurrence[0])
        snprintf(occurrence, sizeof occurrence, "%s", f.start);
    if (activity_time_kind(occurrence) != activity_time_kind(f.start))
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
    /* A participation measured before the session is a typing mistake (the
     * wrong séance, or the wrong year) far more often than a forecast. */
    const msgpack_object *force = cd_get(args, "force");
    char now[32];
    local_now(h, strlen(occurrence) == 10, now, sizeof now);
    if (strcmp(occurrence, now) > 0 && !(force && force->type == MSGPACK_OBJECT_BOOLEAN && force->via.boolean))
        return api->req_fail(req, "invalid_argument", "occurrence",
                             "occurrence: la séance du %s n'a pas encore eu lieu (nous sommes le %s) ; force pour "
                             "l'enregistrer quand même",
                             occurrence, now);
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
        return activity_change(req, h, id, &s, "activity.held");
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
        snprintf(f.kind, sizeof f.kind, "%s", activity_one_of(a->kind, kinds) ? a->kind : "autre");
        snprintf(f.start, sizeof f.start, "%s", a->start);
        snprintf(f.end, sizeof f.end, "%s", a->end[0] ? a->end : a->start);
        snprintf(f.place, sizeof f.place, "%s", a->place);
        snprintf(f.url, sizeof f.url, "%s", a->url);
        snprintf(f.description, sizeof f.description, "%s", a->description);
        snprintf(f.status, sizeof f.status, "%s", a->status);
        snprintf(f.rrule, sizeof f.rrule, "%s", a->rrule);
        snprintf(f.exdates, sizeof f.exdates, "%s", a->exdates);
        const char *field = NULL, *problem = activity_check(&f, a->all_day, &field);
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
    return created || updated ? publish_calendars(h) : 0;
}

/* calendar.undo, which events.undo calls with the event to reverse and the
 * activity as the event before it left it: an activity added is cancelled
 * (calendar apps then drop it); a change or a cancellation is reversed by
 * the fields as they were, as a change of its own (SEQUENCE grows). */
static int undo_op(cd_req *req, void *data)
{
    static const char *const activity_keys[] = {"id", "indicator", "measure", "uid", "region", "title", "kind",
                                                "start", "end", "all_day", "place", "url", "organisation", "action",
                                                "description", "status", "rrule", "exdates", "sequence", "held", NULL};
    const msgpack_object *args = api->req_args(req), *event = cd_get(args, "event"), *before = cd_get(args, "before");
    for (const msgpack_object *m = event; m; m = m == event ? before : NULL) {
        const msgpack_object *bad = cd_unknown_key(m, activity_keys);
        if (bad)
            return api->req_fail(req, "invalid_argument", m == event ? "event" : "before",
                                 "%s : « %.*s » n'est pas un champ d'activité", m == event ? "event" : "before",
                                 bad->type == MSGPACK_OBJECT_STR ? (int)bad->via.str.size : 1,
                                 bad->type == MSGPACK_OBJECT_STR ? bad->via.str.ptr : "?");
    }
    char type[32];
    cd_str(cd_get(args, "type"), type, sizeof type);
    int64_t id = cd_int(cd_get(event, "id"), 0);
    fields f = {0};
    if (strcmp(type, "activity.created") == 0) {
        snprintf(f.status, sizeof f.status, "cancelled");
        f.has[F_STATUS] = true;
        return activity_change(req, data, id, &f, "activity.cancelled");
    }
    if (!before)
        return api->req_fail(req, "conflict", "before",
                             strcmp(api->req_lang(req), "en") == 0
                                 ? "the activity as it was before is not in the log"
                                 : "l'activité telle qu'elle était avant n'est pas au journal");
    size_t limit = 0;
    if (activity_read_fields(before, &f, &limit))
        return api->req_fail(req, "invalid_argument", "before", "before : un champ de plus de %zu octets", limit);
    for (int i = 0; field_names[i]; i++)
        f.has[i] = i != F_REGION; /* every field as it was, an empty one included */
    return activity_change(req, data, id, &f, "activity.updated");
}

int ops_register(cd_host *h)
{
    static const char *const measures[] = {"sessions", "participants", NULL};
    /* The sizes are the fields' (activity.h): what is accepted is stored whole. */
#define ACTIVITY_FIELDS(needed)                                                                                      \
    {"title", CD_TEXT, .required = needed, .min = 1, .max = 511, .help_fr = "le titre de l'activité", .help_en = "the activity's title"},   \
        {"kind", CD_ENUM, .values = kinds, .help_fr = "son genre (rencontre)", .help_en = "its kind (rencontre)"},       \
        {"start", CD_WHEN, .required = needed, .help_fr = "son début : AAAA-MM-JJ (journée) ou AAAA-MM-JJTHH:MM",    \
         .help_en = "its start: YYYY-MM-DD (all day) or YYYY-MM-DDTHH:MM"},                                            \
        {"end", CD_WHEN, .help_fr = "sa fin (une heure après le début sinon)", .help_en = "its end (an hour later otherwise)"}, \
        {"place", CD_TEXT, .max = 511, .help_fr = "le lieu", .help_en = "the place"},                                    \
        {"url", CD_TEXT, .max = 1023, .help_fr = "un lien (visioconférence, inscription)", .help_en = "a link"},         \
        {"organisation", CD_TEXT, .max = 255, .help_fr = "qui l'organise", .help_en = "who organises it"},               \
        {"action", CD_TEXT, .max = 63, .help_fr = "l'action du plan qu'elle sert (2.3)", .help_en = "the plan action it serves"}, \
        {"description", CD_TEXT, .max = 4095, .help_fr = "sa description", .help_en = "its description"},               \
        {"status", CD_ENUM, .values = statuses, .help_fr = "planned, confirmed, cancelled ou held",                      \
         .help_en = "planned, confirmed, cancelled or held"},                                                            \
        {"rrule", CD_TEXT, .max = 511, .help_fr = "sa récurrence RFC 5545 (FREQ=MONTHLY;COUNT=10)",                   \
         .help_en = "its RFC 5545 recurrence"},                                                                          \
        {"repeat", CD_TEXT, .max = 255,                                                                                  \
         .help_fr = "sa récurrence en mots : « chaque lundi », « aux deux semaines », « le 2e mardi du mois », « le 15 " \
                    "de chaque mois », « sauf juillet et août », « 10 fois », « jusqu'au 2027-06-30 » (un an sinon)",    \
         .help_en = "its recurrence in words (French): \"chaque lundi\", \"le 2e mardi du mois\", \"10 fois\""},       \
        {"exdates", CD_LIST, .max = 40, .item = CD_TEXT, .item_max = 19, .text_max = 1023, .help_fr = "les séances annulées (leurs débuts)", \
         .help_en = "the sessions cancelled (their starts)"},                                                            \
        {"indicator", CD_INT, .min = 1, .max = INT64_MAX, .help_fr = "l'indicateur du plan que sa participation nourrit", \
         .help_en = "the plan indicator its attendance feeds"},                                                          \
        {"measure", CD_ENUM, .values = measures, .help_fr = "ce que l'indicateur compte (sessions ou participants)",      \
         .help_en = "what the indicator counts (participants or sessions)"}
#define ID {"id", CD_INT, .required = 1, .min = 1, .max = INT64_MAX, .help_fr = "le numéro de l'activité", .help_en = "the activity's number"}
    static const cd_param add_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région qui l'organise", .help_en = "the region organising it"},
        ACTIVITY_FIELDS(1), CD_END};
    static const cd_param update_args[] = {ID, ACTIVITY_FIELDS(0), CD_END};
    static const cd_param id_args[] = {ID, CD_END};
    static const cd_param list_args[] = {
        {"region", CD_REGION, .help_fr = "la région (toutes sinon)", .help_en = "the region (all otherwise)"},
        {"kind", CD_ENUM, .values = kinds, .help_fr = "seulement ce genre", .help_en = "only this kind"},
        {"from", CD_DATE, .help_fr = "le premier jour (aujourd'hui sinon)", .help_en = "the first day (today otherwise)"},
        {"to", CD_DATE, .help_fr = "le dernier jour (90 jours plus loin sinon)",
         .help_en = "the last day (90 days on otherwise)"},
        CD_END};
    static const cd_param held_args[] = {
        ID,
        {"occurrence", CD_WHEN, .help_fr = "le début de la séance (la première sinon)", .help_en = "the session's start"},
        {"participants", CD_INT, .min = 0, .max = 1000000, .help_fr = "combien de personnes sont venues",
         .help_en = "how many people came"},
        {"notes", CD_TEXT, .max = 2047, .help_fr = "des notes", .help_en = "notes"},
        {"force", CD_BOOL, .help_fr = "l'enregistrer même si la séance n'a pas encore eu lieu",
         .help_en = "record it even if the session has not taken place yet"},
        CD_END};
    static const cd_param export_args[] = {
        {"region", CD_REGION, .help_fr = "la région (toutes sinon)", .help_en = "the region (all otherwise)"},
        {"kind", CD_ENUM, .values = kinds, .help_fr = "seulement ce genre", .help_en = "only this kind"},
        CD_END};
    static const cd_param import_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"},
        {"text", CD_FILE, .required = 1, .min = 1, .max = 8 << 20, .help_fr = "le fichier .ics (@partenaire.ics)",
         .help_en = "the .ics file (@partner.ics)"},
        CD_END};
    static const char *const undone[] = {"activity.created", "activity.updated", "activity.cancelled", NULL};
    static const cd_param undo_args[] = {
        {"type", CD_ENUM, .required = 1, .values = undone, .help_fr = "le type de l'événement à annuler",
         .help_en = "the type of the event to undo"},
        {"event", CD_MAP, .required = 1, .max = 32, .help_fr = "ses données (l'activité après le changement)",
         .help_en = "its data (the activity after the change)"},
        {"before", CD_MAP, .max = 32, .help_fr = "l'activité telle que l'événement d'avant l'a laissée",
         .help_en = "the activity as the event before left it"},
        CD_END};
#undef ACTIVITY_FIELDS
#undef ID
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
        {"calendar.undo", undo_op, h, undo_args,
         "défait un ajout, un changement ou une annulation d'activité (concertctl undo l'appelle)",
         "reverses an activity added, changed or cancelled (concertctl undo calls it)"},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (api->register_op(h, &ops[i]) != 0)
            return -1;
    return 0;
}
