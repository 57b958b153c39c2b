/* folder.c: see folder.h. */
#include "folder.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether path (missing) could be created: the nearest folder above it
 * that exists is one we may write in. */
static int creatable(const char *path)
{
    char up[PATH_MAX];
    snprintf(up, sizeof up, "%s", path);
    for (;;) {
        char *slash = strrchr(up, '/');
        if (!slash)
            snprintf(up, sizeof up, ".");
        else if (slash == up)
            up[1] = '\0';
        else
            *slash = '\0';
        struct stat st;
        if (stat(up, &st) == 0)
            return !S_ISDIR(st.st_mode) ? ENOTDIR : access(up, W_OK | X_OK) == 0 ? 0 : errno;
        if (errno != ENOENT)
            return errno;
        if (strcmp(up, ".") == 0 || strcmp(up, "/") == 0)
            return ENOENT;
    }
}

/* mkdir -p */
static int make_folders(const char *path)
{
    char part[PATH_MAX];
    snprintf(part, sizeof part, "%s", path);
    for (char *p = part + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(part, 0755) != 0 && errno != EEXIST)
                return errno;
            *p = '/';
        }
    return mkdir(part, 0755) != 0 && errno != EEXIST ? errno : 0;
}

int cn_folder_ready(const char *path, bool create)
{
    if (!path || !*path)
        return ENOENT;
    if (strlen(path) >= PATH_MAX)
        return ENAMETOOLONG;
    struct stat st;
    if (stat(path, &st) == 0)
        return !S_ISDIR(st.st_mode) ? ENOTDIR : access(path, W_OK | X_OK) == 0 ? 0 : errno;
    if (errno != ENOENT)
        return errno;
    return create ? make_folders(path) : creatable(path);
}
