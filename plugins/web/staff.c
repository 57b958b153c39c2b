/* staff.c: the staff's pages. A person of a region's staff logs in at
 * /r/REGION/connexion (the password checked off the loop, on the thread
 * pool: argon2id takes tens of milliseconds; ten tries per address per 15
 * minutes), gets a session cookie (HttpOnly, SameSite=Strict, Secure with
 * [plugin.web] secure_cookies), and, with the role "coordination", changes
 * an action's state with a note from the plan's page. Every form carries
 * the session's CSRF token; every change goes through the ops with the
 * account as its actor ("web:EMAIL"), so events, notes and concertctl tail
 * say who made it. A copy of a peer's region shows no control. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "shared.h"

#define LOGIN_TRIES 10
#define LOGIN_WINDOW_MS (15 * 60 * 1000)
/* Passwords checked at once, at most: each check takes 64 MiB and a core
 * for tens of milliseconds, and the thread pool is shared with the other
 * plugins' work. Tries from many addresses get "busy" past this, not a
 * queue that grows without end. */
#define VERIFYING_MAX 2

static int verifying;

static char dummy_hash[crypto_pwhash_STRBYTES]; /* checked when the account is unknown: the same time either way */
static bool secure_cookies;

int staff_init(cd_host *h)
{
    const char *secure = api->config(h, NULL, "secure_cookies"), *cert = api->config(h, NULL, "cert_file");
    /* Secure when served over TLS here, or behind a TLS proxy that says so. */
    secure_cookies = (cert && *cert) ||
                     (secure && (strcmp(secure, "yes") == 0 || strcmp(secure, "true") == 0 || strcmp(secure, "1") == 0));
    return crypto_pwhash_str(dummy_hash, "-", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
               ? 0
               : -1;
}

static const char *field(web_req *rq, const char *key) { return rq->form ? rq->form_value(rq, key) : NULL; }

/* The form's CSRF token is the session's. */
static bool csrf_ok(web_req *rq)
{
    const char *t = field(rq, "csrf");
    return t && rq->staff.csrf[0] && strlen(t) == strlen(rq->staff.csrf) &&
           sodium_memcmp(t, rq->staff.csrf, strlen(t)) == 0;
}


/* ---- logging in --------------------------------------------------------------- */

static void login_page(web_req *rq, const char *region, const char *error)
{
    buf *b = &rq->body;
    page_open(rq, T(rq, "Connexion du personnel", "Staff login"));
    buf_printf(b, "<h1>%s</h1>\n", T(rq, "Connexion du personnel", "Staff login"));
    if (error) {
        buf_printf(b, "<div class=\"error\" role=\"alert\"><p>");
        html_text(b, error);
        buf_str(b, "</p></div>\n");
    }
    buf_str(b, "<form class=\"membership\" method=\"post\" action=\"/r/");
    html_text(b, region);
    buf_printf(b, "/connexion\"><p class=\"field\"><label for=\"f-email\">%s</label><input id=\"f-email\" name=\"email\" "
                  "type=\"email\" autocomplete=\"username\" required value=\"",
               T(rq, "Courriel", "E-mail"));
    html_text(b, field(rq, "email"));
    buf_printf(b, "\"></p><p class=\"field\"><label for=\"f-password\">%s</label><input id=\"f-password\" "
                  "name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>"
                  "<p><button type=\"submit\">%s</button></p></form>\n",
               T(rq, "Mot de passe", "Password"), T(rq, "Se connecter", "Log in"));
    page_close(rq);
}

typedef struct {
    web_req *rq;
    char region[64], email[128], password[256], hash[crypto_pwhash_STRBYTES];
    int64_t account; /* 0: unknown */
    bool ok;
} login;

static void verify(void *data) /* on a worker thread: no host call */
{
    login *l = data;
    l->ok = crypto_pwhash_str_verify(l->hash, l->password, strlen(l->password)) == 0 && l->account != 0;
    sodium_memzero(l->password, sizeof l->password);
}

static void answered(cd_host *h, void *data, int status)
{
    (void)h;
    login *l = data;
    if (status != 0) {
        l->rq->cookie[0] = l->rq->location[0] = '\0';
        page_error(l->rq, 503, T(l->rq, "Connexion impossible", "Cannot log in"),
                   T(l->rq, "La session n'a pas pu être enregistrée ; réessayez.", "The session could not be saved; try again."));
    }
    web_release(l->rq);
    free(l);
}

static int verified(cd_host *h, void *data, int status)
{
    login *l = data;
    verifying--;
    web_req *rq = l->rq;
    char value[65];
    if (status == 0 && l->ok && session_open(rq, l->account, value) == 0) {
        rq->status = 303;
        snprintf(rq->location, sizeof rq->location, "/r/%s", l->region);
        snprintf(rq->cookie, sizeof rq->cookie, "concertd_session=%s; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict%s",
                 value, secure_cookies ? "; Secure" : "");
        buf_str(&rq->body, "<!DOCTYPE html><p>OK</p>\n");
    } else {
        /* The region only: an address typed here is personal data (and often a typo of one). */
        api->log(h, CD_LOG_INFO, "connexion refusée à l'espace de la région %s : courriel ou mot de passe inexact",
                 l->region);
        rq->status = 401;
        login_page(rq, l->region, T(rq, "Courriel ou mot de passe inexact.", "Wrong e-mail or password."));
    }
    if (api->after_commit(h, answered, l) != 0)
        answered(h, l, -1);
    return 0;
}

int page_login(web_req *rq, const char *region)
{
    static web_rate tries[128];
    if (strcmp(rq->method, "POST") != 0) {
        login_page(rq, region, NULL);
        return 0;
    }
    if (!web_rate_ok(rq, tries, sizeof tries / sizeof tries[0], LOGIN_TRIES, LOGIN_WINDOW_MS)) {
        page_error(rq, 429, T(rq, "Trop d'essais", "Too many tries"),
                   T(rq, "Trop d'essais de connexion depuis votre adresse : réessayez dans 15 minutes.",
                     "Too many login attempts from your address: try again in 15 minutes."));
        return 0;
    }
    if (verifying >= VERIFYING_MAX)
        return page_error(rq, 503, T(rq, "Connexion impossible", "Cannot log in"),
                          T(rq, "Le serveur vérifie déjà d'autres connexions ; réessayez dans quelques secondes.",
                            "The server is already checking other logins; try again in a few seconds.")), 0;
    login *l = calloc(1, sizeof *l);
    if (!l)
        return page_error(rq, 503, "Connexion impossible", "mémoire insuffisante"), 0;
    l->rq = rq;
    snprintf(l->region, sizeof l->region, "%s", region);
    snprintf(l->email, sizeof l->email, "%s", field(rq, "email") ? field(rq, "email") : "");
    snprintf(l->password, sizeof l->password, "%s", field(rq, "password") ? field(rq, "password") : "");
    if (account_find(rq, region, l->email, &l->account, l->hash, sizeof l->hash) != 1) {
        l->account = 0;
        snprintf(l->hash, sizeof l->hash, "%s", dummy_hash);
    }
    if (api->queue_work(rq->h, verify, verified, l) != 0) {
        sodium_memzero(l->password, sizeof l->password);
        free(l);
        return page_error(rq, 503, T(rq, "Connexion impossible", "Cannot log in"),
                          T(rq, "Le serveur est occupé ; réessayez.", "The server is busy; try again.")), 0;
    }
    verifying++;
    rq->hold = true; /* answered by verified(), then answered() */
    return 0;
}

int page_logout(web_req *rq)
{
    if (!csrf_ok(rq)) {
        page_error(rq, 403, T(rq, "Envoi refusé", "Post refused"), T(rq, "Ce formulaire a expiré.", "This form expired."));
        return 0;
    }
    session_close(rq);
    rq->status = 303;
    snprintf(rq->location, sizeof rq->location, "/");
    snprintf(rq->cookie, sizeof rq->cookie, "concertd_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    rq->defer = true;
    return 0;
}

/* The checks every change from a page makes: a session, its token, the right to change region. */
static bool may_post(web_req *rq, const char *region)
{
    if (!rq->staff.email[0]) {
        page_error(rq, 401, T(rq, "Connexion requise", "Login required"),
                   T(rq, "Connectez-vous comme membre du personnel de la région.", "Log in as staff of the region."));
        return false;
    }
    if (!csrf_ok(rq)) {
        page_error(rq, 403, T(rq, "Envoi refusé", "Post refused"),
                   T(rq, "Ce formulaire a expiré ou ne vient pas de ce site : rechargez la page.",
                     "This form expired or does not come from this site: reload the page."));
        return false;
    }
    if (!staff_may_change(rq, region)) {
        page_error(rq, 403, T(rq, "Modification refusée", "Change refused"),
                   T(rq, "Votre compte peut lire ce plan, pas le modifier.", "Your account may read this plan, not change it."));
        return false;
    }
    return true;
}

/* One argument of an op a page calls: a text ('t': left out when NULL or
 * empty; 'r': always sent, "" for NULL, so the op names it when missing),
 * an integer ('i') or a number ('n'). */
typedef struct {
    const char *key;
    char kind;
    const char *s;
    int64_t i;
    double d;
} op_arg;
#define TEXT(k, v) {(k), 't', (v), 0, 0}
#define REQUIRED(k, v) {(k), 'r', (v), 0, 0}
#define INTEGER(k, v) {(k), 'i', NULL, (v), 0}
#define NUMBER(k, v) {(k), 'n', NULL, 0, (v)}
#define NARGS(a) (sizeof(a) / sizeof((a)[0]))

static bool sent(const op_arg *a) { return a->kind != 't' || (a->s && *a->s); }

/* The map of args into out (initialised here; the caller destroys it). */
static void pack_args(msgpack_sbuffer *out, const op_arg *args, size_t n)
{
    msgpack_sbuffer_init(out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    size_t given = 0;
    for (size_t i = 0; i < n; i++)
        given += sent(&args[i]);
    msgpack_pack_map(&pk, given);
    for (size_t i = 0; i < n; i++) {
        if (!sent(&args[i]))
            continue;
        cd_pack_str(&pk, args[i].key);
        if (args[i].kind == 'i')
            msgpack_pack_int64(&pk, args[i].i);
        else if (args[i].kind == 'n')
            msgpack_pack_double(&pk, args[i].d);
        else
            cd_pack_str(&pk, args[i].s ? args[i].s : "");
    }
}

/* Calls op as the staff member; on success a 303 to back once committed,
 * else the op's words. */
static int change(web_req *rq, const char *op, const op_arg *args, size_t n, const char *back)
{
    msgpack_sbuffer packed, out;
    pack_args(&packed, args, n);
    msgpack_sbuffer_init(&out);
    char err[512];
    int rc = api->call_as(rq->h, rq->staff.actor, op, packed.data, packed.size, &out, err, sizeof err);
    msgpack_sbuffer_destroy(&out);
    msgpack_sbuffer_destroy(&packed);
    if (rc != 0) {
        const char *colon = strstr(err, ": ");
        page_error(rq, strncmp(err, "forbidden", 9) == 0 ? 403 : strncmp(err, "not_found", 9) == 0 ? 404
                       : strncmp(err, "unavailable", 11) == 0                                      ? 503
                                                                                                   : 400,
                   T(rq, "Rien n'a été changé", "Nothing was changed"), colon ? colon + 2 : err);
        return 0;
    }
    rq->status = 303;
    snprintf(rq->location, sizeof rq->location, "%s", back);
    buf_str(&rq->body, "<!DOCTYPE html><p>OK</p>\n");
    rq->defer = true; /* the 303 once it is on disk */
    return 0;
}

/* Whether the entity id that op shows (indicator.history, calendar.show,
 * adhesion.show) belongs to region: an address names the region, the form
 * an id, and one region's staff must not reach another's by id. */
static bool owned_by(web_req *rq, const char *op, long long id, const char *region)
{
    const op_arg a[] = {INTEGER("id", id)};
    msgpack_sbuffer args;
    pack_args(&args, a, NARGS(a));
    web_result res;
    char code[32], err[512], owner[64] = "";
    int rc = web_call_packed(rq, op, &args, &res, code, sizeof code, err, sizeof err);
    msgpack_sbuffer_destroy(&args);
    if (rc == 0)
        mp_text(cd_get(&res.u.data, "region"), owner, sizeof owner);
    web_result_free(&res);
    return rc == 0 && strcmp(owner, region) == 0;
}

/* ---- changing an action's state ----------------------------------------------- */

void staff_action_controls(web_req *rq, const char *region, const char *number, const char *status)
{
    static const char *const states[] = {"planned", "in_progress", "done", "ongoing", "postponed", "cancelled"};
    buf *b = &rq->body;
    buf_printf(b, "<details class=\"staff\"><summary>%s</summary><form method=\"post\" action=\"/r/",
               T(rq, "Changer l'état", "Change the state"));
    html_text(b, region);
    buf_str(b, "/action/");
    html_text(b, number);
    buf_str(b, "/etat\">");
    staff_csrf_field(rq);
    buf_printf(b, "<label for=\"s-%s\">%s</label><select id=\"s-%s\" name=\"status\">", number, T(rq, "État", "State"), number);
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        buf_printf(b, "<option value=\"%s\"%s>%s</option>", states[i], strcmp(states[i], status) == 0 ? " selected" : "",
                   word(rq, states[i]));
    buf_printf(b, "</select><label for=\"n-%s\">%s</label><textarea id=\"n-%s\" name=\"note\" rows=\"2\"></textarea>"
                  "<button type=\"submit\">%s</button></form></details>",
               number, T(rq, "Note de suivi", "Follow-up note"), number, T(rq, "Enregistrer", "Save"));
}

int page_action_state(web_req *rq, const char *region, const char *number)
{
    if (!may_post(rq, region))
        return 0;
    const op_arg a[] = {REQUIRED("region", region), REQUIRED("number", number), REQUIRED("status", field(rq, "status")),
                        TEXT("note", field(rq, "note"))};
    char back[128];
    snprintf(back, sizeof back, "/r/%s%s#action-%s", region, rq->en ? "?lang=en" : "", number);
    return change(rq, "action.set_status", a, NARGS(a), back);
}

/* ---- recording an indicator's measurement ----------------------------------- */

void staff_indicator_controls(web_req *rq, const char *region, int64_t id)
{
    buf *b = &rq->body;
    char today[11];
    day_iso(0, today);
    buf_printf(b, "<details class=\"staff\"><summary>%s</summary><form method=\"post\" action=\"/r/",
               T(rq, "Ajouter une mesure", "Add a measurement"));
    html_text(b, region);
    buf_printf(b, "/indicateur/%lld/mesure\">", (long long)id);
    staff_csrf_field(rq);
    buf_printf(b, "<label for=\"v-%lld\">%s</label><input id=\"v-%lld\" name=\"value\" inputmode=\"decimal\" required>"
                  "<label for=\"d-%lld\">%s</label><input id=\"d-%lld\" name=\"date\" type=\"date\" value=\"%s\" required>"
                  "<label for=\"m-%lld\">%s</label><input id=\"m-%lld\" name=\"note\">"
                  "<button type=\"submit\">%s</button></form></details>",
               (long long)id, T(rq, "Valeur", "Value"), (long long)id, (long long)id, T(rq, "Date", "Date"), (long long)id,
               today, (long long)id, T(rq, "Note", "Note"), (long long)id, T(rq, "Enregistrer", "Save"));
}

int page_indicator_record(web_req *rq, const char *region, const char *id_text)
{
    if (!may_post(rq, region))
        return 0;
    char *end;
    long long id = strtoll(id_text, &end, 10);
    const char *value = field(rq, "value"), *date = field(rq, "date"), *note = field(rq, "note");
    char *vend = NULL;
    double v = value ? strtod(value, &vend) : 0;
    if (vend && *vend == ',') { /* "12,5" as people write it here */
        char dotted[64];
        snprintf(dotted, sizeof dotted, "%s", value);
        dotted[vend - value] = '.';
        v = strtod(dotted, &vend);
        vend = vend ? (char *)value + (vend - dotted) : NULL;
    }
    if (*end || id <= 0 || !value || !*value || !vend || *vend) {
        page_error(rq, 400, T(rq, "Mesure non enregistrée", "Measurement not saved"),
                   T(rq, "La valeur doit être un nombre (ex. 12 ou 12,5).", "The value must be a number (e.g. 12 or 12.5)."));
        return 0;
    }
    if (!owned_by(rq, "indicator.history", id, region)) {
        page_error(rq, 404, T(rq, "Indicateur introuvable", "Indicator not found"),
                   T(rq, "Cet indicateur n'est pas dans le plan de cette région.", "This indicator is not in this region's plan."));
        return 0;
    }
    const op_arg a[] = {INTEGER("id", id), NUMBER("value", v), TEXT("date", date), TEXT("note", note)};
    char back[128];
    snprintf(back, sizeof back, "/r/%s%s#indicateurs", region, rq->en ? "?lang=en" : "");
    return change(rq, "indicator.record", a, NARGS(a), back);
}

/* ---- the calendar: adding an activity, a session held ------------------------ */

void staff_calendar_form(web_req *rq, const char *region)
{
    static const char *const kinds[][3] = {
        {"rencontre", "Rencontre", "Meeting"},       {"comite", "Comité", "Committee"},
        {"formation", "Formation", "Training"},      {"atelier", "Atelier", "Workshop"},
        {"forum", "Forum", "Forum"},                 {"aga", "Assemblée générale", "General assembly"},
        {"conference", "Conférence", "Conference"},  {"visite", "Visite", "Visit"},
        {"autre", "Autre", "Other"},
    };
    buf *b = &rq->body;
    buf_printf(b, "<section aria-labelledby=\"ajout\"><h2 id=\"ajout\">%s</h2><form class=\"membership\" method=\"post\" "
                  "action=\"/r/",
               T(rq, "Ajouter une activité", "Add an activity"));
    html_text(b, region);
    buf_str(b, "/calendrier/ajout\">");
    staff_csrf_field(rq);
    buf_printf(b, "<p class=\"field\"><label for=\"c-title\">%s</label><input id=\"c-title\" name=\"title\" required></p>",
               T(rq, "Titre (obligatoire)", "Title (required)"));
    buf_printf(b, "<p class=\"field\"><label for=\"c-kind\">%s</label><select id=\"c-kind\" name=\"kind\">", T(rq, "Type", "Kind"));
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        buf_printf(b, "<option value=\"%s\">%s</option>", kinds[i][0], T(rq, kinds[i][1], kinds[i][2]));
    buf_printf(b, "</select></p><p class=\"field\"><label for=\"c-date\">%s</label><input id=\"c-date\" name=\"date\" "
                  "type=\"date\" required></p><p class=\"field\"><label for=\"c-time\">%s</label><input id=\"c-time\" "
                  "name=\"time\" type=\"time\"></p><p class=\"field\"><label for=\"c-place\">%s</label><input id=\"c-place\" "
                  "name=\"place\"></p>",
               T(rq, "Date (obligatoire)", "Date (required)"), T(rq, "Heure (vide : toute la journée)", "Time (empty: all day)"),
               T(rq, "Lieu", "Place"));
    buf_printf(b, "<p class=\"field\"><label for=\"c-repeat\">%s</label><select id=\"c-repeat\" name=\"repeat\">"
                  "<option value=\"\">%s</option><option value=\"WEEKLY\">%s</option><option value=\"MONTHLY\">%s</option>"
                  "</select></p><p class=\"field\"><label for=\"c-count\">%s</label><input id=\"c-count\" name=\"count\" "
                  "type=\"number\" min=\"1\" max=\"60\" value=\"10\"></p>",
               T(rq, "Se répète", "Repeats"), T(rq, "une seule fois", "once"), T(rq, "chaque semaine", "every week"),
               T(rq, "chaque mois", "every month"), T(rq, "Nombre de séances (si elle se répète)", "Number of sessions (if it repeats)"));
    buf_printf(b, "<p><button type=\"submit\">%s</button></p></form></section>\n", T(rq, "Ajouter", "Add"));
}

void staff_held_controls(web_req *rq, const char *region, int64_t id, const char *occurrence)
{
    buf *b = &rq->body;
    buf_printf(b, "<details class=\"staff\"><summary>%s</summary><form method=\"post\" action=\"/r/",
               T(rq, "Séance tenue", "Session held"));
    html_text(b, region);
    buf_printf(b, "/calendrier/%lld/tenue\">", (long long)id);
    staff_csrf_field(rq);
    buf_str(b, "<input type=\"hidden\" name=\"occurrence\" value=\"");
    html_text(b, occurrence);
    buf_printf(b, "\"><label>%s <input name=\"participants\" type=\"number\" min=\"0\" required></label>"
                  "<button type=\"submit\">%s</button></form></details>",
               T(rq, "Participants", "Participants"), T(rq, "Enregistrer", "Save"));
}

int page_calendar_add(web_req *rq, const char *region)
{
    if (!may_post(rq, region))
        return 0;
    const char *title = field(rq, "title"), *kind = field(rq, "kind"), *date = field(rq, "date"),
               *time_ = field(rq, "time"), *place = field(rq, "place"), *repeat = field(rq, "repeat"),
               *count = field(rq, "count");
    char start[32], rrule[64] = "";
    snprintf(start, sizeof start, "%s%s%s", date ? date : "", time_ && *time_ ? "T" : "", time_ && *time_ ? time_ : "");
    if (repeat && (strcmp(repeat, "WEEKLY") == 0 || strcmp(repeat, "MONTHLY") == 0)) {
        long n = count ? strtol(count, NULL, 10) : 0;
        if (n < 1 || n > 60) {
            page_error(rq, 400, T(rq, "Activité non ajoutée", "Activity not added"),
                       T(rq, "Le nombre de séances va de 1 à 60.", "The number of sessions goes from 1 to 60."));
            return 0;
        }
        snprintf(rrule, sizeof rrule, "FREQ=%s;COUNT=%ld", repeat, n);
    }
    const op_arg a[] = {REQUIRED("region", region), REQUIRED("title", title), REQUIRED("start", start),
                        TEXT("kind", kind), TEXT("place", place), TEXT("rrule", rrule)};
    char back[128];
    snprintf(back, sizeof back, "/r/%s/calendrier%s", region, rq->en ? "?lang=en" : "");
    return change(rq, "calendar.add", a, NARGS(a), back);
}

int page_calendar_held(web_req *rq, const char *region, const char *id_text)
{
    if (!may_post(rq, region))
        return 0;
    char *end;
    long long id = strtoll(id_text, &end, 10);
    const char *occurrence = field(rq, "occurrence"), *participants = field(rq, "participants");
    char *pend = NULL;
    long n = participants ? strtol(participants, &pend, 10) : -1;
    if (*end || id <= 0 || !participants || !*participants || *pend || n < 0) {
        page_error(rq, 400, T(rq, "Séance non enregistrée", "Session not saved"),
                   T(rq, "Le nombre de participants est un nombre entier.", "The number of participants is a whole number."));
        return 0;
    }
    if (!owned_by(rq, "calendar.show", id, region)) {
        page_error(rq, 404, T(rq, "Activité introuvable", "Activity not found"),
                   T(rq, "Cette activité n'est pas au calendrier de cette région.", "This activity is not in this region's calendar."));
        return 0;
    }
    const op_arg a[] = {INTEGER("id", id), INTEGER("participants", n), TEXT("occurrence", occurrence)};
    char back[128];
    snprintf(back, sizeof back, "/r/%s/calendrier%s", region, rq->en ? "?lang=en" : "");
    return change(rq, "calendar.held", a, NARGS(a), back);
}

/* ---- membership applications: the only page with personal information ------- */

int page_applications(web_req *rq, const char *region)
{
    if (!rq->staff.email[0] || strcmp(rq->staff.region, region) != 0) {
        page_error(rq, rq->staff.email[0] ? 403 : 401, T(rq, "Réservé au personnel", "Staff only"),
                   T(rq, "Les demandes d'adhésion ne se lisent qu'une fois connecté comme membre du personnel de la "
                         "région.",
                     "Membership applications can only be read once logged in as the region's staff."));
        return 0;
    }
    rq->private_ = true; /* personal information: never stored by a browser or a proxy */
    web_result list;
    char code[32], err[512];
    static const char *const keys[] = {"region"};
    if (web_call(rq, "adhesion.list", 1, keys, (const char *const[]){region}, &list, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&list);
        return page_op_failed(rq, code, err);
    }
    bool decide = staff_may_change(rq, region);
    buf *b = &rq->body;
    page_open(rq, T(rq, "Demandes d'adhésion", "Membership applications"));
    buf_printf(b, "<h1>%s</h1>\n", T(rq, "Demandes d'adhésion", "Membership applications"));
    region_nav(rq, region, "/adhesion");
    buf_printf(b, "<p class=\"hint\">%s</p>\n",
               T(rq, "Renseignements personnels (Loi 25) : à ne pas copier ailleurs ; la personne peut demander à les voir, "
                     "les corriger ou les faire effacer.",
                 "Personal information (Québec's Law 25): do not copy it elsewhere; the person may ask to see, correct "
                 "or erase it."));
    const msgpack_object *rows = list.u.data.type == MSGPACK_OBJECT_ARRAY ? &list.u.data : NULL;
    if (!rows || rows->via.array.size == 0)
        buf_printf(b, "<p>%s</p>\n", T(rq, "Aucune demande.", "No application."));
    for (uint32_t i = 0; rows && i < rows->via.array.size; i++) {
        const msgpack_object *a = &rows->via.array.ptr[i];
        char state[16];
        mp_text(cd_get(a, "state"), state, sizeof state);
        int64_t id = cd_int(cd_get(a, "id"), 0);
        buf_printf(b, "<section class=\"application\" id=\"demande-%lld\"><h2>", (long long)id);
        html_mp(b, cd_get(a, "organisation"));
        buf_printf(b, " <span class=\"hint\">(%s)</span></h2><dl>", state);
        static const char *const fields[][3] = {
            {"category", "Catégorie", "Category"},       {"territory", "Territoire", "Territory"},
            {"contact_name", "Personne-ressource", "Contact"}, {"contact_email", "Courriel", "E-mail"},
            {"motivation", "Motivation", "Motivation"},  {"reason", "Motif", "Reason"},
        };
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            if (mp_is_str(cd_get(a, fields[k][0]))) {
                buf_printf(b, "<dt>%s</dt><dd>", T(rq, fields[k][1], fields[k][2]));
                html_mp(b, cd_get(a, fields[k][0]));
                buf_str(b, "</dd>");
            }
        if (cd_int(cd_get(a, "duplicate_of"), 0))
            buf_printf(b, "<dt>%s</dt><dd>nº %lld</dd>", T(rq, "Ressemble à", "Looks like"),
                       (long long)cd_int(cd_get(a, "duplicate_of"), 0));
        buf_str(b, "</dl>");
        if (decide && (strcmp(state, "submitted") == 0 || strcmp(state, "needs_info") == 0)) {
            buf_str(b, "<form class=\"decision\" method=\"post\" action=\"/r/");
            html_text(b, region);
            buf_printf(b, "/adhesion/%lld/decision\">", (long long)id);
            staff_csrf_field(rq);
            buf_printf(b, "<fieldset><legend>%s</legend>"
                          "<label><input type=\"radio\" name=\"decision\" value=\"accepted\" required> %s</label> "
                          "<label><input type=\"radio\" name=\"decision\" value=\"needs_info\"> %s</label> "
                          "<label><input type=\"radio\" name=\"decision\" value=\"refused\"> %s</label>"
                          "<label for=\"r-%lld\">%s</label><textarea id=\"r-%lld\" name=\"reason\" rows=\"2\"></textarea>"
                          "<button type=\"submit\">%s</button></fieldset></form>",
                       T(rq, "Décision", "Decision"), T(rq, "accepter", "accept"), T(rq, "demander des précisions", "ask for more"),
                       T(rq, "refuser", "refuse"), (long long)id,
                       T(rq, "Motif (obligatoire pour refuser ou demander)", "Reason (required to refuse or ask)"),
                       (long long)id, T(rq, "Enregistrer la décision", "Save the decision"));
        }
        buf_str(b, "</section>\n");
    }
    page_close(rq);
    web_result_free(&list);
    return 0;
}

int page_application_decide(web_req *rq, const char *region, const char *id_text)
{
    if (!may_post(rq, region))
        return 0;
    char *end;
    long long id = strtoll(id_text, &end, 10);
    if (*end || id <= 0)
        return page_error(rq, 404, T(rq, "Demande introuvable", "Application not found"), id_text), 0;
    if (!owned_by(rq, "adhesion.show", id, region)) {
        page_error(rq, 404, T(rq, "Demande introuvable", "Application not found"),
                   T(rq, "Cette demande n'est pas celle de cette région.", "This application is not this region's."));
        return 0;
    }
    const char *decision = field(rq, "decision"), *reason = field(rq, "reason");
    const op_arg a[] = {INTEGER("id", id), REQUIRED("decision", decision), TEXT("reason", reason)};
    char back[128];
    snprintf(back, sizeof back, "/r/%s/adhesion/demandes%s", region, rq->en ? "?lang=en" : "");
    return change(rq, "adhesion.decide", a, NARGS(a), back);
}

/* ---- moving an activity -------------------------------------------------------- */

void staff_move_controls(web_req *rq, const char *region, int64_t id)
{
    buf *b = &rq->body;
    buf_printf(b, "<details class=\"staff\"><summary>%s</summary><form method=\"post\" action=\"/r/",
               T(rq, "Déplacer l'activité", "Move the activity"));
    html_text(b, region);
    buf_printf(b, "/calendrier/%lld/deplacer\">", (long long)id);
    staff_csrf_field(rq);
    buf_printf(b, "<label>%s <input name=\"date\" type=\"date\" required></label><label>%s <input name=\"time\" "
                  "type=\"time\"></label><button type=\"submit\">%s</button></form></details>",
               T(rq, "Nouvelle date (première séance)", "New date (first session)"), T(rq, "Heure", "Time"),
               T(rq, "Déplacer", "Move"));
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM" as seconds (local wall clock, no DST
 * games: only differences are used); -1 when it is neither. */
static long long wall_seconds(const char *s)
{
    struct tm tm = {0};
    int n = sscanf(s, "%4d-%2d-%2dT%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min);
    if (n != 3 && n != 5)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

int page_calendar_move(web_req *rq, const char *region, const char *id_text)
{
    if (!may_post(rq, region))
        return 0;
    char *end;
    long long id = strtoll(id_text, &end, 10);
    const char *date = field(rq, "date"), *time_ = field(rq, "time");
    if (*end || id <= 0 || !owned_by(rq, "calendar.show", id, region)) {
        page_error(rq, 404, T(rq, "Activité introuvable", "Activity not found"),
                   T(rq, "Cette activité n'est pas au calendrier de cette région.", "This activity is not in this region's calendar."));
        return 0;
    }
    /* The same length as before, from the new start. */
    const op_arg which[] = {INTEGER("id", id)};
    msgpack_sbuffer args;
    pack_args(&args, which, NARGS(which));
    web_result res;
    char code[32], err[512], old_start[32] = "", old_end[32] = "";
    int rc = web_call_packed(rq, "calendar.show", &args, &res, code, sizeof code, err, sizeof err);
    msgpack_sbuffer_destroy(&args);
    if (rc == 0) {
        mp_text(cd_get(&res.u.data, "start"), old_start, sizeof old_start);
        mp_text(cd_get(&res.u.data, "end"), old_end, sizeof old_end);
    }
    web_result_free(&res);
    bool all_day = strlen(old_start) == 10, timed = time_ && *time_;
    char start[32], stop[32];
    snprintf(start, sizeof start, "%s%s%s", date ? date : "", timed ? "T" : "", timed ? time_ : "");
    long long length = wall_seconds(old_end) - wall_seconds(old_start), from = wall_seconds(start);
    if (!date || from < 0 || length < 0 || all_day == timed) {
        page_error(rq, 400, T(rq, "Activité non déplacée", "Activity not moved"),
                   all_day == timed ? T(rq, "Une activité d'une journée se déplace à une date, une activité à une heure "
                                            "à une date et une heure.",
                                        "An all-day activity moves to a date, a timed one to a date and a time.")
                                    : T(rq, "La date n'est pas lisible (AAAA-MM-JJ).", "The date cannot be read (YYYY-MM-DD)."));
        return 0;
    }
    time_t to = (time_t)(from + length);
    struct tm tm;
    gmtime_r(&to, &tm);
    strftime(stop, sizeof stop, timed ? "%Y-%m-%dT%H:%M" : "%Y-%m-%d", &tm);
    const op_arg a[] = {INTEGER("id", id), REQUIRED("start", start), REQUIRED("end", stop)};
    char back[128];
    snprintf(back, sizeof back, "/r/%s/calendrier%s", region, rq->en ? "?lang=en" : "");
    return change(rq, "calendar.update", a, NARGS(a), back);
}
