/* daemon_config.h: where concertctl finds the daemon when no --endpoint or
 * $CONCERTD_ENDPOINT says: in the daemon's own configuration ([bus] command
 * and events) — --config FILE, $CONCERTD_CONFIG, or, for the installed
 * concertctl (/usr/bin/concertctl), the installed /etc/concertd/concertd.conf
 * when there is one; otherwise on tcp://127.0.0.1:7410 and :7411 (the
 * configuration of the source tree). */
#ifndef CTL_DAEMON_CONFIG_H
#define CTL_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The installed daemon's configuration (tools/CMakeLists.txt sets it). */
#ifndef CONCERTD_SYSTEM_CONFIG
#define CONCERTD_SYSTEM_CONFIG "/etc/concertd/concertd.conf"
#endif
#ifndef CONCERTD_INSTALLED_PATH
#define CONCERTD_INSTALLED_PATH "/usr/bin/concertctl"
#endif

/* Fills *command and *events (owned by the caller, free()) from the
 * configuration at path, or from the one found as above when path is NULL;
 * *command and *events are left NULL when there is none. Returns 0, or -1
 * with a message in err (a file that cannot be read: it says why and what
 * to do). */
int ctl_daemon_endpoints(const char *path, char **command, char **events, char *err, size_t errcap);

#endif
