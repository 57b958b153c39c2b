/* cache.c: pages rendered once. A page or an API answer is kept, by its
 * address, language, host and day, with its ETag, and served again as
 * long as nothing it shows may have changed: any event (the plugin hears
 * them all, peers' too) drops every entry — tables change their plans a
 * few times a day and read them far more often, and one rule cannot be
 * wrong about which page an event touches. The day is in the key because
 * échéances and calendars are counted from today. Requests with filters
 * (a query other than lang) and forms are never cached. Each is kept
 * gzipped too, for the clients that accept it (a plan's page is ~180 KiB
 * of HTML, ~20 KiB gzipped: less to send, on a phone and on the loop).
 * Bounded: at most
 * 256 entries and 32 MiB; the least recently used goes first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "shared.h"

#define MAX_ENTRIES 256
#define MAX_BYTES (32u << 20)

typedef struct {
    char *key; /* "host|lang|day|path" */
    char *body;
    size_t len;
    char *gz; /* the body gzipped, for clients that accept it (NULL: not worth it) */
    size_t gzlen;
    char content_type[64];
    char etag[24];
    int max_age;
    uint64_t used; /* for LRU */
} entry;

static entry entries[MAX_ENTRIES];
static size_t bytes;
static uint64_t clock_;
static uint64_t hits, misses;

static void drop(entry *e)
{
    bytes -= e->len + e->gzlen;
    free(e->key);
    free(e->body);
    free(e->gz);
    memset(e, 0, sizeof *e);
}

void cache_key(web_req *rq, const char *host, char *out, size_t cap)
{
    char today[11];
    day_iso(0, today);
    snprintf(out, cap, "%s|%s|%s|%s", host ? host : "", rq->en ? "en" : "fr", today, rq->path);
}

/* data gzipped into a new buffer (*out, *outlen), or -1. */
static int gzip(const char *data, size_t len, char **out, size_t *outlen)
{
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) /* 15 + 16: gzip, not zlib */
        return -1;
    size_t cap = deflateBound(&z, len);
    char *buf_ = malloc(cap);
    if (!buf_) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)buf_;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *outlen = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf_);
        return -1;
    }
    *out = buf_;
    return 0;
}

bool cache_get(const char *key, web_req *rq)
{
    for (size_t i = 0; i < MAX_ENTRIES; i++) {
        entry *e = &entries[i];
        if (e->key && strcmp(e->key, key) == 0) {
            e->used = ++clock_;
            bool gz = e->gz && rq->gzip_ok;
            buf_add(&rq->body, gz ? e->gz : e->body, gz ? e->gzlen : e->len);
            rq->content_type = e->content_type;
            rq->max_age = e->max_age;
            if (gz) { /* another representation, another tag */
                rq->content_encoding = "gzip";
                snprintf(rq->etag, sizeof rq->etag, "%.*s-gz\"", (int)strlen(e->etag) - 1, e->etag);
            } else {
                snprintf(rq->etag, sizeof rq->etag, "%s", e->etag);
            }
            hits++;
            return true;
        }
    }
    misses++;
    return false;
}

void cache_put(const char *key, const web_req *rq, const char *etag)
{
    if (rq->status != 200 || rq->body.oom || rq->body.n > MAX_BYTES / 8)
        return;
    entry *slot = NULL;
    for (size_t i = 0; i < MAX_ENTRIES && !slot; i++)
        if (!entries[i].key)
            slot = &entries[i];
    while (!slot || bytes + rq->body.n > MAX_BYTES) { /* the least recently used goes */
        entry *old = NULL;
        for (size_t i = 0; i < MAX_ENTRIES; i++)
            if (entries[i].key && (!old || entries[i].used < old->used))
                old = &entries[i];
        if (!old)
            return;
        drop(old);
        if (!slot)
            slot = old;
    }
    slot->key = strdup(key);
    slot->body = malloc(rq->body.n ? rq->body.n : 1);
    if (!slot->key || !slot->body) {
        free(slot->key);
        free(slot->body);
        memset(slot, 0, sizeof *slot);
        return;
    }
    memcpy(slot->body, rq->body.p, rq->body.n);
    slot->len = rq->body.n;
    if (slot->len > 1024 && gzip(slot->body, slot->len, &slot->gz, &slot->gzlen) != 0)
        slot->gz = NULL, slot->gzlen = 0; /* served plain */
    bytes += slot->len + slot->gzlen;
    snprintf(slot->content_type, sizeof slot->content_type, "%s", rq->content_type);
    snprintf(slot->etag, sizeof slot->etag, "%s", etag);
    slot->max_age = rq->max_age;
    slot->used = ++clock_;
}

void cache_clear(void)
{
    for (size_t i = 0; i < MAX_ENTRIES; i++)
        if (entries[i].key)
            drop(&entries[i]);
}

void cache_stats(uint64_t *h, uint64_t *m)
{
    *h = hits;
    *m = misses;
}
