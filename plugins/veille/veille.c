/* veille.c: the veille plugin — feeds of programs, funding calls and good
 * practice, fetched on the daemon's loop, read, de-duplicated and matched
 * to the plan by keyword rules. This file: loading, configuration, the
 * feeds (veille.add / feeds / remove / fetch) and their fetching: a timer
 * hands due feeds to the fetcher; a response is parsed off the loop, then
 * stored by store.c. Errors back off exponentially, per feed, and are kept
 * in words for `concertctl veille feeds`. */
#define _GNU_SOURCE /* strcasestr */
#include "veille.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "fetch.h"
#include "opml.h"

const cd_host_api *api;
int64_t veille_fresh_ms;

static vf_fetcher *fetcher;
static int64_t default_interval_s, backoff_max_s;
static int64_t keep_ms, last_retention_ms;

/* Feeds whose response is being parsed: not fetched again meanwhile. */
#define MAX_PARSING 64
static int64_t parsing[MAX_PARSING];
static size_t nparsing;

static const char *const migrations[] = {
    "CREATE TABLE veille_feeds("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL, url TEXT NOT NULL, title TEXT, site TEXT, tags TEXT,"
    "  interval_s INTEGER NOT NULL,"
    "  etag TEXT, last_modified TEXT,"   /* for the next conditional GET */
    "  next_ms INTEGER NOT NULL DEFAULT 0," /* when it is due */
    "  failures INTEGER NOT NULL DEFAULT 0, last_error TEXT, last_status INTEGER,"
    "  last_fetch_ms INTEGER, last_ok_ms INTEGER, format TEXT,"
    "  created_ms INTEGER NOT NULL,"
    "  UNIQUE(region, url));"
    "CREATE INDEX veille_feeds_due ON veille_feeds(next_ms);"
    /* One announcement, whichever feeds carried it. */
    "CREATE TABLE veille_items("
    "  id INTEGER PRIMARY KEY,"
    "  guid TEXT, link TEXT, title TEXT, summary TEXT, published_ms INTEGER,"
    "  title_key TEXT," /* folded title and day, the last resort of de-duplication */
    "  first_seen_ms INTEGER NOT NULL);"
    "CREATE INDEX veille_items_guid ON veille_items(guid);"
    "CREATE INDEX veille_items_link ON veille_items(link);"
    "CREATE INDEX veille_items_title_key ON veille_items(title_key);"
    "CREATE TABLE veille_sources("
    "  item INTEGER NOT NULL, feed INTEGER NOT NULL, seen_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(item, feed));"
    "CREATE INDEX veille_sources_feed ON veille_sources(feed);"
    /* What a region made of an item: its rules' verdict, read, shared. */
    "CREATE TABLE veille_region_items("
    "  region TEXT NOT NULL, item INTEGER NOT NULL,"
    "  matched INTEGER NOT NULL DEFAULT 0, rules TEXT, tags TEXT, objectives TEXT, actions TEXT,"
    "  read INTEGER NOT NULL DEFAULT 0, shared INTEGER NOT NULL DEFAULT 0,"
    "  first_seen_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(region, item));"
    "CREATE INDEX veille_region_items_seen ON veille_region_items(region, first_seen_ms);"
    "CREATE TABLE veille_rules("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL, name TEXT NOT NULL,"
    "  all_of TEXT, any_of TEXT, none_of TEXT," /* "\n"-joined terms */
    "  tags TEXT, objectives TEXT, actions TEXT,"
    "  created_ms INTEGER NOT NULL,"
    "  UNIQUE(region, name));",

    /* 2: when a feed last gave content (a 200): its items seen then are
     * still in it; the others have left it (retention, keep_days). */
    "ALTER TABLE veille_feeds ADD COLUMN last_content_ms INTEGER;",
};

/* ---- helpers ---------------------------------------------------------------- */

static void append_term(char *out, size_t cap, const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    size_t used = strlen(out);
    if (!n || used + n + 2 > cap)
        return;
    if (used)
        out[used++] = '\n';
    for (size_t i = 0; i < n; i++)
        out[used++] = p[i] == '\n' || p[i] == '\r' ? ' ' : p[i];
    out[used] = '\0';
}

int list_arg(const msgpack_object *o, char *out, size_t cap)
{
    out[0] = '\0';
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        char number[32];
        snprintf(number, sizeof number, "%llu", (unsigned long long)o->via.u64);
        append_term(out, cap, number, strlen(number));
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_STR) {
        const char *p = o->via.str.ptr, *end = p + o->via.str.size;
        while (p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *stop = comma ? comma : end;
            append_term(out, cap, p, (size_t)(stop - p));
            p = stop + 1;
        }
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return -1;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        char number[32];
        if (e->type == MSGPACK_OBJECT_POSITIVE_INTEGER) { /* an objective's number, as concertctl sends "5" */
            snprintf(number, sizeof number, "%llu", (unsigned long long)e->via.u64);
            append_term(out, cap, number, strlen(number));
        } else if (e->type == MSGPACK_OBJECT_STR)
            append_term(out, cap, e->via.str.ptr, e->via.str.size);
        else
            return -1;
    }
    return 0;
}

char *arg_text(const msgpack_object *o, char *out, size_t cap)
{
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        snprintf(out, cap, "%llu", (unsigned long long)o->via.u64);
        return out;
    }
    return cd_str(o, out, cap);
}

void pk_list(msgpack_packer *pk, const char *joined)
{
    uint32_t n = 0;
    for (const char *p = joined; p && *p; n++) {
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    msgpack_pack_array(pk, n);
    for (const char *p = joined; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        msgpack_pack_str_with_body(pk, p, len);
        p += len + (nl ? 1 : 0);
    }
}

int pack_rows_with(msgpack_packer *pk, sqlite3_stmt *st, row_packer row, void *ctx)
{
    msgpack_sbuffer rows;
    msgpack_sbuffer_init(&rows);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
    uint32_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        row(&rp, st, ctx);
        n++;
    }
    msgpack_pack_array(pk, n);
    int rc = cd_pack_raw(pk, rows.data, rows.size);
    msgpack_sbuffer_destroy(&rows);
    return rc;
}

void iso_time(int64_t ms, char *out, size_t cap)
{
    out[0] = '\0';
    if (!ms)
        return;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

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

/* Runs sql with ?1 bound to a feed id. */
static int exec_feed(cd_host *h, const char *sql, int64_t feed)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, feed);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
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
    sqlite3_bind_int64(st, 5, backoff_max_s);
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
                                              " site = coalesce(site, ?4) WHERE id = ?1",
                                              -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(st, 1, j->feed);
                sqlite3_bind_text(st, 2, j->parsed.format, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, j->parsed.title, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, j->parsed.link, -1, SQLITE_STATIC);
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
    if (!keep_ms || now - last_retention_ms < 3600000)
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
        sqlite3_bind_int64(st, 2, keep_ms);
        int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
        if (rc != 0)
            return -1;
        if (i == sizeof steps / sizeof steps[0] - 1)
            gone = sqlite3_changes(api->db(h));
    }
    if (gone)
        api->log(h, CD_LOG_INFO, "veille : %d élément(s) sans suite, vus il y a plus de %lld jours, retirés", gone,
                 (long long)(keep_ms / 86400000));
    return 0;
}

/* Hands every due feed to the fetcher (which keeps one request per host). */
static int tick(cd_host *h, void *data)
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
            vf_fetch(fetcher, id, (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
                     (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    return 0;
}

/* ---- ops: the feeds ---------------------------------------------------------------- */

int call_region(cd_host *h, const char *region, char *err, size_t cap)
{
    static const char *const keys[] = {"id"};
    const char *values[] = {region};
    return cd_call_check(api, h, "region.get", 1, keys, values, err, cap);
}

/* NULL when url is an http(s) address curl can fetch, else why not. */
static const char *url_problem(const char *url)
{
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return "url: une adresse http:// ou https://";
    CURLU *u = curl_url();
    char *host = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && *host;
    curl_free(host);
    curl_url_cleanup(u);
    return ok ? NULL : "url: adresse illisible";
}

static const char *FEED_COLUMNS =
    "id, region, url, title, site, tags, interval_s, failures, last_error, last_status, last_fetch_ms, last_ok_ms,"
    " next_ms, format, (SELECT count(*) FROM veille_sources s WHERE s.feed = f.id) AS items";

static void pack_feed_row(msgpack_packer *pk, sqlite3_stmt *st, void *ctx)
{
    (void)ctx;
    msgpack_pack_map(pk, 15);
    cd_pack_str(pk, "id");
    msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
    cd_pack_opt(pk, "region", (const char *)sqlite3_column_text(st, 1));
    cd_pack_opt(pk, "url", (const char *)sqlite3_column_text(st, 2));
    cd_pack_opt(pk, "title", (const char *)sqlite3_column_text(st, 3));
    cd_pack_opt(pk, "site", (const char *)sqlite3_column_text(st, 4));
    cd_pack_str(pk, "tags");
    pk_list(pk, (const char *)sqlite3_column_text(st, 5));
    cd_pack_str(pk, "interval");
    msgpack_pack_int64(pk, sqlite3_column_int64(st, 6));
    cd_pack_str(pk, "failures");
    msgpack_pack_int64(pk, sqlite3_column_int64(st, 7));
    cd_pack_opt(pk, "last_error", (const char *)sqlite3_column_text(st, 8));
    cd_pack_str(pk, "last_status");
    if (sqlite3_column_type(st, 9) == SQLITE_NULL)
        msgpack_pack_nil(pk);
    else
        msgpack_pack_int64(pk, sqlite3_column_int64(st, 9));
    char when[32];
    const char *const times[] = {"last_fetch", "last_ok", "next_fetch"};
    for (int i = 0; i < 3; i++) {
        iso_time(sqlite3_column_int64(st, 10 + i), when, sizeof when);
        cd_pack_opt(pk, times[i], when);
    }
    cd_pack_opt(pk, "format", (const char *)sqlite3_column_text(st, 13));
    cd_pack_str(pk, "items");
    msgpack_pack_int64(pk, sqlite3_column_int64(st, 14));
}

static int pack_feed(cd_req *req, cd_host *h, int64_t id)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM veille_feeds f WHERE id = ?", FEED_COLUMNS);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, id);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        pack_feed_row(api->req_result(req), st, NULL);
    else
        rc = api->req_fail(req, "not_found", "id", "aucun flux n° %lld", (long long)id);
    sqlite3_finalize(st);
    return rc;
}

/* A new feed, due at once. Returns SQLite's step code (SQLITE_DONE, or
 * SQLITE_CONSTRAINT when the region follows url already). */
static int insert_feed(cd_host *h, const char *region, const char *url, const char *title, const char *site,
                       const char *tags, int64_t interval, int64_t *id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "INSERT INTO veille_feeds(region, url, title, tags, interval_s, next_ms, created_ms, site)"
                           " VALUES (?,?,nullif(?,''),nullif(?,''),?,0,?,nullif(?,''))",
                           -1, &st, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, tags, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, interval);
    sqlite3_bind_int64(st, 6, api->now_ms(h));
    sqlite3_bind_text(st, 7, site, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(api->db(h));
    return step;
}

static int add_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64], url[2048], title[512], tags[1024], err[512];
    cd_str(cd_get(args, "region"), region, sizeof region);
    cd_str(cd_get(args, "url"), url, sizeof url);
    cd_str(cd_get(args, "title"), title, sizeof title);
    if (!region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région qui suit ce flux");
    if (call_region(h, region, err, sizeof err) != 0)
        return api->req_fail(req, "not_found", "region", "%s", err);
    if (cd_refuse_copy(api, h, req, region, "ses flux de veille"))
        return -1;
    const char *problem = url_problem(url);
    if (problem)
        return api->req_fail(req, "invalid_argument", "url", "%s", problem);
    if (list_arg(cd_get(args, "tags"), tags, sizeof tags) != 0)
        return api->req_fail(req, "invalid_argument", "tags", "tags: une liste de mots (« financement, emploi »)");
    const msgpack_object *every = cd_get(args, "interval");
    int64_t interval = cd_int(every, -1);
    if (every && (interval < 60 || interval > 30 * 86400))
        return api->req_fail(req, "invalid_argument", "interval",
                             "interval: secondes entre deux lectures, de 60 (une minute) à 2592000 (30 jours)");
    if (!every)
        interval = default_interval_s;
    int64_t id;
    int step = insert_feed(h, region, url, title, NULL, tags, interval, &id);
    if (step == SQLITE_CONSTRAINT)
        return api->req_fail(req, "conflict", "url", "la région %s suit déjà ce flux", region);
    if (step != SQLITE_DONE)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    return pack_feed(req, h, id);
}

static int update_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    int64_t id = cd_int(cd_get(args, "id"), 0);
    const msgpack_object *t = cd_get(args, "title"), *tg = cd_get(args, "tags"), *every = cd_get(args, "interval");
    char title[512], tags[1024];
    cd_str(t, title, sizeof title);
    if (t && t->type != MSGPACK_OBJECT_STR)
        return api->req_fail(req, "invalid_argument", "title", "title: un texte");
    if (list_arg(tg, tags, sizeof tags) != 0)
        return api->req_fail(req, "invalid_argument", "tags", "tags: une liste de mots (« financement, emploi »)");
    int64_t interval = cd_int(every, -1);
    if (every && (interval < 60 || interval > 30 * 86400))
        return api->req_fail(req, "invalid_argument", "interval",
                             "interval: secondes entre deux lectures, de 60 (une minute) à 2592000 (30 jours)");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE veille_feeds SET title = CASE WHEN ?2 THEN nullif(?3, '') ELSE title END,"
                           " tags = CASE WHEN ?4 THEN nullif(?5, '') ELSE tags END,"
                           " interval_s = coalesce(?6, interval_s),"
                           " next_ms = CASE WHEN ?6 IS NULL THEN next_ms ELSE min(next_ms, ?7 + 1000 * ?6) END"
                           " WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, t != NULL);
    sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, tg != NULL);
    sqlite3_bind_text(st, 5, tags, -1, SQLITE_STATIC);
    if (every)
        sqlite3_bind_int64(st, 6, interval);
    sqlite3_bind_int64(st, 7, api->now_ms(h));
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (sqlite3_changes(api->db(h)) == 0)
        return api->req_fail(req, "not_found", "id", "aucun flux n° %lld", (long long)id);
    return pack_feed(req, h, id);
}

static int feeds_op(cd_req *req, void *data)
{
    cd_host *h = data;
    char region[64], sql[600];
    cd_str(cd_get(api->req_args(req), "region"), region, sizeof region);
    snprintf(sql, sizeof sql, "SELECT %s FROM veille_feeds f WHERE ?1 = '' OR region = ?1 ORDER BY region, id",
             FEED_COLUMNS);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int rc = pack_rows_with(api->req_result(req), st, pack_feed_row, NULL);
    sqlite3_finalize(st);
    return rc == 0 ? 0 : api->req_fail(req, "internal", NULL, "mémoire insuffisante");
}

static int remove_op(cd_req *req, void *data)
{
    cd_host *h = data;
    int64_t id = cd_int(cd_get(api->req_args(req), "id"), 0);
    if (exec_feed(h, "DELETE FROM veille_sources WHERE feed = ?1", id) != 0 ||
        exec_feed(h, "DELETE FROM veille_feeds WHERE id = ?1", id) != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (sqlite3_changes(api->db(h)) == 0)
        return api->req_fail(req, "not_found", "id", "aucun flux n° %lld", (long long)id);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 1);
    cd_pack_str(pk, "removed");
    msgpack_pack_int64(pk, id);
    return 0;
}

/* Due now: one feed (id), a region's, or all. */
static int fetch_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    int64_t id = cd_int(cd_get(args, "id"), 0);
    char region[64];
    cd_str(cd_get(args, "region"), region, sizeof region);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE veille_feeds SET next_ms = 0 WHERE (?1 = 0 OR id = ?1) AND (?2 = '' OR region = ?2)",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    int n = sqlite3_changes(api->db(h));
    if (id && !n)
        return api->req_fail(req, "not_found", "id", "aucun flux n° %lld", (long long)id);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 1);
    cd_pack_str(pk, "due");
    msgpack_pack_int(pk, n);
    return 0;
}

/* ---- OPML: the list of feeds, to and from feed readers ----------------------------- */

static int opml_import_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req), *t = cd_get(args, "text");
    char region[64], err[512];
    cd_str(cd_get(args, "region"), region, sizeof region);
    if (!region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région qui suivra ces flux");
    if (call_region(h, region, err, sizeof err) != 0)
        return api->req_fail(req, "not_found", "region", "%s", err);
    if (cd_refuse_copy(api, h, req, region, "ses flux de veille"))
        return -1;
    if (!t || t->type != MSGPACK_OBJECT_STR)
        return api->req_fail(req, "invalid_argument", "text", "text: le contenu du fichier OPML");
    opml_feed *feeds;
    size_t n;
    if (opml_read(t->via.str.ptr, t->via.str.size, &feeds, &n, err, sizeof err) != 0)
        return api->req_fail(req, "invalid_argument", "text", "%s", err);
    /* Every address checked before anything is stored. */
    for (size_t i = 0; i < n; i++) {
        const char *problem = url_problem(feeds[i].url);
        if (problem) {
            int rc = api->req_fail(req, "invalid_argument", "text", "flux « %s » (%s) : %s ; rien n'est importé",
                                   feeds[i].title, feeds[i].url, problem);
            free(feeds);
            return rc;
        }
    }
    int added = 0, unchanged = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t id;
        int step = insert_feed(h, region, feeds[i].url, feeds[i].title, feeds[i].site, feeds[i].tags,
                               default_interval_s, &id);
        if (step == SQLITE_CONSTRAINT)
            unchanged++;
        else if (step == SQLITE_DONE)
            added++;
        else {
            free(feeds);
            return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
        }
    }
    free(feeds);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 2);
    cd_pack_str(pk, "added");
    msgpack_pack_int(pk, added);
    cd_pack_str(pk, "unchanged");
    msgpack_pack_int(pk, unchanged);
    return 0;
}

static int opml_export_op(cd_req *req, void *data)
{
    cd_host *h = data;
    char region[64];
    cd_str(cd_get(api->req_args(req), "region"), region, sizeof region);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT url, coalesce(title, ''), coalesce(site, ''), coalesce(tags, '') FROM veille_feeds"
                           " WHERE ?1 = '' OR region = ?1 ORDER BY region, id",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    size_t n = 0, cap = 16;
    opml_feed *feeds = malloc(cap * sizeof *feeds);
    while (feeds && sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            opml_feed *p = realloc(feeds, (cap *= 2) * sizeof *feeds);
            if (!p)
                break;
            feeds = p;
        }
        opml_feed *f = &feeds[n++];
        snprintf(f->url, sizeof f->url, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(f->title, sizeof f->title, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(f->site, sizeof f->site, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(f->tags, sizeof f->tags, "%s", (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    char title[160];
    snprintf(title, sizeof title, "Veille%s%s", region[0] ? " — " : "", region);
    char *text = feeds ? opml_write(feeds, n, title) : NULL;
    free(feeds);
    if (!text)
        return api->req_fail(req, "internal", NULL, "OPML : écriture impossible");
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 2);
    cd_pack_str(pk, "text");
    cd_pack_str(pk, text);
    cd_pack_str(pk, "feeds");
    msgpack_pack_uint64(pk, n);
    free(text);
    return 0;
}

/* Every region's digest again at start (a stop may have cut a rewrite). */
static int digests_at_start(cd_host *h, void *data)
{
    (void)data;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "SELECT DISTINCT region FROM veille_region_items", -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW)
        digest_dirty((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return digest_flush(h);
}

/* ---- load ---------------------------------------------------------------------------- */

static long config_long(cd_host *h, const char *key, long dflt, long min, long max)
{
    const char *v = api->config(h, NULL, key);
    if (!v)
        return dflt;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max) {
        api->log(h, CD_LOG_ERROR, "[plugin.veille] %s = %s : un nombre de %ld à %ld ; %ld retenu", key, v, min, max,
                 dflt);
        return dflt;
    }
    return n;
}

static int init(cd_host *h, const cd_host_api *host_api, void **state)
{
    (void)state;
    api = host_api;
    if (api->size < sizeof(cd_host_api) || !api->watch_start) {
        api->log(h, CD_LOG_ERROR, "ce concertd est trop ancien pour la veille (pas de watch_start)");
        return -1;
    }
    xmlInitParser(); /* once, on this thread, before any parse on the workers */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    vf_limits limits = {
        .timeout_s = config_long(h, "timeout", 30, 1, 600),
        .connect_timeout_s = 10,
        .max_bytes = (size_t)config_long(h, "max_kib", 4096, 16, 65536) * 1024,
        .max_redirects = config_long(h, "max_redirects", 5, 0, 20),
        .max_parallel = (int)config_long(h, "max_parallel", 8, 1, 64),
    };
    if (limits.connect_timeout_s > limits.timeout_s)
        limits.connect_timeout_s = limits.timeout_s;
    const char *ua = api->config(h, NULL, "user_agent");
    snprintf(limits.user_agent, sizeof limits.user_agent, "%s", ua ? ua : "concertd-veille/0.1");
    const char *ca = api->config(h, NULL, "ca_file"); /* an institution's own certificate authority */
    snprintf(limits.ca_file, sizeof limits.ca_file, "%s", ca ? ca : "");
    default_interval_s = config_long(h, "interval", 3600, 60, 30 * 86400);
    backoff_max_s = config_long(h, "backoff_max", 86400, 60, 30 * 86400);
    veille_fresh_ms = config_long(h, "fresh_days", 14, 0, 3650) * 86400000LL;
    keep_ms = config_long(h, "keep_days", 365, 0, 36500) * 86400000LL; /* 0: keep everything */
    last_retention_ms = 0;
    long pump_ms = config_long(h, "pump_ms", 1000, 10, 600000);
    const char *dir = api->config(h, NULL, "export_dir");
    if (dir && *dir && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        api->log(h, CD_LOG_ERROR, "[plugin.veille] export_dir = %s : %s", dir, strerror(errno));
        return -1;
    }
    digest_init(dir);
    fetcher = vf_fetcher_new(h, api, &limits, fetched, NULL);
    if (!fetcher)
        return -1;
    static const char *const add_args[] = {"region", "url", "title", "tags", "interval", NULL};
    static const char *const feeds_args[] = {"region", NULL};
    static const char *const id_args[] = {"id", NULL};
    static const char *const fetch_args[] = {"id", "region", NULL};
    static const char *const update_args[] = {"id", "title", "tags", "interval", NULL};
    static const char *const opml_args[] = {"region", "text", NULL};
    const cd_op_spec ops[] = {
        {"veille.add", add_op, h, add_args, "suit un flux RSS ou Atom", "follows an RSS or Atom feed"},
        {"veille.feeds", feeds_op, h, feeds_args, "les flux suivis, leur état et leur dernière erreur",
         "the feeds followed, their state and last error"},
        {"veille.remove", remove_op, h, id_args, "cesse de suivre un flux", "stops following a feed"},
        {"veille.update", update_op, h, update_args, "renomme un flux, change ses étiquettes ou sa fréquence",
         "renames a feed, changes its tags or how often it is read"},
        {"veille.fetch", fetch_op, h, fetch_args, "lit un flux (ou tous) sans attendre", "reads a feed (or all) now"},
        {"veille.opml_import", opml_import_op, h, opml_args, "importe une liste de flux OPML (d'un lecteur de flux)",
         "imports an OPML feed list"},
        {"veille.opml_export", opml_export_op, h, feeds_args, "la liste des flux en OPML", "the feed list as OPML"},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (api->register_op(h, &ops[i]) != 0)
            return -1;
    if (items_register(h) != 0)
        return -1;
    if (api->migrate(h, migrations, sizeof migrations / sizeof migrations[0]) != 0)
        return -1;
    if (dir && *dir && !api->timer_start(h, 0, 0, digests_at_start, NULL))
        return -1;
    return api->timer_start(h, 0, (uint64_t)pump_ms, tick, NULL) ? 0 : -1;
}

static void fini(void *state)
{
    (void)state;
    vf_fetcher_free(&fetcher);
    nparsing = 0;
    curl_global_cleanup();
    /* xmlCleanupParser() is left out: other libraries in the process may use libxml2. */
}

CD_PLUGIN("veille", "0.1.0", init, fini);
