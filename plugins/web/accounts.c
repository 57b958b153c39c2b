/* accounts.c: the staff of each region — their accounts (web_accounts:
 * the e-mail, the role "coordination" or "lecture", a password hashed
 * with libsodium's crypto_pwhash_str, argon2id, by whoever creates the
 * account: concertctl hashes it, so no password crosses the bus) and their
 * sessions (web_sessions: the SHA-256 of the cookie's random value, never
 * the value; a CSRF token; eight hours). Ops web.user_add, web.user_list,
 * web.user_remove. */
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>
#include <sodium.h>

#include "shared.h"

#define SESSION_MS (8 * 3600 * 1000LL)

static const char *const migrations[] = {
    "CREATE TABLE web_accounts("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL, email TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK(role IN ('coordination', 'lecture')),"
    "  hash TEXT NOT NULL," /* crypto_pwhash_str (argon2id) */
    "  created_ms INTEGER NOT NULL,"
    "  UNIQUE(region, email));"
    "CREATE TABLE web_sessions("
    "  token TEXT PRIMARY KEY," /* SHA-256 of the cookie's value */
    "  account INTEGER NOT NULL REFERENCES web_accounts(id) ON DELETE CASCADE,"
    "  csrf TEXT NOT NULL, expires_ms INTEGER NOT NULL);",
};

static void sha256_hex(const char *s, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(out, 65, h, sizeof h);
}

static void random_hex(char *out, size_t bytes)
{
    unsigned char r[32];
    randombytes_buf(r, bytes);
    sodium_bin2hex(out, 2 * bytes + 1, r, bytes);
}

bool staff_of(web_req *rq)
{
    const char *cookie = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, "concertd_session");
    if (!cookie || strlen(cookie) != 64)
        return false;
    char token[65];
    sha256_hex(cookie, token);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(rq->h),
                           "SELECT a.region, a.email, a.role, s.csrf FROM web_sessions s JOIN web_accounts a"
                           " ON a.id = s.account WHERE s.token = ? AND s.expires_ms > ?",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, api->now_ms(rq->h));
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        snprintf(rq->staff.region, sizeof rq->staff.region, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(rq->staff.email, sizeof rq->staff.email, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(rq->staff.role, sizeof rq->staff.role, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(rq->staff.csrf, sizeof rq->staff.csrf, "%s", (const char *)sqlite3_column_text(st, 3));
        snprintf(rq->staff.actor, sizeof rq->staff.actor, "web:%s", rq->staff.email);
    }
    sqlite3_finalize(st);
    return found;
}

bool staff_may_change(const web_req *rq, const char *region)
{
    return rq->staff.email[0] && strcmp(rq->staff.role, "coordination") == 0 && strcmp(rq->staff.region, region) == 0 &&
           !api->region_origin(rq->h, region);
}

int session_open(web_req *rq, int64_t account, char cookie_value[65])
{
    char token[65], csrf[65];
    random_hex(cookie_value, 32);
    random_hex(csrf, 32);
    sha256_hex(cookie_value, token);
    sqlite3 *db = api->db(rq->h);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO web_sessions(token, account, csrf, expires_ms) VALUES (?, ?, ?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, account);
    sqlite3_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, api->now_ms(rq->h) + SESSION_MS);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    /* Expired sessions go while we are here. */
    sqlite3_exec(db, "DELETE FROM web_sessions WHERE expires_ms < strftime('%s','now') * 1000", NULL, NULL, NULL);
    return rc;
}

int session_close(web_req *rq)
{
    const char *cookie = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, "concertd_session");
    if (!cookie)
        return 0;
    char token[65];
    sha256_hex(cookie, token);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(rq->h), "DELETE FROM web_sessions WHERE token = ?", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int account_find(web_req *rq, const char *region, const char *email, int64_t *id, char *hash, size_t cap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(rq->h), "SELECT id, hash FROM web_accounts WHERE region = ? AND email = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        *id = sqlite3_column_int64(st, 0);
        snprintf(hash, cap, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return found;
}

/* ---- ops ---------------------------------------------------------------------- */

static int arg(cd_req *req, const char *key, char *out, size_t cap)
{
    const msgpack_object *o = cd_get(api->req_args(req), key);
    if (!o || o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 || o->via.str.size >= cap)
        return -1;
    cd_str(o, out, cap);
    return 0;
}

static int user_add(cd_req *req, void *data)
{
    cd_host *h = data;
    char region[64], email[128], role[16], hash[256], err[512];
    if (arg(req, "region", region, sizeof region))
        return api->req_fail(req, "invalid_argument", "region", "region : la région dont la personne fait partie");
    if (arg(req, "email", email, sizeof email) || !strchr(email, '@') || strpbrk(email, " <>\"'"))
        return api->req_fail(req, "invalid_argument", "email", "email : le courriel de la personne (nom@domaine)");
    if (arg(req, "role", role, sizeof role) || (strcmp(role, "coordination") != 0 && strcmp(role, "lecture") != 0))
        return api->req_fail(req, "invalid_argument", "role", "role : coordination (peut modifier) ou lecture");
    if (arg(req, "password_hash", hash, sizeof hash) || strncmp(hash, "$argon2id$", 10) != 0)
        return api->req_fail(req, "invalid_argument", "password_hash",
                             "password_hash : le mot de passe haché par crypto_pwhash_str (concertctl web user add "
                             "le fait)");
    static const char *const keys[] = {"id"};
    const char *values[] = {region};
    if (cd_call_check(api, h, "region.get", 1, keys, values, err, sizeof err) != 0)
        return api->req_fail(req, "not_found", "region", "%s", err);
    if (cd_refuse_copy(api, h, req, region, "ses comptes"))
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "INSERT INTO web_accounts(region, email, role, hash, created_ms)"
                                       " VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, api->now_ms(h));
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return api->req_fail(req, "conflict", "email", "%s a déjà un compte pour %s (web.user_remove d'abord)", email,
                             region);
    if (rc != SQLITE_DONE)
        return api->req_fail(req, "unavailable", NULL, "compte non enregistré : %s", sqlite3_errmsg(api->db(h)));
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 3);
    cd_pack_str(pk, "region");
    cd_pack_str(pk, region);
    cd_pack_str(pk, "email");
    cd_pack_str(pk, email);
    cd_pack_str(pk, "role");
    cd_pack_str(pk, role);
    return 0;
}

static int user_list(cd_req *req, void *data)
{
    cd_host *h = data;
    char region[64] = "";
    arg(req, "region", region, sizeof region);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "SELECT region, email, role, created_ms FROM web_accounts"
                                       " WHERE ?1 = '' OR region = ?1 ORDER BY region, email", -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int rc = cd_pack_rows(api->req_result(req), st);
    sqlite3_finalize(st);
    return rc == 0 ? 0 : api->req_fail(req, "internal", NULL, "liste des comptes");
}

static int user_remove(cd_req *req, void *data)
{
    cd_host *h = data;
    char region[64], email[128];
    if (arg(req, "region", region, sizeof region) || arg(req, "email", email, sizeof email))
        return api->req_fail(req, "invalid_argument", "email", "region et email : le compte à retirer");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "DELETE FROM web_accounts WHERE region = ? AND email = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return api->req_fail(req, "unavailable", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (sqlite3_changes(api->db(h)) == 0)
        return api->req_fail(req, "not_found", "email", "aucun compte %s pour %s", email, region);
    msgpack_pack_true(api->req_result(req));
    return 0;
}

int accounts_init(cd_host *h)
{
    static const char *const roles[] = {"coordination", "lecture", NULL};
    static const cd_param add_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région dont la personne fait partie",
         .help_en = "the region the person belongs to"},
        {"email", CD_TEXT, .required = 1, .min = 3, .max = 127, .help_fr = "son courriel", .help_en = "their e-mail"},
        {"role", CD_ENUM, .required = 1, .values = roles, .help_fr = "coordination (peut modifier) ou lecture",
         .help_en = "coordination (may change) or lecture (reads)"},
        {"password_hash", CD_TEXT, .required = 1, .min = 10, .max = 255,
         .help_fr = "le mot de passe haché (crypto_pwhash_str ; concertctl web user add le fait)",
         .help_en = "the hashed password (crypto_pwhash_str; concertctl web user add does it)"},
        CD_END};
    static const cd_param list_args[] = {
        {"region", CD_REGION, .help_fr = "la région (toutes sinon)", .help_en = "the region (all otherwise)"}, CD_END};
    static const cd_param remove_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région du compte", .help_en = "the account's region"},
        {"email", CD_TEXT, .required = 1, .min = 1, .max = 127, .help_fr = "son courriel", .help_en = "their e-mail"},
        CD_END};
    const cd_op_spec ops[] = {
        {"web.user_add", user_add, h, add_args, "ouvre un compte du personnel (mot de passe déjà haché)",
         "opens a staff account (password already hashed)"},
        {"web.user_list", user_list, h, list_args, "les comptes du personnel", "the staff accounts"},
        {"web.user_remove", user_remove, h, remove_args, "ferme un compte du personnel", "closes a staff account"},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (api->register_op(h, &ops[i]) != 0)
            return -1;
    return api->migrate(h, migrations, sizeof migrations / sizeof migrations[0]);
}
