/* veille.h: what the veille plugin's files share (private to the plugin).
 *
 * veille.c   loading, configuration, tables, timers
 * feeds.c    the feeds a region follows (ops), OPML in and out
 * cycle.c    the fetching cycle: due feeds fetched, parsed, stored; back-off
 * store.c    a parsed feed into items: de-duplication, sources, rules, events
 * items.c    the items a region sees, and its keyword rules (ops)
 * fetch.c    HTTP through libcurl's multi interface on the host's loop
 * feed_parse.c  RSS / Atom through libxml2
 * opml.c     the feed list as OPML
 * digest.c   each region's Atom file of what it found
 * common.c   the host's API, the settings, small helpers
 * lib/fold.c accents and case folded, for the rules */
#ifndef VEILLE_VEILLE_H
#define VEILLE_VEILLE_H

#include <stdbool.h>
#include <stdint.h>

#include <concertd/plugin.h>

#include "feed_parse.h"
#include "fetch.h"

extern const cd_host_api *api;

/* Items published more than this long ago are recorded and tagged, but
 * announce nothing (a new feed's archive is not news). */
extern int64_t veille_fresh_ms;

/* Settings ([plugin.veille]): a new feed's interval, the longest back-off,
 * how long unmatched items are kept (0: for ever). Set by init. */
extern int64_t veille_interval_s, veille_backoff_max_s, veille_keep_ms;

/* ---- small helpers (common.c) ---- */
/* A list argument (an array of strings, or one string of comma-separated
 * terms) as "\n"-joined text in out; "" when absent. Returns -1 when it is
 * neither. */
int list_arg(const msgpack_object *o, char *out, size_t cap);
/* A string argument, or a number as its digits ("5" from concertctl). */
char *arg_text(const msgpack_object *o, char *out, size_t cap);
/* Packs "\n"-joined text as an array of strings. */
void pk_list(msgpack_packer *pk, const char *joined);
/* Steps st to its end, packing each row with row() into an array. Returns
 * 0, or -1 when out of memory. */
typedef void (*row_packer)(msgpack_packer *pk, sqlite3_stmt *st, void *ctx);
int pack_rows_with(msgpack_packer *pk, sqlite3_stmt *st, row_packer row, void *ctx);
/* 0 when region exists, else -1 with why in err. */
int call_region(cd_host *h, const char *region, char *err, size_t cap);
/* The ISO date-time (UTC) of ms, "" for 0. */
void iso_time(int64_t ms, char *out, size_t cap);

/* ---- feeds.c, cycle.c ---- */
/* Registers veille.add, update, feeds, remove, fetch, opml_import/export. */
int feeds_register(cd_host *h);
/* Starts the fetcher with limits (cycle_stop frees it); cycle_tick, on a
 * timer, hands it the feeds that are due. */
int cycle_start(cd_host *h, const vf_limits *limits);
void cycle_stop(void);
int cycle_tick(cd_host *h, void *data);

/* ---- store.c ---- */
/* Stores what feed (in region) gave; emits veille.item for the matched new
 * items. Inside a transaction. Returns how many items were new to the
 * region, or -1. */
int store_feed(cd_host *h, int64_t feed, const char *region, const vp_feed *parsed);

/* ---- items.c ---- */
/* The rules of region matched against folded text: "\n"-joined rule names,
 * tags, objectives and actions (each "" when none). Returns how many rules
 * matched, or -1. */
typedef struct {
    char rules[2048], tags[2048], objectives[1024], actions[1024];
} rule_hits;
int match_rules(cd_host *h, const char *region, const char *folded, rule_hits *hits);
int items_register(cd_host *h);

/* ---- digest.c: the region's Atom file of what it found ---- */
void digest_init(const char *export_dir); /* "" or NULL: no files */
void digest_dirty(const char *region);    /* its file is to be rewritten */
int digest_flush(cd_host *h);             /* starts the rewrites asked for */
int digest_register(cd_host *h);          /* the op veille.digest */

#endif
