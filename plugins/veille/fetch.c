/* fetch.c: see fetch.h. The pattern is libcurl's "multi_socket": curl tells
 * us which sockets to watch (on_socket) and when to wake it (on_timer); the
 * host's loop tells curl what is ready (on_ready, on_timeout). */
#include "fetch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

typedef struct request {
    vf_fetcher *owner;
    CURL *easy;
    char host[256];
    char url[2048];
    char *etag, *last_modified;
    char *body;
    size_t size, cap;
    bool too_big;
    int redirects;
    bool temporary; /* a redirect on the way was not permanent */
    struct curl_slist *headers;
    vf_result result;
    struct request *next;
} request;

struct vf_fetcher {
    cd_host *h;
    const cd_host_api *api;
    vf_limits limits;
    vf_done_fn done;
    void *data;
    CURLM *multi;
    cd_timer *timer;
    request *waiting; /* FIFO */
    request *running;
    size_t nrunning;
    bool closing;
};

/* ---- per-request callbacks (curl) ---------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    request *r = data;
    size_t len = size * n;
    if (r->size + len > r->owner->limits.max_bytes) {
        r->too_big = true;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    if (r->size + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 16384;
        while (cap < r->size + len + 1)
            cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b)
            return 0;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->size, p, len);
    r->size += len;
    r->body[r->size] = '\0';
    return len;
}

/* "Name: value\r\n" into out when the name matches. */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    snprintf(out, cap, "%.*s", (int)(end - v), v);
}

static size_t on_header(char *p, size_t size, size_t n, void *data)
{
    request *r = data;
    size_t len = size * n;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new response (after a redirect): start over */
        r->result.etag[0] = r->result.last_modified[0] = r->result.content_type[0] = '\0';
        const char *sp = memchr(p, ' ', len);
        int code = sp ? atoi(sp + 1) : 0;
        if (code >= 300 && code < 400 && code != 304) {
            r->redirects++;
            r->temporary = r->temporary || (code != 301 && code != 308);
        }
        return len;
    }
    header_value(p, len, "ETag", r->result.etag, sizeof r->result.etag);
    header_value(p, len, "Last-Modified", r->result.last_modified, sizeof r->result.last_modified);
    header_value(p, len, "Content-Type", r->result.content_type, sizeof r->result.content_type);
    return len;
}

/* ---- the loop side ------------------------------------------------------------- */

static void check_done(vf_fetcher *f);
static void pump(vf_fetcher *f);

static int on_ready(cd_host *h, int fd, int events, void *data)
{
    (void)h;
    vf_fetcher *f = data;
    int flags = (events & CD_WATCH_READ ? CURL_CSELECT_IN : 0) | (events & CD_WATCH_WRITE ? CURL_CSELECT_OUT : 0) |
                (events & CD_WATCH_ERROR ? CURL_CSELECT_ERR : 0);
    int running;
    curl_multi_socket_action(f->multi, fd, flags, &running);
    check_done(f);
    return 0;
}

static int on_timeout(cd_host *h, void *data)
{
    (void)h;
    vf_fetcher *f = data;
    int running;
    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(f);
    return 0;
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    vf_fetcher *f = userp;
    cd_watch *w = socketp;
    if (f->closing)
        return 0;
    if (what == CURL_POLL_REMOVE) {
        f->api->watch_stop(w);
        curl_multi_assign(f->multi, s, NULL);
        return 0;
    }
    int events = (what & CURL_POLL_IN ? CD_WATCH_READ : 0) | (what & CURL_POLL_OUT ? CD_WATCH_WRITE : 0);
    if (!w) {
        w = f->api->watch_start(f->h, s, events, on_ready, f);
        if (!w)
            return -1;
        curl_multi_assign(f->multi, s, w);
        return 0;
    }
    return f->api->watch_change(w, events);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    vf_fetcher *f = userp;
    if (f->closing)
        return 0;
    f->api->timer_stop(f->timer);
    f->timer = NULL;
    if (timeout_ms >= 0) {
        f->timer = f->api->timer_start(f->h, (uint64_t)timeout_ms, 0, on_timeout, f);
        if (!f->timer)
            return -1;
    }
    return 0;
}

/* ---- requests ------------------------------------------------------------------ */

static void free_request(request *r)
{
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->etag);
    free(r->last_modified);
    free(r->body);
    free(r->result.body);
    free(r);
}

/* What went wrong, for the person reading `concertctl veille feeds`. */
static void describe(request *r, CURLcode code, const char *detail)
{
    vf_result *res = &r->result;
    const vf_limits *l = &r->owner->limits;
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(res->error, sizeof res->error, "nom d'hôte introuvable : %s", r->host);
        break;
    case CURLE_COULDNT_CONNECT:
        snprintf(res->error, sizeof res->error, "connexion impossible à %s (serveur arrêté ou injoignable)", r->host);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(res->error, sizeof res->error, "pas de réponse complète de %s en %ld s", r->host, l->timeout_s);
        break;
    case CURLE_TOO_MANY_REDIRECTS:
        snprintf(res->error, sizeof res->error, "trop de redirections (plus de %ld) : une boucle ?", l->max_redirects);
        break;
    case CURLE_FILESIZE_EXCEEDED:
        snprintf(res->error, sizeof res->error, "flux trop gros (plus de %zu Kio)", l->max_bytes / 1024);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
        snprintf(res->error, sizeof res->error, "connexion sécurisée refusée par %s : %s", r->host, detail);
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
        snprintf(res->error, sizeof res->error, "adresse refusée (seuls http et https sont suivis) : %s", detail);
        break;
    default:
        snprintf(res->error, sizeof res->error, "%s", detail[0] ? detail : curl_easy_strerror(code));
    }
}

static void finish(vf_fetcher *f, request *r, CURLcode code, const char *detail)
{
    vf_result *res = &r->result;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res->status);
    char *final = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &final);
    snprintf(res->final_url, sizeof res->final_url, "%s", final ? final : r->url);
    res->moved = r->redirects > 0 && !r->temporary && strcmp(res->final_url, r->url) != 0;
    if (r->too_big)
        describe(r, CURLE_FILESIZE_EXCEEDED, detail);
    else if (code != CURLE_OK)
        describe(r, code, detail);
    else if (res->status == 304)
        res->not_modified = true;
    else if (res->status >= 200 && res->status < 300) {
        res->body = r->body ? r->body : strdup("");
        res->size = r->size;
        r->body = NULL;
    } else
        snprintf(res->error, sizeof res->error, "le serveur répond HTTP %ld%s", res->status,
                 res->status == 404   ? " (page introuvable : l'adresse a changé ?)"
                 : res->status == 410 ? " (flux supprimé)"
                 : res->status >= 500 ? " (erreur du serveur)"
                 : res->status == 403 || res->status == 401 ? " (accès refusé)"
                                                            : "");
    f->done(f->h, res, f->data);
}

static int start(vf_fetcher *f, request *r)
{
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    r->easy = c;
    const vf_limits *l = &f->limits;
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_PRIVATE, r);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->result.error); /* the detail, reworded by describe() */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, l->max_redirects);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, l->timeout_s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, l->connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)l->max_bytes);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* every compression this curl decodes */
    curl_easy_setopt(c, CURLOPT_USERAGENT, l->user_agent);
    if (l->ca_file[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, l->ca_file);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    r->headers = curl_slist_append(NULL, "Accept: application/atom+xml, application/rss+xml, application/rdf+xml, "
                                         "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5");
    char line[512];
    if (r->etag && r->etag[0]) {
        snprintf(line, sizeof line, "If-None-Match: %s", r->etag);
        r->headers = curl_slist_append(r->headers, line);
    }
    if (r->last_modified && r->last_modified[0]) {
        snprintf(line, sizeof line, "If-Modified-Since: %s", r->last_modified);
        r->headers = curl_slist_append(r->headers, line);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    return curl_multi_add_handle(f->multi, c) == CURLM_OK ? 0 : -1;
}

static bool host_busy(const vf_fetcher *f, const char *host)
{
    for (const request *r = f->running; r; r = r->next)
        if (strcasecmp(r->host, host) == 0)
            return true;
    return false;
}

/* Starts what may start: in order, one per host, max_parallel in all. */
static void pump(vf_fetcher *f)
{
    for (request **pp = &f->waiting; *pp && f->nrunning < (size_t)f->limits.max_parallel;) {
        request *r = *pp;
        if (host_busy(f, r->host)) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        r->next = f->running;
        f->running = r;
        f->nrunning++;
        if (start(f, r) != 0) {
            const char *detail = "libcurl: requête impossible à démarrer";
            f->running = r->next;
            f->nrunning--;
            finish(f, r, CURLE_FAILED_INIT, detail);
            free_request(r);
        }
    }
}

static void check_done(vf_fetcher *f)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(f->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        request *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode code = m->data.result;
        curl_multi_remove_handle(f->multi, m->easy_handle);
        for (request **pp = &f->running; *pp; pp = &(*pp)->next)
            if (*pp == r) {
                *pp = r->next;
                f->nrunning--;
                break;
            }
        char detail[sizeof r->result.error];
        memcpy(detail, r->result.error, sizeof detail); /* curl's error buffer, reworded by describe() */
        r->result.error[0] = '\0';
        finish(f, r, code, detail);
        free_request(r);
    }
    pump(f);
}

/* ---- public -------------------------------------------------------------------- */

vf_fetcher *vf_fetcher_new(cd_host *h, const cd_host_api *api, const vf_limits *limits, vf_done_fn done, void *data)
{
    vf_fetcher *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->h = h;
    f->api = api;
    f->limits = *limits;
    f->done = done;
    f->data = data;
    f->multi = curl_multi_init();
    if (!f->multi) {
        free(f);
        return NULL;
    }
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    return f;
}

static bool has_id(const request *list, int64_t id)
{
    for (; list; list = list->next)
        if (list->result.id == id)
            return true;
    return false;
}

int vf_fetch(vf_fetcher *f, int64_t id, const char *url, const char *etag, const char *last_modified)
{
    if (has_id(f->waiting, id) || has_id(f->running, id))
        return 1;
    request *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->owner = f;
    r->result.id = id;
    snprintf(r->url, sizeof r->url, "%s", url);
    CURLU *u = curl_url();
    char *host = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        snprintf(r->host, sizeof r->host, "%s", host);
    curl_free(host);
    curl_url_cleanup(u);
    r->etag = etag && etag[0] ? strdup(etag) : NULL;
    r->last_modified = last_modified && last_modified[0] ? strdup(last_modified) : NULL;
    request **pp = &f->waiting;
    while (*pp)
        pp = &(*pp)->next;
    *pp = r;
    pump(f);
    return 0;
}

size_t vf_pending(const vf_fetcher *f)
{
    size_t n = f->nrunning;
    for (const request *r = f->waiting; r; r = r->next)
        n++;
    return n;
}

void vf_fetcher_free(vf_fetcher **fp)
{
    vf_fetcher *f = fp ? *fp : NULL;
    if (!f)
        return;
    f->closing = true; /* the host has stopped our watches and timers already, or will */
    for (request *r = f->running, *next; r; r = next) {
        next = r->next;
        curl_multi_remove_handle(f->multi, r->easy);
        free_request(r);
    }
    for (request *r = f->waiting, *next; r; r = next) {
        next = r->next;
        free_request(r);
    }
    curl_multi_cleanup(f->multi);
    free(f);
    *fp = NULL;
}
