/* store.c: a parsed feed into items. One announcement is one item, whatever
 * feeds carry it: known by its guid/id, else by its link, else by its
 * title and day; each feed that carried it is a source. An item new to a
 * region goes through the region's rules; matched and recent, it is
 * announced as veille.item (for notify, digests, …). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "veille.h"

static int64_t find_by(cd_host *h, const char *column, const char *value)
{
    if (!value || !*value)
        return 0;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT id FROM veille_items WHERE %s = ? ORDER BY id LIMIT 1", column);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return id;
}

/* The folded title and the day: what two feeds share when nothing else is. */
static char *title_key(const vp_item *it)
{
    char *folded = cn_fold_words(it->title);
    if (!folded)
        return NULL;
    char day[16] = "";
    if (it->published_ms)
        iso_time(it->published_ms, day, sizeof day); /* cut to the day: "YYYY-MM-DD" */
    size_t n = strlen(folded) + 16;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "%s|%.10s", folded, day);
    free(folded);
    return key;
}

static int64_t find_or_insert(cd_host *h, const vp_item *it, const char *site, const char *key, bool *created)
{
    *created = false;
    int64_t id = find_by(h, "guid", it->guid);
    /* A link shared by every item (the site's home page) tells nothing. */
    if (id == 0 && it->link && (!site || strcmp(it->link, site) != 0))
        id = find_by(h, "link", it->link);
    /* Title and day: long enough titles only ("Infolettre" twice a day is two). */
    if (id == 0 && key && (strlen(key) > 28 || (!it->guid && !it->link)))
        id = find_by(h, "title_key", key);
    if (id != 0)
        return id;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "INSERT INTO veille_items(guid, link, title, summary, published_ms, title_key, first_seen_ms)"
                           " VALUES (?,?,?,?,nullif(?,0),?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, it->guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, it->link, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, it->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, it->summary, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, it->published_ms);
    sqlite3_bind_text(st, 6, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, api->now_ms(h));
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0)
        return -1;
    *created = true;
    return sqlite3_last_insert_rowid(api->db(h));
}

static int run(cd_host *h, const char *sql, int64_t a, int64_t b, int64_t c)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    sqlite3_bind_int64(st, 3, c);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

static int announce(cd_host *h, const char *region, int64_t item, int64_t feed, const vp_item *it, const rule_hits *hits)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    char published[32];
    iso_time(it->published_ms, published, sizeof published);
    msgpack_pack_map(&pk, 10);
    cd_pack_str(&pk, "item");
    msgpack_pack_int64(&pk, item);
    cd_pack_str(&pk, "feed");
    msgpack_pack_int64(&pk, feed);
    cd_pack_opt(&pk, "title", it->title);
    cd_pack_opt(&pk, "link", it->link);
    cd_pack_opt(&pk, "published", published);
    cd_pack_opt(&pk, "summary", it->summary);
    cd_pack_str(&pk, "rules");
    pk_list(&pk, hits->rules);
    cd_pack_str(&pk, "tags");
    pk_list(&pk, hits->tags);
    cd_pack_str(&pk, "objectives");
    pk_list(&pk, hits->objectives);
    cd_pack_str(&pk, "actions");
    pk_list(&pk, hits->actions);
    int rc = api->emit(h, region, "veille.item", buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* The region's verdict on an item new to it. */
static int judge(cd_host *h, const char *region, int64_t item, int64_t feed, const vp_item *it)
{
    size_t n = (it->title ? strlen(it->title) : 0) + (it->summary ? strlen(it->summary) : 0) + 2;
    char *text = malloc(n);
    if (!text)
        return -1;
    snprintf(text, n, "%s %s", it->title ? it->title : "", it->summary ? it->summary : "");
    char *folded = cn_fold_words(text);
    free(text);
    if (!folded)
        return -1;
    rule_hits hits;
    int matched = match_rules(h, region, folded, &hits);
    free(folded);
    if (matched < 0)
        return -1;
    if (matched == 0)
        return 0; /* kept, quiet */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE veille_region_items SET matched = 1, rules = ?3, tags = nullif(?4, ''),"
                           " objectives = nullif(?5, ''), actions = nullif(?6, '') WHERE region = ?1 AND item = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, item);
    sqlite3_bind_text(st, 3, hits.rules, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, hits.tags, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, hits.objectives, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, hits.actions, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    digest_dirty(region);
    int64_t now = api->now_ms(h);
    bool recent = !it->published_ms || it->published_ms >= now - veille_fresh_ms;
    return rc == 0 && recent ? announce(h, region, item, feed, it, &hits) : rc;
}

int store_feed(cd_host *h, int64_t feed, const char *region, const vp_feed *parsed)
{
    int fresh = 0;
    int64_t now = api->now_ms(h);
    for (size_t i = 0; i < parsed->n; i++) {
        const vp_item *it = &parsed->items[i];
        char *key = title_key(it);
        bool created;
        int64_t item = find_or_insert(h, it, parsed->link, key, &created);
        free(key);
        if (item < 0)
            return -1;
        if (run(h, "INSERT INTO veille_sources(item, feed, seen_ms) VALUES (?1, ?2, ?3)"
                   " ON CONFLICT(item, feed) DO UPDATE SET seen_ms = excluded.seen_ms",
                item, feed, now) != 0)
            return -1;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(api->db(h),
                               "INSERT OR IGNORE INTO veille_region_items(region, item, first_seen_ms) VALUES (?,?,?)",
                               -1, &st, NULL) != SQLITE_OK)
            return -1;
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, item);
        sqlite3_bind_int64(st, 3, now);
        int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
        if (rc != 0)
            return -1;
        if (sqlite3_changes(api->db(h)) == 0)
            continue; /* the region knows it already (from this feed or another) */
        fresh++;
        if (judge(h, region, item, feed, it) != 0)
            return -1;
    }
    /* What this feed carries now: the items just seen (retention keeps them). */
    if (run(h, "UPDATE veille_feeds SET last_content_ms = ?3 WHERE id = ?1", feed, 0, now) != 0)
        return -1;
    return fresh;
}
