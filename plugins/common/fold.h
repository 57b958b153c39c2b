/* fold.h: text compared the way people read it: case and accents folded
 * ("Sécurité" = "securite"), punctuation as spaces, and terms found on word
 * boundaries ("PAGIEPS" in "le PAGIEPS 2024", not in "PAGIEPSX"). Shared by
 * the plugins (plugins/common, a static library): the veille's keyword
 * rules, the adhesion plugin's duplicate names. */
#ifndef PLUGINS_COMMON_FOLD_H
#define PLUGINS_COMMON_FOLD_H

#include <stdbool.h>
#include <stddef.h>

/* text folded into a new string: lower-case ASCII letters and digits, one
 * space between words, a space at each end (so " term " finds whole
 * words). Caller frees; NULL when out of memory. */
char *fold(const char *text);

/* Whether folded (from fold()) holds term as whole words. */
bool fold_has(const char *folded, const char *term);

#endif
