/* fuzz_feed.c: the veille's feed reader (RSS 2.0, RSS 1.0, Atom, through
 * libxml2). Input: the body of a fetched feed. Invariants: parsed, or
 * refused in words; every text read out is valid UTF-8 without NUL; links
 * are absolute http(s) or absent. */
#include <string.h>

#include "feed_parse.h"
#include "fuzz_support.h"
#include "text.h"

static void check_text(const char *s, const char *what)
{
    if (s)
        FUZZ_ASSERT(cn_utf8_valid(s, strlen(s)), what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vp_feed feed;
    memset(&feed, 0, sizeof feed);
    char err[512] = "";
    if (vp_parse((const char *)data, size, "https://example.org/fil/rss.xml", NULL, &feed, err, sizeof err) != 0) {
        FUZZ_ASSERT(err[0] && cn_utf8_valid(err, strlen(err)), "un refus en mots");
        vp_feed_free(&feed);
        return 0;
    }
    check_text(feed.title, "le titre du fil");
    check_text(feed.link, "le lien du fil");
    for (size_t i = 0; i < feed.n; i++) {
        const vp_item *it = &feed.items[i];
        check_text(it->title, "un titre");
        check_text(it->summary, "un résumé");
        check_text(it->guid, "un guid");
        check_text(it->link, "un lien");
        if (it->link && strncmp(it->link, "http://", 7) != 0 && strncmp(it->link, "https://", 8) != 0)
            fprintf(stderr, "fuzz: lien « %s »\n", it->link);
        if (it->link)
            FUZZ_ASSERT(strncmp(it->link, "http://", 7) == 0 || strncmp(it->link, "https://", 8) == 0,
                        "un lien absolu http(s)");
    }
    vp_feed_free(&feed);
    return 0;
}
