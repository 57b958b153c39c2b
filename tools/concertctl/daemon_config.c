/* daemon_config.c: see daemon_config.h. */
#include "daemon_config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "table.h"

#define T(fr, en) (ctl_en() ? (en) : (fr))

/* The installed concertctl (CONCERTD_INSTALLED_PATH) speaks to the installed
 * daemon; one run from a build tree to the source tree's (tools/dev start),
 * even on a machine where the package is installed too. */
static bool installed(void)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    return strcmp(self, CONCERTD_INSTALLED_PATH) == 0;
}

int ctl_daemon_endpoints(const char *path, char **command, char **events, char *err, size_t errcap)
{
    *command = *events = NULL;
    if (!path)
        path = getenv("CONCERTD_CONFIG");
    if (!path && installed() && access(CONCERTD_SYSTEM_CONFIG, F_OK) == 0)
        path = CONCERTD_SYSTEM_CONFIG;
    if (!path)
        return 0;
    if (access(path, R_OK) != 0 && errno == EACCES) {
        snprintf(err, errcap,
                 T("%s : lecture refusée ; concertctl y lit l'adresse du démon. Les membres du groupe concertd y ont "
                   "accès : sudo adduser %s concertd, puis une nouvelle session (ou --endpoint ADRESSE)",
                   "%s: reading refused; concertctl reads the daemon's address there. Members of the group concertd may "
                   "read it: sudo adduser %s concertd, then a new session (or --endpoint ADDRESS)"),
                 path, getenv("USER") ? getenv("USER") : "$USER");
        return -1;
    }
    cn_config cfg;
    if (cn_config_defaults(&cfg) != 0) {
        snprintf(err, errcap, "%s", T("mémoire insuffisante", "out of memory"));
        return -1;
    }
    int rc = cn_config_load(&cfg, path, err, errcap);
    if (rc == 0) {
        *command = strdup(cfg.command_endpoint);
        *events = strdup(cfg.event_endpoint);
        if (!*command || !*events) {
            free(*command);
            free(*events);
            *command = *events = NULL;
            snprintf(err, errcap, "%s", T("mémoire insuffisante", "out of memory"));
            rc = -1;
        }
    }
    cn_config_clear(&cfg);
    return rc;
}
