/* form.c: a region's public membership form, /r/REGION/adhesion. The
 * region's policy (adhesion.policy) decides its categories, its charter
 * and the fields it requires; what is sent goes to adhesion.submit, as
 * concertctl's would, and the answer waits for the commit (after_commit):
 * "received" is said only once it is on disk, then the browser is sent to
 * a thank-you page (303, so a reload sends nothing twice).
 *
 * Loi 25: the form says why each piece of personal information is asked,
 * who sees it, how long it is kept and how to have it corrected or erased,
 * and nothing is sent without the applicant's consent (a box to tick).
 * Against forged and repeated posts: a token signed with a key of this
 * process (libsodium's crypto_auth, valid two hours), the browser's
 * Origin when it sends one, and at most form_limit posts (5) per address
 * per 10 minutes. Every error is answered in words, with what was typed kept,
 * and nothing is stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "shared.h"

#define TOKEN_SECONDS 7200
#define WINDOW_MS (10 * 60 * 1000)

static unsigned char token_key[crypto_auth_KEYBYTES];
static int posts_per_window = 5; /* [plugin.web] form_limit */

int form_init(cd_host *h)
{
    const char *limit = api->config(h, NULL, "form_limit");
    if (limit) {
        char *end;
        long n = strtol(limit, &end, 10);
        if (*end || n < 1 || n > 10000) {
            api->log(h, CD_LOG_ERROR, "[plugin.web] form_limit = %s : un nombre d'envois par adresse en 10 minutes, "
                                      "de 1 à 10000", limit);
            return -1;
        }
        posts_per_window = (int)n;
    }
    if (sodium_init() < 0)
        return -1;
    crypto_auth_keygen(token_key);
    return 0;
}

/* "TIME.MAC" for region at time t. */
static void token_for(const char *region, long long t, char out[160])
{
    char msg[128];
    snprintf(msg, sizeof msg, "%lld/%s", t, region);
    unsigned char mac[crypto_auth_BYTES];
    crypto_auth(mac, (const unsigned char *)msg, strlen(msg), token_key);
    char hex[2 * crypto_auth_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, 160, "%lld.%s", t, hex);
}

static bool token_ok(const char *region, const char *token)
{
    if (!token)
        return false;
    char *end;
    long long t = strtoll(token, &end, 10);
    long long now = (long long)time(NULL);
    if (*end != '.' || t > now || now - t > TOKEN_SECONDS)
        return false;
    char expected[160];
    token_for(region, t, expected);
    return strlen(expected) == strlen(token) && sodium_memcmp(expected, token, strlen(token)) == 0;
}

/* At most posts_per_window posts per client address per window. */
static bool allowed(web_req *rq)
{
    static web_rate seen[128];
    return web_rate_ok(rq, seen, sizeof seen / sizeof seen[0], posts_per_window, WINDOW_MS);
}

/* The Origin a browser sends with a form must be this site. */
static bool same_origin(web_req *rq)
{
    const char *origin = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!origin)
        return true; /* not a browser's cross-site post: the token decides */
    const char *rest = strncmp(origin, "http://", 7) == 0 ? origin + 7 : strncmp(origin, "https://", 8) == 0 ? origin + 8 : NULL;
    return rest && host && strcmp(rest, host) == 0;
}

static const char *field_value(web_req *rq, const char *key) { return rq->form ? rq->form_value(rq, key) : NULL; }

static bool required(const msgpack_object *policy, const char *field)
{
    const msgpack_object *req = cd_get(policy, "required");
    for (uint32_t i = 0; req && req->type == MSGPACK_OBJECT_ARRAY && i < req->via.array.size; i++)
        if (req->via.array.ptr[i].type == MSGPACK_OBJECT_STR &&
            req->via.array.ptr[i].via.str.size == strlen(field) &&
            memcmp(req->via.array.ptr[i].via.str.ptr, field, strlen(field)) == 0)
            return true;
    return false;
}

/* A labelled text field, what was typed kept. */
static void input(web_req *rq, const char *name, const char *type, const char *fr, const char *en, const char *why_fr,
                  const char *why_en, bool needed)
{
    buf *b = &rq->body;
    buf_printf(b, "<p class=\"field\"><label for=\"f-%s\">%s%s</label>", name, T(rq, fr, en),
               needed ? T(rq, " (obligatoire)", " (required)") : "");
    if (why_fr)
        buf_printf(b, "<span class=\"hint\" id=\"h-%s\">%s</span>", name, T(rq, why_fr, why_en));
    if (strcmp(type, "textarea") == 0)
        buf_printf(b, "<textarea id=\"f-%s\" name=\"%s\" rows=\"4\"%s%s>", name, name, needed ? " required" : "",
                   why_fr ? "" : "");
    else
        buf_printf(b, "<input id=\"f-%s\" name=\"%s\" type=\"%s\"%s value=\"", name, name, type,
                   needed ? " required" : "");
    html_text(b, field_value(rq, name));
    if (why_fr && strcmp(type, "textarea") != 0)
        buf_printf(b, "\" aria-describedby=\"h-%s", name);
    buf_str(b, strcmp(type, "textarea") == 0 ? "</textarea></p>\n" : "\"></p>\n");
}

static void form_page(web_req *rq, const char *slug, const char *name, const msgpack_object *policy,
                      const msgpack_object *territories, const char *error)
{
    buf *b = &rq->body;
    char title[320], charter[64], token[160], chosen[64] = "";
    mp_text(cd_get(policy, "charter"), charter, sizeof charter);
    snprintf(title, sizeof title, "%s — %s", name, T(rq, "demande d'adhésion", "membership application"));
    const char *given = field_value(rq, "category");
    snprintf(chosen, sizeof chosen, "%s", given ? given : "");
    token_for(slug, (long long)time(NULL), token);
    page_open(rq, title);
    buf_str(b, "<h1>");
    html_text(b, title);
    buf_str(b, "</h1>\n");
    region_nav(rq, slug, "/adhesion");
    if (rq->staff.email[0] && strcmp(rq->staff.region, slug) == 0) {
        buf_str(b, "<p><a href=\"/r/");
        html_text(b, slug);
        buf_printf(b, "/adhesion/demandes\">%s</a></p>\n", T(rq, "Les demandes reçues (personnel)", "Applications received (staff)"));
    }
    if (error) {
        buf_printf(b, "<div class=\"error\" role=\"alert\"><h2>%s</h2><p>", T(rq, "La demande n'est pas partie",
                                                                            "The application was not sent"));
        html_text(b, error);
        buf_printf(b, "</p><p>%s</p></div>\n", T(rq, "Rien n'a été enregistré ; corrigez puis envoyez de nouveau.",
                                                  "Nothing was saved; correct it and send it again."));
    }
    buf_str(b, "<form class=\"membership\" method=\"post\" action=\"/r/");
    html_text(b, slug);
    buf_str(b, "/adhesion");
    if (rq->en)
        buf_str(b, "?lang=en");
    buf_str(b, "\">\n<input type=\"hidden\" name=\"token\" value=\"");
    html_text(b, token);
    buf_str(b, "\">\n");
    buf_printf(b, "<fieldset><legend>%s</legend>\n", T(rq, "L'organisme", "The organisation"));
    input(rq, "organisation", "text", "Nom de l'organisme", "Organisation's name", NULL, NULL, true);
    buf_printf(b, "<p class=\"field\"><label for=\"f-category\">%s</label><select id=\"f-category\" name=\"category\" "
                  "required>",
               T(rq, "Catégorie de membre (obligatoire)", "Member category (required)"));
    const msgpack_object *cats = cd_get(policy, "categories");
    for (uint32_t i = 0; cats && cats->type == MSGPACK_OBJECT_ARRAY && i < cats->via.array.size; i++) {
        char id[64];
        mp_text(cd_get(&cats->via.array.ptr[i], "id"), id, sizeof id);
        buf_str(b, "<option value=\"");
        html_text(b, id);
        buf_str(b, strcmp(id, chosen) == 0 ? "\" selected>" : "\">");
        html_mp(b, cd_get(&cats->via.array.ptr[i], "name"));
        buf_str(b, "</option>");
    }
    buf_str(b, "</select></p>\n");
    bool need_territory = required(policy, "territory");
    uint32_t nt = territories && territories->type == MSGPACK_OBJECT_ARRAY ? territories->via.array.size : 0;
    if (nt) {
        const char *t = field_value(rq, "territory");
        buf_printf(b, "<p class=\"field\"><label for=\"f-territory\">%s%s</label><select id=\"f-territory\" "
                      "name=\"territory\"%s><option value=\"\"></option>",
                   T(rq, "Territoire", "Territory"), need_territory ? T(rq, " (obligatoire)", " (required)") : "",
                   need_territory ? " required" : "");
        for (uint32_t i = 0; i < nt; i++) {
            char tn[128];
            mp_text(cd_get(&territories->via.array.ptr[i], "name"), tn, sizeof tn);
            buf_str(b, "<option");
            if (t && strcmp(t, tn) == 0)
                buf_str(b, " selected");
            buf_str(b, ">");
            html_text(b, tn);
            buf_str(b, "</option>");
        }
        buf_str(b, "</select></p>\n");
    } else {
        input(rq, "territory", "text", "Territoire", "Territory", NULL, NULL, need_territory);
    }
    buf_str(b, "</fieldset>\n");
    buf_printf(b, "<fieldset><legend>%s</legend>\n", T(rq, "La personne-ressource", "The contact person"));
    input(rq, "contact_name", "text", "Nom", "Name", "Pour vous écrire au sujet de la demande.",
          "To write to you about the application.", true);
    input(rq, "contact_email", "email", "Courriel", "E-mail",
          "La réponse à la demande y sera envoyée ; jamais publié ni transmis.",
          "The answer will be sent there; never published nor passed on.", true);
    buf_str(b, "</fieldset>\n");
    input(rq, "motivation", "textarea", "Pourquoi adhérer ?", "Why join?", NULL, NULL, required(policy, "motivation"));
    buf_printf(b, "<p class=\"check\"><input type=\"checkbox\" id=\"f-charter\" name=\"charter_ok\" value=\"1\" required>"
                  "<label for=\"f-charter\">%s ",
               T(rq, "L'organisme adhère à la charte des valeurs de la table, version", "The organisation endorses the "
                                                                                       "table's charter of values, "
                                                                                       "version"));
    html_text(b, charter);
    buf_str(b, ".</label></p>\n");
    buf_printf(b, "<div class=\"consent\"><h2>%s</h2><p>%s</p>"
                  "<p class=\"check\"><input type=\"checkbox\" id=\"f-consent\" name=\"consent\" value=\"1\" required>"
                  "<label for=\"f-consent\">%s</label></p></div>\n",
               T(rq, "Vos renseignements personnels", "Your personal information"),
               T(rq, "Le nom et le courriel de la personne-ressource, et la motivation, servent seulement à traiter "
                     "cette demande et à écrire à l'organisme au sujet de son adhésion. Seule l'équipe de la table y a "
                     "accès ; ils ne sont ni publiés ni transmis, et ne quittent pas ce serveur. Ils sont conservés "
                     "tant que l'organisme est membre, puis effacés sur demande. Pour les consulter, les faire "
                     "corriger ou effacer, écrivez à la table (Loi 25).",
                 "The contact's name and e-mail, and the motivation, are used only to handle this application and "
                 "to write to the organisation about its membership. Only the table's staff can see them; they are "
                 "neither published nor passed on, and do not leave this server. They are kept while the "
                 "organisation is a member, then erased on request. To see, correct or erase them, write to the "
                 "table (Québec's Law 25)."),
               T(rq, "J'accepte que ces renseignements soient conservés et utilisés à ces fins.",
                 "I agree that this information be kept and used for these purposes."));
    buf_printf(b, "<p><button type=\"submit\">%s</button></p>\n</form>\n", T(rq, "Envoyer la demande", "Send the application"));
    page_close(rq);
}

/* The region and its policy, or the page saying why there is no form. */
static int load(web_req *rq, const char *region, char *slug, char *name, web_result *reg, web_result *pol)
{
    char code[32], err[512];
    static const char *const keys[] = {"id"}, *const pkeys[] = {"region"};
    if (web_call(rq, "region.get", 1, keys, (const char *const[]){region}, reg, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(reg);
        page_op_failed(rq, code, err);
        return -1;
    }
    mp_text(cd_get(&reg->u.data, "id"), slug, 64);
    mp_text(cd_get(&reg->u.data, "name"), name, 256);
    const char *owner = api->region_origin(rq->h, slug);
    if (owner) { /* a copy: its members are the owner's business */
        char sentence[300];
        snprintf(sentence, sizeof sentence,
                 T(rq, "Cette région appartient au nœud %s : les demandes d'adhésion se font sur son site.",
                   "This region belongs to node %s: membership applications are made on its site."),
                 owner);
        web_result_free(reg);
        page_error(rq, 404, T(rq, "Pas de demande d'adhésion ici", "No membership application here"), sentence);
        return -1;
    }
    if (web_call(rq, "adhesion.policy", 1, pkeys, (const char *const[]){slug}, pol, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(pol);
        web_result_free(reg);
        page_error(rq, 404, T(rq, "Pas de demande d'adhésion en ligne", "No online membership application"),
                   T(rq, "Cette région ne reçoit pas encore de demandes d'adhésion par ce site : écrivez à la table.",
                     "This region does not take membership applications on this site yet: write to the table."));
        return -1;
    }
    return 0;
}

int page_membership(web_req *rq, const char *region)
{
    web_result reg, pol;
    char slug[64], name[256];
    if (load(rq, region, slug, name, &reg, &pol) != 0)
        return 0;
    bool post = strcmp(rq->method, "POST") == 0;
    const char *error = NULL;
    char why[600];
    if (post) {
        if (!allowed(rq)) {
            page_error(rq, 429, T(rq, "Trop d'envois", "Too many posts"),
                       T(rq, "Plusieurs demandes viennent d'arriver de votre adresse : réessayez dans dix minutes.",
                         "Several applications just came from your address: try again in ten minutes."));
            goto out;
        }
        if (!same_origin(rq)) {
            page_error(rq, 403, T(rq, "Envoi refusé", "Post refused"),
                       T(rq, "Ce formulaire ne peut être envoyé que depuis ce site.",
                         "This form can only be sent from this site."));
            goto out;
        }
        rq->status = 400;
        if (!token_ok(slug, field_value(rq, "token"))) {
            error = T(rq, "Le formulaire a expiré (il est valable deux heures) : il vient d'être rechargé.",
                      "The form expired (it is valid for two hours): it was just reloaded.");
        } else if (!field_value(rq, "consent")) {
            error = T(rq, "Cochez la case de consentement : sans elle, la table ne peut pas garder vos renseignements.",
                      "Tick the consent box: without it, the table cannot keep your information.");
        } else if (!field_value(rq, "charter_ok")) {
            error = T(rq, "Cochez la case de la charte des valeurs : l'adhésion passe par elle.",
                      "Tick the charter box: membership goes through it.");
        } else {
            static const char *const fields[] = {"organisation", "category", "territory", "contact_name",
                                                 "contact_email", "motivation"};
            const char *keys[9], *values[9];
            size_t n = 0;
            keys[n] = "region", values[n++] = slug;
            for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
                const char *v = field_value(rq, fields[i]);
                keys[n] = fields[i], values[n++] = v && *v ? v : NULL;
            }
            char charter[64];
            mp_text(cd_get(&pol.u.data, "charter"), charter, sizeof charter);
            keys[n] = "charter", values[n++] = charter;
            keys[n] = "lang", values[n++] = rq->en ? "en" : "fr";
            web_result res;
            char code[32], err[512];
            if (web_call(rq, "adhesion.submit", n, keys, values, &res, code, sizeof code, err, sizeof err) != 0) {
                snprintf(why, sizeof why, "%s", err);
                error = why;
                if (strcmp(code, "invalid_argument") != 0)
                    rq->status = strcmp(code, "forbidden") == 0 ? 403 : 503;
            } else {
                rq->status = 303; /* to the thank-you page, once it is committed */
                rq->defer = true;
                snprintf(rq->location, sizeof rq->location, "/r/%s/adhesion/merci%s", slug, rq->en ? "?lang=en" : "");
                buf_str(&rq->body, "<!DOCTYPE html><p><a href=\"");
                html_text(&rq->body, rq->location);
                buf_printf(&rq->body, "\">%s</a></p>\n", T(rq, "Demande reçue", "Application received"));
            }
            web_result_free(&res);
        }
        if (!rq->defer)
            form_page(rq, slug, name, &pol.u.data, cd_get(&reg.u.data, "territories"), error);
    } else {
        rq->live_region = NULL;
        form_page(rq, slug, name, &pol.u.data, cd_get(&reg.u.data, "territories"), NULL);
    }
out:
    web_result_free(&pol);
    web_result_free(&reg);
    return 0;
}

int page_membership_thanks(web_req *rq, const char *region)
{
    web_result reg, pol;
    char slug[64], name[256];
    if (load(rq, region, slug, name, &reg, &pol) != 0)
        return 0;
    char title[320];
    snprintf(title, sizeof title, "%s — %s", name, T(rq, "demande reçue", "application received"));
    page_open(rq, title);
    buf_str(&rq->body, "<h1>");
    html_text(&rq->body, title);
    buf_printf(&rq->body, "</h1>\n<p>%s</p>\n",
               T(rq, "Merci : votre demande d'adhésion est enregistrée. Un courriel vous le confirme, et la table vous "
                     "écrira dès qu'elle aura été étudiée.",
                 "Thank you: your membership application is saved. An e-mail confirms it, and the table will write "
                 "to you once it has been considered."));
    region_nav(rq, slug, "/adhesion");
    page_close(rq);
    web_result_free(&pol);
    web_result_free(&reg);
    return 0;
}
