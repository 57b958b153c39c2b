/* reminders.c: see reminders.h. */
#include "reminders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "text.h"
#include "stmt_cache.h"

#define MAX_HORIZONS 16
#define MAX_WANTED 128

typedef struct {
    char end[11], start[11];
    const char *kind;
    int horizon;
} wanted;

int cn_reminders_date_add(cn_req *req, const char *date, int days, char out[11])
{
    sqlite3_stmt *st;
    char mod[32];
    snprintf(mod, sizeof mod, "%+d days", days);
    if (cn_req_prepare(req, "SELECT date(?, ?)", &st))
        return -1;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, mod, -1, SQLITE_STATIC);
    const unsigned char *d = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    snprintf(out, 11, "%s", d ? (const char *)d : "");
    cn_stmt_done(st);
    return out[0] ? 0 : cn_req_fail(req, "internal", NULL, "date(%s, %s)", date, mod);
}

/* "30,7,1" → {30, 7, 1}. */
static int parse_days(const char *s, int *out, int cap)
{
    int n = 0;
    while (s && *s && n < cap) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s)
            break;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

static void want(wanted *w, int *n, const char *end, const char *start, const char *kind, int horizon)
{
    if (*n >= MAX_WANTED)
        return;
    snprintf(w[*n].end, sizeof w[*n].end, "%s", end);
    snprintf(w[*n].start, sizeof w[*n].start, "%s", start ? start : "");
    w[*n].kind = kind;
    w[*n].horizon = horizon;
    (*n)++;
}

int cn_reminders_arm(cn_req *req, int64_t action)
{
    sqlite3_stmt *st;
    /* A copy of a peer's region is reminded of by its owner, not here. */
    if (cn_req_prepare(req, "SELECT a.status, p.status, r.reminder_days, r.reminder_overdue, r.reminder_undated_days"
                            " FROM actions a JOIN plans p ON p.id = a.plan JOIN regions r ON r.id = p.region"
                            " WHERE a.id = ? AND r.origin = ? AND r.archived_ms IS NULL", &st))
        return -1;
    sqlite3_bind_int64(st, 1, action);
    sqlite3_bind_text(st, 2, cn_core_config(req->core)->node_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        cn_stmt_done(st);
        return 0;
    }
    const char *status = (const char *)sqlite3_column_text(st, 0), *plan_status = (const char *)sqlite3_column_text(st, 1);
    bool eligible = strcmp(status, "done") != 0 && strcmp(status, "cancelled") != 0 && strcmp(plan_status, "active") == 0;
    int days[MAX_HORIZONS];
    int ndays = parse_days((const char *)sqlite3_column_text(st, 2), days, MAX_HORIZONS);
    bool overdue = sqlite3_column_int(st, 3) != 0;
    int undated_every = sqlite3_column_int(st, 4);
    cn_stmt_done(st);

    wanted w[MAX_WANTED];
    int n = 0;
    const char *undated_kind = NULL;
    if (eligible) {
        if (cn_req_prepare(req, "SELECT kind, start_date, end_date FROM action_windows WHERE action = ? ORDER BY position",
                           &st))
            return -1;
        sqlite3_bind_int64(st, 1, action);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *kind = (const char *)sqlite3_column_text(st, 0);
            const char *start = (const char *)sqlite3_column_text(st, 1), *end = (const char *)sqlite3_column_text(st, 2);
            if (strcmp(kind, "dated") == 0 && end) {
                for (int i = 0; i < ndays; i++)
                    want(w, &n, end, start, "dated", days[i]);
                if (overdue)
                    want(w, &n, end, start, "dated", CN_HORIZON_OVERDUE);
            } else if (strcmp(kind, "ongoing") == 0 || strcmp(kind, "on_demand") == 0) {
                undated_kind = strcmp(kind, "ongoing") == 0 ? "ongoing" : "on_demand";
            }
        }
        cn_stmt_done(st);
    }
    if (undated_kind && undated_every > 0) {
        /* One follow-up pending at a time: the one armed, else in N days. */
        char due[11] = "";
        if (cn_req_prepare(req, "SELECT window_end FROM reminders WHERE action = ? AND horizon = -2 AND state = 'pending'",
                           &st))
            return -1;
        sqlite3_bind_int64(st, 1, action);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(due, sizeof due, "%s", (const char *)sqlite3_column_text(st, 0));
        cn_stmt_done(st);
        char today[11];
        cn_date_today(today);
        if (!due[0] && cn_reminders_date_add(req, today, undated_every, due))
            return -1;
        want(w, &n, due, NULL, undated_kind, CN_HORIZON_FOLLOW_UP);
    }

    /* Pending rows no longer wanted go; fired ones stay, so that the same
     * (window, horizon) never fires twice. */
    if (cn_req_prepare(req, "SELECT window_end, horizon FROM reminders WHERE action = ? AND state = 'pending'", &st))
        return -1;
    sqlite3_bind_int64(st, 1, action);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *end = (const char *)sqlite3_column_text(st, 0);
        int horizon = sqlite3_column_int(st, 1);
        bool keep = false;
        for (int i = 0; i < n && !keep; i++)
            keep = w[i].horizon == horizon && strcmp(w[i].end, end) == 0;
        if (keep)
            continue;
        sqlite3_stmt *del;
        if (cn_req_prepare(req, "DELETE FROM reminders WHERE action = ? AND window_end = ? AND horizon = ?", &del)) {
            cn_stmt_done(st);
            return -1;
        }
        sqlite3_bind_int64(del, 1, action);
        sqlite3_bind_text(del, 2, end, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(del, 3, horizon);
        if (cn_req_exec(req, del)) {
            cn_stmt_done(st);
            return -1;
        }
    }
    cn_stmt_done(st);
    char today[11];
    cn_date_today(today);
    for (int i = 0; i < n; i++) {
        char mod[32];
        snprintf(mod, sizeof mod, "%+d days", w[i].horizon >= 0 ? -w[i].horizon : w[i].horizon == CN_HORIZON_OVERDUE ? 1 : 0);
        /* A moment already past when the reminder is armed (a plan imported
         * years later) is recorded as skipped: never sent, never pending. */
        if (cn_req_prepare(req, "INSERT OR IGNORE INTO reminders(action, window_end, window_start, window_kind, horizon,"
                                " due_on, created_on, state) VALUES (?1, ?2, nullif(?3, ''), ?4, ?5, date(?2, ?6), ?7,"
                                " CASE WHEN date(?2, ?6) < ?7 THEN 'skipped' ELSE 'pending' END)", &st))
            return -1;
        sqlite3_bind_int64(st, 1, action);
        sqlite3_bind_text(st, 2, w[i].end, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, w[i].start, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, w[i].kind, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, w[i].horizon);
        sqlite3_bind_text(st, 6, mod, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 7, today, -1, SQLITE_STATIC);
        if (cn_req_exec(req, st))
            return -1;
    }
    return 0;
}

/* Re-arms every action a query (bound to key) lists. */
static int arm_all(cn_req *req, const char *sql, int64_t id, const char *text)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, sql, &st))
        return -1;
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    size_t n = 0, cap = 64;
    int64_t *ids = malloc(cap * sizeof *ids);
    while (ids && sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            int64_t *p = realloc(ids, (cap *= 2) * sizeof *ids);
            if (!p) {
                free(ids);
                ids = NULL;
                break;
            }
            ids = p;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    cn_stmt_done(st);
    if (!ids)
        return cn_req_fail(req, "internal", NULL, L("mémoire insuffisante", "out of memory"));
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = cn_reminders_arm(req, ids[i]);
    free(ids);
    return rc;
}

int cn_reminders_arm_plan(cn_req *req, int64_t plan)
{
    return arm_all(req, "SELECT id FROM actions WHERE plan = ?", plan, NULL);
}

int cn_reminders_arm_region(cn_req *req, const char *region)
{
    return arm_all(req, "SELECT a.id FROM actions a JOIN plans p ON p.id = a.plan WHERE p.region = ?", 0, region);
}

/* ---- settings ------------------------------------------------------------ */

int cn_reminders_settings_arg(cn_req *req, const char *region)
{
    const msgpack_object *r = cn_mp_get(req->args, "reminders");
    if (!r || r->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (r->type != MSGPACK_OBJECT_MAP)
        return cn_req_fail(req, "bad_request", "reminders",
                           L("reminders: une map {days: [30, 7, 1], overdue: true, undated_every_days: 0}",
                             "reminders: a map {days: [30, 7, 1], overdue: true, undated_every_days: 0}"));
    static const char *const keys[] = {"days", "overdue", "undated_every_days", NULL};
    if (cn_map_keys(req, r, "reminders", keys))
        return -1;
    const msgpack_object *saved = req->args;
    req->args = r;
    const msgpack_object *days;
    bool overdue = true;
    int64_t every = 0;
    bool every_null;
    int has_days = cn_arg_array(req, "days", CN_OPTIONAL, &days);
    int has_overdue = has_days < 0 ? -1 : cn_arg_bool(req, "overdue", CN_OPTIONAL, &overdue);
    int has_every = has_overdue < 0 ? -1 : cn_arg_int(req, "undated_every_days", CN_OPTIONAL, &every, &every_null);
    req->args = saved;
    if (has_days < 0 || has_overdue < 0 || has_every < 0)
        return -1;
    char list[128] = "";
    if (has_days > 0) {
        int v[MAX_HORIZONS], n = 0;
        for (uint32_t i = 0; days && i < days->via.array.size; i++) {
            const msgpack_object *d = &days->via.array.ptr[i];
            if (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER && d->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
                return cn_req_fail(req, "bad_request", "reminders.days", /* adversary D10: a wrong type */
                                   L("reminders.days: des nombres entiers de jours (7.0 ou \"7\" n'en sont pas)",
                                     "reminders.days: whole numbers of days (7.0 or \"7\" are not)"));
            if (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER || d->via.u64 > 366 || n == MAX_HORIZONS)
                return cn_req_fail(req, "invalid_argument", "reminders.days",
                                   L("reminders.days: au plus %d nombres de jours entre 0 et 366",
                                     "reminders.days: at most %d numbers of days between 0 and 366"), MAX_HORIZONS);
            bool seen = false;
            for (int k = 0; k < n; k++)
                seen = seen || v[k] == (int)d->via.u64;
            if (!seen)
                v[n++] = (int)d->via.u64;
        }
        /* Farthest first, as people say them: 30, 7, 1. */
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
                if (v[b] > v[a]) {
                    int t = v[a];
                    v[a] = v[b];
                    v[b] = t;
                }
        for (int k = 0; k < n; k++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%d", k ? "," : "", v[k]);
        }
    }
    if (has_every > 0 && (every_null || every < 0 || every > 366))
        return cn_req_fail(req, "invalid_argument", "reminders.undated_every_days",
                           L("reminders.undated_every_days: un nombre de jours entre 0 (aucun rappel) et 366",
                             "reminders.undated_every_days: a number of days between 0 (no reminder) and 366"));
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "UPDATE regions SET reminder_days = CASE WHEN ?1 THEN ?2 ELSE reminder_days END,"
                            " reminder_overdue = CASE WHEN ?3 THEN ?4 ELSE reminder_overdue END,"
                            " reminder_undated_days = CASE WHEN ?5 THEN ?6 ELSE reminder_undated_days END"
                            " WHERE id = ?7", &st))
        return -1;
    sqlite3_bind_int(st, 1, has_days > 0);
    sqlite3_bind_text(st, 2, list, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, has_overdue > 0);
    sqlite3_bind_int(st, 4, overdue);
    sqlite3_bind_int(st, 5, has_every > 0);
    sqlite3_bind_int64(st, 6, every);
    sqlite3_bind_text(st, 7, region, -1, SQLITE_STATIC);
    return cn_req_exec(req, st) ? -1 : 1;
}

int cn_reminders_pack_settings(cn_req *req, msgpack_packer *pk, const char *region)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT reminder_days, reminder_overdue, reminder_undated_days FROM regions WHERE id = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int days[MAX_HORIZONS], n = 0, overdue = 1, every = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = parse_days((const char *)sqlite3_column_text(st, 0), days, MAX_HORIZONS);
        overdue = sqlite3_column_int(st, 1);
        every = sqlite3_column_int(st, 2);
    }
    cn_stmt_done(st);
    msgpack_pack_map(pk, 3);
    cn_pk_str(pk, "days");
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        msgpack_pack_int(pk, days[i]);
    cn_pk_kbool(pk, "overdue", overdue != 0);
    cn_pk_kint(pk, "undated_every_days", every);
    return 0;
}
