/* cycle.c: the feeds' fetching cycle. A timer hands the feeds that are due
 * to the veille_fetcher (fetch.c, on the host's loop); a response is parsed off
 * the loop (feed_parse.c), then stored (store.c). Errors back off
 * exponentially, per feed, and are kept in words for `concertctl veille
 * feeds`; a feed moved for good follows its new address. Hourly, items
 * past keep_days that nobody matched are removed. */
#define _GNU_SOURCE /* strcasestr */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch.h"
#include "veille.h"

static vf_fetcher *veille_fetcher;
static int64_t last_retention_ms;

/* Feeds whose response is being parsed: not fetched again meanwhile. */
#define MAX_PARSING 64
static int64_t parsing[MAX_PARSING];
static size_t nparsing;

static bool is_parsing(int64_t feed)
{
    for (size_t i = 0; i < nparsing; i++)
        if (parsing[i] == feed)
            return true;
    return false;
}

static void done_parsing(int64_t feed)
{
    for (size_t i = 0; i < nparsing; i++)
        if (parsing[i] == feed) {
            parsing[i] = parsing[--nparsing];
            return;
        }
}

/* A failure: the feed is tried again later and later (interval, doubled
 * with each failure in a row, at most backoff_max). */
static int feed_failed(cd_host *h, int64_t feed, long status, const char *error)
{
    int64_t now = api->now_ms(h);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE veille_feeds SET failures = failures + 1, last_error = ?2, last_status = nullif(?3, 0),"
                           " last_fetch_ms = ?4,"
                           " next_ms = ?4 + 1000 * min(?5, interval_s * (1 << min(failures, 20)))"
                           " WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, feed);
    sqlite3_bind_text(st, 2, error, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, status);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, veille_backoff_max_s);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    api->log(h, CD_LOG_WARN, "flux %lld : %s", (long long)feed, error);
    return rc;
}

static int feed_ok(cd_host *h, int64_t feed, long status, const char *etag, const char *last_modified)
{
    int64_t now = api->now_ms(h);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE veille_feeds SET failures = 0, last_error = NULL, last_status = ?2,"
                           " last_fetch_ms = ?3, last_ok_ms = ?3, next_ms = ?3 + 1000 * interval_s,"
                           " etag = coalesce(?4, etag), last_modified = coalesce(?5, last_modified) WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, feed);
    sqlite3_bind_int64(st, 2, status);
    sqlite3_bind_int64(st, 3, now);
    if (etag && *etag)
        sqlite3_bind_text(st, 4, etag, -1, SQLITE_TRANSIENT);
    if (last_modified && *last_modified)
        sqlite3_bind_text(st, 5, last_modified, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* ---- parsing off the loop ------------------------------------------------------------ */

typedef struct {
    int64_t feed;
    long status;
    char *body;
    size_t size;
    char base[2048], charset[64], etag[256], last_modified[128];
    vp_feed parsed;
    int rc;
    char error[512];
} parse_job;

static void parse_work(void *data)
{
    parse_job *j = data;
    j->rc = vp_parse(j->body, j->size, j->base, j->charset[0] ? j->charset : NULL, &j->parsed, j->error,
                     sizeof j->error);
}

static int parse_done(cd_host *h, void *data, int status)
{
    parse_job *j = data;
    done_parsing(j->feed);
    int rc = 0;
    if (status == 0) {
        char region[64] = "";
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(api->db(h), "SELECT region FROM veille_feeds WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, j->feed);
            if (sqlite3_step(st) == SQLITE_ROW)
                snprintf(region, sizeof region, "%s", (const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        }
        if (!region[0]) {
            /* removed while it was being read */
        } else if (j->rc != 0) {
            rc = feed_failed(h, j->feed, j->status, j->error);
        } else if (store_feed(h, j->feed, region, &j->parsed) < 0) {
            rc = -1;
        } else {
            digest_flush(h);
            rc = feed_ok(h, j->feed, j->status, j->etag, j->last_modified);
            /* What the feed says of itself, unless the table named it. */
            if (rc == 0 && sqlite3_prepare_v2(api->db(h),
                                              "UPDATE veille_feeds SET format = ?2, title = coalesce(title, ?3),"
                                              " site = coalesce(site, ?4), warning = ?5 WHERE id = ?1",
                                              -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(st, 1, j->feed);
                sqlite3_bind_text(st, 2, j->parsed.format, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, j->parsed.title, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, j->parsed.link, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 5, j->parsed.warning, -1, SQLITE_STATIC);
                if (j->parsed.warning) /* said in the daemon's log too, with time and level */
                    api->log(h, CD_LOG_WARN, "fil %lld (%s) lu après réparation : %s", (long long)j->feed, region,
                             j->parsed.warning);
                rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
                sqlite3_finalize(st);
            }
        }
    }
    vp_feed_free(&j->parsed);
    free(j->body);
    free(j);
    return rc;
}

/* ---- fetching ---------------------------------------------------------------------- */

/* A feed moved for good (301/308 all the way): follow it there, as feed
 * readers do, unless the region follows the new address already. */
static void follow_move(cd_host *h, int64_t feed, const char *to)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE veille_feeds SET url = ?2 WHERE id = ?1 AND NOT EXISTS"
                           " (SELECT 1 FROM veille_feeds o WHERE o.region = veille_feeds.region AND o.url = ?2)",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, feed);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(api->db(h)) == 1)
        api->log(h, CD_LOG_INFO, "flux %lld déplacé définitivement : il est désormais lu à %s", (long long)feed, to);
    sqlite3_finalize(st);
}

static void fetched(cd_host *h, vf_result *r, void *data)
{
    (void)data;
    if (r->moved && !r->error[0])
        follow_move(h, r->id, r->final_url);
    if (r->error[0]) {
        feed_failed(h, r->id, r->status, r->error);
        return;
    }
    if (r->not_modified) {
        feed_ok(h, r->id, r->status, r->etag, r->last_modified);
        return;
    }
    parse_job *j = calloc(1, sizeof *j);
    if (!j || nparsing == MAX_PARSING) {
        free(j);
        feed_failed(h, r->id, r->status, "trop de flux à lire à la fois : réessai plus tard");
        return;
    }
    j->feed = r->id;
    j->status = r->status;
    j->body = r->body;
    j->size = r->size;
    r->body = NULL;
    snprintf(j->base, sizeof j->base, "%s", r->final_url);
    snprintf(j->etag, sizeof j->etag, "%s", r->etag);
    snprintf(j->last_modified, sizeof j->last_modified, "%s", r->last_modified);
    const char *cs = strcasestr(r->content_type, "charset=");
    if (cs)
        snprintf(j->charset, sizeof j->charset, "%.*s", (int)strcspn(cs + 8, " ;\""), cs + 8 + (cs[8] == '"'));
    if (api->queue_work(h, parse_work, parse_done, j) != 0) {
        free(j->body);
        free(j);
        feed_failed(h, r->id, r->status, "lecture impossible à lancer : réessai plus tard");
        return;
    }
    parsing[nparsing++] = j->feed;
}

/* Items no rule matched and no region shared, that no feed carries any
 * more, seen first more than keep_days ago, go (with their sources and
 * the regions' views of them); the rest is kept. Once an hour. */
static int retention(cd_host *h)
{
    int64_t now = api->now_ms(h);
    if (!veille_keep_ms || now - last_retention_ms < 3600000)
        return 0;
    last_retention_ms = now;
#define GONE                                                                                                  \
    "SELECT i.id FROM veille_items i WHERE i.first_seen_ms < ?1 - ?2"                                          \
    " AND NOT EXISTS (SELECT 1 FROM veille_region_items r WHERE r.item = i.id AND (r.matched OR r.shared))"   \
    " AND NOT EXISTS (SELECT 1 FROM veille_sources s JOIN veille_feeds f ON f.id = s.feed"                     \
    "   WHERE s.item = i.id AND s.seen_ms >= coalesce(f.last_content_ms, 0))"
    /* The items last: what tells them apart does not change before. */
    static const char *const steps[] = {
        "DELETE FROM veille_region_items WHERE item IN (" GONE ")",
        "DELETE FROM veille_sources WHERE item IN (" GONE ")",
        "DELETE FROM veille_items WHERE id IN (" GONE ")",
    };
#undef GONE
    int gone = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(api->db(h), steps[i], -1, &st, NULL) != SQLITE_OK) {
            api->log(h, CD_LOG_ERROR, "rétention de la veille : %s", sqlite3_errmsg(api->db(h)));
            return -1;
        }
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, veille_keep_ms);
        int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
        if (rc != 0)
            return -1;
        if (i == sizeof steps / sizeof steps[0] - 1)
            gone = sqlite3_changes(api->db(h));
    }
    if (gone)
        api->log(h, CD_LOG_INFO, "veille : %d élément(s) sans suite, vus il y a plus de %lld jours, retirés", gone,
                 (long long)(veille_keep_ms / 86400000));
    return 0;
}

/* Hands every due feed to the veille_fetcher (which keeps one request per host). */
int cycle_tick(cd_host *h, void *data)
{
    (void)data;
    if (retention(h) != 0)
        return -1; /* logged; the feeds are looked at again at the next tick */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT id, url, etag, last_modified FROM veille_feeds WHERE next_ms <= ? ORDER BY next_ms"
                           " LIMIT 500",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, api->now_ms(h));
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (!is_parsing(id))
            vf_fetch(veille_fetcher, id, (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
                     (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    return 0;
}

int cycle_start(cd_host *h, const vf_limits *limits)
{
    last_retention_ms = 0;
    nparsing = 0;
    veille_fetcher = vf_fetcher_new(h, api, limits, fetched, NULL);
    return veille_fetcher ? 0 : -1;
}

void cycle_stop(void)
{
    vf_fetcher_free(&veille_fetcher);
    nparsing = 0;
}
