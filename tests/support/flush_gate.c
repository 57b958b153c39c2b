/* flush_gate.c: a preloaded library (LD_PRELOAD) standing between a
 * concertd under test and its disk's flushes, for the WAL file only
 * (a path ending in "-wal"):
 *   - while the file named by $FLUSH_GATE exists, fdatasync and fsync
 *     wait for it to go (the disk is "slow": what waits for the flush
 *     must wait too) — but one flush held there goes through each time
 *     the file named by $FLUSH_PASS appears (it is taken: removed);
 *   - while the file named by $FLUSH_FAIL exists, they fail with EIO
 *     (the disk says the data may not be there).
 * Everything else goes to the C library's own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int is_wal(int fd)
{
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 4)
        return 0;
    path[n] = '\0';
    return strcmp(path + n - 4, "-wal") == 0;
}

static int exists(const char *env)
{
    const char *path = getenv(env);
    return path && access(path, F_OK) == 0;
}

/* 0 to flush for real, -1 (errno EIO) to fail. */
static int gate(int fd)
{
    if (!is_wal(fd))
        return 0;
    const char *pass = getenv("FLUSH_PASS");
    while (exists("FLUSH_GATE") && !(pass && unlink(pass) == 0)) {
        struct timespec step = {0, 5 * 1000 * 1000};
        nanosleep(&step, NULL);
    }
    if (exists("FLUSH_FAIL")) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return gate(fd) != 0 ? -1 : real(fd);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return gate(fd) != 0 ? -1 : real(fd);
}
