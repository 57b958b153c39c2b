/* feed_repair.h: what feeds get wrong, put right before libxml2 reads
 * them, and said: the body to UTF-8 by hand (Windows-1252's undefined bytes
 * and UTF-8's stray ones as U+FFFD, so nothing stops the parse half-way),
 * bare "&" as text, HTML named entities as numeric references; UTF-16 and
 * UTF-32 recognised without a byte order mark. Pure; safe on a worker. */
#ifndef VEILLE_FEED_REPAIR_H
#define VEILLE_FEED_REPAIR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *text;           /* what to hand libxml2 (caller frees) */
    size_t len;
    const char *encoding; /* to read it with, or NULL: libxml2 decides (a byte order mark, an encoding not ours) */
    bool ours;            /* text is UTF-8 made here: the document's own declaration must be ignored */
} vp_body;

/* Prepares size bytes of body (charset: HTTP's, or NULL). Returns 0, or -1
 * when out of memory. What it repaired is added to *warning. */
int vp_repair(const char *body, size_t size, const char *charset, vp_body *out, char **warning);

/* Adds a sentence to a warning (a new string, or the old one grown). */
void vp_say(char **warning, const char *sentence);

#endif
