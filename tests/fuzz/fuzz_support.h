/* fuzz_support.h: what the harnesses share. A broken invariant aborts
 * (libFuzzer then keeps the input as a crash), with what was broken. */
#ifndef CN_FUZZ_SUPPORT_H
#define CN_FUZZ_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>


#define FUZZ_ASSERT(cond, what)                                                                   \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: invariant rompu (%s:%d): %s\n", __FILE__, __LINE__, (what)); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
