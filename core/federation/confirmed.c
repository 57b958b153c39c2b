/* confirmed.c: see confirmed.h. Heard in memory (a request costs no
 * write); stored when the retention asks, in its transaction. After a
 * restart the stored values, never above the truth, hold until the peers
 * speak again (every 30 s). */
#include "confirmed.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "text.h"

#define MAX_HEARD 65536 /* (peer, origin) pairs kept in memory: declared peers only, 4096 origins at most each */

typedef struct {
    char peer[64], origin[64];
    int64_t seq;
} heard;

struct cn_confirmed {
    heard *list;
    size_t n, cap;
};

cn_confirmed *cn_confirmed_new(void) { return calloc(1, sizeof(cn_confirmed)); }

void cn_confirmed_free(cn_confirmed *c)
{
    if (c)
        free(c->list);
    free(c);
}

static void note(cn_confirmed *c, const char *peer, const msgpack_object *origin, int64_t seq)
{
    if (!origin || origin->type != MSGPACK_OBJECT_STR || !origin->via.str.size || origin->via.str.size >= 64 || seq < 0)
        return;
    char name[64];
    memcpy(name, origin->via.str.ptr, origin->via.str.size);
    name[origin->via.str.size] = '\0';
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->list[i].peer, peer) == 0 && strcmp(c->list[i].origin, name) == 0) {
            if (seq > c->list[i].seq)
                c->list[i].seq = seq;
            return;
        }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        heard *grown = cap <= MAX_HEARD ? realloc(c->list, cap * sizeof *grown) : NULL;
        if (!grown)
            return; /* not kept: the stored value holds, lower, never wrong */
        c->list = grown;
        c->cap = cap;
    }
    heard *h = &c->list[c->n++];
    snprintf(h->peer, sizeof h->peer, "%s", peer);
    snprintf(h->origin, sizeof h->origin, "%s", name);
    h->seq = seq;
}

static int64_t int_or(const msgpack_object *o, int64_t otherwise)
{
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX ? (int64_t)o->via.u64 : otherwise;
}

void cn_confirmed_note_request(cn_confirmed *c, const char *peer, const void *frame, size_t len)
{
    if (!c || strlen(peer) >= 64)
        return;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (cn_mp_unpack(&u, frame, len, &cn_mp_request_limits) == CN_MP_OK && u.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *op = cn_mp_get(&u.data, "op"), *args = cn_mp_get(&u.data, "args");
        if (cn_mp_str_eq(op, "events.since")) {
            /* Asking from since: it holds since (the origin given, or ours — whose
             * name it does not send; the keeper knows it as ""). */
            const msgpack_object *origin = cn_mp_get(args, "origin");
            msgpack_object none = {.type = MSGPACK_OBJECT_STR, .via.str = {.size = 1, .ptr = "-"}};
            note(c, peer, origin ? origin : &none, int_or(cn_mp_get(args, "since"), 0));
        } else if (cn_mp_str_eq(op, "events.origins")) {
            const msgpack_object *have = cn_mp_get(args, "have");
            for (uint32_t i = 0; have && have->type == MSGPACK_OBJECT_MAP && i < have->via.map.size && i < 4096; i++)
                note(c, peer, &have->via.map.ptr[i].key, int_or(&have->via.map.ptr[i].val, -1));
        }
    }
    msgpack_unpacked_destroy(&u);
}

static bool declared_peer(const char *peer, const char *const *declared, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(declared[i], peer) == 0)
            return true;
    return false;
}

/* Heard values into peer_confirmed (only ever raised); peers no longer declared out. */
static void store(cn_confirmed *c, sqlite3 *db, const char *own, const char *const *declared, size_t n)
{
    sqlite3_stmt *up, *peers, *drop;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO peer_confirmed(peer, origin, seq, at_ms) VALUES (?1, ?2, ?3, ?4)"
                           " ON CONFLICT(peer, origin) DO UPDATE SET seq = max(seq, ?3), at_ms = ?4",
                           -1, &up, NULL) == SQLITE_OK) {
        for (size_t i = 0; i < c->n; i++) {
            if (!declared_peer(c->list[i].peer, declared, n))
                continue;
            sqlite3_reset(up);
            sqlite3_bind_text(up, 1, c->list[i].peer, -1, SQLITE_STATIC);
            sqlite3_bind_text(up, 2, strcmp(c->list[i].origin, "-") == 0 ? own : c->list[i].origin, -1, SQLITE_STATIC);
            sqlite3_bind_int64(up, 3, c->list[i].seq);
            sqlite3_bind_int64(up, 4, cn_now_ms());
            sqlite3_step(up);
        }
        sqlite3_finalize(up);
    }
    c->n = 0;
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT peer FROM peer_confirmed", -1, &peers, NULL) != SQLITE_OK)
        return;
    if (sqlite3_prepare_v2(db, "DELETE FROM peer_confirmed WHERE peer = ?", -1, &drop, NULL) == SQLITE_OK) {
        while (sqlite3_step(peers) == SQLITE_ROW) {
            const char *peer = (const char *)sqlite3_column_text(peers, 0);
            if (peer && !declared_peer(peer, declared, n)) {
                sqlite3_reset(drop);
                sqlite3_bind_text(drop, 1, peer, -1, SQLITE_TRANSIENT);
                sqlite3_step(drop);
            }
        }
        sqlite3_finalize(drop);
    }
    sqlite3_finalize(peers);
}

int64_t cn_confirmed_bound(cn_confirmed *c, sqlite3 *db, const char *own, const char *origin, const char *const *declared,
                           size_t n, char *who, size_t whocap)
{
    store(c, db, own, declared, n);
    int64_t bound = INT64_MAX;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT peer, seq FROM peer_confirmed WHERE origin = ? ORDER BY seq LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
        return 0; /* unknown: nothing goes */
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        bound = sqlite3_column_int64(st, 1);
        snprintf(who, whocap, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return bound;
}
