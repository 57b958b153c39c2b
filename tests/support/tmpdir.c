/* tmpdir.c: see tmpdir.h. */
#define _XOPEN_SOURCE 700
#include "tmpdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

int cn_test_tmpdir_make(char *dir, size_t cap, const char *name)
{
    int n = snprintf(dir, cap, "/tmp/concertd-unit-%s-XXXXXX", name);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *st, int kind, struct FTW *ftw)
{
    (void)st;
    (void)kind;
    (void)ftw;
    return remove(path);
}

int cn_test_tmpdir_remove(const char *dir)
{
    /* Depth first (a directory after what it holds), links not followed. */
    return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}
