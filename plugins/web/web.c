/* web.c: the web plugin — the node's plans in a browser. It serves HTTP
 * from the daemon's own loop ([plugin.web] listen, 127.0.0.1:8080 by
 * default): the regions, each region's plan and its échéances as pages
 * that work without JavaScript, one stylesheet, and a JSON read API. Every
 * read goes through the documented ops, as concertctl's do. This file:
 * loading, configuration, the routes. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <sodium.h>

#include "shared.h"

static web_http *server;
static char *cert_pem, *key_pem; /* [plugin.web] cert_file, key_file: served over TLS */

/* A whole small file, or NULL with why in err. */
static char *slurp(const char *path, const char *key, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)n + 1)) && fread(text, 1, (size_t)n, f) == (size_t)n) {
        text[n] = '\0';
    } else {
        snprintf(err, errcap, "[plugin.web] %s = %s : %s", key, path, f ? "illisible ou trop grand" : api->strerror(errno));
        free(text);
        text = NULL;
    }
    if (f)
        fclose(f);
    return text;
}

static void stylesheet(web_req *rq)
{
    rq->content_type = "text/css; charset=utf-8";
    rq->max_age = 3600;
    buf_add(&rq->body, web_style_css, web_style_css_len);
}

/* The addresses that take a form (POST). */
static bool takes_form(const char *p)
{
    char region[64], number[32];
    int end = 0;
    if (strcmp(p, "/deconnexion") == 0)
        return true;
    if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 &&
        (strcmp(p + end, "/adhesion") == 0 || strcmp(p + end, "/connexion") == 0))
        return true;
    if (sscanf(p, "/r/%63[^/]/indicateur/%31[0-9]/mesure%n", region, number, &end) == 2 && p[end] == '\0')
        return true;
    if (sscanf(p, "/r/%63[^/]/calendrier/%31[0-9]/tenue%n", region, number, &end) == 2 && p[end] == '\0')
        return true;
    if (sscanf(p, "/r/%63[^/]/adhesion/%31[0-9]/decision%n", region, number, &end) == 2 && p[end] == '\0')
        return true;
    if (sscanf(p, "/r/%63[^/]/calendrier/%31[0-9]/deplacer%n", region, number, &end) == 2 && p[end] == '\0')
        return true;
    if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/calendrier/ajout") == 0)
        return true;
    return sscanf(p, "/r/%63[^/]/action/%31[^/]/etat%n", region, number, &end) == 2 && p[end] == '\0';
}

static void render(web_req *rq);

/* Pages and API answers that depend only on the address, the language,
 * the host and the day are served from the cache until the next event. */
static bool cacheable(const web_req *rq)
{
    const char *p = rq->path;
    if (rq->nquery || rq->staff.email[0] || (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0))
        return false;
    if (strcmp(p, "/") == 0 || strncmp(p, "/api/", 5) == 0)
        return true;
    return strncmp(p, "/r/", 3) == 0 && !strstr(p, "/adhesion") && !strstr(p, "/bilan");
}

static void route(web_req *rq)
{
    staff_of(rq); /* a staff member's pages have controls, and are never cached */
    if (!cacheable(rq)) {
        render(rq);
        return;
    }
    char key[512];
    cache_key(rq, MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST), key, sizeof key);
    if (cache_get(key, rq))
        return;
    render(rq);
    if (rq->status == 200) {
        web_etag(&rq->body, rq->etag);
        cache_put(key, rq, rq->etag);
    }
}

static void render(web_req *rq)
{
    bool read = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    if (!read && !(strcmp(rq->method, "POST") == 0 && takes_form(rq->path))) {
        snprintf(rq->allow, sizeof rq->allow, takes_form(rq->path) ? "GET, HEAD, POST" : "GET, HEAD");
        page_error(rq, 405, T(rq, "Méthode non permise", "Method not allowed"),
                   T(rq, "Cette adresse se lit seulement : rien n'y est modifié.",
                     "This address can only be read: nothing is changed here."));
        return;
    }
    const char *p = rq->path;
    char region[64], number[32];
    int end = 0;
    if (strcmp(p, "/") == 0) {
        page_home(rq);
    } else if (strcmp(p, "/style.css") == 0) {
        stylesheet(rq);
    } else if (strcmp(p, "/app.js") == 0) {
        rq->content_type = "text/javascript; charset=utf-8";
        rq->max_age = 3600;
        buf_add(&rq->body, web_app_js, web_app_js_len);
    } else if (strcmp(p, "/regions.csv") == 0) {
        regions_csv(rq);
    } else if (strcmp(p, "/metrics") == 0) {
        page_metrics(rq);
    } else if (strcmp(p, "/events") == 0) {
        rq->stream = true;
    } else if (strncmp(p, "/api/", 5) == 0) {
        api_route(rq, p + 4);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && (!p[end] || strcmp(p + end, "/") == 0)) {
        page_plan(rq, region);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/echeances") == 0) {
        page_echeances(rq, region);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/calendrier") == 0) {
        page_calendar(rq, region);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/calendrier.ics") == 0) {
        calendar_ics(rq, region);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/veille") == 0) {
        page_veille(rq, region);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/veille.atom") == 0) {
        veille_atom(rq, region);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 &&
               (strcmp(p + end, "/bilan") == 0 || strcmp(p + end, "/bilan.odt") == 0 ||
                strcmp(p + end, "/bilan.docx") == 0)) {
        page_bilan(rq, region, strchr(p + end, '.') ? strchr(p + end, '.') + 1 : "html");
    } else if (strcmp(p, "/deconnexion") == 0) {
        page_logout(rq);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/connexion") == 0) {
        page_login(rq, region);
    } else if (sscanf(p, "/r/%63[^/]/action/%31[^/]/etat%n", region, number, &end) == 2 && !p[end]) {
        page_action_state(rq, region, number);
    } else if (sscanf(p, "/r/%63[^/]/indicateur/%31[0-9]/mesure%n", region, number, &end) == 2 && !p[end]) {
        page_indicator_record(rq, region, number);
    } else if (sscanf(p, "/r/%63[^/]/adhesion/%31[0-9]/decision%n", region, number, &end) == 2 && !p[end]) {
        page_application_decide(rq, region, number);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/adhesion/demandes") == 0) {
        page_applications(rq, region);
    } else if (sscanf(p, "/r/%63[^/]/calendrier/%31[0-9]/deplacer%n", region, number, &end) == 2 && !p[end]) {
        page_calendar_move(rq, region, number);
    } else if (sscanf(p, "/r/%63[^/]/calendrier/%31[0-9]/tenue%n", region, number, &end) == 2 && !p[end]) {
        page_calendar_held(rq, region, number);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/calendrier/ajout") == 0) {
        page_calendar_add(rq, region);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/adhesion") == 0) {
        page_membership(rq, region);
    } else if (sscanf(p, "/r/%63[^/]%n", region, &end) == 1 && strcmp(p + end, "/adhesion/merci") == 0) {
        page_membership_thanks(rq, region);
    } else {
        page_error(rq, 404, T(rq, "Page introuvable", "Page not found"),
                   T(rq, "Aucune page ne se trouve à cette adresse.", "There is no page at this address."));
    }
}

/* concertd --check-config: what the start needs, nothing opened. */
static int check(cd_host *h, const cd_host_api *host_api)
{
    api = host_api;
    int problems = 0;
    const char *listen = api->config(h, NULL, "listen");
    struct sockaddr_storage ss;
    socklen_t len;
    if (listen && *listen && cn_parse_listen(listen, &ss, &len) != 0) {
        api->log(h, CD_LOG_ERROR, "[plugin.web] listen = %s : une adresse et un port, ex. 127.0.0.1:8080 ou [::1]:8080",
                 listen);
        problems++;
    }
    const char *cert = api->config(h, NULL, "cert_file"), *key = api->config(h, NULL, "key_file");
    if ((cert && *cert) != (key && *key)) {
        api->log(h, CD_LOG_ERROR, "[plugin.web] cert_file et key_file vont ensemble (le certificat et sa clé, en PEM)");
        problems++;
    }
    const char *files[][2] = {{"cert_file", cert}, {"key_file", key}};
    for (size_t i = 0; i < 2; i++) {
        char err[512], *text = files[i][1] && *files[i][1] ? slurp(files[i][1], files[i][0], err, sizeof err) : NULL;
        if (files[i][1] && *files[i][1] && !text) {
            api->log(h, CD_LOG_ERROR, "%s", err);
            problems++;
        }
        free(text);
    }
    if (metrics_init(h) != 0) /* says what is wrong with [plugin.web] metrics */
        problems++;
    return problems;
}

static int init(cd_host *h, const cd_host_api *host_api, void **state)
{
    (void)state;
    api = host_api;
    if (api->size < sizeof(cd_host_api) || !api->watch_start) {
        api->log(h, CD_LOG_ERROR, "ce concertd est trop ancien pour le web (pas de watch_start)");
        return -1;
    }
    const char *listen = api->config(h, NULL, "listen");
    if (!listen || !*listen)
        listen = "127.0.0.1:8080";
    char err[512];
    if (stream_init(h) != 0 || form_init(h) != 0 || accounts_init(h) != 0 || staff_init(h) != 0 || metrics_init(h) != 0)
        return -1;
    const char *cert = api->config(h, NULL, "cert_file"), *key = api->config(h, NULL, "key_file");
    if ((cert && *cert) != (key && *key)) {
        api->log(h, CD_LOG_ERROR, "[plugin.web] cert_file et key_file vont ensemble (le certificat et sa clé, en PEM)");
        return -1;
    }
    if (cert && *cert) {
        if (!(cert_pem = slurp(cert, "cert_file", err, sizeof err)) || !(key_pem = slurp(key, "key_file", err, sizeof err))) {
            api->log(h, CD_LOG_ERROR, "%s", err);
            return -1;
        }
        server = web_https_start(h, listen, cert_pem, key_pem, route, err, sizeof err);
    } else {
        server = web_http_start(h, listen, route, err, sizeof err);
    }
    if (!server) {
        api->log(h, CD_LOG_ERROR, "%s", err);
        return -1;
    }
    api->log(h, CD_LOG_INFO, "pages web sur %s://%s/", cert_pem ? "https" : "http", listen);
    return 0;
}

static void fini(void *state)
{
    (void)state;
    web_http_stop(&server);
    cache_clear();
    if (key_pem)
        sodium_memzero(key_pem, strlen(key_pem));
    free(key_pem);
    free(cert_pem);
    key_pem = cert_pem = NULL;
}

CD_PLUGIN_CHECKED("web", "0.1.0", init, fini, check);
