/* mp.c: see mp.h. */
#include "mp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* memcmp on n bytes, where an empty string's pointer may be NULL (msgpack-c
 * gives NULL for a str of length 0; memcmp(NULL, …, 0) is undefined). */
static bool same_bytes(const void *a, const void *b, size_t n) { return n == 0 || memcmp(a, b, n) == 0; }

const msgpack_object *cn_mp_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen && same_bytes(k->via.str.ptr, key, klen))
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

cn_mp_verdict cn_mp_unpack(msgpack_unpacked *u, const void *data, size_t len, const cn_mp_limits *lim)
{
    cn_mp_verdict v = cn_mp_check(data, len, lim, true, NULL);
    if (v == CN_MP_OK && msgpack_unpack_next(u, data, len, NULL) != MSGPACK_UNPACK_SUCCESS)
        v = CN_MP_INVALID; /* not expected once the walk passed */
    return v;
}

bool cn_mp_str_eq(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n && same_bytes(o->via.str.ptr, s, n);
}

char *cn_mp_str_copy(const msgpack_object *o, char *out, size_t cap)
{
    size_t n = o && o->type == MSGPACK_OBJECT_STR ? o->via.str.size : 0;
    if (n >= cap)
        n = cn_utf8_valid_prefix(o->via.str.ptr, cap - 1);
    if (n)
        memcpy(out, o->via.str.ptr, n);
    out[n] = '\0';
    return out;
}

int cn_pk_strn(msgpack_packer *pk, const char *s, size_t n)
{
    if (!s)
        return msgpack_pack_nil(pk);
    return msgpack_pack_str_with_body(pk, s, n);
}

int cn_pk_raw(msgpack_packer *pk, const void *data, size_t len)
{
    return pk->callback(pk->data, data, len);
}

int cn_pk_column(msgpack_packer *pk, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: {
        /* A column declared BOOLEAN is true or false on the wire. */
        const char *decl = sqlite3_column_decltype(st, i);
        if (decl && strcmp(decl, "BOOLEAN") == 0)
            return sqlite3_column_int64(st, i) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        return msgpack_pack_int64(pk, sqlite3_column_int64(st, i));
    }
    case SQLITE_FLOAT:
        return msgpack_pack_double(pk, sqlite3_column_double(st, i));
    case SQLITE_TEXT:
        return cn_pk_strn(pk, (const char *)sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i));
    case SQLITE_BLOB: {
        int n = sqlite3_column_bytes(st, i);
        if (n == 0)
            return msgpack_pack_nil(pk);
        return cn_pk_raw(pk, sqlite3_column_blob(st, i), (size_t)n);
    }
    default:
        return msgpack_pack_nil(pk);
    }
}

size_t cn_pk_array_open(msgpack_packer *pk)
{
    msgpack_sbuffer *sb = pk->data;
    static const char header[5] = {(char)0xdd, 0, 0, 0, 0};
    size_t at = sb->size;
    return msgpack_sbuffer_write(sb, header, sizeof header) == 0 ? at : SIZE_MAX;
}

void cn_pk_array_close(msgpack_packer *pk, size_t at, uint32_t n)
{
    msgpack_sbuffer *sb = pk->data;
    if (at == SIZE_MAX || at + 5 > sb->size)
        return;
    unsigned char *h = (unsigned char *)sb->data + at + 1;
    h[0] = (unsigned char)(n >> 24);
    h[1] = (unsigned char)(n >> 16);
    h[2] = (unsigned char)(n >> 8);
    h[3] = (unsigned char)n;
}

int cn_pk_row(msgpack_packer *pk, sqlite3_stmt *st)
{
    int n = sqlite3_column_count(st);
    int rc = msgpack_pack_map(pk, (size_t)n);
    for (int i = 0; i < n; i++) {
        rc |= cn_pk_str(pk, sqlite3_column_name(st, i));
        rc |= cn_pk_column(pk, st, i);
    }
    return rc;
}

typedef struct {
    const char *ptr;
    uint32_t len;
} key_ref;

static int key_order(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The first string key of map given twice, or -1 (pairs for small maps,
 * sorted for large ones: never quadratic). -2 when out of memory. */
static long duplicate_key(const msgpack_object *map)
{
    uint32_t n = map->via.map.size;
    const msgpack_object_kv *kv = map->via.map.ptr;
    if (n <= 16) {
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t j = i + 1; j < n && kv[i].key.type == MSGPACK_OBJECT_STR; j++)
                if (kv[j].key.type == MSGPACK_OBJECT_STR && kv[i].key.via.str.size == kv[j].key.via.str.size &&
                    same_bytes(kv[i].key.via.str.ptr, kv[j].key.via.str.ptr, kv[i].key.via.str.size))
                    return (long)j;
        return -1;
    }
    key_ref *keys = malloc(n * sizeof *keys);
    if (!keys)
        return -2;
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (kv[i].key.type == MSGPACK_OBJECT_STR)
            keys[m++] = (key_ref){kv[i].key.via.str.ptr, kv[i].key.via.str.size};
    qsort(keys, m, sizeof *keys, key_order);
    long found = -1;
    for (uint32_t i = 1; i < m && found < 0; i++)
        if (key_order(&keys[i - 1], &keys[i]) == 0)
            for (uint32_t j = 0; j < n && found < 0; j++) /* report it where it is, for the path */
                if (kv[j].key.type == MSGPACK_OBJECT_STR && kv[j].key.via.str.size == keys[i].len &&
                    same_bytes(kv[j].key.via.str.ptr, keys[i].ptr, keys[i].len))
                    found = (long)j;
    free(keys);
    return found;
}

/* path NULL: only the verdict. */
static cn_text_verdict text_walk(const msgpack_object *o, char *path, size_t cap, size_t len)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        if (o->via.str.size && memchr(o->via.str.ptr, 0, o->via.str.size))
            return CN_TEXT_NUL;
        return cn_utf8_valid(o->via.str.ptr, o->via.str.size) ? CN_TEXT_OK : CN_TEXT_INVALID;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (path)
                snprintf(path + len, cap - len, "[%u]", i);
            cn_text_verdict v = text_walk(&o->via.array.ptr[i], path, cap, path ? strlen(path) : 0);
            if (v != CN_TEXT_OK)
                return v;
            if (path)
                path[len] = '\0';
        }
        return CN_TEXT_OK;
    case MSGPACK_OBJECT_MAP: {
        long dup = duplicate_key(o);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (path && k->type == MSGPACK_OBJECT_STR && cn_utf8_valid(k->via.str.ptr, k->via.str.size))
                snprintf(path + len, cap - len, "%s%.*s", len ? "." : "", (int)k->via.str.size, k->via.str.ptr);
            else if (path)
                snprintf(path + len, cap - len, "%s<clé %u>", len ? "." : "", i);
            size_t at = path ? strlen(path) : 0;
            cn_text_verdict v = text_walk(k, path, cap, at);
            if (v == CN_TEXT_OK && dup == (long)i)
                return CN_TEXT_DUPLICATE;
            if (v == CN_TEXT_OK)
                v = text_walk(&o->via.map.ptr[i].val, path, cap, at);
            if (v != CN_TEXT_OK)
                return v;
            if (path)
                path[len] = '\0';
        }
        return dup == -2 ? CN_TEXT_DUPLICATE : CN_TEXT_OK;
    }
    default:
        return CN_TEXT_OK;
    }
}

cn_text_verdict cn_mp_text_check(const msgpack_object *o, char *path, size_t cap)
{
    /* Walked first without naming where (a request is nearly always
     * right); the path is made only for what is refused. */
    path[0] = '\0';
    if (text_walk(o, NULL, 0, 0) == CN_TEXT_OK)
        return CN_TEXT_OK;
    return text_walk(o, path, cap, 0);
}

bool cn_mp_utf8_valid(const msgpack_object *o, char *path, size_t cap)
{
    cn_text_verdict v = cn_mp_text_check(o, path, cap);
    return v == CN_TEXT_OK || v == CN_TEXT_DUPLICATE;
}
