/* reminders.c: activity.upcoming before each occurrence, remind_days
 * before it (7 and 1 by default), once per occurrence and horizon; a
 * daemon that was down catches up once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activity.h"

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
    column_text(c->row, 2, region, sizeof region);
    if (c->rc == 0)
        c->rc = api->emit(c->h, region, "activity.upcoming", buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
}

int remind_tick(cd_host *h, void *data)
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

int reminders_configure(cd_host *h)
{
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
    return 0;
}
