/* ops_reminders.c: the reminders' ops. echeance.remind fires the rows
 * armed by reminders.c that are due today, as events (see reminders.h for
 * the rules: the latest due row of a window only, older ones skipped);
 * echeance.reminders lists them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "mp.h"
#include "reminders.h"
#include "text.h"
#include "stmt_cache.h"

#define MAX_WANTED 128

/* ---- firing -------------------------------------------------------------- */

typedef struct {
    int64_t action;
    char end[11];
} window_key;

static int set_state(cn_req *req, int64_t action, const char *end, int horizon, const char *state)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "UPDATE reminders SET state = ?, fired_ms = ? WHERE action = ? AND window_end = ?"
                            " AND horizon = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, cn_now_ms());
    sqlite3_bind_int64(st, 3, action);
    sqlite3_bind_text(st, 4, end, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 5, horizon);
    return cn_req_exec(req, st);
}

/* Days from a to b (b - a). */
static long days_between(cn_req *req, const char *a, const char *b)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT CAST(round(julianday(?2) - julianday(?1)) AS INTEGER)", &st))
        return 0;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    long d = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    cn_stmt_done(st);
    return d;
}

/* The event of one reminder: the action as action.get shows it (summary),
 * its plan, the window, the horizon and the days left. */
static int emit_reminder(cn_req *req, int64_t action, const char *region, int64_t plan, const char *plan_title,
                         const char *kind, const char *start, const char *end, int horizon, const char *today,
                         const char **type)
{
    *type = horizon == CN_HORIZON_OVERDUE ? "echeance.overdue" : horizon == CN_HORIZON_FOLLOW_UP ? "echeance.follow_up" : "echeance.upcoming";
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    cn_pk_str(&pk, "action");
    int rc = cn_pack_action(req, &pk, action, false);
    cn_pk_str(&pk, "plan");
    msgpack_pack_map(&pk, 2);
    cn_pk_kint(&pk, "id", plan);
    cn_pk_kstr(&pk, "title", plan_title);
    cn_pk_str(&pk, "window");
    msgpack_pack_map(&pk, 3);
    cn_pk_kstr(&pk, "kind", kind);
    cn_pk_str(&pk, "start");
    start ? cn_pk_str(&pk, start) : msgpack_pack_nil(&pk);
    cn_pk_str(&pk, "end");
    horizon == CN_HORIZON_FOLLOW_UP ? msgpack_pack_nil(&pk) : cn_pk_str(&pk, end);
    cn_pk_str(&pk, "horizon_days");
    horizon >= 0 ? msgpack_pack_int(&pk, horizon) : msgpack_pack_nil(&pk);
    cn_pk_str(&pk, "days_left");
    horizon == CN_HORIZON_FOLLOW_UP ? msgpack_pack_nil(&pk) : msgpack_pack_long(&pk, days_between(req, today, end));
    cn_pk_kstr(&pk, "today", today);
    if (rc == 0)
        rc = cn_emit_buf(req, region, *type, &buf);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* One (action, window): sends its latest due reminder, skips the others. */
static int fire_window(cn_req *req, const window_key *k, const char *today, msgpack_packer *sent, uint32_t *nsent,
                       uint32_t *nskipped)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT m.horizon, m.due_on, m.created_on, m.window_start, m.window_kind, a.status,"
                            " p.status, p.id, p.title, p.region, a.number, r.reminder_undated_days"
                            " FROM reminders m JOIN actions a ON a.id = m.action JOIN plans p ON p.id = a.plan"
                            " JOIN regions r ON r.id = p.region"
                            " WHERE m.action = ? AND m.window_end = ? AND m.state = 'pending' AND m.due_on <= ?"
                            " ORDER BY m.due_on DESC, m.horizon", &st))
        return -1;
    sqlite3_bind_int64(st, 1, k->action);
    sqlite3_bind_text(st, 2, k->end, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, today, -1, SQLITE_STATIC);
    int horizons[MAX_WANTED], n = 0, chosen = 0, every = 0;
    bool send = false;
    char start[11] = "", kind[16] = "", region[64] = "", title[512] = "", number[64] = "", due[11] = "";
    int64_t plan = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < MAX_WANTED) {
        horizons[n] = sqlite3_column_int(st, 0);
        if (n == 0) {
            chosen = horizons[0];
            const char *due_on = (const char *)sqlite3_column_text(st, 1);
            const char *created = (const char *)sqlite3_column_text(st, 2);
            const char *status = (const char *)sqlite3_column_text(st, 5), *pstatus = (const char *)sqlite3_column_text(st, 6);
            snprintf(due, sizeof due, "%s", due_on);
            snprintf(start, sizeof start, "%s", sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "");
            snprintf(kind, sizeof kind, "%s", (const char *)sqlite3_column_text(st, 4));
            plan = sqlite3_column_int64(st, 7);
            snprintf(title, sizeof title, "%s", (const char *)sqlite3_column_text(st, 8));
            snprintf(region, sizeof region, "%s", (const char *)sqlite3_column_text(st, 9));
            snprintf(number, sizeof number, "%s", (const char *)sqlite3_column_text(st, 10));
            every = sqlite3_column_int(st, 11);
            /* Sent only when still to do, and when its day had not passed
             * already when the reminder was armed. */
            send = strcmp(status, "done") != 0 && strcmp(status, "cancelled") != 0 && strcmp(pstatus, "active") == 0 &&
                   strcmp(due_on, created) >= 0;
        }
        n++;
    }
    cn_stmt_done(st);
    for (int i = 0; i < n; i++) {
        bool this_one = i == 0 && send;
        if (set_state(req, k->action, k->end, horizons[i], this_one ? "sent" : "skipped"))
            return -1;
        if (!this_one)
            (*nskipped)++;
    }
    if (!send || n == 0)
        return 0;
    const char *type;
    if (emit_reminder(req, k->action, region, plan, title, kind, start[0] ? start : NULL, k->end, chosen, today, &type))
        return -1;
    msgpack_pack_map(sent, 4);
    cn_pk_kstr(sent, "type", type);
    cn_pk_kstr(sent, "region", region);
    cn_pk_kstr(sent, "number", number);
    cn_pk_kstr(sent, "due_on", due);
    (*nsent)++;
    if (chosen == CN_HORIZON_FOLLOW_UP && every > 0) {
        /* The next follow-up, N days after this one was due. */
        char next[11];
        if (cn_reminders_date_add(req, due, every, next))
            return -1;
        if (cn_req_prepare(req, "INSERT OR IGNORE INTO reminders(action, window_end, window_start, window_kind, horizon,"
                                " due_on, created_on) VALUES (?, ?, NULL, ?, -2, ?2, ?)", &st))
            return -1;
        sqlite3_bind_int64(st, 1, k->action);
        sqlite3_bind_text(st, 2, next, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, today, -1, SQLITE_STATIC);
        if (cn_req_exec(req, st))
            return -1;
    }
    return 0;
}

static int echeance_remind(cn_req *req)
{
    int64_t limit = 200;
    bool is_null;
    if (cn_arg_int(req, "limit", CN_OPTIONAL, &limit, &is_null) < 0)
        return -1;
    if (limit < 1 || limit > 10000)
        return cn_req_fail(req, "invalid_argument", "limit", L("limit: entre 1 et 10000", "limit: between 1 and 10000"));
    char today[11];
    cn_date_today(today);
    /* What is due: the pending rows by date, on their partial index. */
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT m.action, m.window_end FROM reminders m INDEXED BY reminders_due"
                            " JOIN actions a ON a.id = m.action JOIN plans p ON p.id = a.plan"
                            " JOIN regions r ON r.id = p.region"
                            " WHERE m.state = 'pending' AND m.due_on <= ? AND r.origin = ? ORDER BY m.due_on LIMIT ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cn_core_config(req->core)->node_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, limit);
    window_key *keys = malloc((size_t)limit * sizeof *keys);
    size_t n = 0, rows = 0;
    while (keys && sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        window_key k = {.action = sqlite3_column_int64(st, 0)};
        snprintf(k.end, sizeof k.end, "%s", (const char *)sqlite3_column_text(st, 1));
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = keys[i].action == k.action && strcmp(keys[i].end, k.end) == 0;
        if (!dup)
            keys[n++] = k;
    }
    cn_stmt_done(st);
    if (!keys)
        return cn_req_fail(req, "internal", NULL, L("mémoire insuffisante", "out of memory"));
    msgpack_sbuffer sent;
    msgpack_sbuffer_init(&sent);
    msgpack_packer spk;
    msgpack_packer_init(&spk, &sent, msgpack_sbuffer_write);
    uint32_t nsent = 0, nskipped = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fire_window(req, &keys[i], today, &spk, &nsent, &nskipped);
    free(keys);
    if (rc == 0) {
        msgpack_packer *pk = cn_req_pk(req);
        msgpack_pack_map(pk, 4);
        cn_pk_kstr(pk, "today", today);
        cn_pk_str(pk, "sent");
        msgpack_pack_array(pk, nsent);
        cn_pk_raw(pk, sent.data, sent.size);
        cn_pk_kint(pk, "skipped", nskipped);
        cn_pk_kbool(pk, "more", rows == (size_t)limit);
    }
    msgpack_sbuffer_destroy(&sent);
    return rc;
}

/* The reminders armed: what will be sent, and when. */
static int echeance_reminders(cn_req *req)
{
    const char *region = NULL, *state = "pending";
    static const char *const states[] = {"pending", "sent", "skipped", NULL};
    int64_t limit = 100;
    bool is_null;
    if (cn_region_arg(req, "region", CN_OPTIONAL, &region) < 0 || cn_arg_enum(req, "state", CN_OPTIONAL, states, &state) < 0 ||
        cn_arg_int(req, "limit", CN_OPTIONAL, &limit, &is_null) < 0)
        return -1;
    if (is_null)
        limit = 100;
    if (limit < 1 || limit > 10000)
        return cn_req_fail(req, "invalid_argument", "limit", L("limit: entre 1 et 10000", "limit: between 1 and 10000"));
    if (!state)
        state = "pending";
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT p.region, a.id AS action, a.number, a.text, a.responsible, m.window_kind AS kind,"
                            " m.window_start AS start, CASE WHEN m.horizon = -2 THEN NULL ELSE m.window_end END AS end,"
                            " CASE m.horizon WHEN -1 THEN 'overdue' WHEN -2 THEN 'follow_up' ELSE 'upcoming' END AS type,"
                            " CASE WHEN m.horizon >= 0 THEN m.horizon END AS horizon_days, m.due_on, m.state"
                            " FROM reminders m JOIN actions a ON a.id = m.action JOIN plans p ON p.id = a.plan"
                            " WHERE m.state = ?1 AND (?2 IS NULL OR p.region = ?2)"
                            " ORDER BY CASE WHEN ?1 = 'pending' THEN m.due_on END, m.due_on DESC, a.sort_key LIMIT ?3",
                       &st))
        return -1;
    sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    cn_bind_text(st, 2, region);
    sqlite3_bind_int64(st, 3, limit < 1 ? 1 : limit);
    return cn_pk_rows(req, cn_req_pk(req), st);
}

static const char *const remind_args[] = {"limit", NULL};
static const char *const list_args[] = {"region", "state", "limit", NULL};

const cn_op cn_reminder_ops[] = {
    {"echeance.remind", echeance_remind, remind_args,
     "envoie les rappels d'échéance dus aujourd'hui (le démon le fait seul, régulièrement)",
     "sends the échéance reminders due today (the daemon does it by itself, regularly)", NULL},
    {"echeance.reminders", echeance_reminders, list_args, "les rappels prévus (ou envoyés, sautés)",
     "the reminders armed (or sent, skipped)", NULL},
};
const size_t cn_reminder_ops_count = sizeof cn_reminder_ops / sizeof cn_reminder_ops[0];
