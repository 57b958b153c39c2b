/* model.c: see model.h. Resolution, packers and shared inserters. */
#include "model.h"

#include <stdio.h>
#include <string.h>

#include "echeance.h"
#include "mp.h"
#include "reminders.h"
#include "fold.h"
#include "text.h"
#include "stmt_cache.h"

void cn_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void cn_bind_text_kept(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

int cn_pack_strlist(msgpack_sbuffer *buf, const msgpack_object *list)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    if (!list)
        return msgpack_pack_array(&pk, 0);
    int rc = msgpack_pack_array(&pk, list->via.array.size);
    for (uint32_t i = 0; i < list->via.array.size; i++)
        rc |= cn_pk_strn(&pk, list->via.array.ptr[i].via.str.ptr, list->via.array.ptr[i].via.str.size);
    return rc;
}

const char *cn_req_column(cn_req *req, sqlite3_stmt *st, int i)
{
    msgpack_object o = {.type = MSGPACK_OBJECT_STR};
    o.via.str.ptr = (const char *)sqlite3_column_text(st, i);
    o.via.str.size = (uint32_t)sqlite3_column_bytes(st, i);
    return o.via.str.ptr ? cn_req_strdup(req, &o) : NULL;
}

int cn_store_strlist(cn_req *req, const char *table, const char *column, const char *arg, int64_t id, bool create)
{
    const msgpack_object *list;
    int r = cn_arg_strlist(req, arg, CN_OPTIONAL, &list);
    if (r < 0 || (r == 0 && !create))
        return r;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    cn_pack_strlist(&buf, list);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE %s SET %s = ? WHERE id = ?", table, column);
    sqlite3_stmt *st;
    int rc = cn_req_prepare(req, sql, &st);
    if (rc == 0) {
        sqlite3_bind_blob(st, 1, buf.data, (int)buf.size, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, id);
        rc = cn_req_exec(req, st);
    }
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

int cn_pk_rows(cn_req *req, msgpack_packer *pk, sqlite3_stmt *st)
{
    /* Count first so the array header is right; these lists are short. */
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        n++;
    if (rc != SQLITE_DONE) {
        cn_stmt_done(st);
        return cn_req_sqlite_fail(req, rc);
    }
    sqlite3_reset(st);
    msgpack_pack_array(pk, n);
    while (sqlite3_step(st) == SQLITE_ROW)
        cn_pk_row(pk, st);
    cn_stmt_done(st);
    return 0;
}

/* ---- resolution ---------------------------------------------------------- */

int cn_region_arg(cn_req *req, const char *key, int required, const char **slug)
{
    const char *given;
    int r = cn_arg_str(req, key, required, &given);
    *slug = NULL;
    if (r < 0)
        return -1;
    if (r == 0 || !given) {
        /* Absent or nil: fine when optional (a missing required one already failed). */
        if (required && r > 0)
            return cn_req_fail(req, "invalid_argument", key, L("%s ne peut être nul", "%s cannot be null"), key);
        return 0;
    }
    char folded[512];
    cn_fold(given, folded, sizeof folded);
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT id FROM regions WHERE id = ?1 OR name_key = ?2 OR id = ?2 "
                            "ORDER BY id = ?1 DESC LIMIT 1", &st))
        return -1;
    sqlite3_bind_text(st, 1, given, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, folded, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        *slug = cn_req_column(req, st, 0);
    cn_stmt_done(st);
    if (!*slug)
        return cn_req_fail(req, "not_found", key, L("région inconnue: %s (region.list donne les régions)",
                                                    "unknown region: %s (region.list lists them)"), given);
    return 1;
}

static int plan_region(cn_req *req, int64_t plan, const char **region)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT region FROM plans WHERE id = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    *region = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        *region = cn_req_column(req, st, 0);
    cn_stmt_done(st);
    return *region ? 0 : -1;
}

int cn_plan_arg(cn_req *req, int64_t *plan, const char **region)
{
    int64_t id;
    int r = cn_arg_int(req, "plan", CN_OPTIONAL, &id, NULL);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (plan_region(req, id, region) != 0)
            return cn_req_fail(req, "not_found", "plan", L("plan inconnu: %lld", "unknown plan: %lld"), (long long)id);
        *plan = id;
        return 0;
    }
    if (!cn_mp_get(req->args, "region"))
        return cn_req_fail(req, "invalid_argument", "region",
                           L("indiquez la région (region) ou le plan (plan)", "give the region (region) or the plan (plan)"));
    if (cn_region_arg(req, "region", CN_REQUIRED, region) < 0)
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT id FROM plans WHERE region = ? AND status = 'active' ORDER BY id DESC LIMIT 1",
                       &st))
        return -1;
    sqlite3_bind_text(st, 1, *region, -1, SQLITE_STATIC);
    *plan = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *plan = sqlite3_column_int64(st, 0);
    cn_stmt_done(st);
    if (*plan == 0)
        return cn_req_fail(req, "not_found", "region",
                           L("la région %s n'a aucun plan actif (plan.create en crée un)",
                             "region %s has no active plan (plan.create makes one)"),
                           *region);
    return 0;
}

int cn_number_arg(cn_req *req, const char *key, int required, char num[64], char sort_key[160])
{
    const msgpack_object *o = cn_mp_get(req->args, key);
    char given[128];
    if (!o || o->type == MSGPACK_OBJECT_NIL) {
        if (required)
            return cn_req_fail(req, "invalid_argument", key, L("argument obligatoire manquant: %s",
                                                               "missing required argument: %s"), key);
        return 0;
    }
    if ((o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 == 0) || o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return cn_req_fail(req, "invalid_argument", key,
                           L("%s: un numéro donné en nombre est un entier positif (1, 2, …), sinon du texte (\"1.2\")",
                             "%s: a number given as an integer is positive (1, 2, …), else text (\"1.2\")"),
                           key); /* adversary D2 */
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(given, sizeof given, "%llu", (unsigned long long)o->via.u64);
    else if (o->type == MSGPACK_OBJECT_STR && o->via.str.size < sizeof given)
        snprintf(given, sizeof given, "%.*s", (int)o->via.str.size, o->via.str.ptr);
    else if (o->type == MSGPACK_OBJECT_STR)
        return cn_req_fail(req, "invalid_argument", key, L("%s: numéro trop long", "%s: number too long"), key);
    else
        return cn_req_fail(req, "bad_request", key, L("l'argument %s doit être un numéro (ex.: \"1.2\")",
                                                      "argument %s must be a number (e.g. \"1.2\")"), key);
    if (!cn_number_parse(given, num, 64, sort_key, 160))
        return cn_req_fail(req, "invalid_argument", key,
                           L("%s: « %s » n'est pas une numérotation de plan (ex.: 1, 1.2, 1.2.1)",
                             "%s: \"%s\" is not plan numbering (e.g. 1, 1.2, 1.2.1)"),
                           key, given);
    return 1;
}

int64_t cn_entity_by_number(cn_req *req, const char *table, int64_t plan, const char *number)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE plan = ? AND number = ?", table);
    sqlite3_stmt *st;
    if (cn_req_prepare(req, sql, &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, number, -1, SQLITE_STATIC);
    int64_t id = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    cn_stmt_done(st);
    return id;
}

static const char *entity_word(const char *table)
{
    if (strcmp(table, "orientations") == 0)
        return L("orientation", "orientation");
    if (strcmp(table, "objectives") == 0)
        return L("objectif", "objective");
    return L("action", "action");
}

int cn_entity_arg(cn_req *req, const char *table, int64_t *id, int64_t *plan, const char **region)
{
    int64_t given;
    int r = cn_arg_int(req, "id", CN_OPTIONAL, &given, NULL);
    if (r < 0)
        return -1;
    if (r > 0) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT plan FROM %s WHERE id = ?", table);
        sqlite3_stmt *st;
        if (cn_req_prepare(req, sql, &st))
            return -1;
        sqlite3_bind_int64(st, 1, given);
        *plan = 0;
        if (sqlite3_step(st) == SQLITE_ROW)
            *plan = sqlite3_column_int64(st, 0);
        cn_stmt_done(st);
        if (*plan == 0 || plan_region(req, *plan, region) != 0)
            return cn_req_fail(req, "not_found", "id", L("%s inconnue: id %lld", "unknown %s: id %lld"),
                               entity_word(table), (long long)given);
        *id = given;
        return 0;
    }
    char num[64], key[160];
    if (cn_plan_arg(req, plan, region) != 0 || cn_number_arg(req, "number", CN_REQUIRED, num, key) < 0)
        return -1;
    *id = cn_entity_by_number(req, table, *plan, num);
    if (*id < 0)
        return -1;
    if (*id == 0)
        return cn_req_fail(req, "not_found", "number",
                           L("%s %s introuvable dans le plan %lld de la région %s",
                             "%s %s not found in plan %lld of region %s"),
                           entity_word(table), num, (long long)*plan, *region);
    return 0;
}

/* ---- packers ------------------------------------------------------------- */

/* Runs a one-row query bound to id and packs the row as a map with `extra`
 * more entries for the caller to pack after. Returns 1 when packed, 0 when
 * no row, -1 on error. */
static int pack_one(cn_req *req, msgpack_packer *pk, const char *sql, int64_t id, const char *text_id, int extra)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, sql, &st))
        return -1;
    if (text_id)
        sqlite3_bind_text(st, 1, text_id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        cn_stmt_done(st);
        return rc == SQLITE_DONE ? 0 : cn_req_sqlite_fail(req, rc);
    }
    int n = sqlite3_column_count(st);
    msgpack_pack_map(pk, (size_t)(n + extra));
    for (int i = 0; i < n; i++) {
        cn_pk_str(pk, sqlite3_column_name(st, i));
        cn_pk_column(pk, st, i);
    }
    cn_stmt_done(st);
    return 1;
}

/* Packs every row of a query bound to id as an array of maps. */
static int pack_rows(cn_req *req, msgpack_packer *pk, const char *sql, int64_t id, const char *text_id)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, sql, &st))
        return -1;
    if (text_id)
        sqlite3_bind_text(st, 1, text_id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    return cn_pk_rows(req, pk, st);
}

int cn_pack_region(cn_req *req, msgpack_packer *pk, const char *slug)
{
    int r = pack_one(req, pk,
                     "SELECT id, name, organisation, kind, origin, demo, archived_ms AS archived, created_ms, updated_ms"
                     " FROM regions WHERE id = ?", 0,
                     slug, 4);
    if (r <= 0)
        return r < 0 ? -1 : cn_req_fail(req, "not_found", "id", L("région inconnue: %s", "unknown region: %s"), slug);
    cn_pk_str(pk, "territories");
    if (pack_rows(req, pk, "SELECT name, kind FROM territories WHERE region = ? ORDER BY position", 0, slug))
        return -1;
    cn_pk_str(pk, "glossary");
    if (pack_rows(req, pk, "SELECT term, definition FROM glossary WHERE region = ? ORDER BY term", 0, slug))
        return -1;
    cn_pk_str(pk, "reminders");
    if (cn_reminders_pack_settings(req, pk, slug))
        return -1;
    cn_pk_str(pk, "plans");
    return pack_rows(req, pk, "SELECT id, title, period, status FROM plans WHERE region = ? ORDER BY id", 0, slug);
}

int cn_pack_plan(cn_req *req, msgpack_packer *pk, int64_t id)
{
    int r = pack_one(req, pk,
                     "SELECT id, region, title, period, start_date, end_date, adopted_on, mission, status,"
                     " (SELECT count(*) FROM orientations WHERE plan = p.id) AS orientations,"
                     " (SELECT count(*) FROM objectives WHERE plan = p.id) AS objectives,"
                     " (SELECT count(*) FROM actions WHERE plan = p.id) AS actions,"
                     " (SELECT count(*) FROM indicators WHERE plan = p.id) AS indicators,"
                     " created_ms, updated_ms FROM plans p WHERE id = ?",
                     id, NULL, 1);
    if (r <= 0)
        return r < 0 ? -1 : cn_req_fail(req, "not_found", "plan", L("plan inconnu: %lld", "unknown plan: %lld"),
                                        (long long)id);
    cn_pk_str(pk, "mandates");
    return pack_rows(req, pk, "SELECT number, text FROM mandates WHERE plan = ? ORDER BY position", id, NULL);
}

int cn_pack_orientation(cn_req *req, msgpack_packer *pk, int64_t id)
{
    int r = pack_one(req, pk,
                     "SELECT o.id, o.plan, p.region, o.number, o.statement,"
                     " (SELECT count(*) FROM objectives WHERE orientation = o.id) AS objectives"
                     " FROM orientations o JOIN plans p ON p.id = o.plan WHERE o.id = ?",
                     id, NULL, 0);
    return r == 1 ? 0 : r < 0 ? -1 : cn_req_fail(req, "not_found", "id", "orientation %lld", (long long)id);
}

int cn_pack_objective(cn_req *req, msgpack_packer *pk, int64_t id)
{
    int r = pack_one(req, pk,
                     "SELECT b.id, b.plan, p.region, o.number AS orientation, b.number, b.text, b.mandates,"
                     " (SELECT count(*) FROM actions WHERE objective = b.id) AS actions"
                     " FROM objectives b JOIN plans p ON p.id = b.plan"
                     " LEFT JOIN orientations o ON o.id = b.orientation WHERE b.id = ?",
                     id, NULL, 0);
    return r == 1 ? 0 : r < 0 ? -1 : cn_req_fail(req, "not_found", "id", "objective %lld", (long long)id);
}

int cn_pack_action(cn_req *req, msgpack_packer *pk, int64_t id, bool full)
{
    int r = pack_one(req, pk,
                     CN_ACTION_COLUMNS CN_ACTION_FROM " WHERE a.id = ?",
                     id, NULL, full ? 3 : 1);
    if (r <= 0)
        return r < 0 ? -1 : cn_req_fail(req, "not_found", "id", L("action inconnue: id %lld", "unknown action: id %lld"),
                                        (long long)id);
    cn_pk_str(pk, "windows");
    if (pack_rows(req, pk,
                  "SELECT kind, start_date AS start, end_date AS end FROM action_windows WHERE action = ?"
                  " ORDER BY position",
                  id, NULL))
        return -1;
    if (!full)
        return 0;
    cn_pk_str(pk, "notes");
    if (pack_rows(req, pk,
                  "SELECT date, text, status_from, status_to, author FROM action_notes WHERE action = ? ORDER BY date, id", id,
                  NULL))
        return -1;
    cn_pk_str(pk, "indicators");
    return pack_rows(req, pk,
                     "SELECT i.id, i.name, i.unit, i.target, i.target_date, i.baseline,"
                     " (SELECT value FROM measurements WHERE indicator = i.id ORDER BY date DESC, id DESC LIMIT 1)"
                     " AS latest FROM indicators i WHERE action = ? ORDER BY id",
                     id, NULL);
}

int cn_pack_indicator(cn_req *req, msgpack_packer *pk, int64_t id, bool history)
{
    int r = pack_one(req, pk,
                     "SELECT i.id, i.plan, p.region, a.number AS action, i.name, i.unit, i.target, i.target_date,"
                     " i.baseline, m.value AS latest, m.date AS latest_date"
                     " FROM indicators i JOIN plans p ON p.id = i.plan LEFT JOIN actions a ON a.id = i.action"
                     " LEFT JOIN measurements m ON m.id = (SELECT id FROM measurements WHERE indicator = i.id"
                     "  ORDER BY date DESC, id DESC LIMIT 1)"
                     " WHERE i.id = ?",
                     id, NULL, history ? 1 : 0);
    if (r <= 0)
        return r < 0 ? -1 : cn_req_fail(req, "not_found", "id", L("indicateur inconnu: id %lld",
                                                                   "unknown indicator: id %lld"), (long long)id);
    if (!history)
        return 0;
    cn_pk_str(pk, "measurements");
    return pack_rows(req, pk, "SELECT date, value, note FROM measurements WHERE indicator = ? ORDER BY date, id", id,
                     NULL);
}

int cn_req_run_packed(cn_req *req, const char *op, const msgpack_sbuffer *buf, msgpack_sbuffer *out)
{
    msgpack_unpacked args;
    msgpack_unpacked_init(&args);
    int rc = msgpack_unpack_next(&args, buf->data, buf->size, NULL) == MSGPACK_UNPACK_SUCCESS
                 ? cn_req_run(req, op, &args.data, out)
                 : cn_req_fail(req, "internal", NULL, "%s: args", op);
    msgpack_unpacked_destroy(&args);
    return rc;
}

int cn_emit_buf(cn_req *req, const char *region, const char *type, const msgpack_sbuffer *buf)
{
    return cn_req_emit(req, region, type, buf->data, buf->size);
}

int cn_emit_entity(cn_req *req, const char *region, const char *type, cn_pack_fn fn, int64_t id, bool as_result)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    int rc = fn(req, &pk, id);
    if (rc == 0)
        rc = cn_emit_buf(req, region, type, &buf);
    if (rc == 0 && as_result)
        cn_pk_raw(cn_req_pk(req), buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* ---- windows ------------------------------------------------------------- */

static int windows_store(cn_req *req, int64_t action, const char *schedule)
{
    const msgpack_object *windows;
    int r = cn_arg_array(req, "windows", CN_OPTIONAL, &windows);
    if (r < 0)
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "DELETE FROM action_windows WHERE action = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, action);
    if (cn_req_exec(req, st))
        return -1;
    if (!windows) {
        if (!schedule)
            return 0;
        /* No explicit windows: read them from the text, "an N" counted from the
         * plan's start date. What cannot be read is one "unknown" window. */
        if (cn_req_prepare(req, "SELECT p.start_date FROM actions a JOIN plans p ON p.id = a.plan WHERE a.id = ?", &st))
            return -1;
        sqlite3_bind_int64(st, 1, action);
        const char *plan_start = sqlite3_step(st) == SQLITE_ROW ? cn_req_column(req, st, 0) : NULL;
        cn_stmt_done(st);
        cn_window parsed[16];
        size_t n = cn_echeance_parse(schedule, plan_start, parsed, 16);
        for (size_t i = 0; i < n; i++) {
            if (cn_req_prepare(req, "INSERT INTO action_windows(action, position, kind, start_date, end_date)"
                                    " VALUES (?,?,?,nullif(?,''),nullif(?,''))", &st))
                return -1;
            sqlite3_bind_int64(st, 1, action);
            sqlite3_bind_int(st, 2, (int)i);
            sqlite3_bind_text(st, 3, cn_win_kind_name(parsed[i].kind), -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, parsed[i].start, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 5, parsed[i].end, -1, SQLITE_TRANSIENT);
            if (cn_req_exec(req, st))
                return -1;
        }
        return 0;
    }
    static const char *const kinds[] = {"dated", "ongoing", "on_demand", "unknown", NULL};
    const msgpack_object *saved = req->args;
    for (uint32_t i = 0; i < windows->via.array.size; i++) {
        const msgpack_object *w = &windows->via.array.ptr[i];
        char field[32];
        snprintf(field, sizeof field, "windows[%u]", i);
        if (w->type != MSGPACK_OBJECT_MAP) {
            req->args = saved;
            return cn_req_fail(req, "bad_request", field, L("%s doit être une map {kind, start, end}",
                                                           "%s must be a map {kind, start, end}"), field);
        }
        static const char *const keys[] = {"kind", "start", "end", NULL};
        if (cn_map_keys(req, w, field, keys)) {
            req->args = saved;
            return -1;
        }
        req->args = w;
        const char *kind, *start, *end;
        if (cn_arg_enum(req, "kind", CN_REQUIRED, kinds, &kind) < 0 || cn_arg_date(req, "start", CN_OPTIONAL, &start) < 0 ||
            cn_arg_date(req, "end", CN_OPTIONAL, &end) < 0) {
            req->args = saved;
            return cn_req_nest_field(req, field, false); /* windows[2].start, not start */
        }
        req->args = saved;
        bool dated = strcmp(kind, "dated") == 0;
        if (dated && (!start || !end))
            return cn_req_fail(req, "invalid_argument", field, L("%s: une fenêtre datée a un début et une fin",
                                                                "%s: a dated window has a start and an end"), field);
        if (dated && strcmp(start, end) > 0)
            return cn_req_fail(req, "invalid_argument", field, L("%s: la fin (%s) précède le début (%s)",
                                                                "%s: the end (%s) is before the start (%s)"),
                               field, end, start);
        if (!dated && (start || end))
            return cn_req_fail(req, "invalid_argument", field, L("%s: seule une fenêtre datée a des dates",
                                                                "%s: only a dated window has dates"), field);
        if (cn_req_prepare(req, "INSERT INTO action_windows(action, position, kind, start_date, end_date)"
                                " VALUES (?,?,?,?,?)", &st))
            return -1;
        sqlite3_bind_int64(st, 1, action);
        sqlite3_bind_int(st, 2, (int)i);
        cn_bind_text(st, 3, kind);
        cn_bind_text(st, 4, start);
        cn_bind_text(st, 5, end);
        if (cn_req_exec(req, st))
            return -1;
    }
    return 0;
}

int cn_windows_store(cn_req *req, int64_t action, const char *schedule)
{
    /* New windows, new reminders. */
    return windows_store(req, action, schedule) || cn_reminders_arm(req, action) ? -1 : 0;
}
