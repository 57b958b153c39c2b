/* strset.h: a set of strings, each with a value, found in constant time
 * (the importers number and look up thousands of rows: a list scanned for
 * each row would make them quadratic). The strings are not copied: they
 * must outlive the set. */
#ifndef CN_STRSET_H
#define CN_STRSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cn_strset cn_strset;

cn_strset *cn_strset_new(void);
void cn_strset_free(cn_strset **setp);

/* Adds key with value, or replaces the value of a key already there.
 * Returns 0, or -1 when out of memory. */
int cn_strset_put(cn_strset *set, const char *key, void *value);

/* True when key is in the set; *value (may be NULL) gets its value. */
bool cn_strset_get(const cn_strset *set, const char *key, void **value);

size_t cn_strset_count(const cn_strset *set);

#endif
