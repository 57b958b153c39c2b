/* reply_cache.h: the results of the reads that depend on nothing but the
 * database, their args, the request's language and the day (ops marked
 * `cacheable`), kept until the database changes: a page polled by many
 * browsers (region.overview, action.list) reads the database once per
 * change, not once per request.
 *
 * What a result is valid for is the connection's count of changed rows
 * (sqlite3_total_changes64): it only grows, counts every INSERT, UPDATE
 * and DELETE of this connection — the only one that writes — even those a
 * rollback undid afterwards, so any change, kept or not, drops every
 * result. A result is kept only when read from what is committed (core.c):
 * the count does not go back with a rollback. Bounded: a few results,
 * each of limited size. */
#ifndef CN_REPLY_CACHE_H
#define CN_REPLY_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cn_reply_cache cn_reply_cache;

cn_reply_cache *cn_reply_cache_new(void);
void cn_reply_cache_destroy(cn_reply_cache **cachep);

/* The result kept for that key (op, language, day, the args' bytes) at
 * generation gen; NULL when none. Valid until the next put. */
const char *cn_reply_cache_get(cn_reply_cache *cache, const void *op, int lang, const char *day, const char *args,
                               size_t args_len, int64_t gen, size_t *len);

/* Keeps result for that key (too large a result is not kept). */
void cn_reply_cache_put(cn_reply_cache *cache, const void *op, int lang, const char *day, const char *args,
                        size_t args_len, int64_t gen, const char *result, size_t len);

#endif
