/* adhesion.c: the adhesion plugin — membership of a table: its tables, the
 * policy ops (adhesion.policy_set / adhesion.policy), the daily checks of
 * lapses and of applications waiting for a decision. The workflow is in
 * applications.c, the member count and journal in records.c. */
#include "figures.h"
#include "words.h"
#include "adhesion.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"

static const char *const migrations[] = {
    "CREATE TABLE adhesion_policies("
    "  region TEXT PRIMARY KEY,"
    "  charter TEXT NOT NULL," /* the version in force */
    "  required TEXT,"         /* "\n"-joined: territory, motivation */
    "  renewal_months INTEGER NOT NULL DEFAULT 0,"
    "  indicator INTEGER,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE TABLE adhesion_categories("
    "  region TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,"
    "  decision TEXT NOT NULL," /* board | auto */
    "  indicator INTEGER, position INTEGER NOT NULL,"
    "  PRIMARY KEY(region, id));"
    "CREATE TABLE adhesion_applications("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL, organisation TEXT NOT NULL,"
    "  org_key TEXT NOT NULL," /* the name folded, for duplicates */
    "  category TEXT NOT NULL, territory TEXT,"
    "  contact_name TEXT, contact_email TEXT," /* personal: never on the bus; erased on request */
    "  charter TEXT NOT NULL, motivation TEXT, lang TEXT NOT NULL DEFAULT 'fr',"
    "  state TEXT NOT NULL," /* submitted | needs_info | refused | member | withdrawn | lapsed */
    "  reason TEXT, duplicate_of INTEGER,"
    "  submitted_ms INTEGER NOT NULL, decided_ms INTEGER, member_since_ms INTEGER, renewed_ms INTEGER,"
    "  ended_ms INTEGER, erased_ms INTEGER);"
    "CREATE INDEX adhesion_applications_state ON adhesion_applications(region, state);"
    "CREATE INDEX adhesion_applications_key ON adhesion_applications(region, org_key);"
    "CREATE TABLE adhesion_journal("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL, at_ms INTEGER NOT NULL, what TEXT NOT NULL,"
    "  application INTEGER, detail TEXT);",

    /* 2: when staff were last told of applications waiting for a decision. */
    "CREATE TABLE adhesion_pending_notices(region TEXT PRIMARY KEY, last_ms INTEGER NOT NULL);",
};

/* ---- the policy ------------------------------------------------------------------ */

static int pack_policy(cd_req *req, cd_host *h, const char *region)
{
    policy p;
    int found = policy_get(h, region, &p);
    if (found <= 0)
        return api->req_fail(req, found < 0 ? "internal" : "not_found", "region",
                             "la région %s n'a pas encore de politique d'adhésion (adhesion.policy_set)", region);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT id, name, decision, indicator, (SELECT count(*) FROM adhesion_applications a"
                           "  WHERE a.region = c.region AND a.category = c.id AND a.state = 'member')"
                           " FROM adhesion_categories c WHERE region = ? ORDER BY position",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    msgpack_sbuffer rows;
    msgpack_sbuffer_init(&rows);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
    uint32_t n = 0;
    int64_t members = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        msgpack_pack_map(&rp, 5);
        cd_pack_opt(&rp, "id", (const char *)sqlite3_column_text(st, 0));
        cd_pack_opt(&rp, "name", (const char *)sqlite3_column_text(st, 1));
        cd_pack_opt(&rp, "decision", (const char *)sqlite3_column_text(st, 2));
        cd_pack_str(&rp, "indicator");
        if (sqlite3_column_type(st, 3) == SQLITE_NULL)
            msgpack_pack_nil(&rp);
        else
            msgpack_pack_int64(&rp, sqlite3_column_int64(st, 3));
        cd_pack_str(&rp, "members");
        msgpack_pack_int64(&rp, sqlite3_column_int64(st, 4));
        members += sqlite3_column_int64(st, 4);
        n++;
    }
    sqlite3_finalize(st);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 7);
    cd_pack_opt(pk, "region", region);
    cd_pack_opt(pk, "charter", p.charter);
    cd_pack_str(pk, "required");
    uint32_t nreq = 0;
    for (const char *q = p.required; *q; q += strcspn(q, "\n") + (q[strcspn(q, "\n")] ? 1 : 0))
        nreq++;
    msgpack_pack_array(pk, nreq);
    for (const char *q = p.required; *q; q += strcspn(q, "\n") + (q[strcspn(q, "\n")] ? 1 : 0))
        msgpack_pack_str_with_body(pk, q, strcspn(q, "\n"));
    cd_pack_str(pk, "renewal_months");
    msgpack_pack_int(pk, p.renewal_months);
    cd_pack_str(pk, "indicator");
    if (p.indicator)
        msgpack_pack_int64(pk, p.indicator);
    else
        msgpack_pack_nil(pk);
    cd_pack_str(pk, "members");
    msgpack_pack_int64(pk, members);
    cd_pack_str(pk, "categories");
    msgpack_pack_array(pk, n);
    int rc = cd_pack_raw(pk, rows.data, rows.size);
    msgpack_sbuffer_destroy(&rows);
    return rc;
}

static int exec_region(cd_host *h, const char *sql, const char *region)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* Each category: {id, name, decision: board|auto, indicator?}. Stores them,
 * or fails the request naming the field. */
/* Categories written by a person, one a line: "id ; Nom ; board|auto" (as
 * concertctl sends a file with --categories @categories.txt), as the list
 * of maps store_categories reads. Returns 0, or -1 when a line is not so. */
static int categories_from_text(const msgpack_object *text, msgpack_sbuffer *out, msgpack_unpacked *list)
{
    char *t = strndup(text->via.str.ptr, text->via.str.size);
    if (!t)
        return -1;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    uint32_t n = 0;
    for (const char *p = t; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0))
        n += strspn(p, " \t\r\n") < strcspn(p, "\n") && p[strspn(p, " \t")] != '#';
    msgpack_pack_array(&pk, n);
    int rc = 0;
    for (char *save = NULL, *line = strtok_r(t, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
        line += strspn(line, " \t");
        if (!*line || *line == '\r' || *line == '#')
            continue;
        char *fields[3] = {NULL, NULL, NULL};
        int k = 0;
        for (char *s2 = NULL, *f = strtok_r(line, ";", &s2); f && k < 3; f = strtok_r(NULL, ";", &s2)) {
            f += strspn(f, " \t");
            size_t l = strlen(f);
            while (l && (f[l - 1] == ' ' || f[l - 1] == '\r' || f[l - 1] == '\t'))
                f[--l] = '\0';
            fields[k++] = f;
        }
        if (k != 3) {
            rc = -1;
            break;
        }
        msgpack_pack_map(&pk, 3);
        const char *const keys[] = {"id", "name", "decision"};
        for (int i = 0; i < 3; i++) {
            cd_pack_str(&pk, keys[i]);
            cd_pack_str(&pk, fields[i]);
        }
    }
    free(t);
    if (rc == 0 && msgpack_unpack_next(list, out->data, out->size, NULL) != MSGPACK_UNPACK_SUCCESS)
        rc = -1;
    return rc;
}

static int store_categories(cd_req *req, cd_host *h, const char *region, const msgpack_object *cats)
{
    if (cats && cats->type == MSGPACK_OBJECT_STR) {
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_unpacked list;
        msgpack_unpacked_init(&list);
        int rc = categories_from_text(cats, &buf, &list) == 0
                     ? store_categories(req, h, region, &list.data)
                     : api->req_fail(req, "invalid_argument", "categories",
                                     "categories: une catégorie par ligne, « id ; Nom ; board » (décision du CA) ou"
                                     " « id ; Nom ; auto » (acceptée d'office)");
        msgpack_unpacked_destroy(&list);
        msgpack_sbuffer_destroy(&buf);
        return rc;
    }
    if (!cats || cats->type != MSGPACK_OBJECT_ARRAY || cats->via.array.size == 0)
        return api->req_fail(req, "invalid_argument", "categories",
                             "categories: la liste des catégories de membres ({id, name, decision: board ou auto})");
    if (exec_region(h, "DELETE FROM adhesion_categories WHERE region = ?", region) != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "INSERT INTO adhesion_categories(region, id, name, decision, indicator, position)"
                           " VALUES (?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < cats->via.array.size; i++) {
        const msgpack_object *c = &cats->via.array.ptr[i];
        static const char *const known[] = {"id", "name", "decision", "indicator", NULL};
        const msgpack_object *unknown = cd_unknown_key(c, known);
        if (unknown) {
            rc = api->req_fail(req, "invalid_argument", "categories",
                               "categories[%u] : clé inconnue « %.*s » (acceptées : id, name, decision, indicator)", i,
                               unknown->type == MSGPACK_OBJECT_STR ? (int)cd_utf8_cut(unknown->via.str.ptr,
                                   unknown->via.str.size, 60) : 1,
                               unknown->type == MSGPACK_OBJECT_STR ? unknown->via.str.ptr : "?");
            break;
        }
        char id[64], name[256], decision[16];
        cd_str(cd_get(c, "id"), id, sizeof id);
        cd_str(cd_get(c, "name"), name, sizeof name);
        const msgpack_object *said = cd_get(c, "decision");
        static const char *const decisions[] = {"board", "auto", NULL};
        const char *value = said && said->type == MSGPACK_OBJECT_STR
                                ? cn_word_value(said->via.str.ptr, said->via.str.size, decisions) : NULL;
        snprintf(decision, sizeof decision, "%s", value ? value : ""); /* "CA", "d'office" as well */
        const msgpack_object *ind = cd_get(c, "indicator");
        bool id_ok = id[0] != '\0';
        for (const char *p = id; *p; p++)
            id_ok = id_ok && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_');
        if (!id_ok || !name[0] || (strcmp(decision, "board") != 0 && strcmp(decision, "auto") != 0)) {
            rc = api->req_fail(req, "invalid_argument", "categories",
                               "categories[%u]: id (minuscules, chiffres, -), name, et decision « board » (décision du"
                               " CA) ou « auto » (acceptée d'office)", i);
            break;
        }
        char err[256];
        static const char *const keys[] = {"id"};
        if (ind) {
            msgpack_sbuffer a, out;
            msgpack_sbuffer_init(&a);
            msgpack_sbuffer_init(&out);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
            msgpack_pack_map(&pk, 1);
            cd_pack_str(&pk, keys[0]);
            msgpack_pack_int64(&pk, cd_int(ind, 0));
            int found = api->call(h, "indicator.history", a.data, a.size, &out, err, sizeof err);
            msgpack_sbuffer_destroy(&a);
            msgpack_sbuffer_destroy(&out);
            if (found != 0) {
                rc = api->req_fail(req, "not_found", "categories", "categories[%u].indicator : %s", i, err);
                break;
            }
        }
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, decision, -1, SQLITE_TRANSIENT);
        if (ind)
            sqlite3_bind_int64(st, 5, cd_int(ind, 0));
        else
            sqlite3_bind_null(st, 5);
        sqlite3_bind_int(st, 6, (int)i);
        int step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step == SQLITE_CONSTRAINT)
            rc = api->req_fail(req, "invalid_argument", "categories", "categories: « %s » deux fois", id);
        else if (step != SQLITE_DONE)
            rc = api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    }
    sqlite3_finalize(st);
    if (rc != 0)
        return rc;
    /* A category that still has members or pending applications stays. */
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT DISTINCT category FROM adhesion_applications a WHERE region = ?1"
                           " AND state IN ('submitted', 'needs_info', 'member') AND NOT EXISTS"
                           " (SELECT 1 FROM adhesion_categories c WHERE c.region = ?1 AND c.id = a.category)",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    char orphan[64] = "";
    if (sqlite3_step(st) == SQLITE_ROW)
        column_text(st, 0, orphan, sizeof orphan);
    sqlite3_finalize(st);
    if (orphan[0])
        return api->req_fail(req, "conflict", "categories",
                             "la catégorie « %s » a des membres ou des demandes en cours : elle doit rester", orphan);
    return 0;
}

static int policy_set_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64], charter[64], err[512];
    cd_str(cd_get(args, "region"), region, sizeof region);
    if (cd_refuse_copy(api, h, req, region, "ses adhésions"))
        return -1;
    const msgpack_object *version = cd_get(args, "charter");
    if (version && version->type == MSGPACK_OBJECT_POSITIVE_INTEGER) /* 2024, as concertctl sends it */
        snprintf(charter, sizeof charter, "%llu", (unsigned long long)version->via.u64);
    else if (version && version->type == MSGPACK_OBJECT_STR && version->via.str.size >= sizeof charter)
        return api->req_fail(req, "invalid_argument", "charter", "charter : %zu octets au plus", sizeof charter - 1);
    else
        cd_str(version, charter, sizeof charter);
    static const char *const keys[] = {"id"};
    const char *values[] = {region};
    if (!region[0] || cd_call_check(api, h, "region.get", 1, keys, values, err, sizeof err) != 0)
        return api->req_fail(req, region[0] ? "not_found" : "invalid_argument", "region", "region: %s",
                             region[0] ? err : "la région dont c'est la politique");
    /* Only what is given changes: an argument left out keeps its value, nil
     * (or an empty list of required fields) clears it. A new policy needs its
     * charter and its categories. */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "SELECT 1 FROM adhesion_policies WHERE region = ?", -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    bool exists = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    const msgpack_object *req_fields = cd_get(args, "required"), *renewal = cd_get(args, "renewal_months"),
                         *ind = cd_get(args, "indicator"), *cats = cd_get(args, "categories");
    bool nil_charter = version && version->type == MSGPACK_OBJECT_NIL;
    if ((!exists || version) && !charter[0])
        return api->req_fail(req, "invalid_argument", "charter",
                             nil_charter ? "charter : une politique a toujours une charte en vigueur (« 2024 »)"
                                         : "charter: la version de la charte des valeurs en vigueur (« 2024 »)");
    if (!exists && (!cats || cats->type == MSGPACK_OBJECT_NIL))
        return api->req_fail(req, "invalid_argument", "categories",
                             "categories: la liste des catégories de membres ({id, name, decision: board ou auto})");
    char required[256] = "";
    for (uint32_t i = 0; req_fields && req_fields->type == MSGPACK_OBJECT_ARRAY && i < req_fields->via.array.size; i++) {
        char f[64];
        cd_str(&req_fields->via.array.ptr[i], f, sizeof f);
        if (strcmp(f, "territory") != 0 && strcmp(f, "motivation") != 0)
            return api->req_fail(req, "invalid_argument", "required",
                                 "required: des champs parmi « territory » et « motivation » (le contact l'est toujours)");
        if (strstr(required, f))
            continue; /* said twice */
        size_t used = strlen(required);
        snprintf(required + used, sizeof required - used, "%s%s", used ? "\n" : "", f);
    }
    if (req_fields && req_fields->type != MSGPACK_OBJECT_ARRAY && req_fields->type != MSGPACK_OBJECT_NIL)
        return api->req_fail(req, "invalid_argument", "required", "required: une liste de champs");
    int64_t months = cd_int(renewal, 0);
    if (renewal && renewal->type != MSGPACK_OBJECT_NIL && (renewal->type != MSGPACK_OBJECT_POSITIVE_INTEGER || months > 120))
        return api->req_fail(req, "invalid_argument", "renewal_months",
                             "renewal_months: tous les combien de mois l'adhésion se renouvelle (0 : jamais)");
    if (ind && ind->type != MSGPACK_OBJECT_NIL && cd_int(ind, 0) <= 0)
        return api->req_fail(req, "invalid_argument", "indicator", "indicator: le n° d'un indicateur du plan");
    if (sqlite3_prepare_v2(api->db(h),
                           "INSERT INTO adhesion_policies(region, charter, required, renewal_months, indicator, updated_ms)"
                           " VALUES (?1, ?2, nullif(?3, ''), ?4, ?5, ?6) ON CONFLICT(region) DO UPDATE SET"
                           " charter = CASE WHEN ?7 THEN excluded.charter ELSE charter END,"
                           " required = CASE WHEN ?8 THEN excluded.required ELSE required END,"
                           " renewal_months = CASE WHEN ?9 THEN excluded.renewal_months ELSE renewal_months END,"
                           " indicator = CASE WHEN ?10 THEN excluded.indicator ELSE indicator END,"
                           " updated_ms = excluded.updated_ms",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, charter, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, required, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, months);
    if (ind && ind->type != MSGPACK_OBJECT_NIL)
        sqlite3_bind_int64(st, 5, cd_int(ind, 0));
    sqlite3_bind_int64(st, 6, api->now_ms(h));
    sqlite3_bind_int(st, 7, version != NULL);
    sqlite3_bind_int(st, 8, req_fields != NULL);
    sqlite3_bind_int(st, 9, renewal != NULL);
    sqlite3_bind_int(st, 10, ind != NULL);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    if (cats && cats->type != MSGPACK_OBJECT_NIL && store_categories(req, h, region, cats) != 0)
        return -1;
    if (count_changed(h, region, "politique d'adhésion") != 0)
        return api->req_fail(req, "internal", "indicator", "l'indicateur du nombre de membres n'a pu être mis à jour");
    return pack_policy(req, h, region);
}

static int policy_op(cd_req *req, void *data)
{
    char region[64];
    cd_str(cd_get(api->req_args(req), "region"), region, sizeof region);
    return pack_policy(req, data, region);
}

/* ---- lapses ---------------------------------------------------------------------- */


static int64_t pending_after_ms = 7 * 86400000LL; /* [plugin.adhesion] pending_days */

/* Applications waiting for a decision longer than pending_days: staff hear
 * of it (adhesion.pending: how many, the oldest's age; no person), at most
 * once every pending_days per region. */
static int pending_due(cd_host *h)
{
    int64_t now = api->now_ms(h);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT a.region, count(*), min(a.submitted_ms) FROM adhesion_applications a"
                           " LEFT JOIN adhesion_pending_notices n ON n.region = a.region"
                           " WHERE a.state IN ('submitted', 'needs_info') AND a.submitted_ms <= ?1 - ?2"
                           " AND coalesce(n.last_ms, 0) <= ?1 - ?2 GROUP BY a.region",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, pending_after_ms);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *region = (const char *)sqlite3_column_text(st, 0);
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 2);
        cd_pack_str(&pk, "pending");
        msgpack_pack_int64(&pk, sqlite3_column_int64(st, 1));
        cd_pack_str(&pk, "oldest_days");
        msgpack_pack_int64(&pk, (now - sqlite3_column_int64(st, 2)) / 86400000);
        rc = api->emit(h, region, "adhesion.pending", buf.data, buf.size);
        msgpack_sbuffer_destroy(&buf);
        sqlite3_stmt *up;
        if (rc == 0 && sqlite3_prepare_v2(api->db(h),
                                          "INSERT INTO adhesion_pending_notices(region, last_ms) VALUES (?, ?)"
                                          " ON CONFLICT(region) DO UPDATE SET last_ms = excluded.last_ms",
                                          -1, &up, NULL) == SQLITE_OK) {
            sqlite3_bind_text(up, 1, region, -1, SQLITE_STATIC);
            sqlite3_bind_int64(up, 2, now);
            rc = sqlite3_step(up) == SQLITE_DONE ? 0 : -1;
            sqlite3_finalize(up);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int lapse_tick(cd_host *h, void *data)
{
    (void)data;
    return lapse_due(h) == 0 && pending_due(h) == 0 ? 0 : -1;
}

/* ---- load ------------------------------------------------------------------------ */

/* node.status: applications waiting for a decision, and members. */
static void figures(cd_host *h, msgpack_packer *pk, void *data)
{
    (void)data;
    cn_pack_sql_figures(api->db(h),
                        "SELECT coalesce(sum(state IN ('submitted', 'needs_info')), 0) AS applications_waiting,"
                        " coalesce(sum(state = 'member'), 0) AS members FROM adhesion_applications",
                        api->now_ms(h), pk);
}

static int init(cd_host *h, const cd_host_api *host_api, void **state)
{
    (void)state;
    api = host_api;
    if (api->set_status)
        api->set_status(h, figures, NULL);
    static const char *const fields[] = {"territory", "motivation", NULL};
    static const cd_param set_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région dont c'est la politique", .help_en = "the region"},
        {"charter", CD_TEXT, .min = 1, .max = 63,
         .help_fr = "la version de la charte en vigueur (2024) ; obligatoire la première fois",
         .help_en = "the charter version in force (2024); required the first time"},
        {"categories", CD_LIST, .max = 64, .item = CD_MAP, .text_max = 65536,
         .help_fr = "les catégories [{id, name, decision}], ou un fichier : « id ; Nom ; board » par ligne ; "
                    "obligatoires la première fois",
         .help_en = "the categories [{id, name, decision}], or a file: \"id ; Name ; board\" per line; required "
                    "the first time"},
        {"required", CD_LIST, .max = 2, .item = CD_ENUM, .values = fields,
         .help_fr = "les champs requis en plus du contact (territory, motivation)",
         .help_en = "the fields required beyond the contact (territory, motivation)"},
        {"renewal_months", CD_INT, .min = 0, .max = 120, .help_fr = "tous les combien de mois se renouvelle l'adhésion (0 : jamais)",
         .help_en = "how many months a membership lasts (0: forever)"},
        {"indicator", CD_INT, .min = 1, .max = INT64_MAX, .help_fr = "l'indicateur du plan tenu égal au nombre de membres",
         .help_en = "the plan indicator kept equal to the member count"},
        CD_END};
    static const cd_param region_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"}, CD_END};
    const cd_op_spec ops[] = {
        {"adhesion.policy_set", policy_set_op, h, set_args,
         "la politique d'adhésion d'une région : catégories, charte en vigueur, renouvellement",
         "a region's membership policy: categories, charter in force, renewal"},
        {"adhesion.policy", policy_op, h, region_args, "la politique d'adhésion d'une région et ses membres",
         "a region's membership policy and its members"},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (api->register_op(h, &ops[i]) != 0)
            return -1;
    if (applications_register(h) != 0 || api->migrate(h, migrations, sizeof migrations / sizeof migrations[0]) != 0)
        return -1;
    const char *days = api->config(h, NULL, "pending_days");
    if (days)
        pending_after_ms = strtol(days, NULL, 10) * 86400000LL;
    const char *every = api->config(h, NULL, "check_every_ms");
    long ms = every ? strtol(every, NULL, 10) : 60000;
    return api->timer_start(h, 0, (uint64_t)(ms >= 10 ? ms : 60000), lapse_tick, NULL) ? 0 : -1;
}

CD_PLUGIN("adhesion", "0.1.0", init, NULL);
