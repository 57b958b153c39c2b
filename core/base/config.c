/* config.c: see config.h. The INI parsing itself is inih's. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cn_config_set(char **field, const char *value)
{
    char *copy = value ? strdup(value) : NULL;
    if (value && !copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

int cn_config_defaults(cn_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->lang = CN_LANG_FR;
    cfg->max_message_size = 1024 * 1024;
    cfg->max_in_flight = 10000;
    cfg->reminder_check_ms = 60 * 1000;
    cfg->log_level = CN_LOG_INFO;
    if (cn_config_set(&cfg->node_id, "local") || cn_config_set(&cfg->timezone, "America/Toronto") || cn_config_set(&cfg->data_dir, "data") ||
        cn_config_set(&cfg->command_endpoint, "tcp://127.0.0.1:7410") ||
        cn_config_set(&cfg->event_endpoint, "tcp://127.0.0.1:7411"))
        return -1;
    return 0;
}

int cn_config_add_plugin(cn_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nplugins; i++)
        if (strcmp(cfg->plugins[i], name) == 0)
            return 0;
    char **list = realloc(cfg->plugins, (cfg->nplugins + 1) * sizeof *list);
    if (!list)
        return -1;
    cfg->plugins = list;
    if (!(list[cfg->nplugins] = strdup(name)))
        return -1;
    cfg->nplugins++;
    return 0;
}

const char *cn_config_setting(const cn_config *cfg, const char *section, const char *key)
{
    for (size_t i = cfg->nsettings; i-- > 0;)
        if (strcmp(cfg->settings[i].section, section) == 0 && strcmp(cfg->settings[i].key, key) == 0)
            return cfg->settings[i].value;
    return NULL;
}

static int add_setting(cn_config *cfg, const char *section, const char *key, const char *value)
{
    struct cn_setting *list = realloc(cfg->settings, (cfg->nsettings + 1) * sizeof *list);
    if (!list)
        return -1;
    cfg->settings = list;
    struct cn_setting *s = &list[cfg->nsettings];
    s->section = strdup(section);
    s->key = strdup(key);
    s->value = strdup(value);
    if (!s->section || !s->key || !s->value) {
        free(s->section);
        free(s->key);
        free(s->value);
        return -1;
    }
    cfg->nsettings++;
    return 0;
}

void cn_config_clear(cn_config *cfg)
{
    for (size_t i = 0; i < cfg->nplugins; i++)
        free(cfg->plugins[i]);
    free(cfg->plugins);
    for (size_t i = 0; i < cfg->nsettings; i++) {
        free(cfg->settings[i].section);
        free(cfg->settings[i].key);
        free(cfg->settings[i].value);
    }
    free(cfg->settings);
    free(cfg->plugin_path);
    free(cfg->file);
    free(cfg->node_id);
    free(cfg->timezone);
    free(cfg->data_dir);
    free(cfg->command_endpoint);
    free(cfg->event_endpoint);
    free(cfg->demo_file);
    memset(cfg, 0, sizeof *cfg);
}

struct load_ctx {
    cn_config *cfg;
    char dir[PATH_MAX];
    char *err;
    size_t errcap;
};

/* A path in the file is relative to the file's folder. */
static int set_path(struct load_ctx *ctx, char **field, const char *value)
{
    if (value[0] == '/' || value[0] == '\0')
        return cn_config_set(field, value);
    char full[PATH_MAX * 2];
    /* The folder exists (the file is in it): resolving it keeps "../" out of logs. */
    char dir[PATH_MAX];
    snprintf(full, sizeof full, "%s/%s", realpath(ctx->dir, dir) ? dir : ctx->dir, value);
    /* Drop a leading "<dir>/../x" into "<parent>/x" for readability. */
    char *up = strstr(full, "/../");
    if (up && up > full && strncmp(value, "../", 3) == 0) {
        char *slash = up - 1;
        while (slash > full && *slash != '/')
            slash--;
        if (*slash == '/')
            memmove(slash, up + 3, strlen(up + 3) + 1);
    }
    return cn_config_set(field, full);
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *ctx = user;
    cn_config *cfg = ctx->cfg;
    int rc = 0;
#define IS(s, n) (strcmp(section, s) == 0 && strcmp(name, n) == 0)
    if (IS("node", "id")) {
        rc = cn_config_set(&cfg->node_id, value);
    } else if (IS("node", "lang")) {
        if (strcmp(value, "fr") == 0)
            cfg->lang = CN_LANG_FR;
        else if (strcmp(value, "en") == 0)
            cfg->lang = CN_LANG_EN;
        else {
            snprintf(ctx->err, ctx->errcap, "[node] lang = %s: valeurs possibles fr ou en", value);
            return 0;
        }
    } else if (IS("node", "timezone")) {
        char zone[512];
        snprintf(zone, sizeof zone, "/usr/share/zoneinfo/%s", value);
        if (strstr(value, "..") || access(zone, R_OK) != 0) {
            snprintf(ctx->err, ctx->errcap, "[node] timezone = %s: fuseau inconnu (ex.: America/Toronto; paquet tzdata)",
                     value);
            return 0;
        }
        rc = cn_config_set(&cfg->timezone, value);
    } else if (IS("storage", "data_dir")) {
        rc = set_path(ctx, &cfg->data_dir, value);
    } else if (IS("storage", "keep_events_days")) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || *end || end == value || v < 0 || v > 36500) {
            snprintf(ctx->err, ctx->errcap,
                     "[storage] keep_events_days = %s: un nombre de jours (0 : tout garder ; ex. 730 pour deux ans)",
                     value);
            return 0;
        }
        cfg->keep_events_days = (int)v;
    } else if (IS("bus", "command")) {
        rc = cn_config_set(&cfg->command_endpoint, value);
    } else if (IS("bus", "events")) {
        rc = cn_config_set(&cfg->event_endpoint, value);
    } else if (IS("bus", "max_message_size")) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || *end || v < 1024) {
            snprintf(ctx->err, ctx->errcap,
                     "[bus] max_message_size = %s: un nombre d'octets d'au moins 1024 est attendu", value);
            return 0;
        }
        cfg->max_message_size = v;
    } else if (IS("bus", "max_in_flight")) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || *end || v < 1 || v > 1000000) {
            snprintf(ctx->err, ctx->errcap,
                     "[bus] max_in_flight = %s: un nombre de requêtes entre 1 et 1000000 est attendu", value);
            return 0;
        }
        cfg->max_in_flight = v;
    } else if (IS("log", "level")) {
        if (cn_log_level_parse(value, &cfg->log_level) != 0) {
            snprintf(ctx->err, ctx->errcap, "[log] level = %s: valeurs possibles error, warn, info, debug",
                     value);
            return 0;
        }
    } else if (IS("reminders", "check_every")) {
        char *end;
        double v = strtod(value, &end);
        if (*end || v < 0.01 || v > 86400) {
            snprintf(ctx->err, ctx->errcap,
                     "[reminders] check_every = %s: un nombre de secondes entre 0.01 et 86400 est attendu", value);
            return 0;
        }
        cfg->reminder_check_ms = (long)(v * 1000);
    } else if (IS("demo", "file")) {
        rc = set_path(ctx, &cfg->demo_file, value);
    } else if (IS("plugins", "path")) {
        /* Each ':'-separated folder is relative to this file's folder. */
        char joined[PATH_MAX * 4] = "", copy[PATH_MAX * 4];
        snprintf(copy, sizeof copy, "%s", value);
        for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
            char *full = NULL;
            if (set_path(ctx, &full, dir) != 0)
                return 0;
            size_t len = strlen(joined);
            snprintf(joined + len, sizeof joined - len, "%s%s", len ? ":" : "", full);
            free(full);
        }
        rc = cn_config_set(&cfg->plugin_path, joined);
    } else if (IS("plugins", "load")) {
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", value);
        for (char *save = NULL, *p = strtok_r(copy, ", \t", &save); p && rc == 0;
             p = strtok_r(NULL, ", \t", &save))
            rc = cn_config_add_plugin(cfg, p);
    } else if ((strncmp(section, "plugin.", 7) == 0 && section[7]) || IS("plugins", "optional") ||
               IS("federation", "key_file") ||
               IS("federation", "events") || IS("federation", "sync") || IS("federation", "silent_after") || (strncmp(section, "peer.", 5) == 0 && section[5] &&
                                              (!strcmp(name, "public_key") || !strcmp(name, "endpoint") ||
                                               !strcmp(name, "sync") || !strcmp(name, "regions")))) {
        /* Plugin, federation and peer settings are kept as they are read
         * (federation.c and the plugins look them up). One named …_dir,
         * …_file or …_path is a path: a relative one is taken from this
         * file's folder, like ours. */
        size_t n = strlen(name);
        bool path = (n > 4 && strcmp(name + n - 4, "_dir") == 0) || (n > 5 && strcmp(name + n - 5, "_file") == 0) ||
                    (n > 5 && strcmp(name + n - 5, "_path") == 0);
        char *resolved = NULL;
        if (path && (rc = set_path(ctx, &resolved, value)) == 0)
            value = resolved;
        if (rc == 0)
            rc = add_setting(cfg, section, name, value);
        free(resolved);
    } else {
        snprintf(ctx->err, ctx->errcap, "clé inconnue [%s] %s", section, name);
        return 0;
    }
#undef IS
    if (rc != 0) {
        snprintf(ctx->err, ctx->errcap, "mémoire insuffisante");
        return 0;
    }
    return 1;
}

int cn_config_load(cn_config *cfg, const char *path, char *err, size_t errcap)
{
    struct load_ctx ctx = {.cfg = cfg, .err = err, .errcap = errcap};
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(ctx.dir, sizeof ctx.dir, "%s", dirname(tmp));
    err[0] = '\0';

    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errcap, "%s: impossible d'ouvrir le fichier de configuration: %s", path, cn_strerror(errno));
        return -1;
    }
    int line = ini_parse_file(f, on_entry, &ctx);
    fclose(f);
    char absolute[PATH_MAX];
    if (line == 0 && realpath(path, absolute) && cn_config_set(&cfg->file, absolute) != 0) {
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    if (line != 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", err[0] ? err : "ligne illisible (attendu: [section] ou clé = valeur)");
        snprintf(err, errcap, "%s:%d: %s", path, line, why);
        cn_utf8_scrub(err); /* it may quote bytes of the file that are not text */
        return -1;
    }
    return 0;
}
