/* metrics: /metrics (node.status in Prometheus's text format,
 * lib/prometheus.c) on a small listener of its own, for a node that does
 * not load the web plugin (which serves the same page on its listener).
 *
 *   [plugins] load = …, metrics
 *   [plugin.metrics]
 *   listen = 127.0.0.1:9464        (Prometheus's default exporter port range)
 *
 * It answers GET /metrics and nothing else. Like the web plugin,
 * libmicrohttpd runs without a thread of its own: its epoll descriptor is
 * watched on the daemon's loop, so node.status is read on the loop thread
 * (api->call), never concurrently with a command. No personal data is in
 * the figures; who may reach the port is the listen address's business
 * (127.0.0.1 by default) or a firewall's. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <concertd/plugin.h>

#include "listen.h"
#include "mhd_hangup.h"
#include "prometheus.h"

static const cd_host_api *api;

typedef struct {
    cd_host *h;
    struct MHD_Daemon *d;
    cd_watch *watch;
    cd_timer *tick;
} listener;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status, const char *words)
{
    char *body = strdup(words);
    return body ? reply(conn, status, "text/plain; charset=utf-8", body, strlen(body)) : MHD_NO;
}

static enum MHD_Result on_request(void *data, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_len, void **state)
{
    (void)version, (void)upload, (void)state;
    listener *l = data;
    if (*upload_len)
        return MHD_NO; /* a body on /metrics: not a scraper */
    if (strcmp(url, "/metrics") != 0)
        return text(conn, 404, "Seule /metrics est servie ici (concertd, greffon metrics).\n");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return text(conn, 405, "GET /metrics\n");
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    char err[256];
    if (api->call(l->h, "node.status", NULL, 0, &out, err, sizeof err) != 0) {
        msgpack_sbuffer_destroy(&out);
        char words[320];
        snprintf(words, sizeof words, "node.status : %s\n", err);
        return text(conn, 503, words);
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    char *body = NULL;
    size_t len = 0;
    int rc = msgpack_unpack_next(&u, out.data, out.size, NULL) == MSGPACK_UNPACK_SUCCESS
                 ? cn_prometheus_render(&u.data, &body, &len)
                 : -1;
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&out);
    if (rc != 0)
        return text(conn, 500, "Mémoire insuffisante.\n");
    return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

static void run(listener *l)
{
    MHD_run(l->d);
}

static int on_ready(cd_host *h, int fd, int events, void *data)
{
    (void)h, (void)fd, (void)events;
    run(data);
    return 0;
}

/* MHD's timeouts (idle connections) are checked once a second, and the
 * clients that hung up unseen found (lib/mhd_hangup.c). */
static int on_tick(cd_host *h, void *data)
{
    (void)h;
    cn_mhd_hangup_sweep();
    run(data);
    return 0;
}

static void mhd_log(void *data, const char *fmt, va_list ap)
{
    listener *l = data;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    api->log(l->h, CD_LOG_WARN, "libmicrohttpd : %s", line);
}

static const char *listen_of(cd_host *h)
{
    const char *v = api->config(h, NULL, "listen");
    return v && *v ? v : "127.0.0.1:9464";
}

static int check(cd_host *h, const cd_host_api *a)
{
    api = a;
    struct sockaddr_storage ss;
    socklen_t len;
    if (cn_parse_listen(listen_of(h), &ss, &len) != 0) {
        api->log(h, CD_LOG_ERROR, "[plugin.metrics] listen = %s : une adresse et un port, ex. 127.0.0.1:9464",
                 listen_of(h));
        return 1;
    }
    return 0;
}

static void fini(void *state)
{
    listener *l = state;
    if (!l)
        return;
    if (l->tick)
        api->timer_stop(l->tick);
    if (l->watch)
        api->watch_stop(l->watch);
    if (l->d)
        MHD_stop_daemon(l->d);
    free(l);
}

static int init(cd_host *h, const cd_host_api *a, void **state)
{
    api = a;
    if (check(h, a) != 0)
        return -1;
    struct sockaddr_storage ss;
    socklen_t len;
    cn_parse_listen(listen_of(h), &ss, &len);
    listener *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    l->h = h;
    l->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL,
                            NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, l, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)32, MHD_OPTION_NOTIFY_CONNECTION,
                            cn_mhd_hangup_notify, NULL, MHD_OPTION_END);
    if (!l->d) {
        api->log(h, CD_LOG_ERROR, "[plugin.metrics] listen = %s : impossible d'écouter là (adresse prise par un autre "
                                  "programme ? choisissez un autre port)",
                 listen_of(h));
        fini(l);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD);
    l->watch = info ? api->watch_start(h, info->epoll_fd, CD_WATCH_READ, on_ready, l) : NULL;
    l->tick = api->timer_start(h, 1000, 1000, on_tick, l);
    if (!l->watch || !l->tick) {
        api->log(h, CD_LOG_ERROR, "metrics : surveillance du serveur HTTP impossible");
        fini(l);
        return -1;
    }
    api->log(h, CD_LOG_INFO, "mesures Prometheus sur http://%s/metrics", listen_of(h));
    *state = l;
    return 0;
}

CD_PLUGIN_CHECKED("metrics", "0.1.0", init, fini, check);
