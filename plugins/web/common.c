/* common.c: what every file of the web plugin uses: the host's API,
 * calling an op with string arguments, reading its answer, and the small
 * pieces of a page (a link, a labelled cell, today's date, an op's error). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "mpnum.h"
#include "shared.h"

const cd_host_api *api;

int web_call_packed(web_req *rq, const char *op, const msgpack_sbuffer *args, web_result *res, char *code,
                    size_t codecap, char *err, size_t errcap)
{
    msgpack_sbuffer_init(&res->raw);
    msgpack_unpacked_init(&res->u);
    char why[512] = "";
    int rc = api->call(rq->h, op, args ? args->data : NULL, args ? args->size : 0, &res->raw, why, sizeof why);
    if (rc == 0 && msgpack_unpack_next(&res->u, res->raw.data, res->raw.size, NULL) != MSGPACK_UNPACK_SUCCESS)
        rc = -1, snprintf(why, sizeof why, "internal: %s", op);
    if (rc != 0) {
        /* "code: message" from the host. */
        const char *colon = strstr(why, ": ");
        snprintf(code, codecap, "%.*s", colon ? (int)(colon - why) : 8, colon ? why : "internal");
        snprintf(err, errcap, "%s", colon ? colon + 2 : why);
    }
    return rc;
}

int web_call(web_req *rq, const char *op, size_t n, const char *const *keys, const char *const *values,
             web_result *res, char *code, size_t codecap, char *err, size_t errcap)
{
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    size_t given = 0;
    for (size_t i = 0; i < n; i++)
        given += values[i] != NULL;
    msgpack_pack_map(&pk, given);
    for (size_t i = 0; i < n; i++)
        if (values[i]) {
            cd_pack_str(&pk, keys[i]);
            cd_pack_str(&pk, values[i]);
        }
    int rc = web_call_packed(rq, op, &args, res, code, codecap, err, errcap);
    msgpack_sbuffer_destroy(&args);
    return rc;
}

void web_result_free(web_result *res)
{
    msgpack_unpacked_destroy(&res->u);
    msgpack_sbuffer_destroy(&res->raw);
}

/* ---- small pieces ------------------------------------------------------- */

const char *mp_text(const msgpack_object *o, char *out, size_t cap) { return cd_str(o, out, cap); }

bool mp_is_str(const msgpack_object *o) { return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size; }

bool mp_is_num(const msgpack_object *o)
{
    return o && (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER || o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ||
                 o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32);
}

bool mp_bool(const msgpack_object *o) { return o && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean; }

double mp_num(const msgpack_object *o) { return o && o->type == MSGPACK_OBJECT_BOOLEAN ? 0 : cn_mp_number(o); }

/* A number as people write it: no ".0" for whole ones. */
void html_number(buf *b, const msgpack_object *o)
{
    double v = mp_num(o);
    if (v == (double)(long long)v)
        buf_printf(b, "%lld", (long long)v);
    else
        buf_printf(b, "%.2f", v);
}

/* href to path (a site path, escaped), in the request's language. */
void link_href(web_req *rq, const char *path)
{
    buf_str(&rq->body, "href=\"");
    html_text(&rq->body, path);
    if (rq->en)
        buf_str(&rq->body, strchr(path, '?') ? "&amp;lang=en" : "?lang=en");
    buf_str(&rq->body, "\"");
}

/* Opens a cell labelled for narrow screens, where each row is shown as a
 * card ("Responsable : …", style.css). */
void cell(web_req *rq, const char *fr, const char *en)
{
    buf_str(&rq->body, "<td data-label=\"");
    html_text(&rq->body, T(rq, fr, en));
    buf_str(&rq->body, "\">");
}

/* Today, and today + days, in the node's time zone (the daemon sets TZ). */
void day_iso(int days, char out[11])
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_mday += days;
    tm.tm_hour = 12; /* clear of DST edges */
    mktime(&tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}


bool web_rate_ok(web_req *rq, web_rate *seen, size_t n, int limit, int64_t window_ms)
{
    char ip[64] = "?";
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, ip, sizeof ip);
    else if (ci && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, ip, sizeof ip);
    int64_t now = api->now_ms(rq->h);
    size_t slot = n, oldest = 0;
    for (size_t i = 0; i < n && slot == n; i++) {
        if (strcmp(seen[i].ip, ip) == 0)
            slot = i;
        else if (seen[i].since < seen[oldest].since)
            oldest = i;
    }
    if (slot == n) { /* a new address takes the place of the one seen longest ago */
        slot = oldest;
        snprintf(seen[slot].ip, sizeof seen[slot].ip, "%s", ip);
        seen[slot].since = now;
        seen[slot].count = 0;
    }
    if (now - seen[slot].since > window_ms) {
        seen[slot].since = now;
        seen[slot].count = 0;
    }
    return ++seen[slot].count <= limit;
}

/* The session's CSRF token as a form's hidden field (staff.c checks it). */
void staff_csrf_field(web_req *rq)
{
    buf_str(&rq->body, "<input type=\"hidden\" name=\"csrf\" value=\"");
    html_text(&rq->body, rq->staff.csrf);
    buf_str(&rq->body, "\">");
}
