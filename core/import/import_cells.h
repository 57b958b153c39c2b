/* import_cells.h: the small readings the plan-text importer makes of one
 * cell of a Word/PDF table copied out as text: HTML fragments removed
 * (block tags such as <p> and <li> become item breaks '\n'), entities
 * decoded, white space collapsed; a leading plan number ("1.2", "2.2.2.",
 * "1.") recognised; a cell holding several numbered items ("1.2 … 1.2.1 …
 * 1.2.2 …") or bullets cut into them. Strings are allocated in a zone
 * owned by the caller. */
#ifndef CN_IMPORT_CELLS_H
#define CN_IMPORT_CELLS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

/* The cleaned text of s[0..n): tags removed, entities decoded, spaces
 * (tabs, NBSP) collapsed, items separated by single '\n', trimmed. */
char *cn_cell_clean(msgpack_zone *z, const char *s, size_t n);

/* When s starts with a plan number followed by text ("1.2 Inviter",
 * "2.2.2. Les", "1. S'entendre", "3) Voir"), writes it normalised ("1.2")
 * into num[64] and returns how many bytes the number and the spaces after
 * it take; else 0. A single group needs a '.' or ')' after it, so "500
 * amis" and "2023, des" are not numbers. */
size_t cn_num_prefix(const char *s, char num[64]);

/* Number of dot-separated groups of a normalised number ("1.2.1" → 3). */
int cn_num_depth(const char *num);

/* True when b may follow a in a list that numbers items: a child of a
 * ("1.2" → "1.2.1"), a later sibling ("3.1" → "3.2", skips of up to two
 * allowed), or a sibling of a's parent ("1.2.2" → "1.3"). */
bool cn_num_follows(const char *a, const char *b);

typedef struct {
    char num[64]; /* "" when the item has no number */
    char *text;   /* in the zone */
} cn_item;

/* Cuts an action cell into its items: '\n' breaks, "- " or "• " bullets,
 * and numbered items that follow each other (cn_num_follows). Text from
 * "Note :" to the end of the cell goes to the first item. Returns how many
 * items were written into out (at most cap, at least 1 for a non-empty
 * cell). */
size_t cn_cell_items(msgpack_zone *z, const char *cell, cn_item *out, size_t cap);

/* Cuts a cell at the numbers listed in nums (the actions of a row): each
 * part goes to its number; text before the first number is shared (index
 * n in parts). parts[] has n+1 entries, NULL when empty. Returns how many
 * numbered parts were found. */
size_t cn_cell_by_number(msgpack_zone *z, const char *cell, const char *const *nums, size_t n, char **parts);

/* Character classes at the start of s (UTF-8, Latin letters). */
bool cn_starts_lower(const char *s);
bool cn_starts_upper(const char *s);

/* a + sep + b in the zone; a or b may be NULL or empty. */
char *cn_zcat(msgpack_zone *z, const char *a, const char *sep, const char *b);
char *cn_zdup(msgpack_zone *z, const char *s, size_t n);

#endif
