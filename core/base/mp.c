/* mp.c: see mp.h. */
#include "mp.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

const msgpack_object *cn_mp_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen && memcmp(k->via.str.ptr, key, klen) == 0)
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
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n && memcmp(o->via.str.ptr, s, n) == 0;
}

int cn_pk_strn(msgpack_packer *pk, const char *s, size_t n)
{
    if (!s)
        return msgpack_pack_nil(pk);
    return msgpack_pack_str_with_body(pk, s, n);
}

int cn_pk_str(msgpack_packer *pk, const char *s) { return cn_pk_strn(pk, s, s ? strlen(s) : 0); }

int cn_pk_kstr(msgpack_packer *pk, const char *key, const char *val)
{
    return cn_pk_str(pk, key) | cn_pk_str(pk, val);
}

int cn_pk_kint(msgpack_packer *pk, const char *key, int64_t val)
{
    return cn_pk_str(pk, key) | msgpack_pack_int64(pk, val);
}

int cn_pk_kbool(msgpack_packer *pk, const char *key, bool val)
{
    return cn_pk_str(pk, key) | (val ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
}

int cn_pk_raw(msgpack_packer *pk, const void *data, size_t len)
{
    return pk->callback(pk->data, data, len);
}

int cn_pk_column(msgpack_packer *pk, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return msgpack_pack_int64(pk, sqlite3_column_int64(st, i));
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

static bool utf8_walk(const msgpack_object *o, char *path, size_t cap, size_t len)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        return cn_utf8_valid(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            snprintf(path + len, cap - len, "[%u]", i);
            if (!utf8_walk(&o->via.array.ptr[i], path, cap, strlen(path)))
                return false;
            path[len] = '\0';
        }
        return true;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type == MSGPACK_OBJECT_STR && cn_utf8_valid(k->via.str.ptr, k->via.str.size))
                snprintf(path + len, cap - len, "%s%.*s", len ? "." : "", (int)k->via.str.size, k->via.str.ptr);
            else
                snprintf(path + len, cap - len, "%s<clé %u>", len ? "." : "", i);
            if (!utf8_walk(k, path, cap, strlen(path)) || !utf8_walk(&o->via.map.ptr[i].val, path, cap, strlen(path)))
                return false;
            path[len] = '\0';
        }
        return true;
    default:
        return true;
    }
}

bool cn_mp_utf8_valid(const msgpack_object *o, char *path, size_t cap)
{
    path[0] = '\0';
    return utf8_walk(o, path, cap, 0);
}
