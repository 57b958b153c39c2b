/* metrics.c: /metrics, node.status in Prometheus's text format
 * (lib/prometheus.c), for a Prometheus server to scrape. Who may read it:
 * [plugin.web] metrics = local (the default: a client on this machine that
 * did not come through a reverse proxy, i.e. without X-Forwarded-For), open
 * (anyone: the figures hold no personal data, but say how the node fares),
 * or off. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "prometheus.h"
#include "shared.h"

static enum { LOCAL, OPEN, OFF } who = LOCAL;

int metrics_init(cd_host *h)
{
    const char *v = api->config(h, NULL, "metrics");
    if (!v || !*v || strcmp(v, "local") == 0)
        who = LOCAL;
    else if (strcmp(v, "open") == 0)
        who = OPEN;
    else if (strcmp(v, "off") == 0)
        who = OFF;
    else {
        api->log(h, CD_LOG_ERROR, "[plugin.web] metrics = %s : local, open ou off", v);
        return -1;
    }
    return 0;
}

/* A client on this machine, not relayed by a proxy. */
static bool local_client(web_req *rq)
{
    if (MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Forwarded-For") ||
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Forwarded"))
        return false;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return false;
    if (ci->client_addr->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ci->client_addr)->sin_addr.s_addr) >> 24) == 127;
    if (ci->client_addr->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) ||
               (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

int page_metrics(web_req *rq)
{
    rq->private_ = true; /* never cached: each scrape reads the figures of now */
    if (who == OFF || (who == LOCAL && !local_client(rq))) {
        page_error(rq, 403, T(rq, "Accès refusé", "Forbidden"),
                   who == OFF ? T(rq, "Les mesures ne sont pas publiées ici ([plugin.web] metrics = off).",
                                  "The metrics are not published here ([plugin.web] metrics = off).")
                              : T(rq, "Les mesures se lisent depuis ce serveur seulement ([plugin.web] metrics = "
                                      "local) ; metrics = open les ouvre à tous.",
                                  "The metrics are read from this server only ([plugin.web] metrics = local); "
                                  "metrics = open opens them to everyone."));
        return 0;
    }
    web_result res;
    char code[32], err[512];
    if (web_call_packed(rq, "node.status", NULL, &res, code, sizeof code, err, sizeof err) != 0) {
        web_result_free(&res);
        return page_op_failed(rq, code, err);
    }
    char *text = NULL;
    size_t len = 0;
    if (cn_prometheus_render(&res.u.data, &text, &len) != 0) {
        web_result_free(&res);
        page_error(rq, 500, T(rq, "Erreur", "Error"), T(rq, "Mémoire insuffisante.", "Out of memory."));
        return 0;
    }
    rq->content_type = "text/plain; version=0.0.4; charset=utf-8";
    buf_add(&rq->body, text, len);
    free(text);
    web_result_free(&res);
    return 0;
}
