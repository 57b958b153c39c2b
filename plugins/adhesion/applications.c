/* applications.c: the membership workflow.
 *
 *   submitted ──decide accepted──▶ member ──withdraw──▶ withdrawn
 *       │  ▲                         │  ▲
 *       │  └─update── needs_info     │  └──renew── lapsed (the policy renews and time ran out)
 *       └──decide refused──▶ refused └──sign (a new charter version)
 *
 * A category the policy accepts automatically makes a member at once,
 * unless the organisation looks like one already known (same name once
 * accents, case, punctuation and words such as "inc." are folded): then a
 * person decides. Every transition is an event adhesion.* carrying the
 * organisation, never a person; the applicant hears back by e-mail through
 * notify.send. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "adhesion.h"
#include "fold.h"

/* The organisation's name for comparing: folded, without the words every
 * name may carry or drop ("inc.", "ltée", articles). */
static char *org_key(const char *name)
{
    static const char *const common[] = {"inc", "incorporee", "ltee", "limitee", "ltd", "enr", "senc", "cie", "le",
                                         "la",  "les",        "l",    "de",      "du",  "des", "d",    "et",  "the",
                                         "of",  "and",        "au",   "aux",     "a",   NULL};
    char *f = cn_fold_words(name);
    if (!f)
        return NULL;
    char *out = calloc(1, strlen(f) + 1);
    if (!out) {
        free(f);
        return NULL;
    }
    for (char *save = NULL, *w = strtok_r(f, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        bool skip = false;
        for (int i = 0; common[i] && !skip; i++)
            skip = strcmp(w, common[i]) == 0;
        if (!skip)
            sprintf(out + strlen(out), "%s%s", out[0] ? " " : "", w);
    }
    free(f);
    return out;
}

/* ---- events and messages ------------------------------------------------------------ */

typedef struct {
    int64_t id;
    char region[64], organisation[256], category[64], territory[128], state[16], reason[1024], lang[8];
    char contact_name[256], contact_email[320], charter[64];
    int64_t duplicate_of;
} application;

static int load(cd_host *h, int64_t id, application *a)
{
    memset(a, 0, sizeof *a);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT region, organisation, category, territory, state, reason, lang, contact_name,"
                           " contact_email, charter, duplicate_of FROM adhesion_applications WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        a->id = id;
        char *const out[] = {a->region, a->organisation, a->category, a->territory, a->state,
                             a->reason, a->lang,         a->contact_name, a->contact_email, a->charter};
        const size_t caps[] = {sizeof a->region, sizeof a->organisation, sizeof a->category, sizeof a->territory,
                               sizeof a->state,  sizeof a->reason,       sizeof a->lang,     sizeof a->contact_name,
                               sizeof a->contact_email, sizeof a->charter};
        for (int i = 0; i < 10; i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            snprintf(out[i], caps[i], "%s", v ? (const char *)v : "");
        }
        a->duplicate_of = sqlite3_column_int64(st, 10);
    }
    sqlite3_finalize(st);
    return found ? 0 : 1;
}

static int64_t members_of(cd_host *h, const char *region)
{
    sqlite3_stmt *st;
    int64_t n = 0;
    if (sqlite3_prepare_v2(api->db(h), "SELECT count(*) FROM adhesion_applications WHERE region = ? AND state = 'member'",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return n;
}

/* adhesion.<type>: the organisation, its category and territory, the state;
 * no contact, no motivation (Loi 25: they stay in this plugin's tables). */
static int emit(cd_host *h, const application *a, const char *type, const char *decision)
{
    char name[256] = "", dec[16];
    category_get(h, a->region, a->category, name, sizeof name, dec, sizeof dec);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 10);
    cd_pack_str(&pk, "application");
    msgpack_pack_int64(&pk, a->id);
    cd_pack_opt(&pk, "organisation", a->organisation);
    cd_pack_opt(&pk, "category", a->category);
    cd_pack_opt(&pk, "category_name", name);
    cd_pack_opt(&pk, "territory", a->territory);
    cd_pack_opt(&pk, "state", a->state);
    cd_pack_opt(&pk, "decision", decision);
    cd_pack_opt(&pk, "reason", decision && strcmp(decision, "accepted") != 0 ? a->reason : NULL);
    cd_pack_str(&pk, "duplicate_of");
    if (a->duplicate_of)
        msgpack_pack_int64(&pk, a->duplicate_of);
    else
        msgpack_pack_nil(&pk);
    cd_pack_str(&pk, "members");
    msgpack_pack_int64(&pk, members_of(h, a->region));
    int rc = api->emit(h, a->region, type, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* The applicant's own e-mail (template adhesion.<what>), through notify.
 * Without notify loaded, or without an address (erased), nothing is sent
 * and the log says so; the transition stands. */
static void tell_applicant(cd_host *h, const application *a, const char *what, int step)
{
    if (!a->contact_email[0])
        return;
    char name[256] = "", dec[16], template[64], key[128];
    category_get(h, a->region, a->category, name, sizeof name, dec, sizeof dec);
    snprintf(template, sizeof template, "adhesion.%s", what);
    snprintf(key, sizeof key, "adhesion:%lld:%s:%d", (long long)a->id, what, step);
    msgpack_sbuffer args, out;
    msgpack_sbuffer_init(&args);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    cd_pack_opt(&pk, "address", a->contact_email);
    cd_pack_opt(&pk, "region", a->region);
    cd_pack_opt(&pk, "template", template);
    cd_pack_opt(&pk, "lang", a->lang[0] ? a->lang : "fr");
    cd_pack_opt(&pk, "key", key);
    cd_pack_str(&pk, "data");
    msgpack_pack_map(&pk, 5);
    cd_pack_opt(&pk, "organisation", a->organisation);
    cd_pack_opt(&pk, "category_name", name);
    cd_pack_opt(&pk, "reason", a->reason);
    cd_pack_opt(&pk, "name", a->contact_name);
    cd_pack_opt(&pk, "charter", a->charter);
    char err[512];
    if (api->call(h, "notify.send", args.data, args.size, &out, err, sizeof err) != 0)
        api->log(h, CD_LOG_WARN, "demande %lld : le demandeur n'a pas été prévenu (%s) : %s", (long long)a->id, what,
                 err);
    msgpack_sbuffer_destroy(&args);
    msgpack_sbuffer_destroy(&out);
}

/* The application as staff see it (with its contact: an op's answer, not the bus). */
static int pack_application(cd_req *req, cd_host *h, int64_t id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT a.id, a.region, a.organisation, a.category, c.name, a.territory, a.contact_name,"
                           " a.contact_email, a.charter, a.motivation, a.lang, a.state, a.reason, a.duplicate_of,"
                           " a.submitted_ms, a.decided_ms, a.member_since_ms, a.renewed_ms, a.ended_ms, a.erased_ms"
                           " FROM adhesion_applications a LEFT JOIN adhesion_categories c"
                           " ON c.region = a.region AND c.id = a.category WHERE a.id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return api->req_fail(req, "not_found", "id", "aucune demande d'adhésion n° %lld", (long long)id);
    }
    cd_pack_row(api->req_result(req), st);
    sqlite3_finalize(st);
    return 0;
}

/* Runs sql with ?1 the application, ?2 now and ?3 text (when sql names it). */
static int set_state(cd_host *h, int64_t id, const char *sql, const char *text)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, api->now_ms(h));
    if (sqlite3_bind_parameter_count(st) >= 3)
        sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* One transition of a: sql (set_state's parameters), then the event
 * (decision for adhesion.decided), then, when count_why, a measurement of
 * the new member count. a is reloaded. Returns 0 or -1. */
static int transition(cd_host *h, application *a, const char *sql, const char *text, const char *event,
                      const char *decision, const char *count_why)
{
    if (set_state(h, a->id, sql, text) != 0 || load(h, a->id, a) != 0 || emit(h, a, event, decision) != 0)
        return -1;
    return count_why ? count_changed(h, a->region, count_why) : 0;
}

static int submit_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64], msg[1024];
    cd_str(cd_get(args, "region"), region, sizeof region);
    if (cd_refuse_copy(api, h, req, region, "ses adhésions"))
        return -1;
    policy p;
    int has = region[0] ? policy_get(h, region, &p) : 0;
    if (has <= 0)
        return api->req_fail(req, has < 0 ? "internal" : region[0] ? "not_found" : "invalid_argument", "region",
                             region[0] ? "la région %s n'a pas de politique d'adhésion (adhesion.policy_set)"
                                       : "region: la région dont on demande à être membre%s",
                             region);
    form f;
    read_form(args, &f);
    const char *field = NULL, *problem = check_form(h, region, &f, &p, &field, msg, sizeof msg);
    if (problem)
        return api->req_fail(req, "invalid_argument", field, "%s", problem);
    char *key = org_key(f.organisation);
    if (!key)
        return api->req_fail(req, "internal", NULL, "mémoire insuffisante");
    /* The same organisation already known (not refused, not gone)? */
    int64_t duplicate = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT id FROM adhesion_applications WHERE region = ? AND org_key = ?"
                           " AND state IN ('submitted', 'needs_info', 'member', 'lapsed') ORDER BY id LIMIT 1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            duplicate = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    char name[256], decision[16];
    category_get(h, region, f.category, name, sizeof name, decision, sizeof decision);
    bool automatic = strcmp(decision, "auto") == 0 && !duplicate;
    int64_t now = api->now_ms(h);
    if (sqlite3_prepare_v2(api->db(h),
                           "INSERT INTO adhesion_applications(region, organisation, org_key, category, territory,"
                           " contact_name, contact_email, charter, motivation, lang, state, duplicate_of, submitted_ms,"
                           " decided_ms, member_since_ms) VALUES (?,?,?,?,nullif(?,''),?,?,?,nullif(?,''),?,?,"
                           " nullif(?,0),?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        free(key);
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    }
    const char *texts[] = {region, f.organisation, key, f.category, f.territory, f.contact_name, f.contact_email,
                           f.charter, f.motivation, f.lang[0] ? f.lang : "fr", automatic ? "member" : "submitted"};
    for (int i = 0; i < 11; i++)
        sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, duplicate);
    sqlite3_bind_int64(st, 13, now);
    if (automatic) {
        sqlite3_bind_int64(st, 14, now);
        sqlite3_bind_int64(st, 15, now);
    }
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    free(key);
    if (rc != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    int64_t id = sqlite3_last_insert_rowid(api->db(h));
    application a;
    if (load(h, id, &a) != 0 || emit(h, &a, "adhesion.submitted", NULL) != 0)
        return api->req_fail(req, "internal", NULL, "événement adhesion.submitted");
    tell_applicant(h, &a, "received", 0);
    if (automatic) {
        if (emit(h, &a, "adhesion.decided", "accepted") != 0 || count_changed(h, region, "adhésion acceptée d'office"))
            return api->req_fail(req, "internal", NULL, "adhésion acceptée d'office : mise à jour impossible");
        tell_applicant(h, &a, "accepted", 0);
    }
    return pack_application(req, h, id);
}

/* The application args.id, in one of the states given ("a,b"); fails the request otherwise. */
static int load_in(cd_req *req, cd_host *h, application *a, const char *states, const char *doing)
{
    int64_t id = cd_int(cd_get(api->req_args(req), "id"), 0);
    int r = load(h, id, a);
    if (r != 0)
        return api->req_fail(req, r < 0 ? "internal" : "not_found", "id", "aucune demande d'adhésion n° %lld",
                             (long long)id);
    char list[128];
    snprintf(list, sizeof list, ",%s,", states);
    char mine[20];
    snprintf(mine, sizeof mine, ",%s,", a->state);
    if (!strstr(list, mine))
        return api->req_fail(req, "conflict", "id", "la demande %lld de %s est « %s » : on ne peut pas %s",
                             (long long)id, a->organisation, a->state, doing);
    return 0;
}

static int decide_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char decision[16], reason[1024];
    cd_str(cd_get(args, "decision"), decision, sizeof decision);
    cd_str(cd_get(args, "reason"), reason, sizeof reason);
    bool accept = strcmp(decision, "accepted") == 0, refuse = strcmp(decision, "refused") == 0,
         ask = strcmp(decision, "needs_info") == 0;
    if (!accept && !refuse && !ask)
        return api->req_fail(req, "invalid_argument", "decision", "decision: accepted, refused ou needs_info");
    if ((refuse || ask) && !reason[0])
        return api->req_fail(req, "invalid_argument", "reason",
                             refuse ? "reason: pourquoi la demande est refusée (le demandeur le lira)"
                                    : "reason: ce qu'il manque à la demande (le demandeur le lira)");
    application a;
    if (load_in(req, h, &a, "submitted,needs_info", "décider d'une demande déjà tranchée") != 0)
        return -1;
    if (transition(h, &a,
                   accept ? "UPDATE adhesion_applications SET state = 'member', decided_ms = ?2, member_since_ms = ?2,"
                            " reason = nullif(?3, '') WHERE id = ?1"
                   : refuse ? "UPDATE adhesion_applications SET state = 'refused', decided_ms = ?2, ended_ms = ?2,"
                              " reason = ?3 WHERE id = ?1"
                            : "UPDATE adhesion_applications SET state = 'needs_info', reason = ?3 WHERE id = ?1",
                   reason, "adhesion.decided", decision, accept ? "adhésion acceptée" : NULL) != 0)
        return api->req_fail(req, "internal", NULL, "décision impossible à enregistrer");
    tell_applicant(h, &a, accept ? "accepted" : refuse ? "refused" : "needs_info", (int)(api->now_ms(h) % 100000));
    return pack_application(req, h, a.id);
}

/* The applicant completes the application (after needs_info, or before a decision). */
static int update_op(cd_req *req, void *data)
{
    cd_host *h = data;
    application a;
    if (load_in(req, h, &a, "submitted,needs_info", "modifier une demande déjà tranchée") != 0)
        return -1;
    policy p;
    if (policy_get(h, a.region, &p) <= 0)
        return api->req_fail(req, "internal", NULL, "politique introuvable");
    /* What is stored, with what was sent over it. */
    form f;
    sqlite3_stmt *st;
    memset(&f, 0, sizeof f);
    f.too_long = -1;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT organisation, category, territory, contact_name, contact_email, charter, motivation,"
                           " lang FROM adhesion_applications WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, a.id);
    if (sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; FIELDS[i]; i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            set_field(&f, i, v ? (const char *)v : "");
        }
    sqlite3_finalize(st);
    form sent;
    read_form(api->req_args(req), &sent);
    for (int i = 0; FIELDS[i]; i++) {
        size_t scap = 0;
        char *s = field_of(&sent, i, &scap);
        if (*s)
            set_field(&f, i, s);
    }
    if (sent.too_long >= 0)
        f.too_long = sent.too_long;
    char msg[1024];
    const char *field = NULL, *problem = check_form(h, a.region, &f, &p, &field, msg, sizeof msg);
    if (problem)
        return api->req_fail(req, "invalid_argument", field, "%s", problem);
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE adhesion_applications SET organisation = ?2, category = ?3, territory = nullif(?4, ''),"
                           " contact_name = ?5, contact_email = ?6, charter = ?7, motivation = nullif(?8, ''), lang = ?9,"
                           " state = 'submitted' WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, a.id);
    for (int i = 0; FIELDS[i]; i++) {
        size_t cap = 0;
        sqlite3_bind_text(st, i + 2, field_of(&f, i, &cap), -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0 || load(h, a.id, &a) != 0 || emit(h, &a, "adhesion.updated", NULL) != 0)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    return pack_application(req, h, a.id);
}

static int withdraw_op(cd_req *req, void *data)
{
    cd_host *h = data;
    application a;
    if (load_in(req, h, &a, "submitted,needs_info,member,lapsed", "la retirer") != 0)
        return -1;
    bool was_member = strcmp(a.state, "member") == 0;
    char reason[1024];
    cd_str(cd_get(api->req_args(req), "reason"), reason, sizeof reason);
    if (transition(h, &a,
                   "UPDATE adhesion_applications SET state = 'withdrawn', ended_ms = ?2, reason = nullif(?3, '')"
                   " WHERE id = ?1",
                   reason, "adhesion.withdrawn", NULL, was_member ? "retrait" : NULL) != 0)
        return api->req_fail(req, "internal", NULL, "retrait impossible à enregistrer");
    return pack_application(req, h, a.id);
}

static int renew_op(cd_req *req, void *data)
{
    cd_host *h = data;
    application a;
    if (load_in(req, h, &a, "member,lapsed", "la renouveler") != 0)
        return -1;
    bool was_lapsed = strcmp(a.state, "lapsed") == 0;
    if (transition(h, &a, "UPDATE adhesion_applications SET state = 'member', renewed_ms = ?2 WHERE id = ?1", NULL,
                   "adhesion.renewed", NULL, was_lapsed ? "renouvellement" : NULL) != 0)
        return api->req_fail(req, "internal", NULL, "renouvellement impossible à enregistrer");
    return pack_application(req, h, a.id);
}

/* A member signs the charter version now in force. */
static int sign_op(cd_req *req, void *data)
{
    cd_host *h = data;
    application a;
    if (load_in(req, h, &a, "member,lapsed", "signer la charte") != 0)
        return -1;
    policy p;
    char charter[64];
    const msgpack_object *c = cd_get(api->req_args(req), "charter");
    if (c && c->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(charter, sizeof charter, "%llu", (unsigned long long)c->via.u64);
    else if (c && c->type == MSGPACK_OBJECT_STR && c->via.str.size >= sizeof charter)
        charter[0] = '\0'; /* longer than any charter version: not the one in force */
    else
        cd_str(c, charter, sizeof charter);
    if (policy_get(h, a.region, &p) <= 0 || strcmp(charter, p.charter) != 0)
        return api->req_fail(req, "invalid_argument", "charter", "charter: la charte en vigueur est la version « %s »",
                             p.charter);
    if (transition(h, &a, "UPDATE adhesion_applications SET charter = ?3 WHERE id = ?1", charter, "adhesion.signed",
                   NULL, NULL) != 0)
        return api->req_fail(req, "internal", NULL, "signature impossible à enregistrer");
    return pack_application(req, h, a.id);
}

/* On request, a person's data goes: the contact and the motivation of an
 * application that is over (refused, withdrawn, lapsed). The organisation
 * and the dates stay, so the counts of the past stay right. */
static int erase_op(cd_req *req, void *data)
{
    cd_host *h = data;
    application a;
    if (load_in(req, h, &a, "refused,withdrawn,lapsed", "effacer les renseignements personnels d'un membre actif"
                                                         " (le retirer d'abord)") != 0)
        return -1;
    if (journal_add(h, a.region, "effacement", a.id, a.organisation) != 0 ||
        transition(h, &a,
                   "UPDATE adhesion_applications SET contact_name = NULL, contact_email = NULL, motivation = NULL,"
                   " erased_ms = ?2 WHERE id = ?1",
                   NULL, "adhesion.erased", NULL, NULL) != 0)
        return api->req_fail(req, "internal", NULL, "effacement impossible à enregistrer");
    return pack_application(req, h, a.id);
}

static int list_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64], state[16], category[64], territory[128];
    cd_str(cd_get(args, "region"), region, sizeof region);
    cd_str(cd_get(args, "state"), state, sizeof state);
    cd_str(cd_get(args, "category"), category, sizeof category);
    cd_str(cd_get(args, "territory"), territory, sizeof territory);
    if (!region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT a.id, a.organisation, a.category, a.territory, a.state, a.duplicate_of, a.contact_name,"
                           " a.contact_email, a.charter, a.reason,"
                           " strftime('%Y-%m-%d', a.submitted_ms / 1000, 'unixepoch', 'localtime') AS submitted,"
                           " strftime('%Y-%m-%d', a.member_since_ms / 1000, 'unixepoch', 'localtime') AS member_since"
                           " FROM adhesion_applications a WHERE a.region = ?1 AND (?2 = '' OR a.state = ?2)"
                           " AND (?3 = '' OR a.category = ?3) AND (?4 = '' OR a.territory = ?4)"
                           " ORDER BY a.state = 'member', a.id",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    const char *binds[] = {region, state, category, territory};
    for (int i = 0; i < 4; i++)
        sqlite3_bind_text(st, i + 1, binds[i], -1, SQLITE_STATIC);
    int rc = cd_pack_rows(api->req_result(req), st);
    sqlite3_finalize(st);
    return rc == 0 ? 0 : api->req_fail(req, "internal", NULL, "mémoire insuffisante");
}

static int show_op(cd_req *req, void *data)
{
    return pack_application(req, data, cd_int(cd_get(api->req_args(req), "id"), 0));
}

/* Members by category and territory: counts only (for the national view too). */
static int members_op(cd_req *req, void *data)
{
    cd_host *h = data;
    char region[64];
    cd_str(cd_get(api->req_args(req), "region"), region, sizeof region);
    if (!region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT c.id AS category, c.name, coalesce(a.territory, '') AS territory, count(a.id) AS members"
                           " FROM adhesion_categories c LEFT JOIN adhesion_applications a ON a.region = c.region"
                           " AND a.category = c.id AND a.state = 'member' WHERE c.region = ?"
                           " GROUP BY c.id, a.territory ORDER BY c.position, a.territory",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 3);
    cd_pack_opt(pk, "region", region);
    cd_pack_str(pk, "members");
    msgpack_pack_int64(pk, members_of(h, region));
    cd_pack_str(pk, "by_category");
    int rc = cd_pack_rows(pk, st);
    sqlite3_finalize(st);
    return rc == 0 ? 0 : api->req_fail(req, "internal", NULL, "mémoire insuffisante");
}

/* The members' contacts as CSV for the mailing list: members only (the
 * withdrawn, lapsed and erased are not in it); the export is journaled. */
static int export_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char region[64], category[64];
    cd_str(cd_get(args, "region"), region, sizeof region);
    cd_str(cd_get(args, "category"), category, sizeof category);
    if (!region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT a.organisation, coalesce(c.name, a.category), coalesce(a.territory, ''),"
                           " coalesce(a.contact_name, ''), coalesce(a.contact_email, ''), a.charter,"
                           " strftime('%Y-%m-%d', a.member_since_ms / 1000, 'unixepoch', 'localtime')"
                           " FROM adhesion_applications a LEFT JOIN adhesion_categories c"
                           " ON c.region = a.region AND c.id = a.category"
                           " WHERE a.region = ?1 AND a.state = 'member' AND (?2 = '' OR a.category = ?2)"
                           " ORDER BY a.organisation",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, category, -1, SQLITE_STATIC);
    static const char *const header[] = {"Organisation", "Catégorie", "Territoire", "Contact", "Courriel", "Charte",
                                         "Membre depuis"};
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    int rows = 0;
    bool oom = !out;
    for (int row = -1; !oom; row++) {
        if (row >= 0 && sqlite3_step(st) != SQLITE_ROW)
            break;
        for (int i = 0; i < 7 && !oom; i++) {
            const char *v = row < 0 ? header[i] : (const char *)sqlite3_column_text(st, i);
            size_t need = len + 2 * strlen(v ? v : "") + 4;
            if (need > cap) {
                while (cap < need)
                    cap *= 2;
                char *p = realloc(out, cap);
                oom = !p;
                if (p)
                    out = p;
            }
            if (!oom) {
                if (i)
                    out[len++] = ',';
                len += csv_write(out + len, cap - len, v ? v : "", strlen(v ? v : ""));
            }
        }
        if (!oom) {
            out[len++] = '\r';
            out[len++] = '\n';
            rows += row >= 0;
        }
    }
    sqlite3_finalize(st);
    if (oom) {
        free(out);
        return api->req_fail(req, "internal", NULL, "mémoire insuffisante");
    }
    char detail[160];
    snprintf(detail, sizeof detail, "export CSV de %d membre(s)%s%s", rows, category[0] ? ", catégorie " : "", category);
    if (journal_add(h, region, "export", 0, detail) != 0) {
        free(out);
        return api->req_fail(req, "internal", NULL, "journal de l'export");
    }
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 2);
    cd_pack_str(pk, "text");
    msgpack_pack_str_with_body(pk, out, len);
    cd_pack_str(pk, "members");
    msgpack_pack_int(pk, rows);
    free(out);
    return 0;
}

static int journal_op(cd_req *req, void *data)
{
    cd_host *h = data;
    char region[64];
    cd_str(cd_get(api->req_args(req), "region"), region, sizeof region);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT id, region, strftime('%Y-%m-%dT%H:%M:%SZ', at_ms / 1000, 'unixepoch') AS at, what,"
                           " application, detail FROM adhesion_journal WHERE ?1 = '' OR region = ?1 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int rc = cd_pack_rows(api->req_result(req), st);
    sqlite3_finalize(st);
    return rc == 0 ? 0 : api->req_fail(req, "internal", NULL, "mémoire insuffisante");
}

/* Members whose renewal came due lapse (the policy renews every N months). */
int lapse_due(cd_host *h)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT a.id FROM adhesion_applications a JOIN adhesion_policies p ON p.region = a.region"
                           " WHERE a.state = 'member' AND p.renewal_months > 0 AND"
                           " coalesce(a.renewed_ms, a.member_since_ms) / 1000 <"
                           " CAST(strftime('%s', ? / 1000, 'unixepoch', '-' || p.renewal_months || ' months') AS INTEGER)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, api->now_ms(h));
    int64_t ids[256];
    int n = 0;
    while (n < 256 && sqlite3_step(st) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    for (int i = 0; i < n; i++) {
        application a;
        a.id = ids[i];
        if (transition(h, &a, "UPDATE adhesion_applications SET state = 'lapsed', ended_ms = ?2 WHERE id = ?1", NULL,
                       "adhesion.lapsed", NULL, "adhésion échue") != 0)
            return -1;
        tell_applicant(h, &a, "lapsed", 0);
    }
    return 0;
}

int applications_register(cd_host *h)
{
    static const char *const langs[] = {"fr", "en", NULL}, *const decisions[] = {"accepted", "refused", "needs_info", NULL};
    static const char *const states[] = {"submitted", "needs_info", "member", "refused", "withdrawn", "lapsed", NULL};
#define FORM_FIELDS                                                                                                    \
    {"form", CD_FILE, .min = 1, .max = 65536, .help_fr = "le formulaire en texte (« Organisme : … », @fichier.txt)",   \
     .help_en = "the form as text (\"Organisation: …\", @file.txt)"},                                                  \
        {"organisation", CD_TEXT, .max = 255, .help_fr = "l'organisation qui demande", .help_en = "the organisation applying"}, \
        {"category", CD_TEXT, .max = 63, .help_fr = "sa catégorie de membre", .help_en = "its member category"},          \
        {"territory", CD_TEXT, .max = 127, .help_fr = "son territoire (MRC)", .help_en = "its territory"},                \
        {"contact_name", CD_TEXT, .max = 255, .help_fr = "la personne-ressource", .help_en = "the contact person"},       \
        {"contact_email", CD_TEXT, .max = 319, .help_fr = "son courriel", .help_en = "their e-mail"},                     \
        {"charter", CD_TEXT, .max = 63, .help_fr = "la version de la charte acceptée (2024)",                             \
         .help_en = "the charter version accepted (2024)"},                                                               \
        {"motivation", CD_TEXT, .max = 4095, .help_fr = "pourquoi elle demande", .help_en = "why it applies"},          \
        {"lang", CD_ENUM, .values = langs, .help_fr = "la langue des messages qu'elle recevra",                          \
         .help_en = "the language of the messages it will get"}
#define ID(fr, en) {"id", CD_INT, .required = 1, .min = 1, .max = INT64_MAX, .help_fr = fr, .help_en = en}
    static const cd_param submit_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"}, FORM_FIELDS, CD_END};
    static const cd_param update_args[] = {ID("la demande", "the application"), FORM_FIELDS, CD_END};
    static const cd_param decide_args[] = {
        ID("la demande", "the application"),
        {"decision", CD_ENUM, .required = 1, .values = decisions, .help_fr = "accepted, refused ou needs_info",
         .help_en = "accepted, refused or needs_info"},
        {"reason", CD_TEXT, .max = 1023, .help_fr = "pourquoi (le demandeur le lira ; requis sauf pour accepted)",
         .help_en = "why (the applicant reads it; required but for accepted)"},
        CD_END};
    static const cd_param id_args[] = {ID("la demande", "the application"), CD_END};
    static const cd_param reason_args[] = {
        ID("la demande", "the application"),
        {"reason", CD_TEXT, .max = 1023, .help_fr = "pourquoi", .help_en = "why"}, CD_END};
    static const cd_param sign_args[] = {
        ID("le membre", "the member"),
        {"charter", CD_TEXT, .required = 1, .min = 1, .max = 63, .help_fr = "la version de la charte signée",
         .help_en = "the charter version signed"},
        CD_END};
    static const cd_param list_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"},
        {"state", CD_ENUM, .values = states, .help_fr = "seulement dans cet état", .help_en = "only in this state"},
        {"category", CD_TEXT, .max = 63, .help_fr = "seulement de cette catégorie", .help_en = "only of this category"},
        {"territory", CD_TEXT, .max = 127, .help_fr = "seulement de ce territoire", .help_en = "only of this territory"},
        CD_END};
    static const cd_param region_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"}, CD_END};
    static const cd_param export_args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"},
        {"category", CD_TEXT, .max = 63, .help_fr = "seulement de cette catégorie", .help_en = "only of this category"},
        CD_END};
#undef FORM_FIELDS
#undef ID
    const cd_op_spec ops[] = {
        {"adhesion.submit", submit_op, h, submit_args, "dépose une demande d'adhésion (champs, ou un formulaire texte)",
         "submits a membership application (fields, or a text form)"},
        {"adhesion.decide", decide_op, h, decide_args, "décide d'une demande : accepted, refused, needs_info",
         "decides an application: accepted, refused, needs_info"},
        {"adhesion.update", update_op, h, update_args, "complète ou corrige une demande en attente",
         "completes or corrects a pending application"},
        {"adhesion.withdraw", withdraw_op, h, reason_args, "retire une demande ou un membre", "withdraws"},
        {"adhesion.renew", renew_op, h, id_args, "renouvelle une adhésion", "renews a membership"},
        {"adhesion.sign", sign_op, h, sign_args, "un membre signe la charte en vigueur", "a member signs the charter"},
        {"adhesion.erase", erase_op, h, id_args, "efface les renseignements personnels d'une demande terminée",
         "erases the personal data of an application that is over"},
        {"adhesion.show", show_op, h, id_args, "montre une demande", "shows an application"},
        {"adhesion.list", list_op, h, list_args, "les demandes (en attente d'abord)", "the applications"},
        {"adhesion.members", members_op, h, region_args, "le nombre de membres par catégorie et territoire",
         "members by category and territory"},
        {"adhesion.export", export_op, h, export_args, "les contacts des membres en CSV (exportation journalisée)",
         "the members' contacts as CSV (the export is logged)"},
        {"adhesion.journal", journal_op, h, region_args, "les exportations et effacements", "exports and erasures"},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (api->register_op(h, &ops[i]) != 0)
            return -1;
    return 0;
}
