/* mpcheck.c: see mpcheck.h. The format is the msgpack specification's
 * (github.com/msgpack/msgpack/blob/master/spec.md). */
#include "mpcheck.h"

#include <stdio.h>
#include <string.h>

const cn_mp_limits cn_mp_request_limits = {.depth = 8, .items = 65536, .bytes = 64u * 1024 * 1024};
const cn_mp_limits cn_mp_stored_limits = {.depth = 16, .items = 1u << 20, .bytes = 256u * 1024 * 1024};

static uint64_t big_endian(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* What one header byte announces: `fixed` bytes that follow it in any case
 * (a length field, a scalar's value, an ext's type), then, read from the
 * last `lenbytes` of those, `payload` bytes (str, bin, ext) or `items`
 * elements (arrays; maps count twice). */
typedef struct {
    unsigned fixed, lenbytes;
    uint64_t inline_len; /* fixstr/fixarray/fixmap length, or payload of fixext */
    enum { SCALAR, BYTES, ARRAY, MAP, BAD } kind;
    bool ext; /* ext: one type byte after the length */
} header;

static header read_header(unsigned char b)
{
    if (b <= 0x7f || b >= 0xe0)
        return (header){0, 0, 0, SCALAR, false};
    if (b <= 0x8f)
        return (header){0, 0, b & 0x0f, MAP, false};
    if (b <= 0x9f)
        return (header){0, 0, b & 0x0f, ARRAY, false};
    if (b <= 0xbf)
        return (header){0, 0, b & 0x1f, BYTES, false};
    switch (b) {
    case 0xc0: case 0xc2: case 0xc3: return (header){0, 0, 0, SCALAR, false};
    case 0xc4: return (header){1, 1, 0, BYTES, false};
    case 0xc5: return (header){2, 2, 0, BYTES, false};
    case 0xc6: return (header){4, 4, 0, BYTES, false};
    case 0xc7: return (header){1, 1, 0, BYTES, true};
    case 0xc8: return (header){2, 2, 0, BYTES, true};
    case 0xc9: return (header){4, 4, 0, BYTES, true};
    case 0xca: return (header){4, 0, 0, SCALAR, false};
    case 0xcb: return (header){8, 0, 0, SCALAR, false};
    case 0xcc: case 0xd0: return (header){1, 0, 0, SCALAR, false};
    case 0xcd: case 0xd1: return (header){2, 0, 0, SCALAR, false};
    case 0xce: case 0xd2: return (header){4, 0, 0, SCALAR, false};
    case 0xcf: case 0xd3: return (header){8, 0, 0, SCALAR, false};
    case 0xd4: return (header){0, 0, 1, BYTES, true};
    case 0xd5: return (header){0, 0, 2, BYTES, true};
    case 0xd6: return (header){0, 0, 4, BYTES, true};
    case 0xd7: return (header){0, 0, 8, BYTES, true};
    case 0xd8: return (header){0, 0, 16, BYTES, true};
    case 0xd9: return (header){1, 1, 0, BYTES, false};
    case 0xda: return (header){2, 2, 0, BYTES, false};
    case 0xdb: return (header){4, 4, 0, BYTES, false};
    case 0xdc: return (header){2, 2, 0, ARRAY, false};
    case 0xdd: return (header){4, 4, 0, ARRAY, false};
    case 0xde: return (header){2, 2, 0, MAP, false};
    case 0xdf: return (header){4, 4, 0, MAP, false};
    default: return (header){0, 0, 0, BAD, false}; /* 0xc1 */
    }
}

cn_mp_verdict cn_mp_check(const void *data, size_t len, const cn_mp_limits *lim, bool whole, size_t *used)
{
    const unsigned char *p = data;
    if (len == 0)
        return CN_MP_EMPTY;
    unsigned maxdepth = lim->depth < CN_MP_DEPTH_CAP ? lim->depth : CN_MP_DEPTH_CAP;
    uint64_t left[CN_MP_DEPTH_CAP + 1]; /* objects still to read at each level; level 0 is the root */
    unsigned depth = 0;
    left[0] = 1;
    size_t pos = 0;
    for (;;) {
        while (left[depth] == 0) {
            if (depth == 0)
                goto done;
            depth--;
        }
        if (pos >= len)
            return CN_MP_TRUNCATED;
        left[depth]--;
        header h = read_header(p[pos++]);
        if (h.kind == BAD)
            return CN_MP_INVALID;
        if (len - pos < h.fixed)
            return CN_MP_TRUNCATED;
        uint64_t n = h.lenbytes ? big_endian(p + pos + h.fixed - h.lenbytes, h.lenbytes) : h.inline_len;
        pos += h.fixed;
        switch (h.kind) {
        case SCALAR:
            break;
        case BYTES:
            if (h.ext) {
                if (pos >= len)
                    return CN_MP_TRUNCATED;
                pos++; /* the ext's type */
            }
            if (n > lim->bytes)
                return CN_MP_TOO_LONG;
            if (n > len - pos)
                return CN_MP_TRUNCATED;
            pos += n;
            break;
        case ARRAY:
        case MAP:
            if (n > lim->items)
                return CN_MP_TOO_MANY;
            if (h.kind == MAP)
                n *= 2;
            /* Every element takes at least one byte: a count larger than
             * what remains is refused before anyone reserves memory for it. */
            if (n > len - pos)
                return CN_MP_TRUNCATED;
            if (depth + 1 > maxdepth)
                return CN_MP_TOO_DEEP;
            left[++depth] = n;
            break;
        case BAD:
            return CN_MP_INVALID;
        }
    }
done:
    if (whole && pos != len)
        return CN_MP_EXTRA;
    if (used)
        *used = pos;
    return CN_MP_OK;
}

/* Skips one object from *pos: a count of the objects still to skip is all
 * it needs, whatever the nesting. False when the bytes end first. */
static bool skip_one(const unsigned char *p, size_t len, size_t *pos)
{
    uint64_t pending = 1;
    size_t at = *pos;
    while (pending > 0) {
        if (at >= len)
            return false;
        pending--;
        header h = read_header(p[at++]);
        if (h.kind == BAD || len - at < h.fixed)
            return false;
        uint64_t n = h.lenbytes ? big_endian(p + at + h.fixed - h.lenbytes, h.lenbytes) : h.inline_len;
        at += h.fixed;
        if (h.kind == BYTES) {
            if (h.ext && at++ >= len)
                return false;
            if (n > len - at)
                return false;
            at += n;
        } else if (h.kind == ARRAY || h.kind == MAP) {
            n *= h.kind == MAP ? 2 : 1;
            if (n > len - at)
                return false;
            pending += n;
        }
    }
    *pos = at;
    return true;
}

bool cn_mp_find_key(const void *data, size_t len, const char *key, size_t *at, size_t *size)
{
    const unsigned char *p = data;
    if (len == 0)
        return false;
    header h = read_header(p[0]);
    if (h.kind != MAP || len - 1 < h.fixed)
        return false;
    uint64_t n = h.lenbytes ? big_endian(p + 1 + h.fixed - h.lenbytes, h.lenbytes) : h.inline_len;
    size_t pos = 1 + h.fixed, keylen = strlen(key);
    for (uint64_t i = 0; i < n; i++) {
        size_t k = pos;
        if (!skip_one(p, len, &pos))
            return false;
        /* A key equal to `key` is a str header followed by its bytes. */
        header kh = read_header(p[k]);
        size_t body = k + 1 + kh.fixed;
        bool str = (p[k] >= 0xa0 && p[k] <= 0xbf) || (p[k] >= 0xd9 && p[k] <= 0xdb);
        bool match = str && pos - body == keylen && memcmp(p + body, key, keylen) == 0;
        size_t v = pos;
        if (!skip_one(p, len, &pos))
            return false;
        if (match) {
            *at = v;
            *size = pos - v;
            return true;
        }
    }
    return false;
}

const char *cn_mp_verdict_text(cn_mp_verdict v, const cn_mp_limits *lim, bool en, char *out, size_t cap)
{
    switch (v) {
    case CN_MP_OK:
        snprintf(out, cap, "%s", en ? "valid msgpack" : "msgpack valide");
        break;
    case CN_MP_EMPTY:
        snprintf(out, cap, "%s", en ? "the frame is empty" : "la trame est vide");
        break;
    case CN_MP_TRUNCATED:
        snprintf(out, cap, "%s",
                 en ? "the frame is truncated: a length or a count announces more bytes than the frame holds"
                    : "la trame est tronquée : une longueur ou un nombre d'éléments annonce plus d'octets que la "
                      "trame n'en contient");
        break;
    case CN_MP_INVALID:
        snprintf(out, cap, "%s", en ? "the frame is not msgpack (byte 0xc1)" : "la trame n'est pas du msgpack (octet 0xc1)");
        break;
    case CN_MP_TOO_DEEP:
        snprintf(out, cap, en ? "the frame is nested deeper than %u levels" : "la trame est imbriquée sur plus de %u niveaux",
                 lim->depth);
        break;
    case CN_MP_TOO_MANY:
        snprintf(out, cap, en ? "a list or map of the frame has more than %u elements"
                              : "une liste ou une map de la trame a plus de %u éléments",
                 (unsigned)lim->items);
        break;
    case CN_MP_TOO_LONG:
        snprintf(out, cap, en ? "a text or binary value of the frame is longer than %u bytes"
                              : "un texte ou une valeur binaire de la trame dépasse %u octets",
                 (unsigned)lim->bytes);
        break;
    case CN_MP_EXTRA:
        snprintf(out, cap, "%s", en ? "extra bytes after the msgpack message" : "octets en trop après le message msgpack");
        break;
    }
    return out;
}
