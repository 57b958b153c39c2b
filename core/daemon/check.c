/* check.c: see check.h. */
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "federation.h"
#include "folder.h"
#include "log.h"
#include "plugin_host.h"
#include "text.h"

/* A [peer.NAME] regions list: the regions this node takes from that peer. */
static bool is_followed_regions(const struct cn_setting *s)
{
    return strncmp(s->section, "peer.", 5) == 0 && strcmp(s->key, "regions") == 0;
}

/* Regions a [peer.NAME] regions list takes from a peer while this node
 * owns a region of that id (the demo, most often): every event the peer
 * sends for it would be refused. */
static int colliding_regions(const cn_config *cfg)
{
    bool follows = false;
    for (size_t i = 0; i < cfg->nsettings && !follows; i++)
        follows = is_followed_regions(&cfg->settings[i]);
    if (!follows)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/concertd.db", cfg->data_dir);
    sqlite3 *db = NULL;
    if (access(path, R_OK) != 0 || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 0; /* a new database: nothing owned yet */
    }
    int problems = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM regions WHERE id = ? AND origin = ?", -1, &st, NULL);
    if (rc == SQLITE_BUSY) /* a running daemon holds its database alone (wal_writes.h) */
        cn_warn(L("[peer.*] regions : non comparées aux régions de ce nœud, la base étant tenue par le concertd en "
                  "marche ; elles le seront à son prochain démarrage (le service lance --check-config avant)",
                  "[peer.*] regions: not compared with this node's regions, the database being held by the running "
                  "concertd; they will be at its next start (the service runs --check-config first)"));
    if (rc == SQLITE_OK) {
        for (size_t i = 0; i < cfg->nsettings; i++) {
            const struct cn_setting *s = &cfg->settings[i];
            if (!is_followed_regions(s))
                continue;
            char list[1024];
            snprintf(list, sizeof list, "%s", s->value);
            for (char *save = NULL, *r = strtok_r(list, ", \t", &save); r; r = strtok_r(NULL, ", \t", &save)) {
                sqlite3_reset(st);
                sqlite3_bind_text(st, 1, r, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 2, cfg->node_id, -1, SQLITE_STATIC);
                if (sqlite3_step(st) != SQLITE_ROW)
                    continue;
                cn_error(L("[%s] regions : « %s » est déjà une région de ce nœud (%s), peut-être la démo : les "
                           "événements de %s pour elle seraient refusés. Retirez la région de ce nœud, ou ne la "
                           "suivez pas",
                           "[%s] regions: \"%s\" is already a region of this node (%s), the demo perhaps: %s's "
                           "events for it would be refused. Remove this node's region, or do not follow it"),
                         s->section, r, cfg->node_id, s->section + 5);
                problems++;
            }
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return problems;
}

int cn_check_config(const cn_config *cfg)
{
    printf(L("Configuration :\n  fuseau horaire : %s\n  nœud : %s\n  données : %s\n  commandes : %s\n  événements : %s\n"
             "  taille max. d'un message : %ld octets\n  démo : %s\n  greffons :",
             "Configuration:\n  time zone: %s\n  node: %s\n  data: %s\n  commands: %s\n  events: %s\n"
             "  largest message: %ld bytes\n  demo: %s\n  plugins:"),
           cfg->timezone, cfg->node_id, cfg->data_dir, cfg->command_endpoint, cfg->event_endpoint,
           cfg->max_message_size, cfg->demo_file ? cfg->demo_file : L("(aucune)", "(none)"));
    for (size_t i = 0; i < cfg->nplugins; i++)
        printf("%s %s", i ? "," : "", cfg->plugins[i]);
    printf("%s\n", cfg->nplugins ? "" : L(" (aucun)", " (none)"));
    fflush(stdout); /* before the problems, which go to stderr */
    cn_log_set_plain(true);
    cn_log_set_level(CN_LOG_WARN);
    int problems = 0;
    int e = cn_folder_ready(cfg->data_dir, false);
    if (e) {
        cn_error(L("[storage] data_dir = %s : %s (un dossier où concertd peut écrire est attendu)",
                   "[storage] data_dir = %s: %s (a folder concertd can write to is expected)"),
                 cfg->data_dir, cn_strerror(e));
        problems++;
    }
    if (cfg->demo_file && access(cfg->demo_file, R_OK) != 0) {
        cn_error(L("démo %s : %s", "demo %s: %s"), cfg->demo_file, cn_strerror(errno));
        problems++;
    }
    problems += cn_host_check(cfg);
    problems += cn_federation_check(cfg);
    problems += colliding_regions(cfg);
    if (problems) {
        fprintf(stderr, L("configuration invalide : %d problème(s) ci-dessus, le démon ne démarrerait pas ainsi\n",
                          "invalid configuration: %d problem(s) above, the daemon would not start like this\n"),
                problems);
        return 1;
    }
    printf(L("configuration valide\n", "valid configuration\n"));
    return 0;
}
