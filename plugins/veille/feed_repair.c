/* feed_repair.c: see feed_repair.h. */
#define _GNU_SOURCE /* memmem */
#include "feed_repair.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/encoding.h>

#include "utf8.h"

/* ---- before parsing: entities and encoding ----------------------------------------- */

/* HTML named entities (&eacute; &nbsp; …), undefined in XML, as numeric
 * references, which XML knows. A new buffer (caller frees), *len updated. */
static char *numeric_entities(const char *in, size_t *len)
{
    size_t cap = *len + *len / 8 + 64, n = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (size_t i = 0; i < *len;) {
        if (in[i] == '&' && i + 1 < *len && isalpha((unsigned char)in[i + 1])) {
            size_t j = i + 1;
            while (j < *len && j - i < 32 && isalnum((unsigned char)in[j]))
                j++;
            if (j < *len && in[j] == ';') {
                char name[40];
                snprintf(name, sizeof name, "%.*s", (int)(j - i - 1), in + i + 1);
                const htmlEntityDesc *e = NULL;
                if (strcmp(name, "amp") && strcmp(name, "lt") && strcmp(name, "gt") && strcmp(name, "quot") &&
                    strcmp(name, "apos"))
                    e = htmlEntityLookup((const xmlChar *)name);
                if (e) {
                    if (n + 16 > cap) {
                        char *p = realloc(out, cap *= 2);
                        if (!p) {
                            free(out);
                            return NULL;
                        }
                        out = p;
                    }
                    n += (size_t)snprintf(out + n, 16, "&#%u;", e->value);
                    i = j + 1;
                    continue;
                }
            }
        }
        if (n + 1 > cap) {
            char *p = realloc(out, cap *= 2);
            if (!p) {
                free(out);
                return NULL;
            }
            out = p;
        }
        out[n++] = in[i++];
    }
    *len = n;
    return out;
}

static bool valid_utf8(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
        if (k == 9 || i + k >= len + (k ? 0 : 1))
            return false;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

/* ---- repairs: what feeds get wrong, put right and said ------------------------------ */

/* A growing buffer of bytes. */
typedef struct {
    char *data;
    size_t len, cap;
    bool oom;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->oom = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void put_codepoint(bytes *b, unsigned cp)
{
    unsigned char u[4];
    size_t n = 0;
    if (cp < 0x80)
        u[n++] = (unsigned char)cp;
    else if (cp < 0x800) {
        u[n++] = (unsigned char)(0xC0 | cp >> 6);
        u[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        u[n++] = (unsigned char)(0xE0 | cp >> 12);
        u[n++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    }
    put(b, u, n);
}

/* Windows-1252's 0x80..0x9F; 0 where it defines nothing (0x81, 0x8D, 0x8F,
 * 0x90, 0x9D), which iconv would stop at: the rest of the feed was lost. */
static const unsigned short cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/* Windows-1252 (or Latin-1, its subset) to UTF-8 by hand; undefined bytes
 * become U+FFFD. Returns how many were. */
static size_t from_cp1252(const unsigned char *in, size_t len, bytes *out)
{
    size_t undefined = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = in[i];
        if (c >= 0x80 && c <= 0x9F) {
            c = cp1252_high[c - 0x80];
            if (!c) {
                c = 0xFFFD;
                undefined++;
            }
        }
        put_codepoint(out, c);
    }
    return undefined;
}

/* UTF-8 kept, each byte that is not part of a well-formed character
 * replaced by U+FFFD. Returns how many were. */
static size_t repair_utf8(const char *in, size_t len, bytes *out)
{
    size_t bad = 0;
    for (size_t i = 0; i < len;) {
        size_t ok = cn_utf8_valid_prefix(in + i, len - i);
        put(out, in + i, ok);
        i += ok;
        if (i < len) {
            if (in[i] == '\0') { /* a NUL is no text either */
                i++;
                continue;
            }
            put_codepoint(out, 0xFFFD);
            bad++;
            i++;
        }
    }
    return bad;
}

/* "&" that starts no entity or character reference ("R&D", "?a=1&b=2",
 * "Emploi & Solidarité") as "&amp;": libxml2's recovery dropped "&word",
 * turning links into other links. Returns how many. */
static size_t escape_bare_ampersands(const char *in, size_t len, bytes *out)
{
    size_t fixed = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '&') {
            put(out, in + i, 1);
            continue;
        }
        size_t j = i + 1;
        if (j < len && in[j] == '#') {
            j++;
            bool hex = j < len && (in[j] == 'x' || in[j] == 'X');
            j += hex;
            size_t start = j;
            while (j < len && (hex ? isxdigit((unsigned char)in[j]) : isdigit((unsigned char)in[j])))
                j++;
            if (j > start && j < len && in[j] == ';') {
                put(out, in + i, 1);
                continue;
            }
        } else if (j < len && (isalpha((unsigned char)in[j]) || in[j] == '_')) {
            while (j < len && j - i < 40 && (isalnum((unsigned char)in[j]) || in[j] == '_' || in[j] == '-' || in[j] == '.'))
                j++;
            if (j < len && in[j] == ';') {
                put(out, in + i, 1);
                continue;
            }
        }
        put(out, "&amp;", 5);
        fixed++;
    }
    return fixed;
}


/* More well-formed multi-byte characters than stray bytes: UTF-8 with a
 * few bad bytes, not another encoding. */
static bool mostly_utf8(const unsigned char *s, size_t len)
{
    size_t good = 0, bad = 0;
    for (size_t i = 0; i < len;) {
        size_t ok = cn_utf8_valid_prefix((const char *)s + i, len - i);
        for (size_t k = i; k < i + ok; k++)
            good += s[k] >= 0xC0;
        i += ok;
        if (i < len) {
            bad++;
            i++;
        }
    }
    return good > bad;
}

void vp_say(char **warning, const char *sentence)
{
    size_t old = *warning ? strlen(*warning) : 0, n = strlen(sentence);
    char *w = realloc(*warning, old + 3 + n + 1); /* " ; ", the sentence, its NUL */
    if (!w)
        return;
    if (old)
        memcpy(w + old, " ; ", 3), old += 3;
    memcpy(w + old, sentence, n + 1);
    *warning = w;
}

/* UTF-16 or UTF-32 without a byte order mark, known by "<" and its zeros. */
static const char *wide_encoding(const unsigned char *b, size_t len)
{
    if (len >= 4 && b[0] == '<' && !b[1] && !b[2] && !b[3])
        return "UCS-4LE";
    if (len >= 4 && !b[0] && !b[1] && !b[2] && b[3] == '<')
        return "UCS-4BE";
    if (len >= 2 && b[0] == '<' && !b[1])
        return "UTF-16LE";
    if (len >= 2 && !b[0] && b[1] == '<')
        return "UTF-16BE";
    return NULL;
}

/* The encoding to read with: the bytes decide, not a declaration that may
 * be wrong. Valid UTF-8 is UTF-8 (whatever is declared); otherwise what is
 * declared (or sent by HTTP) when it is not UTF-8, else Windows-1252, the
 * usual truth behind undeclared non-UTF-8 text. NULL: let libxml2 look
 * (a UTF-16 byte order mark). */
static const char *encoding_of(const char *body, size_t len, const char *charset)
{
    const unsigned char *b = (const unsigned char *)body;
    if (len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        return NULL;
    if (valid_utf8(b, len))
        return "UTF-8";
    static char declared[64];
    declared[0] = '\0';
    /* Looked for in the first 200 bytes only, which need not end with a NUL. */
    size_t head = len < 200 ? len : 200;
    const char *d = memmem(body, head, "encoding=", 9);
    if (d && (size_t)(d - body) + 10 < head && (d[9] == '"' || d[9] == '\'')) {
        const char *end = memchr(d + 10, d[9], head - (size_t)(d - body) - 10);
        if (end && end - d < 60)
            snprintf(declared, sizeof declared, "%.*s", (int)(end - d - 10), d + 10);
    }
    const char *named = declared[0] ? declared : charset;
    if (named && *named && strcasecmp(named, "utf-8") && strcasecmp(named, "utf8"))
        return strcasecmp(named, "iso-8859-1") == 0 ? "windows-1252" : named; /* 1252 is latin-1's superset */
    return "windows-1252";
}

/* Whether libxml2 (through iconv) can decode name. */
static bool known_encoding(const char *name)
{
    xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(name);
    if (!h)
        return false;
    xmlCharEncCloseFunc(h); /* frees an iconv one; a built-in one stays */
    return true;
}

int vp_repair(const char *body, size_t size, const char *charset, vp_body *out, char **warning)
{
    memset(out, 0, sizeof *out);
    /* To UTF-8 first, by hand, so nothing stops the parse half-way; then
     * the bare "&" escaped. libxml2 decodes only what has a byte order mark
     * or a declared encoding we do not know, and then nothing is repaired. */
    const unsigned char *b = (const unsigned char *)body;
    bool bom16 = size >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF));
    const char *wide = bom16 ? NULL : wide_encoding(b, size);
    bool bom8 = size >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0;
    const char *src = body + (bom8 ? 3 : 0);
    size_t srclen = size - (bom8 ? 3 : 0);
    const char *encoding = bom16 || wide ? NULL : encoding_of(src, srclen, charset);
    if (!bom16 && !wide && !encoding) /* a UTF-16 mark after a UTF-8 one: the first wins, the rest is repaired */
        encoding = "windows-1252";
    bytes utf8 = {0}, fixed = {0};
    char sentence[200];
    const char *parse_as = "UTF-8";
    if (bom16 || wide) {
        put(&fixed, body, size);
        parse_as = wide; /* NULL with a byte order mark: libxml2 reads it */
    } else {
        size_t damaged = 0;
        if (strcmp(encoding, "UTF-8") == 0)
            put(&utf8, src, srclen);
        else if (bom8 || mostly_utf8((const unsigned char *)src, srclen))
            damaged = repair_utf8(src, srclen, &utf8);
        else if (strcasecmp(encoding, "windows-1252") == 0 || strcasecmp(encoding, "cp1252") == 0 ||
                 strcasecmp(encoding, "latin1") == 0 || strcasecmp(encoding, "iso-8859-1") == 0)
            damaged = from_cp1252((const unsigned char *)src, srclen, &utf8);
        else if (known_encoding(encoding))
            parse_as = NULL; /* another declared encoding libxml2 knows: its own */
        else { /* a name nobody knows ("decISO-8859-1"): read as the usual truth */
            snprintf(sentence, sizeof sentence, "encodage « %.60s » inconnu : lu comme Windows-1252", encoding);
            cn_utf8_scrub(sentence);
            vp_say(warning, sentence);
            damaged = from_cp1252((const unsigned char *)src, srclen, &utf8);
        }
        if (damaged) {
            snprintf(sentence, sizeof sentence, "%zu octet(s) qui ne sont pas du texte (%s) remplacés par « \xef\xbf\xbd »",
                     damaged, strcmp(encoding, "UTF-8") == 0 || bom8 ? "UTF-8" : encoding);
            vp_say(warning, sentence);
        }
        if (parse_as) {
            size_t amps = escape_bare_ampersands(utf8.data ? utf8.data : "", utf8.len, &fixed);
            if (amps) {
                snprintf(sentence, sizeof sentence, "%zu « & » isolé(s) lu(s) comme du texte", amps);
                vp_say(warning, sentence);
            }
        } else {
            put(&fixed, src, srclen);
        }
    }
    free(utf8.data);
    if (fixed.oom || !fixed.data) {
        free(fixed.data);
        return -1;
    }
    size_t len = fixed.len;
    out->text = numeric_entities(fixed.data, &len);
    free(fixed.data);
    if (!out->text)
        return -1;
    out->len = len;
    out->encoding = parse_as;
    out->ours = parse_as && !wide;
    return 0;
}

