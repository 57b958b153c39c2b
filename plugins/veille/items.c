/* items.c: what a region sees of the veille — its keyword rules
 * (veille.rule_add / rules / rule_remove), the items (veille.items, by
 * tag, rule, objective, action, date, read or not) and their marks
 * (veille.mark: read, shared). A rule holds terms "all of", "any of" and
 * "none of", compared with accents and case folded on word boundaries;
 * a match tags the item and links it to the plan's objectives and actions. */
#define _GNU_SOURCE /* timegm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fold.h"
#include "veille.h"

typedef struct {
    char name[256], all_of[2048], any_of[2048], none_of[2048], tags[1024], objectives[512], actions[512];
} rule;

/* Whether folded holds every term of all (when any), one of any (when any)
 * and none of none. */
static bool terms_match(const char *folded, const char *all, const char *any, const char *none)
{
    char copy[2048];
    snprintf(copy, sizeof copy, "%s", all);
    for (char *save = NULL, *t = strtok_r(copy, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
        if (!cn_fold_has(folded, t))
            return false;
    if (*any) {
        bool one = false;
        snprintf(copy, sizeof copy, "%s", any);
        for (char *save = NULL, *t = strtok_r(copy, "\n", &save); t && !one; t = strtok_r(NULL, "\n", &save))
            one = cn_fold_has(folded, t);
        if (!one)
            return false;
    }
    snprintf(copy, sizeof copy, "%s", none);
    for (char *save = NULL, *t = strtok_r(copy, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
        if (cn_fold_has(folded, t))
            return false;
    return true;
}

/* Adds each line of add to the "\n"-joined set in set (no duplicates). */
static void merge(char *set, size_t cap, const char *add)
{
    char copy[2048];
    snprintf(copy, sizeof copy, "%s", add ? add : "");
    for (char *save = NULL, *t = strtok_r(copy, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
        bool known = false;
        size_t tl = strlen(t);
        for (const char *p = set; *p && !known;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            known = len == tl && strncmp(p, t, tl) == 0;
            p += len + (nl ? 1 : 0);
        }
        size_t used = strlen(set);
        if (!known && used + tl + 2 < cap)
            snprintf(set + used, cap - used, "%s%s", used ? "\n" : "", t);
    }
}

static void col(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", v ? (const char *)v : "");
}

static void read_rule(sqlite3_stmt *st, int first, rule *r)
{
    col(st, first, r->name, sizeof r->name);
    col(st, first + 1, r->all_of, sizeof r->all_of);
    col(st, first + 2, r->any_of, sizeof r->any_of);
    col(st, first + 3, r->none_of, sizeof r->none_of);
    col(st, first + 4, r->tags, sizeof r->tags);
    col(st, first + 5, r->objectives, sizeof r->objectives);
    col(st, first + 6, r->actions, sizeof r->actions);
}

static void add_hit(rule_hits *hits, const rule *r)
{
    merge(hits->rules, sizeof hits->rules, r->name);
    merge(hits->tags, sizeof hits->tags, r->tags);
    merge(hits->objectives, sizeof hits->objectives, r->objectives);
    merge(hits->actions, sizeof hits->actions, r->actions);
}

int match_rules(cd_host *h, const char *region, const char *folded, rule_hits *hits)
{
    memset(hits, 0, sizeof *hits);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT name, all_of, any_of, none_of, tags, objectives, actions FROM veille_rules"
                           " WHERE region = ? ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rule r;
        read_rule(st, 0, &r);
        if (terms_match(folded, r.all_of, r.any_of, r.none_of)) {
            add_hit(hits, &r);
            n++;
        }
    }
    sqlite3_finalize(st);
    return n;
}

/* ---- rules ---------------------------------------------------------------------- */

/* Each number of a "\n"-joined list must be an objective (or action) of the
 * region's plan. Returns 0, or the request's failure. */
static int check_plan_numbers(cd_req *req, cd_host *h, const char *region, const char *list, const char *op,
                              const char *field)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *t = strtok_r(copy, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
        static const char *const keys[] = {"region", "number"};
        const char *values[] = {region, t};
        char err[512];
        if (cd_call_check(api, h, op, 2, keys, values, err, sizeof err) != 0)
            return api->req_fail(req, "not_found", field, "%s : %s", field, err);
    }
    return 0;
}

/* Applies rule r (just added) to what the region already has, quietly. */
static int apply_to_known(cd_host *h, const char *region, const rule *r)
{
    sqlite3_stmt *st, *up;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT ri.item, coalesce(i.title, '') || ' ' || coalesce(i.summary, ''), ri.rules, ri.tags,"
                           " ri.objectives, ri.actions FROM veille_region_items ri JOIN veille_items i ON i.id = ri.item"
                           " WHERE ri.region = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE veille_region_items SET matched = 1, rules = ?3, tags = nullif(?4, ''),"
                           " objectives = nullif(?5, ''), actions = nullif(?6, '') WHERE region = ?1 AND item = ?2",
                           -1, &up, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int n = 0;
    while (n >= 0 && sqlite3_step(st) == SQLITE_ROW) {
        char *folded = cn_fold_words((const char *)sqlite3_column_text(st, 1));
        bool hit = folded && terms_match(folded, r->all_of, r->any_of, r->none_of);
        free(folded);
        if (!hit)
            continue;
        rule_hits hits;
        memset(&hits, 0, sizeof hits);
        col(st, 2, hits.rules, sizeof hits.rules);
        col(st, 3, hits.tags, sizeof hits.tags);
        col(st, 4, hits.objectives, sizeof hits.objectives);
        col(st, 5, hits.actions, sizeof hits.actions);
        add_hit(&hits, r);
        sqlite3_bind_text(up, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_int64(up, 2, sqlite3_column_int64(st, 0));
        sqlite3_bind_text(up, 3, hits.rules, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 4, hits.tags, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 5, hits.objectives, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 6, hits.actions, -1, SQLITE_TRANSIENT);
        n = sqlite3_step(up) == SQLITE_DONE ? n + 1 : -1;
        sqlite3_reset(up);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(up);
    return n;
}

static int pack_rules(cd_req *req, cd_host *h, const char *region, int64_t id, int matched)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT id, region, name, all_of, any_of, none_of, tags, objectives, actions FROM veille_rules"
                           " WHERE (?1 = 0 OR id = ?1) AND (?2 = '' OR region = ?2) ORDER BY region, id",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    msgpack_sbuffer rows;
    msgpack_sbuffer_init(&rows);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
    uint32_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rule r;
        read_rule(st, 2, &r);
        msgpack_pack_map(&rp, 9 + (matched >= 0));
        cd_pack_str(&rp, "id");
        msgpack_pack_int64(&rp, sqlite3_column_int64(st, 0));
        cd_pack_opt(&rp, "region", (const char *)sqlite3_column_text(st, 1));
        cd_pack_opt(&rp, "name", r.name);
        const char *const names[] = {"all_of", "any_of", "none_of", "tags", "objectives", "actions"};
        const char *const values[] = {r.all_of, r.any_of, r.none_of, r.tags, r.objectives, r.actions};
        for (int i = 0; i < 6; i++) {
            cd_pack_str(&rp, names[i]);
            pk_list(&rp, values[i]);
        }
        if (matched >= 0) {
            cd_pack_str(&rp, "matched"); /* items already known that it tagged */
            msgpack_pack_int(&rp, matched);
        }
        n++;
    }
    sqlite3_finalize(st);
    msgpack_packer *pk = api->req_result(req);
    if (id) {
        int rc = n ? cd_pack_raw(pk, rows.data, rows.size) : api->req_fail(req, "not_found", "id", "règle inconnue");
        msgpack_sbuffer_destroy(&rows);
        return rc;
    }
    msgpack_pack_array(pk, n);
    int rc = cd_pack_raw(pk, rows.data, rows.size);
    msgpack_sbuffer_destroy(&rows);
    return rc;
}

static int rule_add_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64];
    rule r;
    cd_str(cd_get(args, "region"), region, sizeof region);
    cd_str(cd_get(args, "name"), r.name, sizeof r.name);
    char err[512];
    if (!region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région de la règle");
    if (call_region(h, region, err, sizeof err) != 0)
        return api->req_fail(req, "not_found", "region", "%s", err);
    if (cd_refuse_copy(api, h, req, region, "ses règles de veille"))
        return -1;
    if (!r.name[0])
        return api->req_fail(req, "invalid_argument", "name", "name: le nom de la règle (« Financement »)");
    struct {
        const char *key;
        char *out;
        size_t cap;
    } lists[] = {{"all_of", r.all_of, sizeof r.all_of},         {"any_of", r.any_of, sizeof r.any_of},
                 {"none_of", r.none_of, sizeof r.none_of},      {"tags", r.tags, sizeof r.tags},
                 {"objectives", r.objectives, sizeof r.objectives}, {"actions", r.actions, sizeof r.actions}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (list_arg(cd_get(args, lists[i].key), lists[i].out, lists[i].cap) != 0)
            return api->req_fail(req, "invalid_argument", lists[i].key,
                                 "%s: une liste de termes (tableau, ou texte séparé par des virgules)", lists[i].key);
    if (!r.all_of[0] && !r.any_of[0])
        return api->req_fail(req, "invalid_argument", "any_of",
                             "any_of ou all_of : au moins un terme à chercher (« financement, appel de projets »)");
    char *terms[] = {r.all_of, r.any_of, r.none_of};
    for (int i = 0; i < 3; i++) {
        char copy[2048];
        snprintf(copy, sizeof copy, "%s", terms[i]);
        for (char *save = NULL, *t = strtok_r(copy, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
            char *f = cn_fold_words(t);
            bool empty = !f || strlen(f) <= 2;
            free(f);
            if (empty)
                return api->req_fail(req, "invalid_argument", lists[i].key, "%s: « %s » ne contient aucun mot",
                                     lists[i].key, t);
        }
    }
    if (check_plan_numbers(req, h, region, r.objectives, "objective.get", "objectives") != 0 ||
        check_plan_numbers(req, h, region, r.actions, "action.get", "actions") != 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "INSERT INTO veille_rules(region, name, all_of, any_of, none_of, tags, objectives, actions,"
                           " created_ms) VALUES (?,?,nullif(?,''),nullif(?,''),nullif(?,''),nullif(?,''),nullif(?,''),"
                           "nullif(?,''),?)",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r.name, -1, SQLITE_STATIC);
    for (int i = 0; i < 6; i++)
        sqlite3_bind_text(st, 3 + i, lists[i].out, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, api->now_ms(h));
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step == SQLITE_CONSTRAINT)
        return api->req_fail(req, "conflict", "name", "la région %s a déjà une règle « %s »", region, r.name);
    if (step != SQLITE_DONE)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    int64_t id = sqlite3_last_insert_rowid(api->db(h));
    int matched = apply_to_known(h, region, &r);
    if (matched < 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (matched > 0) {
        digest_dirty(region);
        digest_flush(h);
    }
    return pack_rules(req, h, "", id, matched);
}

static int rules_op(cd_req *req, void *data)
{
    char region[64];
    cd_str(cd_get(api->req_args(req), "region"), region, sizeof region);
    return pack_rules(req, data, region, 0, -1);
}

static int rule_remove_op(cd_req *req, void *data)
{
    cd_host *h = data;
    int64_t id = cd_int(cd_get(api->req_args(req), "id"), 0);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "DELETE FROM veille_rules WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (sqlite3_changes(api->db(h)) == 0)
        return api->req_fail(req, "not_found", "id", "aucune règle n° %lld", (long long)id);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 1);
    cd_pack_str(pk, "removed");
    msgpack_pack_int64(pk, id);
    return 0;
}

/* ---- items ---------------------------------------------------------------------- */

/* A date "YYYY-MM-DD" as ms at 00:00 UTC (end: the next day), or -1. */
static int64_t day_ms(const char *s, bool end)
{
    int y, m, d;
    char extra;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d + (end ? 1 : 0)};
    return (int64_t)timegm(&tm) * 1000;
}

static void pack_source(msgpack_packer *pk, sqlite3_stmt *src, void *ctx)
{
    (void)ctx;
    msgpack_pack_map(pk, 3);
    cd_pack_str(pk, "feed");
    msgpack_pack_int64(pk, sqlite3_column_int64(src, 0));
    cd_pack_opt(pk, "region", (const char *)sqlite3_column_text(src, 1));
    cd_pack_opt(pk, "title", (const char *)sqlite3_column_text(src, 2));
}

static void pack_item(msgpack_packer *pk, sqlite3_stmt *st, void *ctx)
{
    cd_host *h = ctx;
    char when[32];
    msgpack_pack_map(pk, 15);
    cd_pack_str(pk, "id");
    msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
    cd_pack_opt(pk, "title", (const char *)sqlite3_column_text(st, 1));
    cd_pack_opt(pk, "link", (const char *)sqlite3_column_text(st, 2));
    cd_pack_opt(pk, "summary", (const char *)sqlite3_column_text(st, 3));
    iso_time(sqlite3_column_int64(st, 4), when, sizeof when);
    cd_pack_opt(pk, "published", when);
    iso_time(sqlite3_column_int64(st, 5), when, sizeof when);
    cd_pack_opt(pk, "seen", when);
    cd_pack_str(pk, "matched");
    msgpack_pack_int(pk, sqlite3_column_int(st, 6));
    const char *const lists[] = {"rules", "tags", "objectives", "actions"};
    for (int i = 0; i < 4; i++) {
        cd_pack_str(pk, lists[i]);
        pk_list(pk, (const char *)sqlite3_column_text(st, 7 + i));
    }
    cd_pack_str(pk, "read");
    msgpack_pack_int(pk, sqlite3_column_int(st, 11));
    cd_pack_str(pk, "shared");
    msgpack_pack_int(pk, sqlite3_column_int(st, 12));
    cd_pack_opt(pk, "guid", (const char *)sqlite3_column_text(st, 13));
    /* Where it was found: the feeds of this region (and others) that carry it. */
    cd_pack_str(pk, "sources");
    sqlite3_stmt *src;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT f.id, f.region, coalesce(f.title, f.url) FROM veille_sources s"
                           " JOIN veille_feeds f ON f.id = s.feed WHERE s.item = ? ORDER BY s.seen_ms, f.id",
                           -1, &src, NULL) != SQLITE_OK) {
        msgpack_pack_array(pk, 0);
        return;
    }
    sqlite3_bind_int64(src, 1, sqlite3_column_int64(st, 0));
    pack_rows_with(pk, src, pack_source, NULL);
    sqlite3_finalize(src);
}

static int items_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64], tag[256], rule_name[256], objective[64], action[64], from[16], to[16];
    cd_str(cd_get(args, "region"), region, sizeof region);
    cd_str(cd_get(args, "tag"), tag, sizeof tag);
    cd_str(cd_get(args, "rule"), rule_name, sizeof rule_name);
    arg_text(cd_get(args, "objective"), objective, sizeof objective);
    arg_text(cd_get(args, "action"), action, sizeof action);
    cd_str(cd_get(args, "from"), from, sizeof from);
    cd_str(cd_get(args, "to"), to, sizeof to);
    const msgpack_object *m = cd_get(args, "matched"), *u = cd_get(args, "unread");
    int64_t limit = cd_int(cd_get(args, "limit"), 50);
    char err[512];
    if (!region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région dont on veut la veille");
    if (call_region(h, region, err, sizeof err) != 0)
        return api->req_fail(req, "not_found", "region", "%s", err);
    int64_t from_ms = from[0] ? day_ms(from, false) : 0, to_ms = to[0] ? day_ms(to, true) : INT64_MAX;
    if (from_ms < 0)
        return api->req_fail(req, "invalid_argument", "from", "from: une date AAAA-MM-JJ");
    if (to_ms < 0)
        return api->req_fail(req, "invalid_argument", "to", "to: une date AAAA-MM-JJ");
    if (limit < 1 || limit > 1000)
        return api->req_fail(req, "invalid_argument", "limit", "limit: de 1 à 1000");
    if ((m && m->type != MSGPACK_OBJECT_BOOLEAN) || (u && u->type != MSGPACK_OBJECT_BOOLEAN))
        return api->req_fail(req, "invalid_argument", m && m->type != MSGPACK_OBJECT_BOOLEAN ? "matched" : "unread",
                             "matched, unread: true ou false");
#define IN_LIST(col, n) "(?" #n " = '' OR instr(char(10) || coalesce(" col ", '') || char(10), char(10) || ?" #n " || char(10)) > 0)"
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT i.id, i.title, i.link, i.summary, i.published_ms, ri.first_seen_ms, ri.matched,"
                           " ri.rules, ri.tags, ri.objectives, ri.actions, ri.read, ri.shared, i.guid"
                           " FROM veille_region_items ri JOIN veille_items i ON i.id = ri.item"
                           " WHERE ri.region = ?1 AND " IN_LIST("ri.tags", 2) " AND " IN_LIST("ri.rules", 3)
                           " AND " IN_LIST("ri.objectives", 4) " AND " IN_LIST("ri.actions", 5)
                           " AND coalesce(i.published_ms, ri.first_seen_ms) >= ?6"
                           " AND coalesce(i.published_ms, ri.first_seen_ms) < ?7"
                           " AND (?8 < 0 OR ri.matched = ?8) AND (?9 < 0 OR ri.read = 1 - ?9)"
                           " ORDER BY coalesce(i.published_ms, ri.first_seen_ms) DESC, i.id DESC LIMIT ?10",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
#undef IN_LIST
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rule_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, objective, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, action, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, from_ms);
    sqlite3_bind_int64(st, 7, to_ms);
    sqlite3_bind_int(st, 8, m ? m->via.boolean : -1);
    sqlite3_bind_int(st, 9, u ? u->via.boolean : -1);
    sqlite3_bind_int64(st, 10, limit);
    int rc = pack_rows_with(api->req_result(req), st, pack_item, h);
    sqlite3_finalize(st);
    return rc == 0 ? 0 : api->req_fail(req, "internal", NULL, "mémoire insuffisante");
}

static int mark_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64];
    cd_str(cd_get(args, "region"), region, sizeof region);
    int64_t item = cd_int(cd_get(args, "item"), 0);
    const msgpack_object *r = cd_get(args, "read"), *s = cd_get(args, "shared");
    if ((r && r->type != MSGPACK_OBJECT_BOOLEAN) || (s && s->type != MSGPACK_OBJECT_BOOLEAN) || (!r && !s))
        return api->req_fail(req, "invalid_argument", r && r->type != MSGPACK_OBJECT_BOOLEAN ? "read" : "shared",
                             "read, shared: true ou false (au moins l'un des deux)");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE veille_region_items SET read = coalesce(?3, read), shared = coalesce(?4, shared)"
                           " WHERE region = ?1 AND item = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, item);
    if (r)
        sqlite3_bind_int(st, 3, r->via.boolean);
    if (s)
        sqlite3_bind_int(st, 4, s->via.boolean);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (sqlite3_changes(api->db(h)) == 0)
        return api->req_fail(req, "not_found", "item", "la région %s n'a pas d'élément n° %lld", region,
                             (long long)item);
    if (s) { /* shared items are in the region's digest */
        digest_dirty(region);
        digest_flush(h);
    }
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 1);
    cd_pack_str(pk, "item");
    msgpack_pack_int64(pk, item);
    return 0;
}

/* Per objective of the region's plan: how many items its rules linked to
 * it, how many unread, and the newest. */
static int objectives_op(cd_req *req, void *data)
{
    cd_host *h = data;
    char region[64], err[512];
    cd_str(cd_get(api->req_args(req), "region"), region, sizeof region);
    if (!region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région dont on veut la veille");
    msgpack_sbuffer a, out;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    cd_pack_str(&pk, "region");
    cd_pack_str(&pk, region);
    int rc = api->call(h, "objective.list", a.data, a.size, &out, err, sizeof err);
    msgpack_sbuffer_destroy(&a);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&out);
        return api->req_fail(req, "not_found", "region", "%s", err);
    }
    msgpack_unpacked list;
    msgpack_unpacked_init(&list);
    sqlite3_stmt *st = NULL;
    if (msgpack_unpack_next(&list, out.data, out.size, NULL) != MSGPACK_UNPACK_SUCCESS ||
        list.data.type != MSGPACK_OBJECT_ARRAY ||
        sqlite3_prepare_v2(api->db(h),
                           "SELECT count(*), coalesce(sum(1 - ri.read), 0),"
                           " (SELECT i2.title FROM veille_region_items r2 JOIN veille_items i2 ON i2.id = r2.item"
                           "   WHERE r2.region = ?1 AND instr(char(10) || coalesce(r2.objectives, '') || char(10),"
                           "   char(10) || ?2 || char(10)) > 0"
                           "   ORDER BY coalesce(i2.published_ms, r2.first_seen_ms) DESC LIMIT 1)"
                           " FROM veille_region_items ri WHERE ri.region = ?1"
                           " AND instr(char(10) || coalesce(ri.objectives, '') || char(10), char(10) || ?2 || char(10)) > 0",
                           -1, &st, NULL) != SQLITE_OK) {
        msgpack_unpacked_destroy(&list);
        msgpack_sbuffer_destroy(&out);
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    }
    msgpack_packer *r = api->req_result(req);
    msgpack_pack_array(r, list.data.via.array.size);
    for (uint32_t i = 0; i < list.data.via.array.size; i++) {
        const msgpack_object *o = &list.data.via.array.ptr[i];
        char number[64], text[1024];
        cd_str(cd_get(o, "number"), number, sizeof number);
        cd_str(cd_get(o, "text"), text, sizeof text);
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, number, -1, SQLITE_STATIC);
        int64_t items = 0, unread = 0;
        char latest[1024] = "";
        if (sqlite3_step(st) == SQLITE_ROW) {
            items = sqlite3_column_int64(st, 0);
            unread = sqlite3_column_int64(st, 1);
            col(st, 2, latest, sizeof latest);
        }
        sqlite3_reset(st);
        msgpack_pack_map(r, 5);
        cd_pack_opt(r, "objective", number);
        cd_pack_opt(r, "text", text);
        cd_pack_str(r, "items");
        msgpack_pack_int64(r, items);
        cd_pack_str(r, "unread");
        msgpack_pack_int64(r, unread);
        cd_pack_opt(r, "latest", latest);
    }
    sqlite3_finalize(st);
    msgpack_unpacked_destroy(&list);
    msgpack_sbuffer_destroy(&out);
    return 0;
}

int items_register(cd_host *h)
{
#define TERMS(key, fr, en) \
    {key, CD_LIST, .max = 16, .item = CD_TEXT, .item_max = 120, .text_max = 2047, .help_fr = fr, .help_en = en}
#define NUMBERS(key, fr, en) \
    {key, CD_LIST, .max = 16, .item = CD_TEXT, .item_max = 30, .text_max = 511, .help_fr = fr, .help_en = en}
    static const cd_param rule_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région de la règle", .help_en = "the rule's region"},
        {"name", CD_TEXT, .required = 1, .min = 1, .max = 255, .help_fr = "son nom (Financement)", .help_en = "its name (Funding)"},
        TERMS("all_of", "tous ces termes", "all of these terms"),
        TERMS("any_of", "l'un de ces termes", "any of these terms"),
        TERMS("none_of", "aucun de ces termes", "none of these terms"),
        {"tags", CD_LIST, .max = 16, .item = CD_TEXT, .item_max = 60, .text_max = 1023, .help_fr = "les étiquettes qu'elle donne",
         .help_en = "the tags it gives"},
        NUMBERS("objectives", "les objectifs du plan qu'elle relie (5, 2.1)", "the plan's objectives it links (5, 2.1)"),
        NUMBERS("actions", "les actions du plan qu'elle relie", "the plan's actions it links"),
        CD_END};
#undef TERMS
#undef NUMBERS
    static const cd_param region_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"}, CD_END};
    static const cd_param id_args[] = {
        {"id", CD_INT, .required = 1, .min = 1, .max = INT64_MAX, .help_fr = "le numéro de la règle", .help_en = "the rule's number"},
        CD_END};
    static const cd_param items_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"},
        {"tag", CD_TEXT, .max = 255, .help_fr = "avec cette étiquette", .help_en = "with this tag"},
        {"rule", CD_TEXT, .max = 255, .help_fr = "trouvés par cette règle", .help_en = "found by this rule"},
        {"objective", CD_TEXT, .max = 63, .help_fr = "reliés à cet objectif", .help_en = "linked to this objective"},
        {"action", CD_TEXT, .max = 63, .help_fr = "reliés à cette action", .help_en = "linked to this action"},
        {"from", CD_DATE, .help_fr = "depuis ce jour", .help_en = "from this day"},
        {"to", CD_DATE, .help_fr = "jusqu'à ce jour", .help_en = "until this day"},
        {"matched", CD_BOOL, .help_fr = "seulement ceux qu'une règle a retenus", .help_en = "only those a rule kept"},
        {"unread", CD_BOOL, .help_fr = "seulement les non lus", .help_en = "only the unread ones"},
        {"limit", CD_INT, .min = 1, .max = 1000, .help_fr = "combien au plus (50)", .help_en = "how many at most (50)"},
        CD_END};
    static const cd_param mark_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"},
        {"item", CD_INT, .required = 1, .min = 1, .max = INT64_MAX, .help_fr = "le numéro de l'élément", .help_en = "the item's number"},
        {"read", CD_BOOL, .help_fr = "lu", .help_en = "read"},
        {"shared", CD_BOOL, .help_fr = "partagé", .help_en = "shared"},
        CD_END};
    const cd_op_spec ops[] = {
        {"veille.rule_add", rule_add_op, h, rule_args, "ajoute une règle de mots-clés (liée au plan)",
         "adds a keyword rule (linked to the plan)"},
        {"veille.rules", rules_op, h, region_args, "les règles d'une région", "a region's rules"},
        {"veille.rule_remove", rule_remove_op, h, id_args, "retire une règle", "removes a rule"},
        {"veille.items", items_op, h, items_args, "ce que la veille a trouvé (par étiquette, règle, objectif, date)",
         "what the watch found (by tag, rule, objective, date)"},
        {"veille.mark", mark_op, h, mark_args, "marque un élément lu ou partagé", "marks an item read or shared"},
        {"veille.objectives", objectives_op, h, region_args,
         "par objectif du plan : ce que la veille y a relié (nombre, non lus, le plus récent)",
         "per objective of the plan: what the watch linked to it"},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (api->register_op(h, &ops[i]) != 0)
            return -1;
    return 0;
}
