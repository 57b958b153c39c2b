/* notify.h: the notify plugin's shared pieces.
 *
 * Who gets what is a subscription (notify_subscriptions): an e-mail
 * address or a webhook URL, a region or all, event patterns, optionally
 * only actions whose responsible matches, French or English. Each event
 * that matches becomes a message in the outbox (notify_outbox), written in
 * the same transaction as the plugin's cursor: a message exists once the
 * event is delivered to the plugin, and is never lost after. The outbox is
 * pumped by a timer: each due message is sent off the loop thread
 * (libcurl in the host's worker pool), then marked sent, or retried with a
 * growing delay, or, after max_attempts, failed (event notify.failed). */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include <concertd/plugin.h>

extern const cd_host_api *api;

typedef struct {
    char smtp_url[512];      /* smtp://host:port or smtps://… */
    char smtp_user[256], smtp_password[256];
    char tls[16];            /* "none", "try" (STARTTLS when offered), "required" */
    char from[320];          /* "Nom <adresse>" */
    char ca_file[1024];      /* certificates to trust for TLS instead of the system's; "" the system's */
    char templates[1024];    /* templates_dir: NAME.fr.txt / NAME.en.txt overriding the built-in ones; "" none */
    int max_attempts;
    int retry_base_s, retry_max_s;
    int timeout_s;
    int max_in_flight;
    int rate_per_hour;       /* messages to one address in an hour, at most */
    long pump_ms;
} notify_config;

extern notify_config notify_cfg;

/* Reads [plugin.notify] into notify_cfg; 0 or -1 (logged). */
int notify_config_load(cd_host *h);

/* A region's name as people know it ("Lanaudière"), or "" when it cannot be read. */
void region_name(cd_host *h, const char *region, char *out, size_t cap);

/* The outbox: adds a message (ignored when the same subscription already
 * has one with that dedupe key), and starts/stops the pump. */
int outbox_add(cd_host *h, int64_t subscription, const char *region, const char *dedupe_key, const char *channel,
               const char *address, const char *subject, const char *body);
/* Starts the pump that sends what waits; before runs first at each beat
 * (notify.c passes digest_check, so digests that came due go out at once). */
int outbox_start(cd_host *h, int (*before)(cd_host *h));
void outbox_stop(void);

/* Digests: keeps an event's line for a daily/weekly subscription; sends
 * the digests that are due (called by the pump). */
int digest_add(cd_host *h, int64_t subscription, const char *region, const char *dedupe_key, const char *line);
int digest_check(cd_host *h);

/* The ops notify.outbox and notify.retry. */
int outbox_list_op(cd_req *req, void *data);
int outbox_retry_op(cd_req *req, void *data);

#endif
