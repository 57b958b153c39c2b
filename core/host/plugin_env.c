/* plugin_env.c: what a plugin asks the host about itself: its log lines,
 * its settings ([plugin.NAME] and [plugin.NAME.REGION]), whether it serves
 * a region, which node owns a region, the time. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "evlog.h"
#include "folder.h"
#include "host_state.h"
#include "log.h"
#include "mp.h"
#include "text.h"

/* ---- logging ------------------------------------------------------------ */

void host_plugin_log(cd_host *h, int level, const char *fmt, ...)
{
    char msg[1800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (level < CD_LOG_ERROR)
        level = CD_LOG_ERROR;
    if (level > CD_LOG_DEBUG)
        level = CD_LOG_DEBUG;
    cn_log((cn_log_level)level, "[%s] %s", h->name, msg);
}

/* ---- configuration ------------------------------------------------------ */

const char *host_plugin_config(cd_host *h, const char *region, const char *key)
{
    const cn_config *cfg = h->host->cfg;
    if (region) {
        char section[256];
        snprintf(section, sizeof section, "%s.%s", h->section, region);
        const char *v = cn_config_setting(cfg, section, key);
        if (v)
            return v;
    }
    return cn_config_setting(cfg, h->section, key);
}

bool host_listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && n && (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',' || p[-1] == ' ') && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
    return false;
}

int host_region_enabled(cd_host *h, const char *region)
{
    const char *list = cn_config_setting(h->host->cfg, h->section, "regions");
    if (!list || !*list || strcmp(list, "*") == 0)
        return 1;
    return host_listed(list, region) ? 1 : 0;
}

/* ---- folders ------------------------------------------------------------ */

int host_plugin_folder(cd_host *h, const char *key, const char *default_name, char *out, size_t cap)
{
    const char *set = host_plugin_config(h, NULL, key);
    int n = set && *set ? snprintf(out, cap, "%s", set)
                        : snprintf(out, cap, "%s/%s", h->host->cfg->data_dir, default_name);
    char what[256];
    if (set && *set)
        snprintf(what, sizeof what, "[%s] %s", h->section, key);
    else
        snprintf(what, sizeof what, L("[%s] %s (par défaut dans le dossier de données)",
                                      "[%s] %s (by default in the data folder)"), h->section, key);
    if (n < 0 || (size_t)n >= cap || (size_t)n >= PATH_MAX) {
        host_plugin_log(h, CD_LOG_ERROR, L("%s : chemin trop long", "%s: path too long"), what);
        return -1;
    }
    int e = cn_folder_ready(out, !h->host->checking);
    if (e == 0)
        return 0;
    host_plugin_log(h, CD_LOG_ERROR, L("%s = %s : %s (un dossier où concertd peut écrire est attendu)",
                                       "%s = %s: %s (a folder concertd can write to is expected)"),
                    what, out, cn_strerror(e));
    return -1;
}

int64_t host_now_ms(cd_host *h)
{
    (void)h;
    return cn_now_ms();
}

const char *host_region_origin(cd_host *h, const char *region)
{
    AS_HOST(h);
    int held = region ? cn_core_region_owner(h->host->core, region, h->origin, sizeof h->origin) : CN_REGION_UNKNOWN;
    AS_PLUGIN_AGAIN(h);
    return held == CN_REGION_COPY ? h->origin : NULL;
}

void host_actor_push(cd_host *p, char saved[129])
{
    cn_evlog *log = cn_core_evlog(p->host->core);
    const char *was = cn_evlog_actor(log);
    snprintf(saved, 129, "%s", was ? was : "");
    char me[160];
    snprintf(me, sizeof me, "plugin:%s", p->name);
    cn_evlog_set_actor(log, me);
}

void host_actor_pop(cd_host *p, const char saved[129]) { cn_evlog_set_actor(cn_core_evlog(p->host->core), saved); }
