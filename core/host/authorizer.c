/* authorizer.c: a plugin touches only its own tables. SQLite's authorizer
 * refuses a plugin's statement on another's table (or the core's, which it
 * reads through the ops) and any transaction control of its own; its
 * migrations are applied in order, once, in the host's transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_state.h"
#include "log.h"
#include "mp.h"
#include "text.h"

static bool has_prefix(const char *name, const char *plugin)
{
    size_t n = strlen(plugin);
    return name && strncmp(name, plugin, n) == 0 && name[n] == '_';
}

int host_authorize(void *data, int action, const char *a1, const char *a2, const char *db, const char *trigger)
{
    (void)db;
    (void)trigger;
    cn_host *host = data;
    cd_host *p = host->current;
    if (!p)
        return SQLITE_OK;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_READ:
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        /* The schema table is written by CREATE/ALTER/DROP, which are checked
         * by their own action codes below; SQLite refuses direct writes to it. */
        if (strcmp(a1, "sqlite_sequence") == 0 || strcmp(a1, "sqlite_master") == 0 ||
            strcmp(a1, "sqlite_schema") == 0 || strcmp(a1, "sqlite_temp_master") == 0)
            return SQLITE_OK;
        return has_prefix(a1, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_CREATE_TABLE:
    case SQLITE_DROP_TABLE:
    case SQLITE_CREATE_VIEW:
    case SQLITE_DROP_VIEW:
        return has_prefix(a1, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_CREATE_INDEX:
    case SQLITE_DROP_INDEX:
        /* UNIQUE and PRIMARY KEY constraints make indexes SQLite names
         * itself ("sqlite_autoindex_<table>_1"): the table's prefix counts. */
        if (strncmp(a1, "sqlite_autoindex_", 17) == 0)
            return has_prefix(a1 + 17, p->name) && has_prefix(a2, p->name) ? SQLITE_OK : SQLITE_DENY;
        return has_prefix(a1, p->name) && has_prefix(a2, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_DROP_TRIGGER:
        return has_prefix(a1, p->name) && has_prefix(a2, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_REINDEX: /* a new index is filled by a reindex of it */
        return a1 && has_prefix(a1, p->name) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_ALTER_TABLE:
        return has_prefix(a2, p->name) ? SQLITE_OK : SQLITE_DENY;
    default: /* transactions, savepoints, pragmas, attach: the host's */
        return SQLITE_DENY;
    }
}

/* ---- own tables ---------------------------------------------------------- */

sqlite3 *host_plugin_db(cd_host *h) { return cn_core_db(h->host->core); }

int host_migrate(cd_host *h, const char *const *migrations, size_t count)
{
    if (!h->initialising) {
        host_plugin_log(h, CD_LOG_ERROR, "migrate: seulement pendant init");
        return -1;
    }
    sqlite3 *db = host_plugin_db(h);
    AS_HOST(h);
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(db, "SELECT schema_version FROM plugin_state WHERE plugin = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    if ((size_t)version > count) {
        AS_PLUGIN_AGAIN(h);
        host_plugin_log(h, CD_LOG_ERROR,
                        "la base est au schéma %d du greffon, plus récent que celui de ce greffon (%zu) : utilisez "
                        "une version plus récente de concertd et de ses greffons",
                        version, count);
        return -1;
    }
    int rc = 0;
    for (size_t v = (size_t)version; v < count && rc == 0; v++) {
        char *msg = NULL;
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
        if (rc == SQLITE_OK) {
            h->host->current = h; /* the plugin's SQL, under its rights */
            rc = sqlite3_exec(db, migrations[v], NULL, NULL, &msg);
            h->host->current = NULL;
        }
        if (rc == SQLITE_OK && sqlite3_prepare_v2(db,
                                                  "INSERT INTO plugin_state(plugin, schema_version) VALUES (?1, ?2)"
                                                  " ON CONFLICT(plugin) DO UPDATE SET schema_version = ?2",
                                                  -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, (int)v + 1);
            rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
            sqlite3_finalize(st);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            cn_error("[%s] migration %zu de son schéma refusée: %s%s", h->name, v + 1,
                     msg ? msg : sqlite3_errmsg(db),
                     rc == SQLITE_AUTH ? " (un greffon ne crée que des tables nommées « <greffon>_… »)" : "");
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        } else if (v + 1 == count) {
            cn_info("[%s] schéma du greffon à la version %zu", h->name, count);
        }
    }
    AS_PLUGIN_AGAIN(h);
    return rc == SQLITE_OK ? 0 : -1;
}
