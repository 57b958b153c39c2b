/* feed_parse.h: RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 read with libxml2, as
 * tolerantly as feed readers are: a wrong or missing encoding declaration,
 * HTML entities, CDATA, HTML in titles and summaries, relative links
 * (against xml:base or the feed's address), and dates in RFC 822, ISO 8601
 * and their usual broken variants (French month names included). Pure: no
 * host, no database; safe on a worker thread. */
#ifndef VEILLE_FEED_PARSE_H
#define VEILLE_FEED_PARSE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *guid;    /* guid / id / rdf:about, or NULL */
    char *link;    /* absolute, or NULL */
    char *title;   /* plain text, or NULL */
    char *summary; /* plain text, at most ~1000 characters, or NULL */
    int64_t published_ms; /* 0 when the item has no date that could be read */
} vp_item;

typedef struct {
    char *title, *link; /* the feed's own, or NULL */
    const char *format; /* "rss2", "rss1", "atom" */
    char *warning;      /* what had to be repaired to read it, in words (French), or NULL: a "bozo" feed */
    vp_item *items;
    size_t n;
} vp_feed;

/* At most this many items are read from one feed (said in warning). */
#define VP_MAX_ITEMS 2000

/* Reads size bytes of body fetched from base_url (for relative links);
 * charset is the HTTP Content-Type's, or NULL. Returns 0, or -1 with why
 * in err (French, for a person). */
int vp_parse(const char *body, size_t size, const char *base_url, const char *charset, vp_feed *out, char *err,
             size_t errcap);
void vp_feed_free(vp_feed *feed);

/* A date as feeds write them, in milliseconds since the epoch; 0 when unreadable. */
int64_t vp_date(const char *text);

#endif
