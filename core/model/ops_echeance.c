/* ops_echeance.c: échéances. echeance.parse shows how a schedule text is
 * read into windows (so staff can check a date before relying on its
 * reminder); echeance.list lists what comes due, soonest first, or the
 * schedules that could not be read. */
#include <string.h>

#include "echeance.h"
#include "model.h"
#include "mp.h"
#include "text.h"

static int echeance_parse(cn_req *req)
{
    const char *text, *plan_start;
    if (cn_arg_str(req, "text", CN_REQUIRED, &text) < 0 || cn_arg_date(req, "plan_start", CN_OPTIONAL, &plan_start) < 0)
        return -1;
    if (!text)
        return cn_req_fail(req, "invalid_argument", "text", L("text ne peut être nul", "text cannot be null"));
    cn_window w[16];
    size_t n = cn_echeance_parse(text, plan_start, w, 16);
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 3);
    cn_pk_kstr(pk, "text", text);
    cn_pk_kstr(pk, "plan_start", plan_start);
    cn_pk_str(pk, "windows");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, 3);
        cn_pk_kstr(pk, "kind", cn_win_kind_name(w[i].kind));
        cn_pk_kstr(pk, "start", w[i].start[0] ? w[i].start : NULL);
        cn_pk_kstr(pk, "end", w[i].end[0] ? w[i].end : NULL);
    }
    return 0;
}

static int echeance_list(cn_req *req)
{
    const char *region = NULL, *from, *to;
    bool unparsed = false, all = false, overdue = false;
    char today[11];
    if (cn_region_arg(req, "region", CN_OPTIONAL, &region) < 0 || cn_arg_date(req, "from", CN_OPTIONAL, &from) < 0 ||
        cn_arg_date(req, "to", CN_OPTIONAL, &to) < 0 || cn_arg_bool(req, "unparsed", CN_OPTIONAL, &unparsed) < 0 ||
        cn_arg_bool(req, "include_closed", CN_OPTIONAL, &all) < 0 || cn_arg_bool(req, "overdue", CN_OPTIONAL, &overdue) < 0)
        return -1;
    if (overdue && (unparsed || all))
        return cn_req_fail(req, "invalid_argument", "overdue",
                           L("overdue ne va pas avec unparsed ni include_closed", "overdue goes with neither unparsed nor include_closed"));
    cn_date_today(today);
    if (!from && !unparsed)
        from = today;
    if (from && to && strcmp(from, to) > 0)
        return cn_req_fail(req, "invalid_argument", "to", L("to (%s) précède from (%s)", "to (%s) is before from (%s)"),
                           to, from);
    sqlite3_stmt *st;
    /* The partial index on end_date serves the dated case: the cost follows
     * what is due in the range, not the size of the plans. */
    if (cn_req_prepare(req,
                       "SELECT p.region, (SELECT origin FROM regions WHERE id = p.region) AS origin, a.plan, a.id AS action, a.number, a.text, a.responsible, a.status, a.schedule,"
                       " w.kind, w.start_date AS start, w.end_date AS end,"
                       " CAST(julianday(w.end_date) - julianday(?4) AS INTEGER) AS days_left"
                       " FROM action_windows w JOIN actions a ON a.id = w.action JOIN plans p ON p.id = a.plan"
                       " WHERE p.status = 'active' AND (?1 IS NULL OR p.region = ?1)"
                       " AND (?1 IS NOT NULL OR p.region NOT IN (SELECT id FROM regions WHERE archived_ms IS NOT NULL))"
                       " AND (?5 OR a.status NOT IN ('done', 'cancelled'))"
                       " AND CASE WHEN ?6 THEN w.kind = 'unknown'"
                       /* overdue: the action's last dated window has passed */
                       "     WHEN ?7 THEN w.kind = 'dated' AND w.end_date < ?4 AND w.end_date = (SELECT max(end_date)"
                       "       FROM action_windows WHERE action = a.id AND kind = 'dated')"
                       "     ELSE w.kind = 'dated' AND w.end_date >= ?2 AND (?3 IS NULL OR w.end_date <= ?3) END"
                       " ORDER BY w.end_date, p.region, a.sort_key",
                       &st))
        return -1;
    cn_bind_text(st, 1, region);
    cn_bind_text(st, 2, from);
    cn_bind_text(st, 3, to);
    cn_bind_text(st, 4, today); /* days left are counted from today */
    sqlite3_bind_int(st, 5, all);
    sqlite3_bind_int(st, 6, unparsed);
    sqlite3_bind_int(st, 7, overdue);
    return cn_pk_rows(req, cn_req_pk(req), st);
}

static const char *const parse_args[] = {"text", "plan_start", NULL};
static const char *const list_args[] = {"region", "from", "to", "unparsed", "include_closed", "overdue", NULL};

const cn_op cn_echeance_ops[] = {
    {"echeance.parse", echeance_parse, parse_args, "montre comment une échéance est lue",
     "shows how a schedule text is read", NULL},
    {"echeance.list", echeance_list, list_args, "échéances à venir, les plus proches d'abord",
     "coming due dates, soonest first", NULL},
};
const size_t cn_echeance_ops_count = sizeof cn_echeance_ops / sizeof cn_echeance_ops[0];
