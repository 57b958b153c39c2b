/* ops_overview.c: the views across regions a national network needs
 * (every region this node holds, its own and its peers' copies):
 *
 * region.overview: one row per region — its owner, active plan, actions
 * by state, next échéance, actions past their last échéance, members
 * (the count the adhesion plugin last announced, else the plan's
 * "Nombre de membres" indicator); no personal data.
 *
 * action.search: actions of every region whose text, number or
 * responsible contains the words asked (accents and case folded), with
 * their state: how an action several plans share is going everywhere. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "plan_csv.h"
#include "mp.h"
#include "fold.h"
#include "text.h"
#include "stmt_cache.h"

/* The member count in the latest adhesion event of region that has one. */
static int64_t members_announced(cn_req *req, const char *region)
{
    sqlite3_stmt *st;
    /* Each table by its index of adhesion events, merged (through the log's
     * view, the region's adhesion events would be gathered and sorted). */
    if (cn_stmt_get(req->db, "SELECT data, ts_ms, seq FROM own_events WHERE region = ?1 AND type GLOB 'adhesion.*'"
                           " UNION ALL SELECT data, ts_ms, seq FROM peer_events WHERE region = ?1 AND type GLOB 'adhesion.*'"
                           " ORDER BY 2 DESC, 3 DESC LIMIT 50", &st) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int64_t n = -1;
    while (n < 0 && sqlite3_step(st) == SQLITE_ROW) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), NULL) ==
            MSGPACK_UNPACK_SUCCESS) {
            const msgpack_object *m = cn_mp_get(&u.data, "members");
            if (m && m->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                n = (int64_t)m->via.u64;
        }
        msgpack_unpacked_destroy(&u);
    }
    cn_stmt_done(st);
    return n;
}

static int pack_overview(cn_req *req, msgpack_packer *pk)
{
    char today[11];
    cn_date_today(today);
    sqlite3_stmt *st;
    if (cn_req_prepare(req,
                       /* Each region's current plan; its actions read once, each with its
                        * windows' last end and next end; their counts per plan. */
                       "WITH cur AS (SELECT r.id AS region, (SELECT max(id) FROM plans WHERE region = r.id AND"
                       "   status = 'active') AS plan FROM regions r),"
                       " act AS (SELECT a.plan, a.status,"
                       "   (SELECT max(end_date) FROM action_windows WHERE action = a.id AND kind = 'dated') AS last_end,"
                       "   (SELECT min(end_date) FROM action_windows WHERE action = a.id AND kind = 'dated'"
                       "    AND end_date >= ?1) AS next_end"
                       "   FROM cur JOIN actions a ON a.plan = cur.plan),"
                       " counts AS (SELECT plan, count(*) AS actions, sum(status = 'done') AS done,"
                       "   sum(status IN ('in_progress', 'ongoing')) AS in_progress,"
                       "   sum(status IN ('planned', 'postponed')) AS planned,"
                       "   min(CASE WHEN status NOT IN ('done', 'cancelled') THEN next_end END) AS next_due,"
                       "   coalesce(sum(status NOT IN ('done', 'cancelled', 'ongoing') AND last_end < ?1), 0) AS overdue"
                       "   FROM act GROUP BY plan),"
                       " o AS (SELECT r.id AS region, r.name, r.kind, r.origin, r.demo, p.id AS plan, p.title,"
                       " coalesce(c.actions, 0) AS actions, coalesce(c.done, 0) AS done,"
                       " coalesce(c.in_progress, 0) AS in_progress, coalesce(c.planned, 0) AS planned,"
                       " c.next_due, coalesce(c.overdue, 0) AS overdue,"
                       " (SELECT m.value FROM indicators i JOIN measurements m ON m.indicator = i.id"
                       "   WHERE i.plan = p.id AND lower(i.name) GLOB 'nombre de membres*'"
                       "   ORDER BY m.date DESC, m.id DESC LIMIT 1) AS members_indicator"
                       " FROM regions r JOIN cur ON cur.region = r.id LEFT JOIN plans p ON p.id = cur.plan"
                       " LEFT JOIN counts c ON c.plan = p.id"
                       " WHERE r.archived_ms IS NULL ORDER BY r.kind = 'national' DESC, r.name_key)"
                       " SELECT region, name, kind, origin, plan, title, actions, done, in_progress, planned, next_due,"
                       " CAST(julianday(next_due) - julianday(?1) AS INTEGER) AS days_to_next_due, overdue,"
                       " demo, (SELECT peer FROM mirrors WHERE mirrors.region = o.region) AS peer,"
                       " (SELECT snapshot_ms FROM mirrors WHERE mirrors.region = o.region) AS snapshot_ms,"
                       " members_indicator FROM o",
                       &st))
        return -1;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
    size_t list = cn_pk_array_open(pk);
    uint32_t n = 0;
    const char *node = cn_core_config(req->core)->node_id;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        int cols = sqlite3_column_count(st);
        msgpack_pack_map(pk, (size_t)cols + 3);
        for (int i = 0; i < cols - 1; i++) {
            cn_pk_str(pk, sqlite3_column_name(st, i));
            cn_pk_column(pk, st, i);
        }
        const char *region = (const char *)sqlite3_column_text(st, 0);
        const char *origin = (const char *)sqlite3_column_text(st, 3);
        int64_t members = members_announced(req, region);
        cn_pk_str(pk, "members");
        if (members >= 0)
            msgpack_pack_int64(pk, members);
        else
            cn_pk_column(pk, st, cols - 1);
        int64_t total = sqlite3_column_int64(st, 6), done = sqlite3_column_int64(st, 7);
        cn_pk_str(pk, "percent_done");
        if (total > 0)
            msgpack_pack_int64(pk, done * 100 / total);
        else
            msgpack_pack_nil(pk);
        bool mirror = origin && strcmp(origin, node) != 0;
        if (mirror)
            cn_req_uncacheable(req); /* its as_of_ms follows the federation's links, not the database */
        cn_pk_kbool(pk, "mirror", mirror);
        /* A copy: until when it is known up to date ("à jour au"); nil for this node's own. */
        cn_pk_str(pk, "as_of_ms");
        int64_t as_of = -1;
        if (mirror && sqlite3_column_type(st, cols - 3) != SQLITE_NULL)
            as_of = cn_core_copy_as_of(req->core, (const char *)sqlite3_column_text(st, cols - 3));
        if (mirror && as_of <= 0)
            as_of = sqlite3_column_int64(st, cols - 2); /* no federation running: when the copy was made */
        if (mirror && as_of > 0)
            msgpack_pack_int64(pk, as_of);
        else
            msgpack_pack_nil(pk);
    }
    cn_pk_array_close(pk, list, n);
    cn_stmt_done(st);
    return rc == SQLITE_DONE ? 0 : cn_req_sqlite_fail(req, rc);
}

static void csv_text(cn_csv_out *o, const char *s, bool last) { cn_csv_field(o, s, strlen(s), last); }

/* region.overview format "csv": the rows for the network's reports, in a
 * spreadsheet (UTF-8 with its mark, so Excel reads the accents), the
 * request's language in the header, times as local date and minute. */
static int overview_csv(cn_req *req)
{
    msgpack_sbuffer rows;
    msgpack_sbuffer_init(&rows);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
    if (pack_overview(req, &rp) != 0) {
        msgpack_sbuffer_destroy(&rows);
        return -1;
    }
    static const struct {
        const char *key, *fr, *en;
    } cols[] = {{"region", "Région", "Region"},          {"name", "Nom", "Name"},
                {"kind", "Type", "Kind"},                {"origin", "Nœud", "Node"},
                {"as_of_ms", "Copie à jour au", "Copy up to date at"}, {"title", "Plan", "Plan"},
                {"actions", "Actions", "Actions"},       {"done", "Réalisées", "Done"},
                {"in_progress", "En cours", "In progress"}, {"planned", "Prévues", "Planned"},
                {"percent_done", "% réalisé", "% done"}, {"next_due", "Prochaine échéance", "Next due"},
                {"days_to_next_due", "Jours avant", "Days to it"}, {"overdue", "En retard", "Overdue"},
                {"members", "Membres", "Members"}};
    size_t ncols = sizeof cols / sizeof cols[0];
    cn_csv_out o = {0};
    cn_csv_raw(&o, "\xEF\xBB\xBF", 3);
    for (size_t c = 0; c < ncols; c++)
        csv_text(&o, L(cols[c].fr, cols[c].en), c + 1 == ncols);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, rows.data, rows.size, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < u.data.via.array.size; i++)
            for (size_t c = 0; c < ncols; c++) {
                const msgpack_object *v = cn_mp_get(&u.data.via.array.ptr[i], cols[c].key);
                char cell[1024] = "";
                if (v && v->type == MSGPACK_OBJECT_STR)
                    snprintf(cell, sizeof cell, "%.*s", (int)v->via.str.size, v->via.str.ptr);
                else if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && strcmp(cols[c].key, "as_of_ms") == 0) {
                    time_t t = (time_t)(v->via.u64 / 1000);
                    struct tm tm;
                    localtime_r(&t, &tm);
                    strftime(cell, sizeof cell, "%Y-%m-%d %H:%M", &tm);
                } else if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                    snprintf(cell, sizeof cell, "%llu", (unsigned long long)v->via.u64);
                else if (v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                    snprintf(cell, sizeof cell, "%lld", (long long)v->via.i64);
                else if (v && (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32))
                    snprintf(cell, sizeof cell, "%g", v->via.f64);
                csv_text(&o, cell, c + 1 == ncols);
            }
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&rows);
    if (o.oom) {
        free(o.p);
        return cn_req_fail(req, "unavailable", NULL, L("mémoire insuffisante", "out of memory"));
    }
    char today[11], name[64];
    cn_date_today(today);
    snprintf(name, sizeof name, "regions-%s.csv", today);
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 3);
    cn_pk_kstr(pk, "format", "csv");
    cn_pk_kstr(pk, "filename", name);
    cn_pk_str(pk, "text");
    cn_pk_strn(pk, o.p, o.n);
    free(o.p);
    return 0;
}

static int region_overview(cn_req *req)
{
    static const char *const formats[] = {"rows", "csv", NULL};
    const char *format = NULL;
    if (cn_arg_enum(req, "format", CN_OPTIONAL, formats, &format) < 0)
        return -1;
    if (format && strcmp(format, "csv") == 0)
        return overview_csv(req);
    return pack_overview(req, cn_req_pk(req));
}

static int action_search(cn_req *req)
{
    const char *q, *region;
    if (cn_arg_str(req, "q", CN_REQUIRED, &q) < 0 || cn_region_arg(req, "region", CN_OPTIONAL, &region) < 0)
        return -1;
    char folded[512];
    cn_fold(q ? q : "", folded, sizeof folded);
    if (!folded[0])
        return cn_req_fail(req, "invalid_argument", "q", L("q : les mots à chercher", "q: the words to look for"));
    sqlite3_stmt *st;
    if (cn_req_prepare(req,
                       "SELECT p.region, r.origin, p.title AS plan_title, a.plan, a.id AS action, a.number, a.status,"
                       " a.schedule, a.responsible, a.text"
                       " FROM actions a JOIN plans p ON p.id = a.plan JOIN regions r ON r.id = p.region"
                       " WHERE p.status = 'active' AND (?2 IS NULL OR p.region = ?2)"
                       " AND (cn_fold(a.text) LIKE '%' || ?1 || '%' OR a.number = ?1"
                       "      OR cn_fold(coalesce(a.responsible, '')) LIKE '%' || ?1 || '%')"
                       " ORDER BY r.name_key, a.sort_key LIMIT 500",
                       &st))
        return -1;
    sqlite3_bind_text(st, 1, folded, -1, SQLITE_TRANSIENT);
    cn_bind_text(st, 2, region);
    return cn_pk_rows(req, cn_req_pk(req), st);
}

static const char *const search_args[] = {"q", "region", NULL};

static const char *const overview_args[] = {"format", NULL};

const cn_op cn_overview_ops[] = {
    {"region.overview", region_overview, overview_args,
     "toutes les régions d'un coup d'œil : plan, actions par état, prochaine échéance, membres, origine",
     "every region at a glance: plan, actions by state, next échéance, members, origin", NULL},
    {"action.search", action_search, search_args,
     "les actions de toutes les régions qui contiennent ces mots, avec leur état",
     "actions of every region containing these words, with their state", NULL},
};
const size_t cn_overview_ops_count = sizeof cn_overview_ops / sizeof cn_overview_ops[0];
