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

#ifdef WITH_MIMALLOC_H
static long usual_delay = -1; /* mimalloc's decommit delay, while a flood lasts */
#endif

void cn_memory_flood_begins(void)
{
#ifdef WITH_MIMALLOC_H
    if (mi_option_set && usual_delay < 0) {
        usual_delay = mi_option_get(mi_option_decommit_delay);
        mi_option_set(mi_option_decommit_delay, 0);
    }
#endif
}

void cn_memory_flood_ends(void)
{
#ifdef WITH_MIMALLOC_H
    if (mi_collect) {
        /* Forced: the blocks other threads freed (ZeroMQ's I/O thread frees
         * the replies it queued) are gathered, and free pages given back. */
        mi_collect(true);
        if (usual_delay >= 0)
            mi_option_set(mi_option_decommit_delay, usual_delay);
        usual_delay = -1;
        return;
    }
#endif
    malloc_trim(0); /* glibc's heap */
}
