/* tmpdir.h: a fresh directory under /tmp for a unit test, removed whole
 * after it (every unit test is built with tmpdir.c). */
#ifndef CN_TEST_TMPDIR_H
#define CN_TEST_TMPDIR_H

#include <stddef.h>

/* Makes /tmp/concertd-unit-<name>-XXXXXX, its path into dir (cap bytes):
 * 0, or -1 (errno set). */
int cn_test_tmpdir_make(char *dir, size_t cap, const char *name);

/* Removes dir and everything under it (not following links): 0, or -1. */
int cn_test_tmpdir_remove(const char *dir);

#endif
