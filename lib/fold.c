/* fold.c: see fold.h. */
#include "fold.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The ASCII letters of a Latin-1 Supplement or Latin Extended-A letter
 * (U+00C0…U+017F), "" when it is not one. */
static const char *latin_base(uint32_t cp)
{
    static const char *const latin1[64] = {
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", /* C0 */
        "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss", /* D0 */
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", /* E0 */
        "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"}; /* F0 */
    if (cp >= 0xC0 && cp <= 0xFF)
        return latin1[cp - 0xC0];
    static const char *const extended_a[128] = {
        "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
        "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
        "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
        "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
        "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
        "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
        "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
        "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};
    if (cp >= 0x100 && cp <= 0x17F)
        return extended_a[cp - 0x100];
    return "";
}

size_t cn_fold(const char *str, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t o = 0;
    if (cap == 0)
        return 0;
    while (*s && o + 1 < cap) {
        unsigned c = *s;
        if (c < 0x80) {
            out[o++] = (char)tolower((int)c);
            s++;
            continue;
        }
        size_t len = (c >= 0xF0) ? 4 : (c >= 0xE0) ? 3 : (c >= 0xC0) ? 2 : 1;
        uint32_t cp = (len == 2) ? (c & 0x1F) : (len == 3) ? (c & 0x0F) : (c & 0x07);
        size_t k;
        for (k = 1; k < len && s[k]; k++)
            cp = (cp << 6) | (s[k] & 0x3F);
        const char *base = (len == 2) ? latin_base(cp) : "";
        if (*base) {
            for (; *base && o + 1 < cap; base++)
                out[o++] = *base;
        } else {
            for (size_t j = 0; j < k && o + 1 < cap; j++)
                out[o++] = (char)s[j];
        }
        s += k;
    }
    out[o] = '\0';
    return o;
}

char *cn_fold_words(const char *text)
{
    size_t len = text ? strlen(text) : 0;
    char *out = malloc(2 * len + 3); /* "ß" (2 bytes) → "ss": never longer than 2x */
    if (!out)
        return NULL;
    size_t n = 0;
    out[n++] = ' ';
    for (const unsigned char *p = (const unsigned char *)text; p && *p;) {
        uint32_t cp = *p;
        size_t k = 1;
        if (cp >= 0xC0 && (cp >> 5) == 6 && (p[1] & 0xC0) == 0x80) {
            cp = ((cp & 0x1F) << 6) | (p[1] & 0x3F);
            k = 2;
        } else if (cp >= 0x80) { /* other scripts and symbols: word separators */
            while (p[k] && (p[k] & 0xC0) == 0x80)
                k++;
            cp = ' ';
        }
        p += k;
        const char *base = cp < 0x80 ? NULL : latin_base(cp);
        if (cp < 0x80 && isalnum((int)cp))
            out[n++] = (char)tolower((int)cp);
        else if (base && *base)
            for (; *base; base++)
                out[n++] = *base;
        else if (out[n - 1] != ' ')
            out[n++] = ' ';
    }
    if (out[n - 1] != ' ')
        out[n++] = ' ';
    out[n] = '\0';
    return out;
}

bool cn_fold_has(const char *folded, const char *term)
{
    char *t = cn_fold_words(term);
    bool found = t && strlen(t) > 2 && strstr(folded, t) != NULL; /* " term " against " … " */
    free(t);
    return found;
}
