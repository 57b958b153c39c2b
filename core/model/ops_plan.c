/* ops_plan.c: plan.create, plan.get, plan.list, plan.update, plan.archive.
 * A plan d'action belongs to a region; a region's active plan is the most
 * recent one not archived, and is the one meant when a request names only
 * the region. plan.export / plan.import are in plan_io.c. */
#include <string.h>

#include "echeance.h"
#include "model.h"
#include "mp.h"
#include "reminders.h"
#include "text.h"
#include "stmt_cache.h"

/* Replaces the plan's mandates with args.mandates: a list of {number, text}
 * or of plain texts (numbered 1, 2, … in order). */
static int store_mandates(cn_req *req, int64_t plan)
{
    const msgpack_object *list;
    int r = cn_arg_array(req, "mandates", CN_OPTIONAL, &list);
    if (r <= 0)
        return r;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "DELETE FROM mandates WHERE plan = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    if (cn_req_exec(req, st))
        return -1;
    for (uint32_t i = 0; list && i < list->via.array.size; i++) {
        const msgpack_object *m = &list->via.array.ptr[i], *text = m, *num = NULL;
        if (m->type == MSGPACK_OBJECT_MAP) {
            static const char *const keys[] = {"number", "text", NULL};
            char path[32];
            snprintf(path, sizeof path, "mandates[%u]", i);
            if (cn_map_keys(req, m, path, keys))
                return -1;
            text = cn_mp_get(m, "text");
            num = cn_mp_get(m, "number");
        }
        if (!text || text->type != MSGPACK_OBJECT_STR ||
            (num && num->type != MSGPACK_OBJECT_STR && num->type != MSGPACK_OBJECT_POSITIVE_INTEGER))
            return cn_req_fail(req, "bad_request", "mandates",
                               L("mandates: une liste de textes ou de maps {number, text}",
                                 "mandates: a list of texts or of maps {number, text}"));
        char number[32];
        if (num && num->type == MSGPACK_OBJECT_STR)
            snprintf(number, sizeof number, "%.*s", (int)(num->via.str.size > 30 ? 30 : num->via.str.size),
                     num->via.str.ptr);
        else
            snprintf(number, sizeof number, "%llu", num ? (unsigned long long)num->via.u64 : (unsigned long long)i + 1);
        if (cn_req_prepare(req, "INSERT INTO mandates(plan, position, number, text) VALUES (?,?,?,?)", &st))
            return -1;
        sqlite3_bind_int64(st, 1, plan);
        sqlite3_bind_int(st, 2, (int)i);
        sqlite3_bind_text(st, 3, number, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, text->via.str.ptr, (int)text->via.str.size, SQLITE_STATIC);
        if (cn_req_exec(req, st))
            return -1;
    }
    return 1;
}

static int check_period(cn_req *req, const char *start, const char *end)
{
    if (start && end && strcmp(start, end) > 0)
        return cn_req_fail(req, "invalid_argument", "end_date", L("la fin du plan (%s) précède son début (%s)",
                                                                  "the plan's end (%s) is before its start (%s)"),
                           end, start);
    return 0;
}

int cn_plan_insert(cn_req *req, const char *region, int64_t *id)
{
    static const char *const statuses[] = {"active", "archived", NULL};
    const char *title, *period, *start, *end, *adopted, *mission, *status;
    if (cn_arg_str(req, "title", CN_REQUIRED, &title) < 0 || cn_arg_str(req, "period", CN_OPTIONAL, &period) < 0 ||
        cn_arg_date(req, "start_date", CN_OPTIONAL, &start) < 0 || cn_arg_date(req, "end_date", CN_OPTIONAL, &end) < 0 ||
        cn_arg_date(req, "adopted_on", CN_OPTIONAL, &adopted) < 0 ||
        cn_arg_str(req, "mission", CN_OPTIONAL, &mission) < 0 ||
        cn_arg_enum(req, "status", CN_OPTIONAL, statuses, &status) < 0 || check_period(req, start, end))
        return -1;
    if (!title || !*title)
        return cn_req_fail(req, "invalid_argument", "title", L("le titre ne peut être vide", "the title cannot be empty"));
    int64_t now = cn_now_ms();
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "INSERT INTO plans(region, title, period, start_date, end_date, adopted_on, mission, status,"
                            " created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?)", &st))
        return -1;
    cn_bind_text(st, 1, region);
    cn_bind_text(st, 2, title);
    cn_bind_text(st, 3, period);
    cn_bind_text(st, 4, start);
    cn_bind_text(st, 5, end);
    cn_bind_text(st, 6, adopted);
    cn_bind_text(st, 7, mission);
    cn_bind_text(st, 8, status ? status : "active");
    sqlite3_bind_int64(st, 9, now);
    sqlite3_bind_int64(st, 10, now);
    if (cn_req_exec(req, st))
        return -1;
    *id = sqlite3_last_insert_rowid(req->db);
    if (store_mandates(req, *id) < 0)
        return -1;
    return cn_emit_entity(req, region, "plan.created", cn_pack_plan, *id, false);
}

static int plan_create(cn_req *req)
{
    const char *region;
    int64_t id;
    if (cn_region_arg(req, "region", CN_REQUIRED, &region) < 0 || cn_plan_insert(req, region, &id) < 0)
        return -1;
    return cn_pack_plan(req, cn_req_pk(req), id);
}

static int plan_get(cn_req *req)
{
    int64_t plan;
    const char *region;
    if (cn_plan_arg(req, &plan, &region))
        return -1;
    return cn_pack_plan(req, cn_req_pk(req), plan);
}

static int plan_list(cn_req *req)
{
    const char *region = NULL;
    bool archived = false;
    if (cn_region_arg(req, "region", CN_OPTIONAL, &region) < 0 ||
        cn_arg_bool(req, "include_archived", CN_OPTIONAL, &archived) < 0)
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req,
                       "SELECT p.id, p.region, (SELECT origin FROM regions WHERE id = p.region) AS origin, p.title, p.period, p.start_date, p.adopted_on, p.status,"
                       " (SELECT count(*) FROM actions WHERE plan = p.id) AS actions"
                       " FROM plans p WHERE (?1 IS NULL OR p.region = ?1) AND (?2 OR p.status = 'active')"
                       " ORDER BY p.region, p.id",
                       &st))
        return -1;
    cn_bind_text(st, 1, region);
    sqlite3_bind_int(st, 2, archived);
    return cn_pk_rows(req, cn_req_pk(req), st);
}

static int touch_and_emit(cn_req *req, int64_t plan, const char *region, const char *type)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "UPDATE plans SET updated_ms = ? WHERE id = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, cn_now_ms());
    sqlite3_bind_int64(st, 2, plan);
    if (cn_req_exec(req, st))
        return -1;
    return cn_emit_entity(req, region, type, cn_pack_plan, plan, true);
}

/* When the plan's start moves, windows read from "an N" move with it: an
 * action whose stored windows are exactly what its schedule gives under the
 * old start has them read again under the new one. Windows given
 * explicitly (they differ from the text's reading) are left alone. */
static bool same_windows(const cn_window *a, size_t na, const cn_window *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].kind != b[i].kind || strcmp(a[i].start, b[i].start) != 0 || strcmp(a[i].end, b[i].end) != 0)
            return false;
    return true;
}

static int reread_plan_years(cn_req *req, int64_t plan, const char *region, const char *old_start,
                             const char *new_start)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT id, schedule FROM actions WHERE plan = ? AND schedule IS NOT NULL", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        int64_t action = sqlite3_column_int64(st, 0);
        const char *schedule = cn_req_column(req, st, 1);
        cn_window before[16], after[16];
        size_t nb = cn_echeance_parse(schedule, old_start, before, 16);
        size_t na = cn_echeance_parse(schedule, new_start, after, 16);
        if (same_windows(before, nb, after, na))
            continue; /* the start does not matter to this text */
        sqlite3_stmt *w;
        if (cn_req_prepare(req, "SELECT kind, coalesce(start_date, ''), coalesce(end_date, '') FROM action_windows"
                                " WHERE action = ? ORDER BY position", &w)) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64(w, 1, action);
        size_t k = 0;
        bool same = true;
        while (same && sqlite3_step(w) == SQLITE_ROW) {
            same = k < nb && strcmp((const char *)sqlite3_column_text(w, 0), cn_win_kind_name(before[k].kind)) == 0 &&
                   strcmp((const char *)sqlite3_column_text(w, 1), before[k].start) == 0 &&
                   strcmp((const char *)sqlite3_column_text(w, 2), before[k].end) == 0;
            k++;
        }
        cn_stmt_done(w);
        if (same && k == nb) {
            /* cn_windows_store reads the text again, with the plan's new start. */
            const msgpack_object *saved = req->args;
            static const msgpack_object no_args = {.type = MSGPACK_OBJECT_MAP};
            req->args = &no_args;
            rc = cn_windows_store(req, action, schedule);
            req->args = saved;
            if (rc == 0) {
                msgpack_sbuffer buf;
                msgpack_sbuffer_init(&buf);
                msgpack_packer pk;
                msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
                rc = cn_pack_action(req, &pk, action, false);
                if (rc == 0)
                    rc = cn_emit_buf(req, region, "action.updated", &buf);
                msgpack_sbuffer_destroy(&buf);
            }
        }
    }
    cn_stmt_done(st);
    return rc;
}

static int plan_update(cn_req *req)
{
    int64_t plan;
    const char *region, *v;
    if (cn_plan_arg(req, &plan, &region))
        return -1;
    const char *old_start = NULL;
    sqlite3_stmt *os;
    if (cn_req_prepare(req, "SELECT start_date FROM plans WHERE id = ?", &os))
        return -1;
    sqlite3_bind_int64(os, 1, plan);
    if (sqlite3_step(os) == SQLITE_ROW)
        old_start = cn_req_column(req, os, 0);
    cn_stmt_done(os);
    static const struct {
        const char *arg;
        bool date;
    } fields[] = {{"title", false},     {"period", false},    {"start_date", true},
                  {"end_date", true},   {"adopted_on", true}, {"mission", false}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int r = fields[i].date ? cn_arg_date(req, fields[i].arg, CN_OPTIONAL, &v)
                               : cn_arg_str(req, fields[i].arg, CN_OPTIONAL, &v);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        if (strcmp(fields[i].arg, "title") == 0 && (!v || !*v))
            return cn_req_fail(req, "invalid_argument", "title", L("le titre ne peut être vide",
                                                                   "the title cannot be empty"));
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE plans SET %s = ? WHERE id = ?", fields[i].arg);
        sqlite3_stmt *st;
        if (cn_req_prepare(req, sql, &st))
            return -1;
        cn_bind_text(st, 1, v);
        sqlite3_bind_int64(st, 2, plan);
        if (cn_req_exec(req, st))
            return -1;
    }
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT start_date, end_date FROM plans WHERE id = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    int bad = 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) && sqlite3_column_text(st, 1))
        bad = check_period(req, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
    cn_stmt_done(st);
    if (bad || store_mandates(req, plan) < 0)
        return -1;
    const char *new_start;
    if (cn_arg_date(req, "start_date", CN_OPTIONAL, &new_start) > 0 &&
        !(old_start && new_start && strcmp(old_start, new_start) == 0) &&
        reread_plan_years(req, plan, region, old_start, new_start) != 0)
        return -1;
    return touch_and_emit(req, plan, region, "plan.updated");
}

static int plan_archive(cn_req *req)
{
    int64_t plan;
    const char *region;
    if (cn_plan_arg(req, &plan, &region))
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "UPDATE plans SET status = 'archived' WHERE id = ? AND status = 'active'", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    if (cn_req_exec(req, st))
        return -1;
    if (sqlite3_changes(req->db) == 0)
        return cn_req_fail(req, "conflict", "plan", L("le plan %lld est déjà archivé", "plan %lld is already archived"),
                           (long long)plan);
    if (cn_reminders_arm_plan(req, plan))
        return -1;
    return touch_and_emit(req, plan, region, "plan.archived");
}

static const char *const create_args[] = {"region",   "title",   "period", "start_date", "end_date",
                                          "adopted_on", "mission", "mandates", NULL};
static const char *const select_args[] = {"region", "plan", NULL};
static const char *const list_args[] = {"region", "include_archived", NULL};
static const char *const update_args[] = {"region",     "plan",       "title",   "period",   "start_date",
                                          "end_date", "adopted_on", "mission", "mandates", NULL};


const cn_op cn_plan_ops[] = {
    {"plan.create", plan_create, create_args, "crée un plan d'action", "creates an action plan", NULL},
    {"plan.get", plan_get, select_args, "montre un plan", "shows a plan", NULL},
    {"plan.list", plan_list, list_args, "liste les plans", "lists the plans", NULL},
    {"plan.update", plan_update, update_args, "modifie un plan", "updates a plan", NULL},
    {"plan.archive", plan_archive, select_args, "archive un plan", "archives a plan", NULL},
};
const size_t cn_plan_ops_count = sizeof cn_plan_ops / sizeof cn_plan_ops[0];
