/* textfile.c: see textfile.h. */
#include "textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Windows-1252 bytes 0x80..0x9F (0 where the code page has none). */
static const unsigned short cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

static char *from_cp1252(const char *s, size_t n, size_t *len)
{
    char *out = malloc(n * 3 + 1), *w = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c >= 0x80 && c < 0xA0)
            c = cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : 0xFFFD;
        if (c < 0x80) {
            *w++ = (char)c;
        } else if (c < 0x800) {
            *w++ = (char)(0xC0 | (c >> 6));
            *w++ = (char)(0x80 | (c & 0x3F));
        } else {
            *w++ = (char)(0xE0 | (c >> 12));
            *w++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *w++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *w = '\0';
    *len = (size_t)(w - out);
    return out;
}

char *ctl_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f) ? errno : 0;
    if (f != stdin)
        fclose(f);
    if (!buf || err) {
        free(buf);
        errno = err ? err : ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

bool ctl_is_document(const char *data, size_t len)
{
    return (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0) || (len >= 5 && memcmp(data, "%PDF-", 5) == 0) ||
           (len >= 8 && memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0);
}

char *ctl_read_text(const char *path, size_t *len, bool *converted)
{
    *converted = false;
    size_t n;
    char *buf = ctl_read_file(path, &n);
    if (!buf)
        return NULL;
    if (memchr(buf, '\0', n)) {
        free(buf);
        errno = EILSEQ;
        return NULL;
    }
    if (cn_utf8_valid(buf, n)) {
        *len = n;
        return buf;
    }
    char *utf8 = from_cp1252(buf, n, len);
    free(buf);
    *converted = utf8 != NULL;
    return utf8;
}
