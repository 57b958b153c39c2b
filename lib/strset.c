/* strset.c: see strset.h. Open addressing with linear probing, FNV-1a
 * hashes, kept at most half full. */
#include "strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key;
    void *value;
    uint64_t hash;
} slot;

struct cn_strset {
    slot *slots;
    size_t cap, count; /* cap: a power of two */
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

cn_strset *cn_strset_new(void) { return calloc(1, sizeof(cn_strset)); }

void cn_strset_free(cn_strset **setp)
{
    if (!setp || !*setp)
        return;
    free((*setp)->slots);
    free(*setp);
    *setp = NULL;
}

static slot *find_slot(slot *slots, size_t cap, const char *key, uint64_t h)
{
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!slots[i].key || (slots[i].hash == h && strcmp(slots[i].key, key) == 0))
            return &slots[i];
}

static int grow(cn_strset *set)
{
    size_t cap = set->cap ? set->cap * 2 : 64;
    slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i].key)
            *find_slot(slots, cap, set->slots[i].key, set->slots[i].hash) = set->slots[i];
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return 0;
}

int cn_strset_put(cn_strset *set, const char *key, void *value)
{
    if ((set->count + 1) * 2 > set->cap && grow(set) != 0)
        return -1;
    uint64_t h = fnv1a(key);
    slot *s = find_slot(set->slots, set->cap, key, h);
    if (!s->key) {
        s->key = key;
        s->hash = h;
        set->count++;
    }
    s->value = value;
    return 0;
}

bool cn_strset_get(const cn_strset *set, const char *key, void **value)
{
    if (!set->cap)
        return false;
    slot *s = find_slot(set->slots, set->cap, key, fnv1a(key));
    if (!s->key)
        return false;
    if (value)
        *value = s->value;
    return true;
}

size_t cn_strset_count(const cn_strset *set) { return set->count; }
