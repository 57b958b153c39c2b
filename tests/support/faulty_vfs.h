/* faulty_vfs.h: a SQLite VFS for tests that fails the Nth I/O. It wraps
 * the default VFS (registered as the new default) and counts every read,
 * write, sync and truncate of every file; once armed with n, the nth such
 * call (and, if sticky, every one after) fails with SQLITE_IOERR_*, as a
 * failing disk would. SQLite's own test suite loops the same way. */
#ifndef CN_FAULTY_VFS_H
#define CN_FAULTY_VFS_H

#include <stdbool.h>

/* Registers the shim as the default VFS (once). Returns SQLITE_OK. */
int faulty_vfs_install(void);

/* Fails the nth I/O from now (1 = the next one); sticky: and every one
 * after, until disarmed (a disk that stays broken). */
void faulty_vfs_arm(int n, bool sticky);
void faulty_vfs_disarm(void);

/* Whether a fault was injected since the last arm. */
bool faulty_vfs_fired(void);

/* How many writes reached the real files so far (each xWrite call). */
long faulty_vfs_writes(void);

#endif
