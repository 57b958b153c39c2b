/* stmt_cache.c: see stmt_cache.h. Two open-addressing tables of the same
 * entries: by SQL text (get; its hash, then the text compared) and by
 * statement (done). A few hundred statements at most; the tables grow by
 * doubling. */
#include "stmt_cache.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *sql; /* our copy */
    uint64_t hash;
    sqlite3_stmt *st;
    bool busy;
} entry;

typedef struct {
    sqlite3 *db;
    entry *entries; /* by sql */
    size_t cap, n;  /* cap: a power of two */
    entry **by_st;  /* the same entries, by statement; cap slots */
} cache;

/* The caches by connection: the daemon has one; attached at the start and
 * detached at the end, read from the loop thread in between. */
#define MAX_CACHES 4
static cache *caches[MAX_CACHES];

static size_t slot(const void *p, size_t cap) { return (size_t)(((uintptr_t)p >> 3) * 0x9E3779B97F4A7C15ull) & (cap - 1); }

/* The SQL's text, not its address (some are built in a buffer): its length
 * and its first and last 64 bytes, eight at a time (a collision costs only
 * the strcmp that follows). */
static uint64_t hash_of(const char *sql, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull ^ len;
    size_t head = len < 64 ? len : 64, tail = len < 128 ? 0 : len - 64;
    for (size_t i = 0; i + 8 <= head; i += 8) {
        uint64_t w;
        memcpy(&w, sql + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    for (size_t i = head & ~(size_t)7; i < head; i++)
        h = (h ^ (unsigned char)sql[i]) * 0x100000001b3ull;
    for (size_t i = tail; tail && i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, sql + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static cache *cache_of(sqlite3 *db)
{
    for (int i = 0; i < MAX_CACHES; i++)
        if (caches[i] && caches[i]->db == db)
            return caches[i];
    return NULL;
}

int cn_stmt_cache_attach(sqlite3 *db)
{
    for (int i = 0; i < MAX_CACHES; i++)
        if (!caches[i]) {
            cache *c = calloc(1, sizeof *c);
            if (c && (c->entries = calloc(256, sizeof *c->entries)) && (c->by_st = calloc(256, sizeof *c->by_st))) {
                c->db = db;
                c->cap = 256;
                caches[i] = c;
                return 0;
            }
            if (c)
                free(c->entries);
            free(c);
            return -1;
        }
    return -1;
}

void cn_stmt_cache_detach(sqlite3 *db)
{
    for (int i = 0; i < MAX_CACHES; i++)
        if (caches[i] && caches[i]->db == db) {
            cache *c = caches[i];
            for (size_t k = 0; k < c->cap; k++) {
                sqlite3_finalize(c->entries[k].st);
                free(c->entries[k].sql);
            }
            free(c->entries);
            free(c->by_st);
            free(c);
            caches[i] = NULL;
        }
}

static void place(cache *c, entry *e)
{
    size_t k = slot(e->st, c->cap);
    while (c->by_st[k])
        k = (k + 1) & (c->cap - 1);
    c->by_st[k] = e;
}

/* Doubles the tables (kept under half full). */
static int grow(cache *c)
{
    size_t cap = c->cap * 2;
    entry *entries = calloc(cap, sizeof *entries);
    entry **by_st = calloc(cap, sizeof *by_st);
    if (!entries || !by_st) {
        free(entries);
        free(by_st);
        return -1;
    }
    entry *old = c->entries;
    size_t old_cap = c->cap;
    free(c->by_st);
    c->entries = entries;
    c->by_st = by_st;
    c->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].sql) {
            size_t k = (size_t)old[i].hash & (cap - 1);
            while (entries[k].sql)
                k = (k + 1) & (cap - 1);
            entries[k] = old[i];
            place(c, &entries[k]);
        }
    free(old);
    return 0;
}

int cn_stmt_get(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    cache *c = cache_of(db);
    if (!c)
        return sqlite3_prepare_v2(db, sql, -1, st, NULL);
    uint64_t h = hash_of(sql, strlen(sql));
    size_t k = (size_t)h & (c->cap - 1);
    while (c->entries[k].sql && (c->entries[k].hash != h || strcmp(c->entries[k].sql, sql) != 0))
        k = (k + 1) & (c->cap - 1);
    entry *e = &c->entries[k];
    if (e->sql) {
        if (e->busy) /* nested use of the same query: a statement of its own */
            return sqlite3_prepare_v2(db, sql, -1, st, NULL);
        e->busy = true;
        *st = e->st;
        return SQLITE_OK;
    }
    int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    if (rc != SQLITE_OK || 2 * (c->n + 1) > c->cap || !(e->sql = strdup(sql)))
        return rc; /* not kept (then finalized at done) */
    e->hash = h;
    e->st = *st;
    e->busy = true;
    c->n++;
    place(c, e);
    if (2 * (c->n + 1) > c->cap)
        grow(c); /* entries move: e is not used after this */
    return SQLITE_OK;
}

void cn_stmt_done(sqlite3_stmt *st)
{
    if (!st)
        return;
    cache *c = cache_of(sqlite3_db_handle(st));
    if (c) {
        size_t k = slot(st, c->cap);
        while (c->by_st[k] && c->by_st[k]->st != st)
            k = (k + 1) & (c->cap - 1);
        if (c->by_st[k]) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            c->by_st[k]->busy = false;
            return;
        }
    }
    sqlite3_finalize(st);
}

int cn_stmt_exec(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int rc = cn_stmt_get(db, sql, &st);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        rc = SQLITE_OK;
    cn_stmt_done(st);
    return rc;
}
