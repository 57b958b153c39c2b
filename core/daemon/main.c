/* main.c: concertd's entry point: options, configuration, the loop, and a
 * clean shutdown on SIGTERM/SIGINT (requests already received are answered,
 * the database is closed cleanly). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>
#include <sqlite3.h>
#include <uv.h>

#include "backup.h"
#include "backup_ops.h"
#include "check.h"
#include "config.h"
#include "core.h"
#include "db.h"
#include "demo.h"
#include "federation.h"
#include "log.h"
#include "model.h"
#include "plugin_host.h"
#include "retention.h"
#include "scheduler.h"
#include "server.h"
#include "service.h"
#include "status_ops.h"

#ifndef CONCERTD_VERSION
#define CONCERTD_VERSION "0.0.0"
#endif

/* The help, in French, or English with CONCERTD_LANG=en (as concertctl):
 * the manual page concertd(8) is made from it (tools/man). */
static void usage(FILE *out)
{
    const char *lang = getenv("CONCERTD_LANG");
    if (lang && strcmp(lang, "en") == 0) {
        fprintf(out,
                "Usage: concertd [OPTIONS]\n"
                "Concertation daemon: holds the plans d'action of regional tables and publishes their events over "
                "ZeroMQ.\n\n"
                "  -c, --config FILE            configuration file (INI; see concertd.conf(5))\n"
                "      --check-config           checks the configuration and exits\n"
                "  -d, --data-dir DIR           data folder (overrides [storage] data_dir)\n"
                "      --command-endpoint EP    ROUTER command socket (overrides [bus] command)\n"
                "      --event-endpoint EP      PUB event socket (overrides [bus] events)\n"
                "      --node-id ID             this node's identity (overrides [node] id)\n"
                "      --log-level LEVEL        error, warn, info or debug\n"
                "      --demo FILE              loads this demo into an empty database (e.g.\n"
                "                               /usr/share/concertd/demo/lanaudiere.json; overrides [demo] file):\n"
                "                               its region is marked \"démo\"\n"
                "      --no-demo                does not load the demo into an empty database\n"
                "      --restore FILE           brings the data folder back to this backup (concertctl backup),\n"
                "                               the daemon stopped; the current database is kept aside\n"
                "      --check-db               checks the whole database (integrity_check) and exits\n"
                "      --plugin NAME            also loads this plugin (repeatable)\n"
                "      --plugin-dir DIR         looks for plugins (NAME.so) in DIR first\n"
                "  -h, --help                   this help\n"
                "  -V, --version                version\n");
        return;
    }
    fprintf(out,
            "Usage: concertd [OPTIONS]\n"
            "Daemon de concertation: tient les plans d'action et publie leurs événements sur ZeroMQ.\n\n"
            "  -c, --config FILE            fichier de configuration (INI; voir concertd.conf(5))\n"
            "      --check-config           vérifie la configuration et quitte\n"
            "  -d, --data-dir DIR           dossier de données (remplace [storage] data_dir)\n"
            "      --command-endpoint EP    socket de commandes ROUTER (remplace [bus] command)\n"
            "      --event-endpoint EP      socket d'événements PUB (remplace [bus] events)\n"
            "      --node-id ID             identité du nœud (remplace [node] id)\n"
            "      --log-level LEVEL        error, warn, info ou debug\n"
            "      --demo FILE              charge cette démo dans une base vide (ex. config/demo/lanaudiere.json ;\n"
            "                               remplace [demo] file) : sa région est marquée « démo »\n"
            "      --no-demo                ne charge pas la démo dans une base vide\n"
            "      --restore FILE           ramène le dossier de données à cette sauvegarde (concertctl backup),\n"
            "                               le démon arrêté ; la base actuelle est gardée de côté\n"
            "      --check-db               vérifie toute la base (integrity_check) et quitte\n"
            "      --plugin NAME            charge aussi ce greffon (répétable)\n"
            "      --plugin-dir DIR         cherche les greffons (NAME.so) d'abord dans DIR\n"
            "  -h, --help                   cette aide\n"
            "  -V, --version                version\n");
}

typedef struct {
    cn_host *host;
    cn_server *server;
    cn_federation *federation; /* NULL without [federation] */
    cn_scheduler *scheduler;
    cn_retention *retention; /* NULL without [storage] keep_events_days */
    cn_service *service; /* systemd's notifications */
    cn_backup_ops *backups;
    cn_status_ops *status;
    uv_signal_t sigterm, sigint, sighup;
    bool signals;  /* the three above are started */
    bool stopping; /* a SIGTERM or SIGINT came */
} app;

/* After each tick of the clock: the plugins get the committed events. */
static void deliver(void *host) { cn_host_deliver(host, false); }
/* After each batch of commands: the same, what they write committed
 * without waiting for the disk — the bus flushes it next, off the loop. */
static void deliver_lazily(void *host) { cn_host_deliver(host, true); }

/* Stops taking work, in order: the clock, the sockets (what was received
 * is answered first), the federation, the plugins. Safe twice. */
static void stop_app(app *a)
{
    cn_service_stopping(a->service);
    if (a->status)
        cn_status_ops_watch(a->status, NULL, a->host, NULL); /* the server and federation go first */
    cn_scheduler_stop(&a->scheduler);
    cn_retention_stop(&a->retention);
    cn_server_stop(a->server);
    cn_federation_close(&a->federation);
    cn_server_destroy(&a->server);
    if (a->host)
        cn_host_stop(a->host);
}

/* SIGHUP (systemctl reload concertd): the federation's [peer.*] sections read again. */
static void on_reload(uv_signal_t *h, int signum)
{
    (void)signum;
    app *a = h->data;
    char said[1024], err[1024];
    if (!a->federation)
        cn_warn("SIGHUP : ce nœud a démarré sans [federation] ; en ajouter une demande un redémarrage");
    else if (cn_federation_reload(a->federation, said, sizeof said, err, sizeof err) == 0)
        cn_info("SIGHUP : %s", said);
    else
        cn_error("SIGHUP : configuration non relue, la fédération reste telle qu'elle était : %s", err);
}

static void on_signal(uv_signal_t *h, int signum)
{
    app *a = h->data;
    const char *name = signum == SIGTERM ? "SIGTERM" : "SIGINT";
    if (a->stopping) {
        cn_info("signal %s reçu: l'arrêt propre est déjà en cours", name);
        return;
    }
    a->stopping = true;
    cn_info("signal %s reçu: arrêt propre", name);
    stop_app(a);
    /* Still caught while the rest closes (the default action of a second
     * SIGTERM would end the daemon half-way), without keeping the loop up. */
    uv_unref((uv_handle_t *)&a->sigterm);
    uv_unref((uv_handle_t *)&a->sigint);
    uv_close((uv_handle_t *)&a->sighup, NULL);
}

/* At the very end, everything closed: the signal handles closed, and once
 * stopping SIGTERM and SIGINT ignored for the few instructions left (their
 * default action would say the daemon was killed after a clean stop). */
static void close_signals(app *a)
{
    sigset_t stop, before;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, &before); /* none in between the two */
    uv_signal_t *handles[] = {&a->sigterm, &a->sigint, &a->sighup};
    for (size_t i = 0; a->signals && i < sizeof handles / sizeof *handles; i++)
        if (!uv_is_closing((uv_handle_t *)handles[i]))
            uv_close((uv_handle_t *)handles[i], NULL);
    if (a->stopping) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
    }
    pthread_sigmask(SIG_SETMASK, &before, NULL);
}

int main(int argc, char **argv)
{
    /* SQLite's memory statistics take a global mutex on every allocation;
     * nothing here reads them. Before any other SQLite call. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* A batch's buffers are allocated and freed as a whole: without this,
     * glibc gives the top of the heap back after each batch and takes it
     * again for the next (a brk and page faults per batch, a third of the
     * time of small commands). Kept up to 2 MiB. (For builds on glibc's
     * malloc: the sanitizers'; concertd links mimalloc, CMakeLists.txt.) */
    mallopt(M_TRIM_THRESHOLD, 2 << 20);
    enum { OPT_CHECK = 256, OPT_CMD, OPT_EVT, OPT_NODE, OPT_LOG, OPT_NODEMO, OPT_PLUGIN, OPT_PLUGIN_DIR, OPT_DEMO,
           OPT_RESTORE, OPT_CHECK_DB };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},    {"check-config", no_argument, NULL, OPT_CHECK},
        {"data-dir", required_argument, NULL, 'd'},  {"command-endpoint", required_argument, NULL, OPT_CMD},
        {"event-endpoint", required_argument, NULL, OPT_EVT}, {"node-id", required_argument, NULL, OPT_NODE},
        {"log-level", required_argument, NULL, OPT_LOG}, {"no-demo", no_argument, NULL, OPT_NODEMO},
        {"demo", required_argument, NULL, OPT_DEMO},
        {"restore", required_argument, NULL, OPT_RESTORE}, {"check-db", no_argument, NULL, OPT_CHECK_DB},
        {"plugin", required_argument, NULL, OPT_PLUGIN}, {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
        {"help", no_argument, NULL, 'h'},            {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    const char *config_path = NULL, *data_dir = NULL, *cmd = NULL, *evt = NULL, *node = NULL, *level = NULL,
               *demo = NULL, *restore = NULL;
    bool check = false, no_demo = false, check_db = false;
    const char *extra_plugins[32], *plugin_dir = NULL;
    size_t nextra = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:d:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'd': data_dir = optarg; break;
        case OPT_CHECK: check = true; break;
        case OPT_CMD: cmd = optarg; break;
        case OPT_EVT: evt = optarg; break;
        case OPT_NODE: node = optarg; break;
        case OPT_LOG: level = optarg; break;
        case OPT_NODEMO: no_demo = true; break;
        case OPT_DEMO: demo = optarg; break;
        case OPT_RESTORE: restore = optarg; break;
        case OPT_CHECK_DB: check_db = true; break;
        case OPT_PLUGIN:
            if (nextra < sizeof extra_plugins / sizeof extra_plugins[0])
                extra_plugins[nextra++] = optarg;
            break;
        case OPT_PLUGIN_DIR: plugin_dir = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("concertd %s\n", CONCERTD_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "concertd: argument inattendu: %s\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    cn_config cfg;
    char err[1024];
    if (cn_config_defaults(&cfg) != 0) {
        fprintf(stderr, "concertd: mémoire insuffisante\n");
        return 1;
    }
    if (config_path && cn_config_load(&cfg, config_path, err, sizeof err) != 0) {
        fprintf(stderr, "concertd: %s\n", err);
        cn_config_clear(&cfg);
        return 1;
    }
    if ((data_dir && cn_config_set(&cfg.data_dir, data_dir)) || (cmd && cn_config_set(&cfg.command_endpoint, cmd)) ||
        (evt && cn_config_set(&cfg.event_endpoint, evt)) || (node && cn_config_set(&cfg.node_id, node)) ||
        (demo && cn_config_set(&cfg.demo_file, demo)) || (!demo && no_demo && cn_config_set(&cfg.demo_file, NULL))) {
        fprintf(stderr, "concertd: mémoire insuffisante\n");
        cn_config_clear(&cfg);
        return 1;
    }
    for (size_t i = 0; i < nextra; i++)
        if (cn_config_add_plugin(&cfg, extra_plugins[i]) != 0) {
            fprintf(stderr, "concertd: mémoire insuffisante\n");
            cn_config_clear(&cfg);
            return 1;
        }
    if (plugin_dir) {
        char path[8192];
        snprintf(path, sizeof path, "%s%s%s", plugin_dir, cfg.plugin_path ? ":" : "", cfg.plugin_path ? cfg.plugin_path : "");
        cn_config_set(&cfg.plugin_path, path);
    }
    if (level && cn_log_level_parse(level, &cfg.log_level) != 0) {
        fprintf(stderr, "concertd: --log-level %s: valeurs possibles error, warn, info, debug\n", level);
        cn_config_clear(&cfg);
        return 2;
    }
    if (restore) {
        /* The daemon is not started: the data folder is brought back, then it exits. */
        char said[8192];
        int rc = cn_backup_restore(cfg.data_dir, cfg.node_id, restore, said, sizeof said, err, sizeof err);
        if (rc == 0)
            printf("concertd : %s\nDémarrez le démon : la base sera migrée au schéma de cette version si elle est plus "
                   "ancienne ; les copies qu'il tient de ses pairs reprennent où elles en sont.\n%s",
                   said,
                   cn_config_setting(&cfg, "federation", "events")
                       ? "Attention : ce nœud publie ses régions à des pairs. Les changements faits ici après cette "
                         "sauvegarde sont perdus ici mais sont dans leur journal, et les nouveaux reprendraient des "
                         "numéros qu'ils ont déjà : ils ne les prendraient pas (ils le disent dans leur journal). "
                         "Voyez README, « Installing on a server », avant de redémarrer.\n"
                       : "");
        else
            fprintf(stderr, "concertd : restauration impossible : %s\n", err);
        cn_config_clear(&cfg);
        return rc == 0 ? 0 : 1;
    }
    if (check_db) {
        char said[1024];
        int rc = cn_db_check(cfg.data_dir, true, said, sizeof said);
        printf("concertd : %s\n", said);
        cn_config_clear(&cfg);
        return rc == 0 ? 0 : 1;
    }
    if (check) {
        cn_lang_set(cfg.lang);
        int rc = cn_check_config(&cfg);
        cn_config_clear(&cfg);
        return rc;
    }
    cn_log_set_level(cfg.log_level);
    cn_log_detect_journal();
    cn_lang_set(cfg.lang);
    /* A write past a file-size limit must fail like a full disk (the command
     * gets "unavailable" and nothing is saved), not kill the daemon. */
    signal(SIGXFSZ, SIG_IGN);
    /* Dates that default to "today" are the table's today, not UTC's. */
    setenv("TZ", cfg.timezone, 1);
    tzset();

    int status = 1;
    cn_db_set_long_work_notice(cn_service_starting); /* an upgrade can outlast systemd's start limit */
    cn_db *db = cn_db_new(cfg.data_dir, err, sizeof err);
    cn_core *core = NULL;
    uv_loop_t loop;
    bool loop_ok = false;
    app a = {0};
    if (!db) {
        cn_error("%s", err);
        goto out;
    }
    core = cn_core_new(cn_db_sqlite(db), &cfg);
    if (!core || cn_model_register(core) != 0) {
        cn_error("initialisation du noyau impossible");
        goto out;
    }
    if (uv_loop_init(&loop) != 0)
        goto out;
    loop_ok = true;
    if (!(a.service = cn_service_new(&loop)))
        goto out;
    a.backups = cn_backup_ops_new(&loop, core, cfg.data_dir);
    a.status = cn_status_ops_new(core, cfg.data_dir);
    if (!a.backups || !a.status)
        goto out;
    a.host = cn_host_new(core, &loop, &cfg);
    if (!a.host)
        goto out;
    if (!cn_host_ready(a.host, err, sizeof err)) {
        cn_error("%s", err);
        goto out;
    }
    a.server = cn_server_new(&loop, core, &cfg, deliver_lazily, a.host, err, sizeof err);
    if (!a.server || cn_federation_open(&a.federation, &loop, a.server, core, &cfg, err, sizeof err) != 0) {
        cn_error("%s", err);
        goto out;
    }
    cn_host_set_pub(a.host, cn_server_pub(a.server));
    cn_status_ops_watch(a.status, a.server, a.host, a.federation);
    if (cfg.demo_file && cn_demo_load(core, cfg.demo_file, cn_server_pub(a.server)) != 0)
        cn_warn("la démo n'a pas été chargée; le démon continue sans elle");
    /* Plugins catch up with what was logged while they were not running. */
    cn_host_deliver(a.host, false);
    a.scheduler = cn_scheduler_new(&loop, core, cn_server_pub(a.server), cfg.reminder_check_ms, deliver, a.host);
    if (!a.scheduler)
        goto out;
    bool retention_failed;
    a.retention = cn_retention_start(&loop, core, &retention_failed);
    if (retention_failed)
        goto out;
    uv_signal_init(&loop, &a.sigterm);
    uv_signal_init(&loop, &a.sigint);
    uv_signal_init(&loop, &a.sighup);
    a.sigterm.data = a.sigint.data = a.sighup.data = &a;
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_signal_start(&a.sighup, on_reload, SIGHUP);
    a.signals = true;
    cn_info("concertd %s prêt: nœud %s, commandes %s, événements %s, données %s", CONCERTD_VERSION, cfg.node_id,
            cfg.command_endpoint, cfg.event_endpoint, cfg.data_dir);
    char status_line[512];
    snprintf(status_line, sizeof status_line, "prêt : nœud %s, commandes %s", cfg.node_id, cfg.command_endpoint);
    cn_service_ready(a.service, status_line);
    uv_run(&loop, UV_RUN_DEFAULT);
    status = 0;

out:
    stop_app(&a);
    cn_service_close(&a.service);
    if (loop_ok)
        uv_run(&loop, UV_RUN_DEFAULT); /* lets closing handles finish */
    cn_host_destroy(&a.host);
    cn_backup_ops_destroy(&a.backups);
    cn_status_ops_destroy(&a.status);
    cn_core_destroy(&core);
    cn_db_destroy(&db);
    if (status == 0)
        cn_info("arrêté proprement");
    /* The signals stay caught until everything is closed (see close_signals). */
    close_signals(&a);
    if (loop_ok) {
        uv_run(&loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&loop) != 0)
            cn_warn("boucle libuv fermée avec des handles encore ouverts");
    }
    cn_config_clear(&cfg);
    return status;
}
