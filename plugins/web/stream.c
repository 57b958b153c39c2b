/* stream.c: the live stream, /events?region=R (Server-Sent Events). Each
 * open stream is a client here; the plugin subscribes to every committed
 * event (and to peers' events as they are stored), and hands each to the
 * streams of its region, as one message:
 *
 *   id: SEQ              (this node's events; a peer's carry no id)
 *   data: {"seq", "origin", "ts", "region", "type", "data"}
 *
 * A stream with nothing to send is suspended (MHD_suspend_connection) and
 * resumed by the next event, so an idle stream costs nothing on the loop;
 * a comment every 15 s keeps proxies from closing it and finds clients
 * that left. A browser that reconnects sends Last-Event-ID: the events of
 * this node that followed it are sent first (events.since), so nothing is
 * missed or repeated. Only the plan's public events go out (region, plan,
 * orientation, objective, action, indicator, échéance, activity, veille,
 * progress): never adhesion's or notify's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "jsonmp.h"
#include "shared.h"

#define MAX_CLIENTS 256
#define OUT_LIMIT (1 << 20) /* a client that does not read: dropped past 1 MiB waiting */

typedef struct sse_client {
    struct MHD_Connection *conn;
    char region[64]; /* "" for every region */
    buf out;         /* what waits to be sent */
    size_t sent;     /* of out */
    bool suspended, dropped;
    struct sse_client *next;
} sse_client;

static sse_client *clients;
static size_t nclients;

static bool public_type(const char *type)
{
    static const char *const prefixes[] = {"region.", "plan.",   "orientation.", "objective.", "action.",
                                           "indicator.", "echeance.", "activity.", "veille.item", "progress.",
                                           "copy."};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(type, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

/* The SSE message of one event payload (msgpack map), or "" when not public. */
static void message_of(const msgpack_object *event, bool with_id, buf *m)
{
    char type[64], region[64];
    cd_str(cd_get(event, "type"), type, sizeof type);
    cd_str(cd_get(event, "region"), region, sizeof region);
    if (!public_type(type))
        return;
    json_t *j = cn_mp_to_json(event);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return;
    if (with_id)
        buf_printf(m, "id: %lld\n", (long long)cd_int(cd_get(event, "seq"), 0));
    buf_str(m, "data: ");
    buf_str(m, text); /* JSON has no raw newline: one data line */
    buf_str(m, "\n\n");
    free(text);
}

static void wake(sse_client *c)
{
    if (c->suspended) {
        c->suspended = false;
        MHD_resume_connection(c->conn);
    }
}

static void send_to(sse_client *c, const char *text, size_t n)
{
    if (c->dropped)
        return;
    if (c->out.n - c->sent + n > OUT_LIMIT) {
        c->dropped = true; /* the reader ends its stream; the browser reconnects and resumes */
    } else {
        buf_add(&c->out, text, n);
    }
    wake(c);
}

static void deliver(const msgpack_object *event, bool own)
{
    buf m = {0};
    message_of(event, own, &m);
    if (m.n) {
        char region[64];
        cd_str(cd_get(event, "region"), region, sizeof region);
        for (sse_client *c = clients; c; c = c->next)
            if (!c->region[0] || strcmp(c->region, region) == 0)
                send_to(c, m.p, m.n);
    }
    buf_free(&m);
}

/* Every committed event, this node's and its peers' (the host delivers
 * both to "*"): only this node's carry an id, since Last-Event-ID replays
 * this node's log. */
static int on_event(cd_host *h, const msgpack_object *event, void *data)
{
    (void)data;
    cache_clear(); /* whatever it changed, no page shows the old state again */
    if (!clients)
        return 0; /* no stream open: nothing to write (a stream opened later replays from its Last-Event-ID) */
    char region[64];
    cd_str(cd_get(event, "region"), region, sizeof region);
    deliver(event, api->region_origin(h, region) == NULL);
    return 0;
}

int stream_init(cd_host *h) { return api->subscribe(h, "*", on_event, NULL); }

void stream_ping(void)
{
    static const char ping[] = ": ping\n\n";
    for (sse_client *c = clients; c; c = c->next)
        send_to(c, ping, sizeof ping - 1);
}

void stream_wake_all(void)
{
    for (sse_client *c = clients; c; c = c->next) {
        c->dropped = true; /* the daemon stops: streams end */
        wake(c);
    }
}

size_t stream_clients(void) { return nclients; }

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    sse_client *c = cls;
    size_t left = c->out.n - c->sent;
    if (left == 0) {
        if (c->dropped)
            return MHD_CONTENT_READER_END_OF_STREAM;
        c->out.n = c->sent = 0;
        c->suspended = true;
        MHD_suspend_connection(c->conn);
        return 0;
    }
    size_t n = left < max ? left : max;
    memcpy(out, c->out.p + c->sent, n);
    c->sent += n;
    return (ssize_t)n;
}

static void closed(void *cls)
{
    sse_client *c = cls;
    for (sse_client **pp = &clients; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    nclients--;
    buf_free(&c->out);
    free(c);
}

/* Events of this node after seq, for the stream's region (Last-Event-ID). */
static void replay(web_req *rq, sse_client *c, long long since)
{
    for (int page = 0; page < 10; page++) { /* at most 10 000 events: older gaps reload the page instead */
        msgpack_sbuffer args;
        msgpack_sbuffer_init(&args);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, c->region[0] ? 3 : 2);
        cd_pack_str(&pk, "since");
        msgpack_pack_int64(&pk, since);
        cd_pack_str(&pk, "limit");
        msgpack_pack_int(&pk, 1000);
        if (c->region[0]) {
            cd_pack_str(&pk, "region");
            cd_pack_str(&pk, c->region);
        }
        web_result res;
        char code[32], err[512];
        int rc = web_call_packed(rq, "events.since", &args, &res, code, sizeof code, err, sizeof err);
        msgpack_sbuffer_destroy(&args);
        if (rc != 0) {
            web_result_free(&res);
            return;
        }
        const msgpack_object *events = cd_get(&res.u.data, "events");
        for (uint32_t i = 0; events && events->type == MSGPACK_OBJECT_ARRAY && i < events->via.array.size; i++)
            message_of(&events->via.array.ptr[i], true, &c->out);
        since = cd_int(cd_get(&res.u.data, "last_seq"), since);
        const msgpack_object *more = cd_get(&res.u.data, "more");
        bool again = more && more->type == MSGPACK_OBJECT_BOOLEAN && more->via.boolean;
        web_result_free(&res);
        if (!again)
            return;
    }
}

void *stream_open(web_req *rq, void *connection)
{
    if (nclients >= MAX_CLIENTS)
        return NULL;
    sse_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->conn = connection;
    const char *region = rq->query(rq, "region");
    snprintf(c->region, sizeof c->region, "%s", region ? region : "");
    const char *last = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Last-Event-ID");
    char *end;
    long long since = last ? strtoll(last, &end, 10) : -1;
    buf_str(&c->out, "retry: 2000\n\n");
    if (last && *end == '\0' && since >= 0)
        replay(rq, c, since);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, c, closed);
    if (!r) {
        buf_free(&c->out);
        free(c);
        return NULL;
    }
    c->next = clients;
    clients = c;
    nclients++;
    return r;
}
