/* feeds.c: the feeds a region follows, as ops: veille.add, update, feeds,
 * remove and fetch (now), and the whole list in and out as OPML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "opml.h"
#include "veille.h"

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
    " next_ms, format, (SELECT count(*) FROM veille_sources s WHERE s.feed = f.id) AS items, warning";

static void pack_feed_row(msgpack_packer *pk, sqlite3_stmt *st, void *ctx)
{
    (void)ctx;
    msgpack_pack_map(pk, 16);
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
    cd_pack_opt(pk, "warning", (const char *)sqlite3_column_text(st, 15));
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
        interval = veille_interval_s;
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
                               veille_interval_s, &id);
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

int feeds_register(cd_host *h)
{
    static const cd_param add_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région qui suit ce flux", .help_en = "the region following it"},
        {"url", CD_TEXT, .required = 1, .min = 1, .max = 2047, .help_fr = "l'adresse du flux RSS ou Atom (http, https)",
         .help_en = "the RSS or Atom feed's address (http, https)"},
        {"title", CD_TEXT, .max = 511, .help_fr = "son nom (celui du flux sinon)", .help_en = "its name (the feed's otherwise)"},
        {"tags", CD_LIST, .max = 16, .item = CD_TEXT, .item_max = 60, .text_max = 1023, .help_fr = "des étiquettes (financement, emploi)",
         .help_en = "tags (funding, jobs)"},
        {"interval", CD_INT, .min = 60, .max = 30 * 86400, .help_fr = "secondes entre deux lectures (60 à 2592000)",
         .help_en = "seconds between two readings (60 to 2592000)"},
        CD_END};
    static const cd_param feeds_args[] = {
        {"region", CD_REGION, .help_fr = "la région (toutes sinon)", .help_en = "the region (all otherwise)"}, CD_END};
    static const cd_param id_args[] = {
        {"id", CD_INT, .required = 1, .min = 1, .max = INT64_MAX, .help_fr = "le numéro du flux", .help_en = "the feed's number"},
        CD_END};
    static const cd_param fetch_args[] = {
        {"id", CD_INT, .min = 0, .max = INT64_MAX, .help_fr = "le numéro du flux (tous sinon)", .help_en = "the feed's number (all otherwise)"},
        {"region", CD_REGION, .help_fr = "ceux de la région", .help_en = "the region's"},
        CD_END};
    static const cd_param update_args[] = {
        {"id", CD_INT, .required = 1, .min = 1, .max = INT64_MAX, .help_fr = "le numéro du flux", .help_en = "the feed's number"},
        {"title", CD_TEXT, .max = 511, .help_fr = "son nom", .help_en = "its name"},
        {"tags", CD_LIST, .max = 16, .item = CD_TEXT, .item_max = 60, .text_max = 1023, .help_fr = "ses étiquettes", .help_en = "its tags"},
        {"interval", CD_INT, .min = 60, .max = 30 * 86400, .help_fr = "secondes entre deux lectures (60 à 2592000)",
         .help_en = "seconds between two readings (60 to 2592000)"},
        CD_END};
    static const cd_param opml_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région qui suivra ces flux", .help_en = "the region to follow them"},
        {"text", CD_FILE, .required = 1, .min = 1, .max = 4 << 20, .help_fr = "le fichier OPML (@fichier.opml)",
         .help_en = "the OPML file (@file.opml)"},
        CD_END};
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
    return 0;
}
