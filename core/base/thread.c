/* thread.c: see thread.h. */
#define _GNU_SOURCE
#include "thread.h"

#include <pthread.h>
#include <string.h>

void cn_thread_name(const char *name)
{
    char cut[16];
    size_t len = strlen(name);
    if (len > sizeof cut - 1)
        len = sizeof cut - 1;
    memcpy(cut, name, len);
    cut[len] = '\0';
    pthread_setname_np(pthread_self(), cut);
}
