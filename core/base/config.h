/* config.h: concertd's configuration, read from an INI file (inih) and
 * then overridden by command-line options.
 *
 * Relative paths in the file are taken relative to the file's own folder,
 * so the shipped config/concertd.conf works from any working directory. */
#ifndef CN_CONFIG_H
#define CN_CONFIG_H

#include <stddef.h>

#include "log.h"
#include "text.h"

typedef struct cn_config {
    char *node_id;          /* this node's id in (origin, seq); [node] id */
    cn_lang lang;           /* default language of messages; [node] lang = fr|en */
    char *timezone;         /* where "today" is reckoned; [node] timezone, default America/Toronto */
    char *data_dir;         /* holds concertd.db and the lock; [storage] data_dir */
    char *command_endpoint; /* ROUTER bind; [bus] command */
    char *event_endpoint;   /* PUB bind; [bus] events */
    long max_message_size;  /* ZMQ_MAXMSGSIZE in bytes; [bus] max_message_size */
    long max_in_flight;     /* requests held per client not reading its replies; [bus] max_in_flight */
    cn_log_level log_level; /* [log] level */
    char *demo_file;        /* JSON bundle imported when the database is empty; [demo] file */
    long reminder_check_ms; /* how often due reminders are looked for; [reminders] check_every (seconds) */
    int keep_events_days;   /* events older than this are compacted away (0: all kept); [storage] keep_events_days */
    char *plugin_path;      /* folders searched for NAME.so, ':'-separated; [plugins] path */
    char **plugins;         /* names to load, in order; [plugins] load = a, b */
    size_t nplugins;
    struct cn_setting {     /* every key of [plugin.NAME] and [plugin.NAME.REGION] */
        char *section, *key, *value;
    } *settings;
    size_t nsettings;
    char *file;             /* the file loaded last (absolute), for a reload; NULL when none */
} cn_config;

/* Adds name to the plugins to load (no duplicates). Returns 0 or -1. */
int cn_config_add_plugin(cn_config *cfg, const char *name);

/* The value of key in [section], or NULL. */
const char *cn_config_setting(const cn_config *cfg, const char *section, const char *key);

/* Fills cfg with the built-in defaults. Free with cn_config_clear(). */
int cn_config_defaults(cn_config *cfg);

/* Reads path over what cfg holds. On error returns -1 and writes a message
 * naming the file, line and key into err. */
int cn_config_load(cn_config *cfg, const char *path, char *err, size_t errcap);

/* Replaces *field with a copy of value (the old string is freed). */
int cn_config_set(char **field, const char *value);

/* Frees every string cfg owns; cfg may be reused after cn_config_defaults(). */
void cn_config_clear(cn_config *cfg);

#endif
