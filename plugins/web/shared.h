/* shared.h: what the web plugin's files share (private to the plugin).
 *
 * common.c  the host's API, calling ops, reading answers, small pieces of pages
 * buf.c     a growing text buffer; HTML written with every text escaped
 * layout.c  the frame of every page (head, header, footer) and error pages
 * pages.c   the pages: the node's regions, a region's plan, its échéances
 * page_calendar.c  the calendar of activities and its .ics
 * page_veille.c    the veille's items per objective and its Atom digest
 * form.c    the public membership form (Loi 25 consent, signed token, limits)
 * accounts.c  staff accounts and sessions
 * staff.c   logging in, and changes from the pages (CSRF, actor web:EMAIL)
 * api.c     the JSON read API under /api/
 * stream.c  the live stream of events (/events, Server-Sent Events)
 * cache.c   pages rendered once, dropped at the next event
 * http.c    libmicrohttpd on the host's loop: listening, requests, responses
 * web.c     loading, configuration, the routes
 *
 * Every page is read through the documented ops (api->call), exactly as
 * concertctl reads them; nothing here reads the core's tables. */
#ifndef WEB_SHARED_H
#define WEB_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <concertd/plugin.h>

#include "listen.h" /* cn_parse_listen, lib/ */

extern const cd_host_api *api; /* common.c; set by init (web.c) */

/* ---- buf.c ---- */
/* A growing NUL-terminated text; a failed allocation is remembered (oom)
 * and the text is then dropped whole by its user (a 500 answer). */
typedef struct {
    char *p;
    size_t n, cap;
    bool oom;
} buf;

void buf_free(buf *b);
void buf_add(buf *b, const char *s, size_t n);
void buf_str(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as HTML text or attribute value: & < > " ' escaped (NULL as ""). */
void html_text(buf *b, const char *s);
/* A msgpack str as HTML text (escaped); nothing for anything else. */
void html_mp(buf *b, const msgpack_object *o);
/* An href from data: http(s) and relative paths kept (escaped), anything
 * else ("javascript:", "data:") replaced by "#". */
void html_href(buf *b, const char *url);
/* s as a JSON string, quotes included. */
void json_str(buf *b, const char *s);

/* ---- a request and its answer ---- */
typedef struct web_req {
    cd_host *h;
    const char *method, *path;
    bool en;                     /* English: ?lang=en, or Accept-Language prefers it */
    const char *(*query)(struct web_req *rq, const char *key); /* a query argument, or NULL */
    void *conn;                  /* for query */
    /* the answer */
    int status;                  /* 200 unless set */
    const char *content_type;    /* text/html; charset=utf-8 unless set */
    char allow[64];              /* the Allow header of a 405 */
    int max_age;                 /* Cache-Control max-age in seconds; 0: revalidate (ETag) each time */
    bool private_;               /* personal information: Cache-Control private, no-store, no ETag */
    bool stream;                 /* answer with the live stream (stream.c) instead of body */
    bool defer;                  /* a form that wrote: answer once its transaction is committed */
    bool hold;                   /* a form answered later, by web_release (after work off the loop) */
    char cookie[256];            /* a Set-Cookie to send, or "" */
    char location[256];          /* a redirect's Location (with status 303) */
    void *form;                  /* a POST's fields, for form_value */
    const char *(*form_value)(struct web_req *rq, const char *key); /* a POST field, or NULL */
    const char *live_region;     /* a page that updates itself: its region ("" for all), else NULL */
    int nquery;                  /* query arguments other than lang (filters: not cached) */
    char etag[28];               /* the answer's ETag when known (cache), else computed */
    bool gzip_ok;                /* Accept-Encoding allows gzip */
    const char *content_encoding; /* "gzip" when the body is, else NULL */
    struct {                     /* the staff member logged in (email "" when none) */
        char region[64], email[128], role[16], csrf[65], actor[160];
    } staff;
    const char *disposition;     /* Content-Disposition, or NULL */
    bool inline_style;           /* a page with its own <style> (the bilan, written by the daemon, all text escaped) */
    buf body;
} web_req;

/* The request's language: T(rq, "Région", "Region"). */
#define T(rq, fr_text, en_text) ((rq)->en ? (en_text) : (fr_text))

/* ---- common.c ---- */
/* An op's result: res->u.data is the object (its strings point into raw). */
typedef struct {
    msgpack_sbuffer raw;
    msgpack_unpacked u;
} web_result;

/* Calls op with a map of n string arguments (NULL values left out) and
 * unpacks its result into *res (freed with web_result_free, also after a
 * failure). Returns 0; or -1 with the op's error code and message in code
 * and err. */
int web_call(web_req *rq, const char *op, size_t n, const char *const *keys, const char *const *values,
             web_result *res, char *code, size_t codecap, char *err, size_t errcap);
/* The same with args already packed (one map), for arguments that are not strings. */
int web_call_packed(web_req *rq, const char *op, const msgpack_sbuffer *args, web_result *res, char *code,
                    size_t codecap, char *err, size_t errcap);
void web_result_free(web_result *res);

/* Reading an op's answer. */
const char *mp_text(const msgpack_object *o, char *out, size_t cap); /* a str as a C string, "" else */
bool mp_is_str(const msgpack_object *o);                            /* a non-empty str */
bool mp_is_num(const msgpack_object *o);
bool mp_bool(const msgpack_object *o); /* true, not false, nil or absent */
double mp_num(const msgpack_object *o);
/* A number as people write it: no ".0" for whole ones. */
void html_number(buf *b, const msgpack_object *o);
/* href="path" (escaped), in the request's language. */
void link_href(web_req *rq, const char *path);
/* Opens a cell labelled for narrow screens, where each row is a card. */
void cell(web_req *rq, const char *fr, const char *en);
/* Today + days in the node's time zone (the daemon sets TZ), YYYY-MM-DD. */
void day_iso(int days, char out[11]);
/* The page for an op that failed: its own words, the status they call for. */
int page_op_failed(web_req *rq, const char *code, const char *err);

/* Counting what one client address does in a window of time. */
typedef struct {
    char ip[64];
    int64_t since;
    int count;
} web_rate;
/* Counts one more for rq's address in seen (n slots, the oldest reused):
 * false past limit within window_ms. */
bool web_rate_ok(web_req *rq, web_rate *seen, size_t n, int limit, int64_t window_ms);

/* ---- layout.c ---- */
/* Opens a page titled title (escaped): the head, the stylesheet, the
 * header with the node's name and the way home, and <main>. */
void page_open(web_req *rq, const char *title);
/* Closes <main>, the footer (language switch), the page. */
void page_close(web_req *rq);
/* An error page with status, a title and a sentence (escaped), and a way back. */
void page_error(web_req *rq, int status, const char *title, const char *sentence);
/* The links between a region's pages; current is the page's suffix
 * ("", "/echeances", "/calendrier", "/veille"). */
void region_nav(web_req *rq, const char *region, const char *current);
/* A protocol word as people read it ("in_progress" → "en cours"). */
const char *word(const web_req *rq, const char *v);

/* ---- pages.c ---- */
int page_home(web_req *rq);
int regions_csv(web_req *rq);
int page_plan(web_req *rq, const char *region);
int page_echeances(web_req *rq, const char *region);
/* page_calendar.c: upcoming sessions, and the region's .ics to subscribe to. */
int page_calendar(web_req *rq, const char *region);
int calendar_ics(web_req *rq, const char *region);
/* page_veille.c: items matched per objective, and the region's Atom digest. */
int page_veille(web_req *rq, const char *region);
int veille_atom(web_req *rq, const char *region);

/* ---- page_bilan.c ---- */
/* The bilan of region's plan (plan.report) as format: html (the page), odt or docx (a file). */
int page_bilan(web_req *rq, const char *region, const char *format);

/* ---- metrics.c ---- */
int metrics_init(cd_host *h); /* [plugin.web] metrics = local | open | off */
int page_metrics(web_req *rq);

/* ---- form.c: the public membership form ---- */
int form_init(cd_host *h); /* the key that signs the forms' tokens; [plugin.web] form_limit */
int page_membership(web_req *rq, const char *region);        /* GET: the form; POST: the application */
int page_membership_thanks(web_req *rq, const char *region);

/* ---- cache.c: pages rendered once, until the next event ---- */
void cache_key(web_req *rq, const char *host, char *out, size_t cap);
bool cache_get(const char *key, web_req *rq);  /* fills rq's answer when kept */
void cache_put(const char *key, const web_req *rq, const char *etag);
void cache_clear(void);                        /* on every event */
void cache_stats(uint64_t *hits, uint64_t *misses);

/* ---- accounts.c: staff accounts and sessions ---- */
int accounts_init(cd_host *h); /* tables, ops web.user_add / user_list / user_remove */
bool staff_of(web_req *rq);    /* fills rq->staff from the session cookie */
bool staff_may_change(const web_req *rq, const char *region); /* coordination of region, not a copy */
int session_open(web_req *rq, int64_t account, char cookie_value[65]);
int session_close(web_req *rq);
/* 1 and the account's id and hash, 0 when unknown, -1 on error. */
int account_find(web_req *rq, const char *region, const char *email, int64_t *id, char *hash, size_t cap);

/* ---- staff.c: logging in, changes from the pages ---- */
int staff_init(cd_host *h);
void staff_csrf_field(web_req *rq);
int page_login(web_req *rq, const char *region);
int page_logout(web_req *rq);
void staff_action_controls(web_req *rq, const char *region, const char *number, const char *status);
int page_action_state(web_req *rq, const char *region, const char *number);
void staff_indicator_controls(web_req *rq, const char *region, int64_t id);
int page_indicator_record(web_req *rq, const char *region, const char *id);
void staff_calendar_form(web_req *rq, const char *region);
void staff_held_controls(web_req *rq, const char *region, int64_t id, const char *occurrence);
int page_calendar_add(web_req *rq, const char *region);
int page_calendar_held(web_req *rq, const char *region, const char *id);
int page_applications(web_req *rq, const char *region);
int page_application_decide(web_req *rq, const char *region, const char *id);
void staff_move_controls(web_req *rq, const char *region, int64_t id);
int page_calendar_move(web_req *rq, const char *region, const char *id);

/* ---- api.c ---- */
/* /api/… : path is what follows "/api". */
int api_route(web_req *rq, const char *path);

/* ---- stream.c: /events, Server-Sent Events ---- */
int stream_init(cd_host *h);       /* subscribes to the events it streams */
/* A new stream for rq (its region, its Last-Event-ID): an MHD response to
 * queue, or NULL when too many are open. */
void *stream_open(web_req *rq, void *connection);
void stream_ping(void);            /* a comment to every stream (every 15 s) */
void stream_wake_all(void);        /* ends every stream (before the server stops) */
size_t stream_clients(void);

/* ---- built in: static/style.css and static/app.js ---- */
extern const char web_style_css[];
extern const size_t web_style_css_len;
extern const char web_app_js[];
extern const size_t web_app_js_len;

/* ---- http.c ---- */
/* Sends the answer of a request held (rq->hold), once its fields are set. */
void web_release(web_req *rq);
/* The ETag of an answer: a hash of its bytes, quoted. */
void web_etag(const buf *b, char out[28]);
typedef struct web_http web_http;
/* Routes one request: fills rq's answer. */
typedef void (*web_route_fn)(web_req *rq);
/* Listens on listen ("127.0.0.1:8080", "[::1]:8080", ":8080") from the
 * host's loop. NULL with why in err. */
web_http *web_http_start(cd_host *h, const char *listen, web_route_fn route, char *err, size_t errcap);
/* The same over TLS with a certificate and its key (PEM texts, kept by the
 * caller until web_http_stop). */
web_http *web_https_start(cd_host *h, const char *listen, const char *cert_pem, const char *key_pem, web_route_fn route,
                          char *err, size_t errcap);
/* Closes the server and its connections; from fini (the host has stopped
 * the plugin's timers already). Nulls *hp; safe on NULL. */
void web_http_stop(web_http **hp);

#endif
