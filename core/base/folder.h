/* folder.h: folders concertd writes to (its data, the files it publishes),
 * made or checked before anything is written there. */
#ifndef CN_FOLDER_H
#define CN_FOLDER_H

#include <stdbool.h>

/* Whether path is a folder concertd can write in: 0, or the errno that
 * says why not (cn_strerror). A missing one is created with its parents
 * when create is true; otherwise it is only checked that it could be (the
 * nearest folder above it that exists is writable), for --check-config. */
int cn_folder_ready(const char *path, bool create);

#endif
