/* row_cache.h: what a handler read of rows that exist, kept between
 * changes, so that a command sent often does not read it again each time
 * (indicator.record: the indicator with its plan, region and action —
 * tools/PERFORMANCE.md).
 *
 * Valid while nothing but appends changed the database. The stamp is the
 * connection's count of changed rows (sqlite3_total_changes64) less the rows
 * handlers declared appended (cn_req_appended: a new measurement, a new
 * event), which change no row read before; any other INSERT, UPDATE or
 * DELETE, kept or rolled back, moves the stamp and so drops every entry. An
 * entry is kept only when what it was read from is committed, appends aside
 * (core.c: nothing else written yet in the open batch), so no rollback can
 * undo what it holds. What is kept must not depend on appended rows (an
 * indicator's latest measurement is read each time). Bounded: a few entries
 * of limited size. Loop thread only, as the connection. */
#ifndef CN_ROW_CACHE_H
#define CN_ROW_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cn_row_cache cn_row_cache;

/* The most a kept entry holds (larger data is not kept). */
#define CN_ROW_CACHE_DATA_MAX 1024

cn_row_cache *cn_row_cache_new(void);
void cn_row_cache_destroy(cn_row_cache **cachep);

/* The data kept for (kind, id) at stamp; NULL when none or kept at another
 * stamp. Valid until the next put. */
const void *cn_row_cache_get(cn_row_cache *cache, int kind, int64_t id, int64_t stamp, size_t *len);

/* Keeps data for (kind, id) at stamp, in place of what that slot held. */
void cn_row_cache_put(cn_row_cache *cache, int kind, int64_t id, int64_t stamp, const void *data, size_t len);

#endif
