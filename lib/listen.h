/* listen.h: a listening address as a table's configuration writes it, for
 * the plugins that serve HTTP (web, metrics). */
#ifndef CN_LISTEN_H
#define CN_LISTEN_H

#include <sys/socket.h>

/* "127.0.0.1:8080", "[::1]:8080" or ":8080" (every address) into *ss and
 * *len; -1 when it is not one. */
int cn_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len);

#endif
