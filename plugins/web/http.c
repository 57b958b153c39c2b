/* http.c: see web.h. libmicrohttpd runs without a thread of its own
 * (MHD_USE_EPOLL, no MHD_USE_INTERNAL_POLLING_THREAD): its epoll
 * descriptor is watched on the daemon's loop through the host, and
 * MHD_run() is called when it is readable, or when MHD asks to be called
 * again (MHD_get_timeout: 0 when a connection has work ready, else its
 * idle timeouts, checked by a one-second timer, which also finds the
 * clients that hung up unseen: lib/mhd_hangup.c). So every request is
 * handled on the loop thread, in the host's transaction of the watch's
 * callback, and only ever calls the host from there. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "mhd_hangup.h"
#include "shared.h"
#include "utf8.h"

struct web_http {
    cd_host *h;
    struct MHD_Daemon *d;
    cd_watch *watch;
    cd_timer *tick, *soon;
    web_route_fn route;
};

#define SECURITY_POLICY(style)                                                                                   \
    "default-src 'self'; script-src 'self'; style-src 'self'" style "; img-src 'self' data:; object-src 'none'; " \
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

static void run(web_http *w);

/* Called again as soon as the loop allows: MHD has work ready. */
static int on_soon(cd_host *h, void *data)
{
    (void)h;
    web_http *w = data;
    api->timer_stop(w->soon);
    w->soon = NULL;
    run(w);
    return 0;
}

static void run(web_http *w)
{
    MHD_run(w->d);
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(w->d, &ms) == MHD_YES && ms == 0 && !w->soon)
        w->soon = api->timer_start(w->h, 0, 0, on_soon, w);
}

static int on_ready(cd_host *h, int fd, int events, void *data)
{
    (void)h, (void)fd, (void)events;
    run(data);
    return 0;
}

static int on_tick(cd_host *h, void *data)
{
    (void)h;
    static unsigned ticks;
    if (++ticks % 15 == 0)
        stream_ping();
    cn_mhd_hangup_sweep();
    run(data);
    return 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    web_http *w = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    api->log(w->h, CD_LOG_WARN, "http : %s", line);
}

/* ---- the request's language ---------------------------------------------- */

static const char *query(web_req *rq, const char *key)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* English when ?lang=en, or when Accept-Language ranks English above
 * French (by q, then by order); French otherwise. */
static bool wants_english(struct MHD_Connection *c)
{
    const char *lang = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    if (lang)
        return strcmp(lang, "en") == 0;
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
    double fr = -1, en = -1;
    for (const char *p = accept; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        double q = 1;
        const char *semi = memchr(p, ';', len);
        if (semi && sscanf(semi, ";q=%lf", &q) != 1 && sscanf(semi, "; q=%lf", &q) != 1)
            q = 1;
        if (fr < 0 && strncasecmp(p, "fr", 2) == 0 && (p[2] == '-' || p[2] == ';' || p[2] == ',' || !p[2] || p[2] == ' '))
            fr = q;
        if (en < 0 && strncasecmp(p, "en", 2) == 0 && (p[2] == '-' || p[2] == ';' || p[2] == ',' || !p[2] || p[2] == ' '))
            en = q;
        p += len;
    }
    return en > 0 && en > fr;
}

/* ---- requests ----------------------------------------------------------------- */

/* FNV-1a of the body: the ETag of an answer (the same bytes, the same tag). */
void web_etag(const buf *b, char out[28])
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < b->n; i++)
        h = (h ^ (unsigned char)b->p[i]) * 1099511628211ULL;
    snprintf(out, 28, "\"%016llx\"", (unsigned long long)h);
}

/* If-None-Match holds tag (or "*"). */
static bool not_modified(struct MHD_Connection *c, const char *tag)
{
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    return inm && (strstr(inm, tag) || strcmp(inm, "*") == 0);
}

/* Queues rq's answer (its body, headers, ETag/304) on c. */
static enum MHD_Result answer(struct MHD_Connection *c, web_req *rq)
{
    if (rq->body.oom) {
        buf_free(&rq->body);
        return MHD_NO; /* the connection is closed: nothing half-written */
    }
    char tag[28] = "";
    if (rq->status == MHD_HTTP_OK && !rq->private_) {
        if (rq->etag[0])
            snprintf(tag, sizeof tag, "%s", rq->etag);
        else
            web_etag(&rq->body, tag);
        if (not_modified(c, tag)) {
            buf_free(&rq->body);
            rq->status = MHD_HTTP_NOT_MODIFIED;
        }
    }
    struct MHD_Response *r = rq->body.n ? MHD_create_response_from_buffer(rq->body.n, rq->body.p, MHD_RESPMEM_MUST_FREE)
                                        : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        buf_free(&rq->body);
        return MHD_NO;
    }
    if (rq->body.n)
        memset(&rq->body, 0, sizeof rq->body); /* MHD frees it now */
    else
        buf_free(&rq->body);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rq->content_type);
    /* A page written whole by the daemon (the bilan) carries its own style sheet. */
    MHD_add_response_header(r, "Content-Security-Policy",
                            rq->inline_style ? SECURITY_POLICY(" 'unsafe-inline'") : SECURITY_POLICY(""));
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Language, Accept-Encoding");
    if (rq->content_encoding && rq->status == MHD_HTTP_OK)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, rq->content_encoding);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_LANGUAGE, rq->en ? "en" : "fr");
    if (rq->allow[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rq->allow);
    if (rq->location[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rq->location);
    if (tag[0]) {
        char cache[64];
        snprintf(cache, sizeof cache, rq->max_age ? "public, max-age=%d" : "no-cache", rq->max_age);
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, tag);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    } else {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, rq->private_ ? "private, no-store" : "no-store");
    }
    if (rq->disposition)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, rq->disposition);
    if (rq->cookie[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, rq->cookie);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)rq->status, r);
    MHD_destroy_response(r);
    return ok;
}

/* ---- forms (POST) -------------------------------------------------------------- */

#define BODY_LIMIT (64 * 1024) /* a form is small; anything larger is refused (413) */

/* One POST across MHD's calls: its fields as they arrive, then its answer,
 * kept while the connection waits for the transaction to end. */
typedef struct {
    web_http *w;
    struct MHD_Connection *conn;
    struct MHD_PostProcessor *pp;
    char *keys[32], *values[32];
    size_t nfields, bytes;
    bool too_big, unreadable, waiting, ready;
    web_req rq;
} posting;

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                const char *type, const char *encoding, const char *data, uint64_t off, size_t size)
{
    (void)kind, (void)filename, (void)type, (void)encoding;
    posting *p = cls;
    if (!key)
        return MHD_YES; /* a multipart part without a name (found by the web fuzzer): no field of any form */
    size_t i = 0;
    while (i < p->nfields && !(off > 0 && strcmp(p->keys[i], key) == 0))
        i++;
    if (i == p->nfields) { /* a new field (a value comes in pieces: off > 0 continues it) */
        if (p->nfields == sizeof p->keys / sizeof p->keys[0])
            return MHD_YES; /* more fields than any form has: the rest is dropped */
        p->keys[i] = strdup(key);
        p->values[i] = strdup("");
        if (!p->keys[i] || !p->values[i])
            return MHD_NO;
        p->nfields++;
    }
    size_t had = strlen(p->values[i]);
    char *grown = realloc(p->values[i], had + size + 1);
    if (!grown)
        return MHD_NO;
    if (size)
        memcpy(grown + had, data, size);
    grown[had + size] = '\0';
    p->values[i] = grown;
    return MHD_YES;
}

static bool is_text(const char *s) { return !s || cn_utf8_valid_prefix(s, strlen(s)) == strlen(s); }

static enum MHD_Result query_is_text(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    bool *ok = cls;
    *ok = *ok && is_text(key) && is_text(value);
    return *ok ? MHD_YES : MHD_NO;
}

/* Whether the address, its query, its Host (pages write links with it)
 * and the form sent are text (UTF-8): a "%C3" without its second byte is
 * not, and would be written back into a page as it came. A form that is
 * not is read as no form. */
static bool request_is_text(struct MHD_Connection *c, const char *url, posting *p)
{
    bool ok = is_text(url) && is_text(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST));
    if (ok)
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_is_text, &ok);
    for (size_t i = 0; p && i < p->nfields; i++)
        if (!is_text(p->keys[i]) || !is_text(p->values[i]))
            p->unreadable = true;
    return ok;
}

static const char *form_value(web_req *rq, const char *key)
{
    posting *p = rq->form;
    if (p && p->unreadable)
        return NULL;
    for (size_t i = 0; p && i < p->nfields; i++)
        if (strcmp(p->keys[i], key) == 0)
            return p->values[i];
    return NULL;
}

static void posting_free(posting *p)
{
    if (p->pp)
        MHD_destroy_post_processor(p->pp);
    for (size_t i = 0; i < p->nfields; i++) {
        free(p->keys[i]);
        free(p->values[i]);
    }
    buf_free(&p->rq.body);
    free(p);
}

/* The transaction of a form's request has ended: its answer may go. */
static void form_committed(cd_host *h, void *data, int status)
{
    (void)h;
    posting *p = data;
    if (status != 0) {
        p->rq.location[0] = '\0';
        page_error(&p->rq, MHD_HTTP_SERVICE_UNAVAILABLE, T(&p->rq, "Rien n'a été enregistré", "Nothing was saved"),
                   T(&p->rq, "Le serveur n'a pas pu enregistrer votre envoi (disque plein ou indisponible). Rien n'est "
                             "conservé : réessayez dans un moment.",
                     "The server could not save what you sent (disk full or unavailable). Nothing is kept: try "
                     "again in a moment."));
    }
    p->waiting = false;
    p->ready = true;
    MHD_resume_connection(p->conn);
}

void web_release(web_req *rq)
{
    posting *p = rq->form; /* a held request is always a POST's, rq is its own */
    p->waiting = false;
    p->ready = true;
    MHD_resume_connection(p->conn);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)c, (void)why;
    if (*state)
        posting_free(*state);
    *state = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
    (void)version;
    web_http *w = cls;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    posting *p = *state;
    if (post && !p) { /* the first call: headers only */
        p = calloc(1, sizeof *p);
        if (!p)
            return MHD_NO;
        p->w = w;
        p->conn = c;
        *state = p;
        const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        p->too_big = length && strtoull(length, NULL, 10) > BODY_LIMIT;
        if (!p->too_big) {
            p->pp = MHD_create_post_processor(c, 8192, on_field, p);
            return MHD_YES;
        }
        /* Said too big before a byte of it is read: answered now, and the
         * connection closed rather than the body read. */
    }
    if (post && *upload_size && !p->too_big) { /* a piece of the body */
        p->bytes += *upload_size;
        if (p->bytes > BODY_LIMIT)
            p->too_big = true;
        else if (p->pp && MHD_post_process(p->pp, upload, *upload_size) != MHD_YES)
            p->unreadable = true; /* the route sees no field: it answers as for an empty form */
        *upload_size = 0;
        return MHD_YES;
    }
    if (p && p->waiting)
        return MHD_YES; /* resumed early: still waiting */
    if (p && p->ready)
        return answer(c, &p->rq);

    web_req local = {0}, *rq = p ? &p->rq : &local;
    *rq = (web_req){
        .h = w->h, .method = method, .path = url, .query = query, .conn = c, .status = MHD_HTTP_OK,
        .content_type = "text/html; charset=utf-8", .form = p, .form_value = form_value,
    };
    rq->en = wants_english(c);
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    rq->gzip_ok = accept && strstr(accept, "gzip") && !strstr(accept, "gzip;q=0");
    rq->nquery = MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, NULL, NULL) -
                 (MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang") ? 1 : 0);
    if (!post && *upload_size) /* a body where none is read: dropped, the answer follows */
        *upload_size = 0;
    if (!request_is_text(c, url, p)) {
        rq->path = "/";
        page_error(rq, MHD_HTTP_BAD_REQUEST, T(rq, "Adresse illisible", "Unreadable address"),
                   T(rq, "Cette adresse contient des caractères qui ne sont pas du texte (UTF-8) : vérifiez le lien.",
                     "This address holds characters that are not text (UTF-8): check the link."));
        return answer(c, rq);
    }
    if (p && p->too_big) {
        *upload_size = 0;
        page_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, T(rq, "Envoi trop volumineux", "Too much sent"),
                   T(rq, "Un formulaire de ce site fait au plus 64 Kio ; rien n'a été enregistré.",
                     "A form of this site is at most 64 KiB; nothing was saved."));
        return answer(c, rq);
    }
    w->route(rq);
    if (rq->stream) {
        struct MHD_Response *sr = stream_open(rq, c);
        if (!sr) {
            page_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, T(rq, "Trop de pages ouvertes", "Too many open pages"),
                       T(rq, "Le serveur suit déjà le plus de pages qu'il peut ; réessayez dans un moment.",
                         "The server already follows as many pages as it can; try again in a moment."));
        } else {
            buf_free(&rq->body);
            MHD_add_response_header(sr, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
            MHD_add_response_header(sr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
            MHD_add_response_header(sr, "X-Accel-Buffering", "no"); /* nginx: pass each message at once */
            MHD_add_response_header(sr, "X-Content-Type-Options", "nosniff");
            enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, sr);
            MHD_destroy_response(sr);
            return ok;
        }
    }
    if (rq->hold && p) { /* answered by web_release, after work off the loop */
        p->waiting = true;
        MHD_suspend_connection(c);
        return MHD_YES;
    }
    if (rq->defer && p) {
        /* What the route wrote is committed only after this callback: the
         * answer waits for it (and says so if it failed). */
        if (api->after_commit(w->h, form_committed, p) == 0) {
            p->waiting = true;
            MHD_suspend_connection(c);
            return MHD_YES;
        }
        page_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, T(rq, "Rien n'a été enregistré", "Nothing was saved"),
                   T(rq, "Le serveur n'a pas pu attendre l'enregistrement ; réessayez.",
                     "The server could not wait for the save; try again."));
    }
    return answer(c, rq);
}


web_http *web_https_start(cd_host *h, const char *listen, const char *cert_pem, const char *key_pem, web_route_fn route,
                          char *err, size_t errcap)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (cn_parse_listen(listen, &ss, &sslen) != 0) {
        snprintf(err, errcap, "[plugin.web] listen = %s : une adresse et un port, ex. 127.0.0.1:8080 ou [::1]:8080",
                 listen);
        return NULL;
    }
    web_http *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errcap, "mémoire insuffisante");
        return NULL;
    }
    w->h = h;
    w->route = route;
    if (cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errcap, "[plugin.web] cert_file : cette libmicrohttpd ne sait pas servir TLS ; mettez nginx devant "
                              "(README)");
        free(w);
        return NULL;
    }
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
                     (cert_pem ? MHD_USE_TLS : 0);
    /* TLS options only when there is a certificate (an empty array item ends the list). */
    struct MHD_OptionItem tls[] = {
        {cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    w->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_NOTIFY_CONNECTION, cn_mhd_hangup_notify, w,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)(64 * 1024), MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!w->d) {
        snprintf(err, errcap, cert_pem ? "[plugin.web] listen = %s : impossible d'écouter là (adresse prise, ou "
                                         "certificat et clé qui ne vont pas ensemble ?)"
                                       : "[plugin.web] listen = %s : impossible d'écouter là (adresse prise par un autre "
                                         "programme ? choisissez un autre port)",
                 listen);
        free(w);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_EPOLL_FD);
    w->watch = info ? api->watch_start(h, info->epoll_fd, CD_WATCH_READ, on_ready, w) : NULL;
    w->tick = api->timer_start(h, 1000, 1000, on_tick, w);
    if (!w->watch || !w->tick) {
        snprintf(err, errcap, "web : surveillance du serveur HTTP impossible");
        api->timer_stop(w->tick);
        web_http_stop(&w);
        return NULL;
    }
    return w;
}

web_http *web_http_start(cd_host *h, const char *listen, web_route_fn route, char *err, size_t errcap)
{
    return web_https_start(h, listen, NULL, NULL, route, err, errcap);
}

void web_http_stop(web_http **hp)
{
    if (!hp || !*hp)
        return;
    web_http *w = *hp;
    /* The host stops a plugin's timers itself at unload, before fini; the
     * watch goes before its descriptor does. */
    api->watch_stop(w->watch);
    if (w->d) {
        stream_wake_all(); /* no connection may stay suspended when the daemon stops */
        MHD_stop_daemon(w->d);
    }
    free(w);
    *hp = NULL;
}
