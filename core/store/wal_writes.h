/* wal_writes.h: the WAL written in one system call per commit.
 *
 * SQLite writes each WAL frame as two writes (its 24-byte header, then its
 * page): some sixty system calls for a batch of commands, a good part of
 * the loop's time on a virtual machine. Opened through this VFS (SQLite's
 * own, its WAL writes gathered), a database's commit writes its frames at
 * once when its last frame is written, before SQLite publishes the commit
 * in the WAL index where readers learn of it; the WAL's bytes on disk and
 * what each flush covers are what they were. Any other use of the WAL file
 * (read, sync, size, truncate, close) writes what is gathered first.
 *
 * The database is held by this process alone while it has it open: the VFS
 * is SQLite's unix-excl (one lock for the process, the WAL index in its
 * memory: no lock taken by system call per transaction), and the process's
 * default, so that every connection it opens shares that lock. Another
 * program (the sqlite3 shell) gets "database is locked" meanwhile: a copy
 * is read with node.backup (concertctl backup). */
#ifndef CN_WAL_WRITES_H
#define CN_WAL_WRITES_H

#include <sqlite3.h>

#define CN_WAL_WRITES_VFS "concertd-wal"

/* Registers the VFS, as the process's default, once: SQLITE_OK or an error. */
int cn_wal_writes_register(void);

#endif
