/* row_cache.c: see row_cache.h. Direct-mapped: an entry's slot is given by
 * its kind and id, and a put takes the slot from whatever held it. */
#include "row_cache.h"

#include <stdlib.h>
#include <string.h>

enum { SLOTS = 64 };

typedef struct {
    int kind; /* 0: empty */
    int64_t id, stamp;
    size_t len;
    unsigned char data[CN_ROW_CACHE_DATA_MAX];
} slot;

struct cn_row_cache {
    slot slots[SLOTS];
};

cn_row_cache *cn_row_cache_new(void) { return calloc(1, sizeof(cn_row_cache)); }

void cn_row_cache_destroy(cn_row_cache **cachep)
{
    if (!cachep)
        return;
    free(*cachep);
    *cachep = NULL;
}

static slot *slot_of(cn_row_cache *cache, int kind, int64_t id)
{
    uint64_t h = ((uint64_t)id * 0x9e3779b97f4a7c15u) ^ (uint64_t)kind;
    return &cache->slots[(h >> 32) % SLOTS];
}

const void *cn_row_cache_get(cn_row_cache *cache, int kind, int64_t id, int64_t stamp, size_t *len)
{
    if (!cache || kind == 0)
        return NULL;
    slot *s = slot_of(cache, kind, id);
    if (s->kind != kind || s->id != id || s->stamp != stamp)
        return NULL;
    *len = s->len;
    return s->data;
}

void cn_row_cache_put(cn_row_cache *cache, int kind, int64_t id, int64_t stamp, const void *data, size_t len)
{
    if (!cache || kind == 0 || len > CN_ROW_CACHE_DATA_MAX)
        return;
    slot *s = slot_of(cache, kind, id);
    s->kind = kind;
    s->id = id;
    s->stamp = stamp;
    s->len = len;
    memcpy(s->data, data, len);
}
