/* mp.h: msgpack helpers shared by the request handlers: reading fields of
 * a decoded map, and packing strings, SQLite rows and pre-encoded bytes.
 * Nothing here allocates except through the packer's buffer. */
#ifndef CN_MP_H
#define CN_MP_H

#include <msgpack.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mpcheck.h"

/* The value of key in map, or NULL when map is not a map or has no such key. */
const msgpack_object *cn_mp_get(const msgpack_object *map, const char *key);

/* Decodes the msgpack object that fills data[0..len) after walking its
 * bytes against lim (mpcheck.h), so a frame from outside never makes
 * msgpack-c reserve what it merely declares. Returns CN_MP_OK (u holds the
 * object), or why it was refused (u holds nothing; still destroy it). */
cn_mp_verdict cn_mp_unpack(msgpack_unpacked *u, const void *data, size_t len, const cn_mp_limits *lim);

/* True when o is a string equal to s. */
bool cn_mp_str_eq(const msgpack_object *o, const char *s);

/* o's text into out (cap > 0), cut to fit on a character boundary; "" when
 * o is not a string. Returns out. */
char *cn_mp_str_copy(const msgpack_object *o, char *out, size_t cap);

/* Packs s as a str, or nil when s is NULL. Inline: a key written as a
 * literal has its length counted by the compiler, not on every call. */
int cn_pk_strn(msgpack_packer *pk, const char *s, size_t n);
static inline int cn_pk_str(msgpack_packer *pk, const char *s) { return cn_pk_strn(pk, s, s ? strlen(s) : 0); }
/* Packs a map key followed by a string, integer or bool value. */
static inline int cn_pk_kstr(msgpack_packer *pk, const char *key, const char *val)
{
    return cn_pk_str(pk, key) | cn_pk_str(pk, val);
}
static inline int cn_pk_kint(msgpack_packer *pk, const char *key, int64_t val)
{
    return cn_pk_str(pk, key) | msgpack_pack_int64(pk, val);
}
static inline int cn_pk_kbool(msgpack_packer *pk, const char *key, bool val)
{
    return cn_pk_str(pk, key) | (val ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
}
/* Appends bytes that are already one encoded msgpack object. */
int cn_pk_raw(msgpack_packer *pk, const void *data, size_t len);

/* Packs column i of the current row: NULL as nil, integers, reals, text as
 * str, and BLOBs as the msgpack object they hold (the model stores lists
 * pre-encoded). */
int cn_pk_column(msgpack_packer *pk, sqlite3_stmt *st, int i);

/* An array whose length is known only once it is written: cn_pk_array_open
 * reserves a 32-bit array header in pk's buffer (pk must write to a
 * msgpack_sbuffer) and returns where; cn_pk_array_close writes n there. A
 * list is then read once, not counted first. Returns SIZE_MAX on failure. */
size_t cn_pk_array_open(msgpack_packer *pk);
void cn_pk_array_close(msgpack_packer *pk, size_t at, uint32_t n);

/* Packs the current row as a map from column name to value. */
int cn_pk_row(msgpack_packer *pk, sqlite3_stmt *st);

/* Checks that every str in o (map keys included) is valid UTF-8. On failure
 * writes the path of the first bad string ("args.name") into path. */
bool cn_mp_utf8_valid(const msgpack_object *o, char *path, size_t cap);

/* What a request's text must be: valid UTF-8, without NUL (U+0000, which
 * no text of the model holds), and no key given twice in one map (which
 * decoders resolve differently: a filter could be bypassed). On failure
 * path gets where ("args.reminders.days"). */
typedef enum { CN_TEXT_OK, CN_TEXT_INVALID, CN_TEXT_NUL, CN_TEXT_DUPLICATE } cn_text_verdict;
cn_text_verdict cn_mp_text_check(const msgpack_object *o, char *path, size_t cap);

#endif
