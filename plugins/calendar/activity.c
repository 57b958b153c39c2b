/* activity.c: an activity as every file of the calendar sees it: the host's
 * API, its kinds and statuses, its fields as ops and peers give them (read
 * and checked), its row packed as the protocol says, its events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"

const cd_host_api *api;

const char *const kinds[] = {"comite", "formation", "atelier", "forum", "aga", "conference", "visite",
                                    "rencontre", "autre", NULL};

const char *const statuses[] = {"planned", "confirmed", "cancelled", "held", NULL};

/* ---- small helpers --------------------------------------------------------- */

bool activity_one_of(const char *v, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(v, list[i]) == 0)
            return true;
    return false;
}

/* "2026-10-03T13:30" (all_day false) or "2026-10-03" (true), naming a
 * moment that exists; -1 otherwise (seconds included: the calendar keeps minutes). */
int activity_time_kind(const char *s)
{
    int kind = cd_when_kind(s);
    return kind == CD_DATE ? 1 : kind == CD_DATETIME && strlen(s) == 16 ? 0 : -1;
}

void column_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    size_t n = v ? strlen(v) : 0;
    if (n >= cap)
        n = cd_utf8_cut(v, n, cap - 1); /* never mid-character */
    memcpy(out, v ? v : "", n);
    out[n] = '\0';
}

const char *const ACT_COLUMNS = "id, uid, region, title, kind, start, end, all_day, place, url, organisation, action,"
                                 " description, status, rrule, exdates, sequence, indicator, measure";

void row_to_activity(sqlite3_stmt *st, ics_activity *a)
{
    memset(a, 0, sizeof *a);
    column_text(st, 1, a->uid, sizeof a->uid);
    column_text(st, 2, a->region, sizeof a->region);
    column_text(st, 3, a->title, sizeof a->title);
    column_text(st, 4, a->kind, sizeof a->kind);
    column_text(st, 5, a->start, sizeof a->start);
    column_text(st, 6, a->end, sizeof a->end);
    a->all_day = sqlite3_column_int(st, 7) != 0;
    column_text(st, 8, a->place, sizeof a->place);
    column_text(st, 9, a->url, sizeof a->url);
    column_text(st, 10, a->organisation, sizeof a->organisation);
    column_text(st, 12, a->description, sizeof a->description);
    column_text(st, 13, a->status, sizeof a->status);
    column_text(st, 14, a->rrule, sizeof a->rrule);
    column_text(st, 15, a->exdates, sizeof a->exdates);
    a->sequence = sqlite3_column_int(st, 16);
}

/* The activity row st (ACT_COLUMNS) as a map, with what was recorded. */
void pack_activity(cd_host *h, msgpack_packer *pk, sqlite3_stmt *st)
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
    column_text(st, 18, v, sizeof v);
    cd_pack_opt(pk, "measure", v);
    const char *names[] = {NULL, "uid", "region", "title", "kind", "start", "end", NULL, "place", "url", "organisation",
                           "action", "description", "status", "rrule", "exdates"};
    for (int i = 1; i < 16; i++) {
        if (i == 7) {
            cd_pack_str(pk, "all_day");
            sqlite3_column_int(st, 7) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
            continue;
        }
        column_text(st, i, v, sizeof v);
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

int activity_pack_by_id(cd_host *h, msgpack_packer *pk, int64_t id)
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
int emit_activity(cd_host *h, cd_req *req, int64_t id, const char *type)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    int rc = activity_pack_by_id(h, &pk, id);
    char region[64] = "";
    sqlite3_stmt *st;
    if (rc == 0 && sqlite3_prepare_v2(api->db(h), "SELECT region FROM calendar_activities WHERE id = ?", -1, &st, NULL) ==
                       SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW)
            column_text(st, 0, region, sizeof region);
        sqlite3_finalize(st);
    }
    if (rc == 0)
        rc = api->emit(h, region, type, buf.data, buf.size);
    if (rc == 0 && req)
        cd_pack_raw(api->req_result(req), buf.data, buf.size); /* the same map, as the result */
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* ---- fields ---------------------------------------------------------------- */


const char *const field_names[] = {"title",  "kind",        "start",  "end",   "place",   "url",    "organisation",
                                          "action", "description", "status", "rrule", "exdates", "region", NULL};

char *activity_field_ptr(fields *f, int i, size_t *cap)
{
    char *ptrs[] = {f->title,  f->kind,        f->start,  f->end,   f->place,   f->url,    f->organisation,
                    f->action, f->description, f->status, f->rrule, f->exdates, f->region};
    size_t caps[] = {sizeof f->title,  sizeof f->kind,        sizeof f->start,  sizeof f->end,  sizeof f->place,
                     sizeof f->url,    sizeof f->organisation, sizeof f->action, sizeof f->description,
                     sizeof f->status, sizeof f->rrule,       sizeof f->exdates, sizeof f->region};
    *cap = caps[i];
    return ptrs[i];
}

const char *activity_read_fields(const msgpack_object *args, fields *f, size_t *limit)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; field_names[i]; i++) {
        const msgpack_object *o = cd_get(args, field_names[i]);
        size_t cap;
        char *dst = activity_field_ptr(f, i, &cap);
        if (!o)
            continue;
        f->has[i] = true;
        /* What is accepted is stored whole: a text longer than its field is
         * refused, never cut (a URL cut is another URL). */
        *limit = cap - 1;
        if (i == F_EXDATES && o->type == MSGPACK_OBJECT_ARRAY) {
            for (uint32_t k = 0; k < o->via.array.size; k++) {
                const msgpack_object *one = &o->via.array.ptr[k];
                size_t len = strlen(dst), n = one->type == MSGPACK_OBJECT_STR ? one->via.str.size : 0;
                if (len + (len ? 2 : 0) + n >= cap)
                    return field_names[i];
                if (len)
                    memcpy(dst + len, ", ", 2), len += 2;
                cd_str(one, dst + len, cap - len);
            }
        } else {
            if (o->type == MSGPACK_OBJECT_STR && o->via.str.size >= cap)
                return field_names[i];
            cd_str(o, dst, cap);
        }
    }
    return NULL;
}

/* Checks a complete activity; NULL when good, else (field, message). */
const char *activity_check(const fields *f, bool all_day, const char **field)
{
    if (!f->title[0])
        return *field = "title", "title: le titre de l'activité est obligatoire";
    if (!activity_one_of(f->kind, kinds))
        return *field = "kind",
               "kind: comite, formation, atelier, forum, aga, conference, visite, rencontre ou autre";
    int ks = activity_time_kind(f->start), ke = activity_time_kind(f->end);
    if (ks < 0)
        return *field = "start", "start: AAAA-MM-JJTHH:MM (heure de Montréal), ou AAAA-MM-JJ pour toute la journée";
    if (ke < 0 || ke != ks)
        return *field = "end", "end: au même format que start (AAAA-MM-JJTHH:MM ou AAAA-MM-JJ)";
    if (strcmp(f->end, f->start) < 0 || (!all_day && strcmp(f->end, f->start) == 0))
        return *field = "end", "end: la fin doit venir après le début";
    if (!activity_one_of(f->status, statuses))
        return *field = "status", "status: planned, confirmed, cancelled ou held";
    if (f->rrule[0]) {
        const char *problem = ics_rrule_problem(f->rrule);
        if (problem)
            return *field = "rrule", problem;
    }
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", f->exdates);
    for (char *save = NULL, *p = strtok_r(copy, ", ", &save); p; p = strtok_r(NULL, ", ", &save))
        if (activity_time_kind(p) != ks)
            return *field = "exdates", "exdates: des dates au même format que start";
    if (f->url[0] && strncmp(f->url, "https://", 8) && strncmp(f->url, "http://", 7))
        return *field = "url", "url: un lien http(s)://…";
    return NULL;
}

/* Runs op with args {id: text_id, or num_id when text_id is NULL}
 * through the host, to learn whether what it names exists. 0 when it does. */
int call_check(cd_host *h, const char *op, const char *text_id, int64_t num_id, char *err, size_t cap)
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

int region_exists(cd_host *h, const char *region, char *err, size_t cap)
{
    return call_check(h, "region.get", region, 0, err, cap);
}
