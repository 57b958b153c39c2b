/* status_ops.h: node.status — what an operator watches, in one reply
 * (concertctl status, the Prometheus page): uptime, the database's and its
 * WAL's size, commands answered and their latency, the commits' time, the
 * federation's peers, today's reminders, each plugin's state and figures. */
#ifndef CN_STATUS_OPS_H
#define CN_STATUS_OPS_H

#include "core.h"
#include "federation.h"
#include "plugin_host.h"
#include "server.h"

typedef struct cn_status_ops cn_status_ops;

/* Registers node.status over the parts it reads (any may be NULL: not there). */
cn_status_ops *cn_status_ops_new(cn_core *core, const char *data_dir);
void cn_status_ops_watch(cn_status_ops *s, const cn_server *server, cn_host *host, const cn_federation *fed);
void cn_status_ops_destroy(cn_status_ops **s);

#endif
