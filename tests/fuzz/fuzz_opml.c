/* fuzz_opml.c: OPML import (the list of feeds a reader exports).
 * Invariants: read or refused in words; every field valid UTF-8; what is
 * read, written back as OPML, reads back the same feeds. */
#include <string.h>

#include "fuzz_support.h"
#include "opml.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    opml_feed *feeds = NULL;
    size_t n = 0;
    char err[512] = "";
    if (opml_read((const char *)data, size, &feeds, &n, err, sizeof err) != 0) {
        FUZZ_ASSERT(err[0] && cn_utf8_valid(err, strlen(err)), "un refus en mots");
        free(feeds);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const opml_feed *f = &feeds[i];
        FUZZ_ASSERT(cn_utf8_valid(f->url, strlen(f->url)) && cn_utf8_valid(f->title, strlen(f->title)) &&
                        cn_utf8_valid(f->site, strlen(f->site)) && cn_utf8_valid(f->tags, strlen(f->tags)),
                    "des champs en UTF-8 valide");
    }
    char *again = opml_write(feeds, n, "Fuzz");
    if (again) {
        opml_feed *back = NULL;
        size_t m = 0;
        FUZZ_ASSERT(opml_read(again, strlen(again), &back, &m, err, sizeof err) == 0, "ce qu'on écrit se relit");
        FUZZ_ASSERT(m == n, "autant de fils");
        for (size_t i = 0; i < n; i++)
            FUZZ_ASSERT(strcmp(back[i].url, feeds[i].url) == 0, "les mêmes adresses");
        free(back);
        free(again);
    }
    free(feeds);
    return 0;
}
