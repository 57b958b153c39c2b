/* notify: delivers the notifications of concertd (échéance reminders and
 * any other event) by e-mail or webhook, to whoever subscribed to them.
 * See notify.h for how a message goes from an event to the outbox and out,
 * message.h for what it says, proto/PROTOCOL.md ("notify") for the ops. */
#define _GNU_SOURCE /* strcasestr */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "figures.h"
#include "message.h"
#include "notify.h"

const cd_host_api *api;
notify_config notify_cfg;
static cd_host *host;

static const char *const migrations[] = {
    "CREATE TABLE notify_subscriptions("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT,"                                   /* NULL: every region */
    "  channel TEXT NOT NULL CHECK(channel IN ('email', 'webhook')),"
    "  address TEXT NOT NULL,"
    "  events TEXT NOT NULL,"                          /* patterns, ", "-separated: echeance.*, adhesion.decided */
    "  responsible TEXT,"                              /* only actions whose responsible contains it */
    "  lang TEXT NOT NULL DEFAULT 'fr',"
    "  cadence TEXT NOT NULL DEFAULT 'immediate' CHECK(cadence IN ('immediate', 'daily', 'weekly')),"
    "  at TEXT NOT NULL DEFAULT '08:00',"               /* local time of a digest */
    "  weekday INTEGER NOT NULL DEFAULT 1,"            /* of a weekly digest, 1 = Monday */
    "  last_digest_ms INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE notify_digest_items("
    "  id INTEGER PRIMARY KEY,"
    "  subscription INTEGER NOT NULL, region TEXT NOT NULL, dedupe_key TEXT NOT NULL,"
    "  line TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    "  UNIQUE(subscription, dedupe_key));"
    "CREATE TABLE notify_outbox("
    "  id INTEGER PRIMARY KEY,"
    "  subscription INTEGER NOT NULL,"
    "  region TEXT NOT NULL,"                          /* of the event, for notify.failed */
    "  dedupe_key TEXT NOT NULL,"
    "  channel TEXT NOT NULL, address TEXT NOT NULL,"
    "  subject TEXT, body TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'waiting',"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_ms INTEGER NOT NULL, last_error TEXT,"
    "  created_ms INTEGER NOT NULL, sent_ms INTEGER,"
    "  UNIQUE(subscription, dedupe_key));"
    "CREATE INDEX notify_outbox_due ON notify_outbox(next_attempt_ms) WHERE state = 'waiting';"
    "CREATE INDEX notify_outbox_recipient ON notify_outbox(address, state);",
};

/* ---- configuration -------------------------------------------------------- */

static void setting(cd_host *h, const char *key, const char *dflt, char *out, size_t cap)
{
    const char *v = api->config(h, NULL, key);
    snprintf(out, cap, "%s", v ? v : dflt);
}

static int number(cd_host *h, const char *key, int dflt, int min, int max, int *out)
{
    const char *v = api->config(h, NULL, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < min || n > max) {
        api->log(h, CD_LOG_ERROR, "[plugin.notify] %s = %s: un nombre entre %d et %d est attendu", key, v, min, max);
        return -1;
    }
    *out = (int)n;
    return 0;
}

int notify_config_load(cd_host *h)
{
    notify_config *c = &notify_cfg;
    setting(h, "smtp_url", "smtp://127.0.0.1:25", c->smtp_url, sizeof c->smtp_url);
    setting(h, "smtp_user", "", c->smtp_user, sizeof c->smtp_user);
    setting(h, "smtp_password", "", c->smtp_password, sizeof c->smtp_password);
    setting(h, "tls", "try", c->tls, sizeof c->tls);
    setting(h, "from", "concertd <concertd@localhost>", c->from, sizeof c->from);
    setting(h, "templates_dir", "", c->templates, sizeof c->templates);
    setting(h, "ca_file", "", c->ca_file, sizeof c->ca_file);
    int pump_ms = 0;
    if (number(h, "max_attempts", 8, 1, 1000, &c->max_attempts) || number(h, "retry_base", 30, 1, 86400, &c->retry_base_s) ||
        number(h, "retry_max", 3600, 1, 7 * 86400, &c->retry_max_s) || number(h, "timeout", 30, 1, 600, &c->timeout_s) ||
        number(h, "max_in_flight", 4, 1, 64, &c->max_in_flight) || number(h, "pump_ms", 1000, 10, 600000, &pump_ms) ||
        number(h, "rate_per_hour", 30, 1, 100000, &c->rate_per_hour))
        return -1;
    c->pump_ms = pump_ms;
    if (strcmp(c->tls, "none") && strcmp(c->tls, "try") && strcmp(c->tls, "required")) {
        api->log(h, CD_LOG_ERROR, "[plugin.notify] tls = %s: none, try ou required", c->tls);
        return -1;
    }
    if (strncmp(c->smtp_url, "smtp://", 7) && strncmp(c->smtp_url, "smtps://", 8)) {
        api->log(h, CD_LOG_ERROR, "[plugin.notify] smtp_url = %s: smtp://hôte:port ou smtps://hôte:port", c->smtp_url);
        return -1;
    }
    return 0;
}

/* ---- event → outbox --------------------------------------------------------- */

/* JSON of a msgpack object (webhook bodies). */
static void json_of(const msgpack_object *o, msgpack_sbuffer *out)
{
    char buf[64];
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: msgpack_sbuffer_write(out, "null", 4); break;
    case MSGPACK_OBJECT_BOOLEAN: msgpack_sbuffer_write(out, o->via.boolean ? "true" : "false", o->via.boolean ? 4 : 5); break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->via.u64);
        msgpack_sbuffer_write(out, buf, strlen(buf));
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)o->via.i64);
        msgpack_sbuffer_write(out, buf, strlen(buf));
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        snprintf(buf, sizeof buf, "%.17g", o->via.f64);
        msgpack_sbuffer_write(out, buf, strlen(buf));
        break;
    case MSGPACK_OBJECT_STR: {
        msgpack_sbuffer_write(out, "\"", 1);
        for (uint32_t i = 0; i < o->via.str.size; i++) {
            unsigned char c = (unsigned char)o->via.str.ptr[i];
            if (c == '"' || c == '\\') {
                char e[2] = {'\\', (char)c};
                msgpack_sbuffer_write(out, e, 2);
            } else if (c < 0x20) {
                snprintf(buf, sizeof buf, "\\u%04x", c);
                msgpack_sbuffer_write(out, buf, 6);
            } else {
                msgpack_sbuffer_write(out, (const char *)&c, 1);
            }
        }
        msgpack_sbuffer_write(out, "\"", 1);
        break;
    }
    case MSGPACK_OBJECT_ARRAY:
        msgpack_sbuffer_write(out, "[", 1);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                msgpack_sbuffer_write(out, ",", 1);
            json_of(&o->via.array.ptr[i], out);
        }
        msgpack_sbuffer_write(out, "]", 1);
        break;
    case MSGPACK_OBJECT_MAP:
        msgpack_sbuffer_write(out, "{", 1);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            if (i)
                msgpack_sbuffer_write(out, ",", 1);
            json_of(&o->via.map.ptr[i].key, out);
            msgpack_sbuffer_write(out, ":", 1);
            json_of(&o->via.map.ptr[i].val, out);
        }
        msgpack_sbuffer_write(out, "}", 1);
        break;
    default: msgpack_sbuffer_write(out, "null", 4); break;
    }
}

static bool matches(const char *patterns, const char *type)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", patterns);
    for (char *save = NULL, *p = strtok_r(copy, ", ", &save); p; p = strtok_r(NULL, ", ", &save))
        if (fnmatch(p, type, 0) == 0)
            return true;
    return false;
}

/* The same reminder twice is one message: reminders are keyed by what they
 * remind (action, window, horizon), other events by (origin, seq). */
static void dedupe_key(const msgpack_object *event, const char *type, char *out, size_t cap)
{
    const msgpack_object *d = cd_get(event, "data");
    if (strncmp(type, "echeance.", 9) == 0) {
        char end[16], horizon[16] = "";
        cd_str(cd_get(cd_get(d, "window"), "end"), end, sizeof end);
        const msgpack_object *hz = cd_get(d, "horizon_days");
        if (hz && hz->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            snprintf(horizon, sizeof horizon, "%llu", (unsigned long long)hz->via.u64);
        snprintf(out, cap, "%s:%lld:%s:%s", type, (long long)cd_int(cd_get(cd_get(d, "action"), "id"), 0), end, horizon);
        return;
    }
    char origin[64];
    cd_str(cd_get(event, "origin"), origin, sizeof origin);
    if (strncmp(type, "federation.", 11) == 0) { /* one message per peer and silence */
        char peer[64];
        cd_str(cd_get(d, "peer"), peer, sizeof peer);
        snprintf(out, cap, "%s:%s:%lld", type, peer, (long long)cd_int(cd_get(d, "since_ms"), 0));
        return;
    }
    snprintf(out, cap, "%s:%lld", origin, (long long)cd_int(cd_get(event, "seq"), 0));
}


/* Every event asks who subscribed in its region: the statement is
 * prepared once (at the first event, under this plugin's authorizer),
 * reset after each use and finalized at fini — compiling it for each event
 * cost the loop a third of its time under a stream of records
 * (tools/PERFORMANCE.md). on_event is never re-entered while it steps it. */
static sqlite3_stmt *subscribers;

static int on_event(cd_host *h, const msgpack_object *event, void *data)
{
    (void)data;
    char region[64], type[64], responsible[512];
    cd_str(cd_get(event, "region"), region, sizeof region);
    cd_str(cd_get(event, "type"), type, sizeof type);
    if (strlen(type) > 7 && memcmp(type, "notify.", 7) == 0)
        return 0; /* never a message about messages */
    const msgpack_object *d = cd_get(event, "data"), *action = cd_get(d, "action");
    cd_str(cd_get(action && action->type == MSGPACK_OBJECT_MAP ? action : d, "responsible"), responsible,
           sizeof responsible);
    if (!subscribers && sqlite3_prepare_v3(api->db(h), "SELECT id, channel, address, events, responsible, lang, cadence"
                                                       " FROM notify_subscriptions"
                                                       " WHERE region IS NULL OR region = ? ORDER BY id",
                                           -1, SQLITE_PREPARE_PERSISTENT, &subscribers, NULL) != SQLITE_OK)
        return -1;
    sqlite3_stmt *st = subscribers;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_TRANSIENT);
    char key[256], name[256] = "";
    dedupe_key(event, type, key, sizeof key);
    int rc = 0;
    bool named = false;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *channel = (const char *)sqlite3_column_text(st, 1), *address = (const char *)sqlite3_column_text(st, 2);
        const char *who = (const char *)sqlite3_column_text(st, 4), *lang = (const char *)sqlite3_column_text(st, 5);
        if (!matches((const char *)sqlite3_column_text(st, 3), type) || (who && !strcasestr(responsible, who)))
            continue;
        char *subject, *body;
        if (!named) { /* asked once, for the first subscriber the event is for */
            region_name(h, region, name, sizeof name);
            named = true;
        }
        if (message_render(event, lang, name, &subject, &body) != 0) {
            rc = -1;
            break;
        }
        /* A reminder is about a date: it never waits for a digest. */
        bool reminder = strncmp(type, "echeance.", 9) == 0;
        if (!reminder && strcmp((const char *)sqlite3_column_text(st, 6), "immediate") != 0) {
            rc = digest_add(h, sqlite3_column_int64(st, 0), region, key, subject);
        } else if (strcmp(channel, "webhook") == 0) {
            /* The event itself, with the words a person would read. */
            msgpack_sbuffer json;
            msgpack_sbuffer_init(&json);
            msgpack_sbuffer_write(&json, "{\"subject\":", 11);
            msgpack_object s = {.type = MSGPACK_OBJECT_STR, .via.str = {(uint32_t)strlen(subject), subject}};
            json_of(&s, &json);
            msgpack_sbuffer_write(&json, ",\"text\":", 8);
            msgpack_object b = {.type = MSGPACK_OBJECT_STR, .via.str = {(uint32_t)strlen(body), body}};
            json_of(&b, &json);
            msgpack_sbuffer_write(&json, ",\"event\":", 9);
            json_of(event, &json);
            msgpack_sbuffer_write(&json, "}", 2); /* with the NUL */
            rc = outbox_add(h, sqlite3_column_int64(st, 0), region, key, channel, address, subject, json.data);
            msgpack_sbuffer_destroy(&json);
        } else {
            rc = outbox_add(h, sqlite3_column_int64(st, 0), region, key, channel, address, subject, body);
        }
        free(subject);
        free(body);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* ---- ops -------------------------------------------------------------------- */

static bool email_valid(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@') || strlen(s) > 254)
        return false;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || *p == '<' || *p == '>' || *p == ',' || *p == ';' || (unsigned char)*p < 0x20)
            return false;
    return true;
}

static bool url_valid(const char *s)
{
    if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20)
            return false;
    return strlen(s) < 2048;
}

static int pack_subscriptions(cd_host *h, msgpack_packer *pk, int64_t only)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "SELECT id, region, channel, address, events, responsible, lang, created_ms,"
                                       " cadence, at, weekday FROM notify_subscriptions WHERE ?1 = 0 OR id = ?1 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, only);
    msgpack_sbuffer rows;
    msgpack_sbuffer_init(&rows);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
    uint32_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        msgpack_pack_map(&rp, 11);
        for (int i = 0; i < 11; i++) {
            const char *name = sqlite3_column_name(st, i);
            msgpack_pack_str_with_body(&rp, name, strlen(name));
            if (sqlite3_column_type(st, i) == SQLITE_NULL) {
                msgpack_pack_nil(&rp);
            } else if (sqlite3_column_type(st, i) == SQLITE_INTEGER) {
                msgpack_pack_int64(&rp, sqlite3_column_int64(st, i));
            } else if (i == 4) { /* events: a list */
                char copy[1024];
                snprintf(copy, sizeof copy, "%s", (const char *)sqlite3_column_text(st, i));
                char *items[64];
                int k = 0;
                for (char *save = NULL, *p = strtok_r(copy, ", ", &save); p && k < 64; p = strtok_r(NULL, ", ", &save))
                    items[k++] = p;
                msgpack_pack_array(&rp, (size_t)k);
                for (int j = 0; j < k; j++)
                    msgpack_pack_str_with_body(&rp, items[j], strlen(items[j]));
            } else {
                const char *v = (const char *)sqlite3_column_text(st, i);
                msgpack_pack_str_with_body(&rp, v, strlen(v));
            }
        }
        n++;
    }
    sqlite3_finalize(st);
    if (only) {
        if (n == 1)
            cd_pack_raw(pk, rows.data, rows.size); /* raw: the one map */
    } else {
        msgpack_pack_array(pk, n);
        cd_pack_raw(pk, rows.data, rows.size);
    }
    msgpack_sbuffer_destroy(&rows);
    return only && n != 1 ? 1 : 0;
}

/* Binds texts to ?1…?n. */
static void bind_texts(sqlite3_stmt *st, const char *const *texts, int n)
{
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_STATIC);
}

static int subscribe_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req), *events = cd_get(args, "events");
    char address[2048], region[64], responsible[256], lang[8], channel[16], list[1024] = "", cadence[16], at[16];
    cd_str(cd_get(args, "cadence"), cadence, sizeof cadence);
    cd_str(cd_get(args, "at"), at, sizeof at);
    int64_t weekday = cd_int(cd_get(args, "weekday"), 1);
    if (!cadence[0])
        snprintf(cadence, sizeof cadence, "immediate");
    if (!at[0])
        snprintf(at, sizeof at, "08:00");
    int hh, mm;
    char extra;
    if (strcmp(cadence, "immediate") && strcmp(cadence, "daily") && strcmp(cadence, "weekly"))
        return api->req_fail(req, "invalid_argument", "cadence",
                             "cadence: immediate (chaque avis), daily (un résumé par jour) ou weekly (par semaine)");
    if (sscanf(at, "%d:%d%c", &hh, &mm, &extra) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return api->req_fail(req, "invalid_argument", "at", "at: l'heure locale du résumé, HH:MM (ex. 08:00)");
    snprintf(at, sizeof at, "%02d:%02d", hh, mm);
    if (weekday < 1 || weekday > 7)
        return api->req_fail(req, "invalid_argument", "weekday", "weekday: le jour du résumé hebdomadaire, 1 (lundi) à 7");
    cd_str(cd_get(args, "address"), address, sizeof address);
    cd_str(cd_get(args, "region"), region, sizeof region);
    cd_str(cd_get(args, "responsible"), responsible, sizeof responsible);
    cd_str(cd_get(args, "lang"), lang, sizeof lang);
    bool webhook = strncmp(address, "http://", 7) == 0 || strncmp(address, "https://", 8) == 0;
    snprintf(channel, sizeof channel, "%s", webhook ? "webhook" : "email");
    if (!address[0])
        return api->req_fail(req, "invalid_argument", "address",
                             "address: une adresse courriel (coordination@table.org) ou l'URL d'un webhook (https://…)");
    if (webhook ? !url_valid(address) : !email_valid(address))
        return api->req_fail(req, "invalid_argument", "address", "%s n'est ni une adresse courriel ni une URL http(s)",
                             address);
    if (!lang[0])
        snprintf(lang, sizeof lang, "%s", api->req_lang(req));
    if (strcmp(lang, "fr") && strcmp(lang, "en"))
        return api->req_fail(req, "invalid_argument", "lang", "lang: fr ou en");
    if (region[0]) {
        /* The region must exist: region.get says so, in the client's words. */
        msgpack_sbuffer a, out;
        msgpack_sbuffer_init(&a);
        msgpack_sbuffer_init(&out);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "id", 2);
        msgpack_pack_str_with_body(&pk, region, strlen(region));
        char err[512];
        int rc = api->call(h, "region.get", a.data, a.size, &out, err, sizeof err);
        msgpack_sbuffer_destroy(&a);
        msgpack_sbuffer_destroy(&out);
        if (rc != 0)
            return api->req_fail(req, "not_found", "region", "%s", err);
    }
    if (events && events->type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < events->via.array.size; i++) {
            char p[128];
            cd_str(&events->via.array.ptr[i], p, sizeof p);
            if (!p[0] || strpbrk(p, ", /"))
                return api->req_fail(req, "invalid_argument", "events",
                                     "events: des types d'événements ou motifs (echeance.*, adhesion.decided)");
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", p);
        }
    } else if (events && events->type == MSGPACK_OBJECT_STR) {
        /* "echeance.*, action.*" as the command line gives it */
        char copy[1024];
        cd_str(events, copy, sizeof copy);
        for (char *save = NULL, *p = strtok_r(copy, ", ", &save); p; p = strtok_r(NULL, ", ", &save)) {
            if (strchr(p, '/'))
                return api->req_fail(req, "invalid_argument", "events",
                                     "events: des types d'événements ou motifs (echeance.*, adhesion.decided)");
            size_t len = strlen(list);
            if (len + strlen(p) + 3 > sizeof list) /* words separated by spaces: more than the declaration counts */
                return api->req_fail(req, "invalid_argument", "events", "events: 12 motifs au plus");
            snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", p);
        }
    } else if (events && events->type != MSGPACK_OBJECT_NIL) {
        return api->req_fail(req, "bad_request", "events", "events: une liste de motifs");
    }
    if (!list[0])
        snprintf(list, sizeof list, "echeance.*");
    sqlite3_stmt *st;
    /* The same subscription again (a command run twice) changes its settings
     * instead of sending every message twice. */
    if (sqlite3_prepare_v2(api->db(h), "SELECT id FROM notify_subscriptions WHERE region IS nullif(?1,'') AND"
                                       " channel = ?2 AND lower(address) = lower(?3) AND events = ?4 AND"
                                       " responsible IS nullif(?5,'')", -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    bind_texts(st, (const char *[]){region, channel, address, list, responsible}, 5);
    int64_t same = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    const char *sql = same ? "UPDATE notify_subscriptions SET lang = ?6, cadence = ?8, at = ?9, weekday = ?10"
                             " WHERE id = ?11"
                           : "INSERT INTO notify_subscriptions(region, channel, address, events, responsible, lang,"
                             " created_ms, cadence, at, weekday, last_digest_ms)"
                             " VALUES (nullif(?1,''),?2,?3,?4,nullif(?5,''),?6,?7,?8,?9,?10,?7)";
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    bind_texts(st, (const char *[]){region, channel, address, list, responsible}, 5);
    sqlite3_bind_text(st, 6, lang, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, api->now_ms(h));
    sqlite3_bind_text(st, 8, cadence, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, weekday);
    if (same)
        sqlite3_bind_int64(st, 11, same);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    return pack_subscriptions(h, api->req_result(req), same ? same : sqlite3_last_insert_rowid(api->db(h))) ? -1 : 0;
}

static int list_op(cd_req *req, void *data)
{
    return pack_subscriptions(data, api->req_result(req), 0) ? api->req_fail(req, "internal", NULL, "list") : 0;
}

static int unsubscribe_op(cd_req *req, void *data)
{
    cd_host *h = data;
    int64_t id = cd_int(cd_get(api->req_args(req), "id"), 0);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "DELETE FROM notify_subscriptions WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, id);
    sqlite3_step(st);
    sqlite3_finalize(st);
    if (sqlite3_changes(api->db(h)) == 0)
        return api->req_fail(req, "not_found", "id", "aucun abonnement n° %lld (notify.list les donne)", (long long)id);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 1);
    msgpack_pack_str_with_body(pk, "removed", 7);
    msgpack_pack_int64(pk, id);
    return 0;
}

/* ---- load / unload ------------------------------------------------------------ */

/* A message to one person (an applicant hearing back), rendered with a
 * template from what the caller gives; nothing of it goes on the bus. For
 * other plugins, through the host's call(). */
static int send_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req), *d = cd_get(args, "data");
    char address[320], region[64], template[64], lang[8], key[256];
    cd_str(cd_get(args, "address"), address, sizeof address);
    cd_str(cd_get(args, "region"), region, sizeof region);
    cd_str(cd_get(args, "template"), template, sizeof template);
    char name[256];
    region_name(data, region, name, sizeof name);
    cd_str(cd_get(args, "lang"), lang, sizeof lang);
    cd_str(cd_get(args, "key"), key, sizeof key);
    if (!email_valid(address))
        return api->req_fail(req, "invalid_argument", "address", "address: une adresse courriel (nom@domaine.org)");
    if (!template[0] || !region[0] || !key[0])
        return api->req_fail(req, "invalid_argument", !template[0] ? "template" : !region[0] ? "region" : "key",
                             "template, region, key: le modèle, la région, et une clé qui rend l'envoi unique");
    if (d && d->type != MSGPACK_OBJECT_MAP)
        return api->req_fail(req, "invalid_argument", "data", "data: les valeurs du message (une table)");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "type", 4);
    msgpack_pack_str_with_body(&pk, template, strlen(template));
    msgpack_pack_str_with_body(&pk, "region", 6);
    msgpack_pack_str_with_body(&pk, region, strlen(region));
    msgpack_pack_str_with_body(&pk, "data", 4);
    if (d)
        msgpack_pack_object(&pk, *d);
    else
        msgpack_pack_map(&pk, 0);
    msgpack_unpacked event;
    msgpack_unpacked_init(&event);
    char *subject = NULL, *body = NULL;
    int rc = msgpack_unpack_next(&event, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS
                 ? message_render(&event.data, strcmp(lang, "en") == 0 ? "en" : "fr", name, &subject, &body)
                 : -1;
    if (rc == 0)
        rc = outbox_add(h, 0, region, key, "email", address, subject, body);
    int added = rc == 0 ? sqlite3_changes(api->db(h)) : 0;
    free(subject);
    free(body);
    msgpack_unpacked_destroy(&event);
    msgpack_sbuffer_destroy(&buf);
    if (rc != 0)
        return api->req_fail(req, "internal", NULL, "message impossible à préparer");
    msgpack_packer *r = api->req_result(req);
    msgpack_pack_map(r, 1);
    msgpack_pack_str_with_body(r, "queued", 6);
    if (added)
        msgpack_pack_true(r);
    else
        msgpack_pack_false(r); /* the same key was sent already */
    return 0;
}

/* concertd --check-config: the settings, the templates, the authority file. */
static int check(cd_host *h, const cd_host_api *host_api)
{
    api = host_api;
    host = h;
    if (notify_config_load(h) != 0)
        return 1;
    int problems = 0;
    const char *dir = notify_cfg.templates;
    int n = message_load_templates(dir);
    if (n < 0) {
        api->log(h, CD_LOG_ERROR, "[plugin.notify] templates_dir = %s : %s", dir, api->strerror(errno));
        problems++;
    } else if (dir[0] && n == 0) {
        api->log(h, CD_LOG_ERROR, "[plugin.notify] templates_dir = %s : aucun modèle (NOM.fr.txt, NOM.en.txt) dans ce "
                                  "dossier ; sans templates_dir, les textes intégrés servent",
                 dir);
        problems++;
    }
    message_free_templates();
    if (notify_cfg.ca_file[0] && access(notify_cfg.ca_file, R_OK) != 0) {
        api->log(h, CD_LOG_ERROR, "[plugin.notify] ca_file = %s : %s", notify_cfg.ca_file, api->strerror(errno));
        problems++;
    }
    return problems;
}

/* node.status: what waits in the outbox (not delivered yet: waiting for its
 * next attempt or being sent now), what failed, how long the oldest has
 * waited. */
static void figures(cd_host *h, msgpack_packer *pk, void *data)
{
    (void)data;
    cn_pack_sql_figures(api->db(h),
                        "SELECT (SELECT count(*) FROM notify_outbox WHERE state IN ('waiting', 'sending'))"
                        " AS outbox_waiting,"
                        " (SELECT count(*) FROM notify_outbox WHERE state = 'failed') AS outbox_failed,"
                        " (SELECT coalesce((?1 - min(created_ms)) / 1000, 0) FROM notify_outbox"
                        "  WHERE state IN ('waiting', 'sending')) AS outbox_oldest_seconds,"
                        " (SELECT count(*) FROM notify_subscriptions) AS subscriptions",
                        api->now_ms(h), pk);
}

static int init(cd_host *h, const cd_host_api *host_api, void **state)
{
    (void)state;
    api = host_api;
    host = h;
    if (api->set_status)
        api->set_status(h, figures, NULL);
    if (notify_config_load(h) != 0)
        return -1;
    if (message_load_templates(notify_cfg.templates) < 0) {
        api->log(h, CD_LOG_ERROR, "[plugin.notify] templates_dir = %s : %s", notify_cfg.templates, api->strerror(errno));
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        api->log(h, CD_LOG_ERROR, "libcurl: initialisation impossible");
        return -1;
    }
    static const char *const cadences[] = {"immediate", "daily", "weekly", NULL}, *const langs[] = {"fr", "en", NULL};
    static const cd_param subscribe_args[] = {
        {"address", CD_TEXT, .required = 1, .min = 1, .max = 2047, .help_fr = "une adresse courriel ou l'URL d'un webhook",
         .help_en = "an e-mail address or a webhook's URL"},
        {"region", CD_REGION, .help_fr = "la région (toutes sinon)", .help_en = "the region (all otherwise)"},
        {"events", CD_LIST, .max = 12, .item = CD_TEXT, .item_max = 63, .text_max = 1023,
         .help_fr = "types d'événements ou motifs (défaut echeance.*)", .help_en = "event types or patterns (default echeance.*)"},
        {"responsible", CD_TEXT, .max = 255, .help_fr = "seulement ce responsable", .help_en = "only this responsible"},
        {"lang", CD_ENUM, .values = langs, .help_fr = "langue des messages", .help_en = "the messages' language"},
        {"cadence", CD_ENUM, .values = cadences, .help_fr = "chaque avis, ou un résumé par jour ou par semaine",
         .help_en = "each notice, or a daily or weekly digest"},
        {"at", CD_TEXT, .max = 8, .help_fr = "l'heure du résumé, HH:MM (08:00)", .help_en = "the digest's time, HH:MM (08:00)"},
        {"weekday", CD_INT, .min = 1, .max = 7, .help_fr = "le jour du résumé hebdomadaire, 1 (lundi) à 7",
         .help_en = "the weekly digest's day, 1 (Monday) to 7"},
        CD_END};
    static const cd_param id_args[] = {{"id", CD_INT, .min = 0, .max = INT64_MAX, .help_fr = "le numéro", .help_en = "the number"},
                                       CD_END};
    static const cd_param unsubscribe_args[] = {
        {"id", CD_INT, .required = 1, .min = 1, .max = INT64_MAX, .help_fr = "le numéro de l'abonnement",
         .help_en = "the subscription's number"},
        CD_END};
    static const cd_param outbox_args[] = {
        {"state", CD_TEXT, .max = 15, .help_fr = "waiting, sending, sent ou failed", .help_en = "waiting, sending, sent or failed"},
        {"limit", CD_INT, .min = 1, .max = 10000, .help_fr = "combien au plus (100)", .help_en = "how many at most (100)"},
        CD_END};
    static const cd_param no_args[] = {CD_END};
    static const cd_param send_args[] = {
        {"address", CD_TEXT, .required = 1, .max = 319, .help_fr = "l'adresse courriel", .help_en = "the e-mail address"},
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"},
        {"template", CD_TEXT, .required = 1, .min = 1, .max = 63, .help_fr = "le modèle", .help_en = "the template"},
        {"lang", CD_ENUM, .values = langs, .help_fr = "la langue", .help_en = "the language"},
        {"key", CD_TEXT, .required = 1, .min = 1, .max = 255, .help_fr = "une clé qui rend l'envoi unique",
         .help_en = "a key that makes the message unique"},
        {"data", CD_MAP, .max = 64, .help_fr = "les valeurs du message", .help_en = "the message's values"},
        CD_END};
    const cd_op_spec ops[] = {
        {"notify.subscribe", subscribe_op, h, subscribe_args,
         "abonne une adresse courriel ou un webhook à des événements (défaut: echeance.*)",
         "subscribes an e-mail address or a webhook to events (default: echeance.*)"},
        {"notify.list", list_op, h, no_args, "liste les abonnements", "lists the subscriptions"},
        {"notify.unsubscribe", unsubscribe_op, h, unsubscribe_args, "retire un abonnement", "removes a subscription"},
        {"notify.outbox", outbox_list_op, h, outbox_args, "les messages en attente (ou envoyés, en échec) et pourquoi",
         "the messages waiting (or sent, failed) and why"},
        {"notify.retry", outbox_retry_op, h, id_args, "renvoie les messages en échec (ou celui donné)",
         "sends the failed messages (or the one given) again"},
        {"notify.send", send_op, h, send_args, "écrit à une personne (un demandeur d'adhésion) avec un modèle",
         "writes to one person (an applicant) with a template"},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (api->register_op(h, &ops[i]) != 0)
            return -1;
    if (api->migrate(h, migrations, sizeof migrations / sizeof migrations[0]) != 0 ||
        api->subscribe(h, "*", on_event, NULL) != 0 || outbox_start(h, digest_check) != 0)
        return -1;
    return 0;
}

static void fini(void *state)
{
    (void)state;
    sqlite3_finalize(subscribers);
    subscribers = NULL;
    outbox_stop();
    message_free_templates();
    curl_global_cleanup();
}

CD_PLUGIN_CHECKED("notify", "0.1.0", init, fini, check);
