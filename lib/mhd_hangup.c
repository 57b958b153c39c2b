/* mhd_hangup.c: the HTTP servers' connections (web, metrics) whose
 * client has hung up.
 *
 * libmicrohttpd 0.9.75 in epoll mode takes a socket as drained after a
 * read shorter than its buffer (epoll being edge-triggered, it waits for
 * the next edge). A client that sends part of a request and hangs up at
 * once — its FIN in the same wake-up as its bytes — gives no next edge:
 * the connection is never read again and waits for the rest of its
 * request until the idle timeout (30 s). A few hundred such clients a
 * minute fill the connection limit and keep everyone else out (found by
 * the web fuzzer: its probe went unanswered).
 *
 * So every open connection is known here, and each second (the server's
 * tick) a peek at its socket tells whether its client has closed with
 * nothing left to read; such a connection is given a timeout of one
 * second, after which MHD closes it itself. A peek reads nothing away:
 * MHD's reading is untouched. */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "mhd_hangup.h"

typedef struct open_conn {
    struct MHD_Connection *conn;
    int fd;
    bool closing; /* given its short timeout already */
    struct open_conn *prev, *next;
} open_conn;

static open_conn *conns; /* of this plugin's one HTTP daemon (each plugin links its copy), on the loop thread */

void cn_mhd_hangup_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        open_conn *o = info ? calloc(1, sizeof *o) : NULL;
        if (!o)
            return; /* not watched: MHD's idle timeout still closes it */
        o->conn = c;
        o->fd = info->connect_fd;
        o->next = conns;
        if (conns)
            conns->prev = o;
        conns = o;
        *socket_context = o;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        open_conn *o = *socket_context;
        if (o->prev)
            o->prev->next = o->next;
        else
            conns = o->next;
        if (o->next)
            o->next->prev = o->prev;
        free(o);
        *socket_context = NULL;
    }
}

size_t cn_mhd_hangup_sweep(void)
{
    size_t found = 0;
    for (open_conn *o = conns; o; o = o->next) {
        char byte;
        if (o->closing || recv(o->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 0)
            continue; /* bytes to read, nothing yet (EAGAIN), or an error MHD will see */
        o->closing = true;
        MHD_set_connection_option(o->conn, MHD_CONNECTION_OPTION_TIMEOUT, 1u);
        found++;
    }
    return found;
}
