/* plugin_host.c: see plugin_host.h and concertd/plugin.h.
 *
 * What C cannot protect against: a plugin runs in the daemon's process, so
 * a crash (segfault, abort), an infinite loop or memory corruption in a
 * plugin takes the daemon down or hangs it. What the host does enforce: a
 * plugin that returns an error fails only its own command or event
 * delivery, with its writes undone; it can touch only its own tables
 * (SQLite authorizer); it cannot commit or roll back the host's
 * transactions; and it is refused at load when its ABI does not match. */
#include "plugin_host.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <concertd/plugin.h>

#include "host_state.h"
#include "log.h"
#include "mp.h"
#include "text.h"

static const cd_host_api api; /* defined at the end */

/* ---- loading ------------------------------------------------------------ */

/* [plugins] optional names the plugins the daemon may start without. */
static bool optional(const cn_host *host, const char *name)
{
    return host_listed(cn_config_setting(host->cfg, "plugins", "optional"), name);
}

static void refuse(cd_host *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(cd_host *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
    p->status = P_REFUSED;
    if (p->host->checking)
        cn_error("greffon %s : %s", p->name, p->reason);
    else if (optional(p->host, p->name))
        cn_warn("greffon %s refusé (%s): %s; le démon continue sans lui ([plugins] optional)", p->name,
                p->file ? p->file : "?", p->reason);
    else
        cn_error("greffon %s refusé (%s): %s", p->name, p->file ? p->file : "?", p->reason);
}

static char *find_file(const cn_config *cfg, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s", cfg->plugin_path ? cfg->plugin_path : "");
    for (char *save = NULL, *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char file[8192];
        snprintf(file, sizeof file, "%s/%s.so", dir, name);
        if (access(file, R_OK) == 0)
            return strdup(file);
    }
    return NULL;
}

/* Finds, maps and checks the plugin's file (its entry, ABI and name)
 * without running any of its code. false when refused (said why). */
static bool open_entry(cn_host *host, cd_host *p)
{
    snprintf(p->section, sizeof p->section, "plugin.%s", p->name);
    p->file = find_file(host->cfg, p->name);
    if (!p->file) {
        refuse(p, "aucun fichier %s.so dans le chemin des greffons ([plugins] path = %s)", p->name,
               host->cfg->plugin_path ? host->cfg->plugin_path : "(vide)");
        return false;
    }
    p->dl = dlopen(p->file, RTLD_NOW | RTLD_LOCAL);
    if (!p->dl) {
        refuse(p, "chargement impossible: %s", dlerror());
        return false;
    }
    p->entry = dlsym(p->dl, CD_PLUGIN_SYMBOL);
    if (!p->entry) {
        refuse(p, "le fichier n'exporte pas %s (est-ce un greffon concertd? voir CD_PLUGIN)", CD_PLUGIN_SYMBOL);
        return false;
    }
    if (p->entry->abi != CD_PLUGIN_ABI) {
        refuse(p, "construit pour l'ABI %u, ce concertd offre l'ABI %d: recompilez-le avec ce concertd/plugin.h",
               p->entry->abi, CD_PLUGIN_ABI);
        return false;
    }
    if (!p->entry->name || strcmp(p->entry->name, p->name) != 0) {
        refuse(p, "il se nomme « %s », pas « %s »", p->entry->name ? p->entry->name : "(sans nom)", p->name);
        return false;
    }
    if (!p->entry->init) {
        refuse(p, "pas de fonction init");
        return false;
    }
    p->version = p->entry->version ? p->entry->version : "?";
    return true;
}

static void load(cn_host *host, cd_host *p)
{
    if (!open_entry(host, p))
        return;
    p->initialising = true;
    host->current = p;
    int rc = p->entry->init(p, &api, &p->state);
    host->current = NULL;
    p->initialising = false;
    if (rc != 0) {
        refuse(p, "son init a échoué (voir les lignes [%s] ci-dessus)", p->name);
        host_drop_subscriptions(p);
        return;
    }
    p->status = P_RUNNING;
    cn_info("greffon %s %s chargé depuis %s: %zu opération(s), %zu abonnement(s)", p->name, p->version, p->file,
            p->nops, p->nsubs);
}

int cn_host_check(const cn_config *cfg)
{
    cn_host host = {.cfg = cfg, .checking = true};
    int problems = 0;
    for (size_t i = 0; i < cfg->nplugins; i++) {
        cd_host p = {.host = &host, .name = cfg->plugins[i]};
        if (!open_entry(&host, &p)) {
            problems++;
        } else if (p.entry->check) {
            host.current = &p;
            int found = p.entry->check(&p, &api);
            host.current = NULL;
            problems += found > 0 ? found : found < 0 ? 1 : 0;
        }
        free(p.file); /* the library stays mapped, as at a real start */
    }
    return problems;
}

bool cn_host_ready(const cn_host *host, char *err, size_t errcap)
{
    err[0] = '\0';
    for (size_t i = 0; host && i < host->n; i++) {
        const cd_host *p = host->plugins[i];
        if (p->status != P_REFUSED || optional(host, p->name))
            continue;
        size_t len = strlen(err);
        snprintf(err + len, errcap - len, "%s%s", len ? ", " : "", p->name);
    }
    if (!err[0])
        return true;
    char names[512];
    snprintf(names, sizeof names, "%s", err);
    snprintf(err, errcap,
             "greffon(s) refusé(s) : %s (raisons ci-dessus) ; le démon ne démarre pas sans eux. Corrigez, ou nommez-les "
             "dans [plugins] optional pour démarrer sans eux (concertd --check-config vérifie tout)",
             names);
    return false;
}

static void pack_info(msgpack_packer *pk, void *data)
{
    cn_host *host = data;
    static const char *const words[] = {"refused", "running", "stopped"};
    msgpack_pack_array(pk, host->n);
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        msgpack_pack_map(pk, 10);
        cn_pk_kstr(pk, "name", p->name);
        cn_pk_kstr(pk, "version", p->version);
        cn_pk_kstr(pk, "file", p->file);
        cn_pk_kstr(pk, "state", words[p->status]);
        cn_pk_kstr(pk, "reason", p->reason[0] ? p->reason : NULL);
        cn_pk_str(pk, "ops");
        msgpack_pack_array(pk, p->status == P_RUNNING ? p->nops : 0);
        for (size_t k = 0; p->status == P_RUNNING && k < p->nops; k++)
            cn_pk_str(pk, p->ops[k]->name);
        cn_pk_kint(pk, "op_errors", p->op_errors);
        cn_pk_kint(pk, "event_errors", p->event_errors);
        cn_pk_kint(pk, "callback_errors", p->callback_errors);
        cn_pk_kint(pk, "events_delivered", p->events_delivered);
    }
}

int host_set_status(cd_host *h, cd_status_fn fn, void *data)
{
    if (!h->initialising)
        return -1;
    h->status_fn = fn;
    h->status_data = data;
    return 0;
}

void cn_host_pack_status(cn_host *host, msgpack_packer *pk)
{
    static const char *const words[] = {"refused", "running", "stopped"};
    msgpack_pack_array(pk, host->n);
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        msgpack_pack_map(pk, 7);
        cn_pk_kstr(pk, "name", p->name);
        cn_pk_kstr(pk, "state", words[p->status]);
        cn_pk_kint(pk, "op_errors", p->op_errors);
        cn_pk_kint(pk, "event_errors", p->event_errors);
        cn_pk_kint(pk, "callback_errors", p->callback_errors);
        cn_pk_kint(pk, "events_delivered", p->events_delivered);
        cn_pk_str(pk, "figures");
        msgpack_sbuffer figures;
        msgpack_sbuffer_init(&figures);
        if (p->status == P_RUNNING && p->status_fn) {
            msgpack_packer fp;
            msgpack_packer_init(&fp, &figures, msgpack_sbuffer_write);
            cd_host *outer = host->current;
            host->current = p; /* its SQL under its rights (authorizer.c) */
            p->status_fn(p, &fp, p->status_data);
            host->current = outer;
        }
        /* One map, as promised, or none: a plugin's mistake does not break the reply. */
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        if (figures.size && msgpack_unpack_next(&u, figures.data, figures.size, &off) == MSGPACK_UNPACK_SUCCESS &&
            off == figures.size && u.data.type == MSGPACK_OBJECT_MAP) {
            msgpack_pack_object(pk, u.data);
        } else {
            if (figures.size)
                cn_warn("greffon %s : ses chiffres (set_status) ne sont pas une table msgpack : ignorés", p->name);
            msgpack_pack_map(pk, 0);
        }
        msgpack_unpacked_destroy(&u);
        msgpack_sbuffer_destroy(&figures);
    }
}

cn_host *cn_host_new(cn_core *core, uv_loop_t *loop, const cn_config *cfg)
{
    cn_host *host = calloc(1, sizeof *host);
    if (!host)
        return NULL;
    host->core = core;
    host->loop = loop;
    host->cfg = cfg;
    host->plugins = calloc(cfg->nplugins ? cfg->nplugins : 1, sizeof *host->plugins);
    if (!host->plugins) {
        free(host);
        return NULL;
    }
    sqlite3_set_authorizer(cn_core_db(core), host_authorize, host);
    cn_core_set_info_hook(core, pack_info, host);
    cn_core_set_describe_hook(core, host_describe_op, host);
    cn_core_set_undoes_hook(core, host_op_undoes, host);
    cn_evlog_set_observer(cn_core_evlog(core), host_observe, host);
    cn_core_set_foreign_hook(core, host_deliver_foreign, host_wants_foreign, host);
    cn_core_add_keeper(core, host_log_keeper, host);
    for (size_t i = 0; i < cfg->nplugins; i++) {
        cd_host *p = calloc(1, sizeof *p);
        if (!p || !(p->name = strdup(cfg->plugins[i]))) {
            free(p);
            break;
        }
        p->host = host;
        p->cursor = -1;
        p->pending = true;
        host->plugins[host->n++] = p;
        load(host, p);
        /* Ops registered before a failed init stay listed but answer "unavailable". */
        for (size_t k = 0; p->status != P_RUNNING && k < p->nops; k++)
            p->ops[k]->fn = host_refused_op;
    }
    return host;
}

void cn_host_set_pub(cn_host *host, void *pub)
{
    if (host)
        host->pub = pub;
}

void cn_host_stop(cn_host *host)
{
    for (size_t i = 0; host && i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->status != P_RUNNING)
            continue;
        while (p->timers)
            host_timer_stop(p->timers);
        p->status = P_STOPPED;
        for (cd_watch *w = p->watches; w; w = w->next)
            host_watch_stop(w); /* closed after fini */
        /* Work not started is cancelled; work running finishes, and its
         * done() hears -1. fini comes after the last one. */
        for (work_item *w = p->works; w; w = w->next)
            uv_cancel((uv_req_t *)&w->req);
        if (!p->works)
            host_finish(p);
    }
}

void cn_host_destroy(cn_host **hostp)
{
    if (!hostp || !*hostp)
        return;
    cn_host *host = *hostp;
    cn_host_stop(host);
    sqlite3_set_authorizer(cn_core_db(host->core), NULL, NULL);
    cn_core_set_info_hook(host->core, NULL, NULL);
    cn_core_set_describe_hook(host->core, NULL, NULL);
    cn_core_set_undoes_hook(host->core, NULL, NULL);
    cn_core_set_foreign_hook(host->core, NULL, NULL, NULL);
    cn_evlog_set_observer(cn_core_evlog(host->core), NULL, NULL);
    for (size_t i = 0; i < host->n; i++) {
        cd_host *p = host->plugins[i];
        if (p->status == P_STOPPED)
            host_finish(p); /* in case work outlived the loop (it cannot when the loop ran to its end) */
        for (size_t k = 0; k < p->nops; k++) {
            cn_core_unregister(host->core, &p->ops[k]->op);
            host_free_op(p->ops[k]);
        }
        free(p->ops);
        for (size_t k = 0; k < p->nsubs; k++)
            free(p->subs[k].pattern);
        free(p->subs);
        /* The library stays mapped: the process is ending, and unloading
         * it would make the process-wide caches of the libraries it uses
         * (ICU behind libical…) look lost to leak checkers. */
        p->dl = NULL;
        free(p->name);
        free(p->file);
        free(p);
    }
    free(host->plugins);
    free(host);
    *hostp = NULL;
}

static const cd_host_api api = {
    .abi = CD_PLUGIN_ABI,
    .size = sizeof(cd_host_api),
    .log = host_plugin_log,
    .config = host_plugin_config,
    .region_enabled = host_region_enabled,
    .register_op = host_register_op,
    .migrate = host_migrate,
    .db = host_plugin_db,
    .subscribe = host_subscribe,
    .emit = host_emit,
    .call = host_call,
    .req_args = host_req_args,
    .req_result = host_req_result,
    .req_fail = host_req_fail,
    .req_lang = host_req_lang,
    .timer_start = host_timer_start,
    .timer_stop = host_timer_stop,
    .queue_work = host_queue_work,
    .now_ms = host_now_ms,
    .watch_start = host_watch_start,
    .watch_change = host_watch_change,
    .watch_stop = host_watch_stop,
    .region_origin = host_region_origin,
    .subscribe_peers = host_subscribe_peers,
    .after_commit = host_after_commit,
    .call_as = host_call_as,
    .folder = host_plugin_folder,
    .strerror = cn_strerror,
    .set_status = host_set_status,
};
