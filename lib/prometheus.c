/* prometheus.c: see prometheus.h. */
#include "prometheus.h"
#include "mpnum.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *s;
    size_t len, cap;
    bool failed;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    for (int tries = 0; tries < 2 && !t->failed; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)n + 1;
        char *grown = realloc(t->s, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
}

static const msgpack_object *get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, key, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

static double num(const msgpack_object *o) { return cn_mp_number(o); }

/* A label value, escaped as the format says (\\, \", \n). */
static void label(text *t, const msgpack_object *o)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return;
    for (uint32_t i = 0; i < o->via.str.size; i++) {
        char c = o->via.str.ptr[i];
        if (c == '\\' || c == '"')
            add(t, "\\%c", c);
        else if (c == '\n')
            add(t, "\\n");
        else
            add(t, "%c", c);
    }
}

static void head(text *t, const char *name, const char *type, const char *help)
{
    add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(text *t, const char *name, const char *type, const char *help, double value)
{
    head(t, name, type, help);
    add(t, "%s %.17g\n", name, value);
}

static void histogram(text *t, const char *name, const char *help, const msgpack_object *h)
{
    head(t, name, "histogram", help);
    const msgpack_object *buckets = get(h, "buckets");
    for (uint32_t i = 0; buckets && buckets->type == MSGPACK_OBJECT_ARRAY && i < buckets->via.array.size; i++) {
        const msgpack_object *b = &buckets->via.array.ptr[i];
        if (b->type == MSGPACK_OBJECT_ARRAY && b->via.array.size == 2)
            add(t, "%s_bucket{le=\"%g\"} %.17g\n", name, num(&b->via.array.ptr[0]), num(&b->via.array.ptr[1]));
    }
    add(t, "%s_bucket{le=\"+Inf\"} %.17g\n%s_sum %.17g\n%s_count %.17g\n", name, num(get(h, "count")), name,
        num(get(h, "sum_s")), name, num(get(h, "count")));
}

/* A metric name part from a plugin's or figure's name: [a-zA-Z0-9_] only. */
static void name_part(char *out, size_t cap, const msgpack_object *o)
{
    size_t n = 0;
    for (uint32_t i = 0; o && o->type == MSGPACK_OBJECT_STR && i < o->via.str.size && n + 1 < cap; i++) {
        char c = o->via.str.ptr[i];
        out[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_';
    }
    out[n] = '\0';
}

/* One series per peer of a federation figure. */
static void per_peer(text *t, const msgpack_object *peers, const char *name, const char *type, const char *help,
                     const char *key)
{
    if (!peers || peers->type != MSGPACK_OBJECT_ARRAY || !peers->via.array.size)
        return;
    head(t, name, type, help);
    for (uint32_t i = 0; i < peers->via.array.size; i++) {
        const msgpack_object *p = &peers->via.array.ptr[i];
        add(t, "%s{peer=\"", name);
        label(t, get(p, "peer"));
        add(t, "\"} %.17g\n", num(get(p, key)));
    }
}

int cn_prometheus_render(const msgpack_object *s, char **out, size_t *len)
{
    text t = {0};
    head(&t, "concertd_info", "gauge", "The node and its version (always 1).");
    add(&t, "concertd_info{node=\"");
    label(&t, get(s, "node"));
    add(&t, "\",version=\"");
    label(&t, get(s, "version"));
    add(&t, "\"} 1\n");
    one(&t, "concertd_start_time_seconds", "gauge", "When the daemon started, in seconds since the epoch.",
        num(get(s, "started_ms")) / 1000);
    one(&t, "concertd_uptime_seconds", "gauge", "Seconds since the daemon started.", num(get(s, "uptime_s")));
    const msgpack_object *db = get(s, "db");
    one(&t, "concertd_db_size_bytes", "gauge", "Size of the database file.", num(get(db, "size_bytes")));
    one(&t, "concertd_db_wal_size_bytes", "gauge", "Size of the database's write-ahead log.", num(get(db, "wal_bytes")));
    one(&t, "concertd_events_last_seq", "gauge", "Sequence number of this node's last event.", num(get(db, "last_seq")));
    const msgpack_object *c = get(s, "commands");
    one(&t, "concertd_commands_total", "counter", "Commands answered since the start.", num(get(c, "total")));
    one(&t, "concertd_command_errors_total", "counter", "Commands answered with an error since the start.",
        num(get(c, "errors")));
    one(&t, "concertd_command_batches_total", "counter", "Batches of commands committed together.",
        num(get(c, "batches")));
    one(&t, "concertd_command_batches_redone_total", "counter",
        "Batches undone and handled again because a command failed after it had written.",
        num(get(c, "batches_redone")));
    histogram(&t, "concertd_command_duration_seconds",
              "Time from a command read off the socket to its reply sent, its batch's commit included.",
              get(c, "latency"));
    histogram(&t, "concertd_commit_duration_seconds", "Time of each batch's commit (its fsync).", get(s, "commits"));
    const msgpack_object *r = get(s, "reminders");
    one(&t, "concertd_reminders_due", "gauge", "Échéance reminders due today or before, still to send.",
        num(get(r, "due")));
    one(&t, "concertd_reminders_sent_today", "gauge", "Échéance reminders sent today.", num(get(r, "sent_today")));
    const msgpack_object *peers = get(s, "federation");
    per_peer(&t, peers, "concertd_federation_peer_connected", "gauge", "1 when both links to the peer are up.",
             "connected");
    per_peer(&t, peers, "concertd_federation_lag_events", "gauge", "The peer's events not yet stored here.",
             "lag_events");
    per_peer(&t, peers, "concertd_federation_lag_seconds", "gauge",
             "Time between the peer's newest event and the last one stored here.", "lag_seconds");
    per_peer(&t, peers, "concertd_federation_seconds_since_contact", "gauge",
             "Seconds since the peer was last heard from.", "seconds_since_contact");
    per_peer(&t, peers, "concertd_federation_received_events_total", "counter", "Events received from the peer.",
             "received");
    per_peer(&t, peers, "concertd_federation_refused_events_total", "counter", "Events of the peer refused here.",
             "refused");
    const msgpack_object *plugins = get(s, "plugins");
    bool any = plugins && plugins->type == MSGPACK_OBJECT_ARRAY && plugins->via.array.size;
    if (any) {
        head(&t, "concertd_plugin_up", "gauge", "1 when the plugin runs.");
        for (uint32_t i = 0; i < plugins->via.array.size; i++) {
            const msgpack_object *p = &plugins->via.array.ptr[i], *state = get(p, "state");
            add(&t, "concertd_plugin_up{plugin=\"");
            label(&t, get(p, "name"));
            add(&t, "\"} %d\n", state && state->type == MSGPACK_OBJECT_STR && state->via.str.size == 7 &&
                                        memcmp(state->via.str.ptr, "running", 7) == 0);
        }
        head(&t, "concertd_plugin_errors_total", "counter", "Failures of the plugin's handlers, by kind.");
        static const char *const kinds[][2] = {{"op", "op_errors"}, {"event", "event_errors"},
                                               {"callback", "callback_errors"}};
        for (uint32_t i = 0; i < plugins->via.array.size; i++)
            for (int k = 0; k < 3; k++) {
                add(&t, "concertd_plugin_errors_total{plugin=\"");
                label(&t, get(&plugins->via.array.ptr[i], "name"));
                add(&t, "\",kind=\"%s\"} %.17g\n", kinds[k][0], num(get(&plugins->via.array.ptr[i], kinds[k][1])));
            }
        head(&t, "concertd_plugin_events_delivered_total", "counter", "Events handed to the plugin.");
        for (uint32_t i = 0; i < plugins->via.array.size; i++) {
            add(&t, "concertd_plugin_events_delivered_total{plugin=\"");
            label(&t, get(&plugins->via.array.ptr[i], "name"));
            add(&t, "\"} %.17g\n", num(get(&plugins->via.array.ptr[i], "events_delivered")));
        }
        /* Each plugin's own figures (set_status): concertd_PLUGIN_FIGURE. */
        for (uint32_t i = 0; i < plugins->via.array.size; i++) {
            const msgpack_object *p = &plugins->via.array.ptr[i], *f = get(p, "figures");
            char plugin[64], figure[64], name[160];
            name_part(plugin, sizeof plugin, get(p, "name"));
            for (uint32_t k = 0; f && f->type == MSGPACK_OBJECT_MAP && k < f->via.map.size; k++) {
                name_part(figure, sizeof figure, &f->via.map.ptr[k].key);
                snprintf(name, sizeof name, "concertd_%s_%s", plugin, figure);
                one(&t, name, "gauge", "A figure the plugin gives (node.status).", num(&f->via.map.ptr[k].val));
            }
        }
    }
    if (t.failed) {
        free(t.s);
        return -1;
    }
    *out = t.s;
    *len = t.len;
    return 0;
}
