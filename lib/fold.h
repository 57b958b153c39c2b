/* fold.h: text compared the way people read it, with case and accents
 * folded ("Lanaudière" = "LANAUDIERE", "Sécurité" = "securite"). One table
 * of Latin letters serves the two shapes the project needs:
 *
 * - cn_fold: a comparison key, everything but Latin letters kept as it is
 *   (the core's region names, plan headings, the SQL function cn_fold);
 * - cn_fold_words: words only, punctuation and other scripts as spaces, so
 *   that terms are found on word boundaries ("PAGIEPS" in "le PAGIEPS
 *   2024", not in "PAGIEPSX": the veille's rules, adhesion's duplicates).
 *
 * Shared by the core, the plugins and concertctl (lib/, a static library
 * built position-independent); it depends on nothing but the C library. */
#ifndef CN_FOLD_H
#define CN_FOLD_H

#include <stdbool.h>
#include <stddef.h>

/* Writes into out (size cap) the comparison key of s: Latin letters with
 * their accents removed ("œ" → "oe", "ß" → "ss"), ASCII lower-cased, any
 * other byte kept. Returns the key's length (truncated at cap-1). */
size_t cn_fold(const char *s, char *out, size_t cap);

/* text folded into a new string: lower-case ASCII letters and digits, one
 * space between words, a space at each end (so " term " finds whole
 * words). Caller frees; NULL when out of memory. */
char *cn_fold_words(const char *text);

/* Whether folded (from cn_fold_words) holds term as whole words. */
bool cn_fold_has(const char *folded, const char *term);

#endif
