/* reply_cache.c: see reply_cache.h. A small ring: the oldest result goes. */
#include "reply_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 32, ARGS_MAX = 512, RESULT_MAX = 256 * 1024 };

typedef struct {
    const void *op; /* NULL: empty */
    int lang;
    char day[11];
    int64_t gen;
    size_t args_len, len;
    char args[ARGS_MAX];
    char *result;
} slot;

struct cn_reply_cache {
    slot slots[SLOTS];
    size_t next; /* the slot the next put takes */
};

cn_reply_cache *cn_reply_cache_new(void) { return calloc(1, sizeof(cn_reply_cache)); }

void cn_reply_cache_destroy(cn_reply_cache **cachep)
{
    if (!cachep || !*cachep)
        return;
    for (size_t i = 0; i < SLOTS; i++)
        free((*cachep)->slots[i].result);
    free(*cachep);
    *cachep = NULL;
}

static bool same_key(const slot *s, const void *op, int lang, const char *day, const char *args, size_t args_len)
{
    return s->op == op && s->lang == lang && strcmp(s->day, day) == 0 && s->args_len == args_len &&
           memcmp(s->args, args, args_len) == 0;
}

const char *cn_reply_cache_get(cn_reply_cache *cache, const void *op, int lang, const char *day, const char *args,
                               size_t args_len, int64_t gen, size_t *len)
{
    for (size_t i = 0; cache && i < SLOTS; i++) {
        slot *s = &cache->slots[i];
        if (s->op && s->gen == gen && same_key(s, op, lang, day, args, args_len)) {
            *len = s->len;
            return s->result;
        }
    }
    return NULL;
}

void cn_reply_cache_put(cn_reply_cache *cache, const void *op, int lang, const char *day, const char *args,
                        size_t args_len, int64_t gen, const char *result, size_t len)
{
    if (!cache || !op || args_len > ARGS_MAX || len > RESULT_MAX || strlen(day) >= sizeof cache->slots[0].day)
        return;
    /* The same key's older result, else the oldest slot. */
    slot *s = NULL;
    for (size_t i = 0; i < SLOTS && !s; i++)
        if (cache->slots[i].op && same_key(&cache->slots[i], op, lang, day, args, args_len))
            s = &cache->slots[i];
    if (!s) {
        s = &cache->slots[cache->next];
        cache->next = (cache->next + 1) % SLOTS;
    }
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, result, len);
    free(s->result);
    s->result = copy;
    s->len = len;
    s->op = op;
    s->lang = lang;
    s->gen = gen;
    strcpy(s->day, day);
    s->args_len = args_len;
    memcpy(s->args, args, args_len);
}
