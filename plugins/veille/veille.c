/* veille.c: the veille plugin — feeds of programs, funding calls and good
 * practice, fetched on the daemon's loop, read, de-duplicated and matched
 * to the plan by keyword rules. This file: loading, configuration, the
 * plugin's tables, and the timers of the fetching cycle (cycle.c) and of
 * the digests (digest.c). The feeds' ops are in feeds.c, the items' and
 * rules' in items.c. */
#define _GNU_SOURCE /* strcasestr */
#include "figures.h"
#include "veille.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "fetch.h"
#include "opml.h"


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
    /* 3: what had to be repaired to read the feed last time, in words (a
     * "bozo" feed: bare "&", bytes that are not text, broken XML, too many
     * items), or NULL when it read clean. */
    "ALTER TABLE veille_feeds ADD COLUMN warning TEXT;",
};

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

static int setting_problems; /* settings refused by config_long, for --check-config */

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
        setting_problems++;
        return dflt;
    }
    return n;
}

/* [plugin.veille] export_dir, default DATA_DIR/veille; publish = no for none. */
static bool publishing(cd_host *h)
{
    const char *v = api->config(h, NULL, "publish");
    return !v || (strcmp(v, "no") && strcmp(v, "non") && strcmp(v, "false") && strcmp(v, "0"));
}

/* The settings, each checked (a wrong one is logged and its default kept). */
static void read_settings(cd_host *h, vf_limits *limits, long *pump_ms)
{
    *limits = (vf_limits){
        .timeout_s = config_long(h, "timeout", 30, 1, 600),
        .connect_timeout_s = 10,
        .max_bytes = (size_t)config_long(h, "max_kib", 4096, 16, 65536) * 1024,
        .max_redirects = config_long(h, "max_redirects", 5, 0, 20),
        .max_parallel = (int)config_long(h, "max_parallel", 8, 1, 64),
    };
    if (limits->connect_timeout_s > limits->timeout_s)
        limits->connect_timeout_s = limits->timeout_s;
    const char *ua = api->config(h, NULL, "user_agent");
    snprintf(limits->user_agent, sizeof limits->user_agent, "%s", ua ? ua : "concertd-veille/0.1");
    const char *ca = api->config(h, NULL, "ca_file"); /* an institution's own certificate authority */
    snprintf(limits->ca_file, sizeof limits->ca_file, "%s", ca ? ca : "");
    veille_interval_s = config_long(h, "interval", 3600, 60, 30 * 86400);
    veille_backoff_max_s = config_long(h, "backoff_max", 86400, 60, 30 * 86400);
    veille_fresh_ms = config_long(h, "fresh_days", 14, 0, 3650) * 86400000LL;
    veille_keep_ms = config_long(h, "keep_days", 365, 0, 36500) * 86400000LL; /* 0: keep everything */
    *pump_ms = config_long(h, "pump_ms", 1000, 10, 600000);
}

/* concertd --check-config: the settings, the authority file, the folder. */
static int check(cd_host *h, const cd_host_api *host_api)
{
    api = host_api;
    vf_limits limits;
    long pump_ms;
    setting_problems = 0;
    read_settings(h, &limits, &pump_ms);
    int problems = setting_problems;
    if (limits.ca_file[0] && access(limits.ca_file, R_OK) != 0) {
        api->log(h, CD_LOG_ERROR, "[plugin.veille] ca_file = %s : %s", limits.ca_file, api->strerror(errno));
        problems++;
    }
    char dir[1024];
    if (publishing(h) && api->folder(h, "export_dir", "veille", dir, sizeof dir) != 0)
        problems++;
    return problems;
}

/* node.status: the feeds, and those whose last reading failed. */
static void figures(cd_host *h, msgpack_packer *pk, void *data)
{
    (void)data;
    cn_pack_sql_figures(api->db(h),
                        "SELECT count(*) AS feeds, coalesce(sum(failures > 0), 0) AS feeds_in_error,"
                        " (SELECT count(*) FROM veille_items) AS items FROM veille_feeds",
                        api->now_ms(h), pk);
}

static int init(cd_host *h, const cd_host_api *host_api, void **state)
{
    (void)state;
    api = host_api;
    if (api->set_status)
        api->set_status(h, figures, NULL);
    if (api->size < sizeof(cd_host_api) || !api->watch_start) {
        api->log(h, CD_LOG_ERROR, "ce concertd est trop ancien pour la veille (pas de watch_start)");
        return -1;
    }
    xmlInitParser(); /* once, on this thread, before any parse on the workers */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    vf_limits limits;
    long pump_ms;
    read_settings(h, &limits, &pump_ms);
    char dir[1024] = "";
    if (publishing(h) && api->folder(h, "export_dir", "veille", dir, sizeof dir) != 0)
        return -1;
    digest_init(dir);
    if (cycle_start(h, &limits) != 0)
        return -1;
    if (feeds_register(h) != 0 || items_register(h) != 0 || digest_register(h) != 0)
        return -1;
    if (api->migrate(h, migrations, sizeof migrations / sizeof migrations[0]) != 0)
        return -1;
    if (dir[0] && !api->timer_start(h, 0, 0, digests_at_start, NULL))
        return -1;
    return api->timer_start(h, 0, (uint64_t)pump_ms, cycle_tick, NULL) ? 0 : -1;
}

static void fini(void *state)
{
    (void)state;
    cycle_stop();
    curl_global_cleanup();
    /* xmlCleanupParser() is left out: other libraries in the process may use libxml2. */
}

CD_PLUGIN_CHECKED("veille", "0.1.0", init, fini, check);
