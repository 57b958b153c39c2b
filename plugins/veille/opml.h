/* opml.h: the list of feeds as OPML 1.0/2.0, the format every feed reader
 * imports and exports, through libxml2. Folders become tags. */
#ifndef VEILLE_OPML_H
#define VEILLE_OPML_H

#include <stddef.h>

typedef struct {
    char url[2048], title[512], site[2048];
    char tags[1024]; /* "\n"-joined: the folders it is in, and its category attribute */
} opml_feed;

/* The feeds (outlines with an xmlUrl) of text, in a new array (caller
 * frees). Returns 0, or -1 with why in err (French). */
int opml_read(const char *text, size_t len, opml_feed **out, size_t *n, char *err, size_t errcap);

/* A new OPML 2.0 document (caller frees) of the n feeds, or NULL. */
char *opml_write(const opml_feed *feeds, size_t n, const char *title);

#endif
