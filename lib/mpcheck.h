/* mpcheck.h: one pass over msgpack bytes before anything is decoded.
 *
 * msgpack-c reserves memory by what a frame *declares* (a 21-byte map32
 * header asks for 4 G entries), so every msgpack input that comes from
 * outside (requests, peers' events and snapshots, plugin results) is first
 * walked here: each declared length is checked against the bytes that
 * remain, and depth, elements per container and string/bin/ext sizes are
 * capped. Nothing is allocated; the walk is iterative, linear in the bytes.
 *
 * Only the C library is used, so the core, the plugins and concertctl share it. */
#ifndef CN_MPCHECK_H
#define CN_MPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CN_MP_DEPTH_CAP 64 /* the most any caller may allow */

typedef struct cn_mp_limits {
    unsigned depth;   /* containers inside containers (a lone map is 1); at most CN_MP_DEPTH_CAP */
    uint32_t items;   /* elements of one array, or pairs of one map */
    uint32_t bytes;   /* bytes of one str, bin or ext */
} cn_mp_limits;

/* The limits of a request envelope (PROTOCOL.md, "Limits"). */
extern const cn_mp_limits cn_mp_request_limits;
/* The limits of peers' events and snapshots and of stored plugin data. */
extern const cn_mp_limits cn_mp_stored_limits;

typedef enum {
    CN_MP_OK = 0,
    CN_MP_EMPTY,     /* no byte at all */
    CN_MP_TRUNCATED, /* a length or a count says more than the bytes that remain */
    CN_MP_INVALID,   /* byte 0xc1, which msgpack never uses */
    CN_MP_TOO_DEEP,
    CN_MP_TOO_MANY,  /* a container with more elements than limits.items */
    CN_MP_TOO_LONG,  /* a str, bin or ext longer than limits.bytes */
    CN_MP_EXTRA,     /* bytes after the first object (only when whole is asked) */
} cn_mp_verdict;

/* Walks the first msgpack object of data[0..len). With whole, bytes after
 * it are CN_MP_EXTRA. *used (may be NULL) gets the object's size when OK. */
cn_mp_verdict cn_mp_check(const void *data, size_t len, const cn_mp_limits *lim, bool whole, size_t *used);

/* Where the value of key lies in a frame that is a map, found without
 * decoding it and without limits but the frame's bytes (to answer a frame
 * refused by cn_mp_check with the id it carried). True when found: the
 * value is data[*at .. *at + *size). */
bool cn_mp_find_key(const void *data, size_t len, const char *key, size_t *at, size_t *size);

/* The verdict in words, French or English, naming the limit that was passed
 * ("imbriqué sur plus de 8 niveaux"). Writes into out (cap bytes). */
const char *cn_mp_verdict_text(cn_mp_verdict v, const cn_mp_limits *lim, bool english, char *out, size_t cap);

#endif
