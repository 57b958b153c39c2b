/* utf8.h: well-formed UTF-8 (no overlong form, no surrogate, nothing past
 * U+10FFFF, no NUL), for the core, the plugins and concertctl alike. */
#ifndef CN_UTF8_H
#define CN_UTF8_H

#include <stddef.h>

/* The length of the longest well-formed prefix of s[0..n): text cut at a
 * byte limit is cut back to a whole character with it. */
size_t cn_utf8_valid_prefix(const char *s, size_t n);

/* Replaces, in place, each byte of s that is not part of a well-formed
 * character by '?': a message that quotes a file's bytes stays readable. */
void cn_utf8_scrub(char *s);

#endif
