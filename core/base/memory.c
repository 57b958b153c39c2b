/* memory.c: see memory.h. */
#include "memory.h"

#include <malloc.h>
#include <stdbool.h>

#if __has_include(<mimalloc.h>)
#include <mimalloc.h>
/* Weak: a build without mimalloc (the sanitizers bring their own malloc)
 * links, and finds them null. */
#pragma weak mi_collect
#pragma weak mi_option_get
#pragma weak mi_option_set
#define WITH_MIMALLOC_H 1
#endif

static int floods; /* going on now (one per endpoint at most) */
#ifdef WITH_MIMALLOC_H
static long usual_delay; /* mimalloc's decommit delay, kept while floods go on */
#endif

void cn_memory_flood_begins(void)
{
    if (floods++ > 0)
        return;
#ifdef WITH_MIMALLOC_H
    if (mi_option_set) {
        usual_delay = mi_option_get(mi_option_decommit_delay);
        mi_option_set(mi_option_decommit_delay, 0);
    }
#endif
}

void cn_memory_flood_ends(void)
{
    if (floods == 0 || --floods > 0)
        return;
#ifdef WITH_MIMALLOC_H
    if (mi_collect) {
        /* Forced: the blocks other threads freed (ZeroMQ's I/O thread frees
         * the replies it queued) are gathered, and free pages given back. */
        mi_collect(true);
        mi_option_set(mi_option_decommit_delay, usual_delay);
        return;
    }
#endif
    malloc_trim(0); /* glibc's heap */
}
