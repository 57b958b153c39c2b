/* service.h: what systemd is told about the daemon (sd_notify): ready, its
 * status, stopping, and that the loop is alive (the watchdog). Nothing is
 * sent when the daemon was not started by systemd ($NOTIFY_SOCKET unset). */
#ifndef CN_SERVICE_H
#define CN_SERVICE_H

#include <uv.h>

typedef struct cn_service cn_service;

/* Starts pinging the watchdog from loop when the unit asks for it
 * (WatchdogSec=): at half its period, so a loop blocked longer than the
 * period gets the daemon restarted. NULL when out of memory. */
cn_service *cn_service_new(uv_loop_t *loop);
/* While the start takes long (the database checked or upgraded, db.h's
 * long-work notice): the start's time limit pushed 60 s further
 * (EXTEND_TIMEOUT_USEC), what is being done as the status, and in the log. */
void cn_service_starting(const char *what);
/* READY=1 with a status line for systemctl status. */
void cn_service_ready(cn_service *s, const char *status);
/* STOPPING=1; the watchdog stops. Safe twice. */
void cn_service_stopping(cn_service *s);
/* Closes the timer; the loop must run once more for it to be freed. */
void cn_service_close(cn_service **s);

#endif
