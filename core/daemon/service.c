/* service.c: see service.h. */
#include "service.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "log.h"

struct cn_service {
    uv_timer_t watchdog;
    bool ticking, stopping;
};

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

cn_service *cn_service_new(uv_loop_t *loop)
{
    cn_service *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    uv_timer_init(loop, &s->watchdog);
    s->watchdog.data = s;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
        uv_timer_start(&s->watchdog, on_watchdog, 0, usec / 2000);
        s->ticking = true;
        cn_debug("systemd : chien de garde toutes les %llu ms", (unsigned long long)(usec / 2000));
    }
    return s;
}

void cn_service_starting(const char *what)
{
    cn_info("démarrage : %s…", what);
    sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%llu\nSTATUS=%s…", 60000000ULL, what);
}

void cn_service_ready(cn_service *s, const char *status)
{
    (void)s;
    sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status, (unsigned long)getpid());
}

void cn_service_stopping(cn_service *s)
{
    if (!s || s->stopping)
        return;
    s->stopping = true;
    s->ticking = false;
    uv_timer_stop(&s->watchdog);
    sd_notify(0, "STOPPING=1\nSTATUS=arrêt propre : les requêtes reçues sont traitées");
}

static void on_closed(uv_handle_t *h) { free(h->data); }

void cn_service_close(cn_service **s)
{
    if (!*s)
        return;
    uv_close((uv_handle_t *)&(*s)->watchdog, on_closed);
    *s = NULL;
}
