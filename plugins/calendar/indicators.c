/* indicators.c: the plan's participation indicators fed by the calendar:
 * an activity names the indicator it feeds ("Nombre de rencontres",
 * "Nombre de participants"), checked through the host, and each session
 * marked held records a measurement on it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "activity.h"

/* args.indicator / args.measure: the plan indicator this activity feeds.
 * Returns 0 (absent or stored), or the request's failure. */
int store_feed(cd_req *req, cd_host *h, int64_t id)
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
        int rc = indicator > 0 ? call_check(h, "indicator.history", NULL, indicator, err, sizeof err) : -1;
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
int feed_indicator(cd_host *h, int64_t activity, const char *occurrence)
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
        column_text(st, 1, measure, sizeof measure);
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
