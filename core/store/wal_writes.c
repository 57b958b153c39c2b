/* wal_writes.c: see wal_writes.h. */
#include "wal_writes.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* What one WAL write may gather before it is written anyway: a batch of
 * commands writes some 30 pages; a bigger transaction goes out in pieces. */
#define GATHER_MAX (512 * 1024)
#define FRAME_HEADER 24 /* SQLite's WAL frame header (wal.c) */
/* The most SQLite's own VFS writes in one call (os_unix.c masks a write's
 * size to 17 bits: it never writes more than a page). */
#define WRITE_MAX 0x1f000

typedef struct {
    sqlite3_file base;   /* our methods */
    sqlite3_file *real;  /* the file as SQLite's own VFS opened it (after this struct) */
    unsigned char *buf;  /* WAL only: bytes gathered for [at, at + len) */
    size_t len;
    sqlite3_int64 at;
    bool closes_commit;  /* the frame header just gathered ends a commit: its page is the last */
} gathered_file;

static sqlite3_vfs vfs;           /* CN_WAL_WRITES_VFS: unix-excl, its xOpen ours */
static sqlite3_vfs *real_vfs;     /* unix-excl, or a default not SQLite's own (register_once) */
static sqlite3_io_methods wal_methods;  /* the real file's, writes gathered */
static sqlite3_io_methods pass_methods; /* the real file's, as they are */

static sqlite3_file *real_of(sqlite3_file *f) { return ((gathered_file *)f)->real; }

/* Writes what is gathered, in one call. On failure the bytes are dropped:
 * SQLite fails the commit and writes its frames again at the next. */
static int write_gathered(gathered_file *g)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; rc == SQLITE_OK && done < g->len;) {
        size_t n = g->len - done < WRITE_MAX ? g->len - done : WRITE_MAX;
        rc = g->real->pMethods->xWrite(g->real, g->buf + done, (int)n, g->at + (sqlite3_int64)done);
        done += n;
    }
    g->len = 0;
    return rc;
}

static int wal_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
    gathered_file *g = (gathered_file *)f;
    if (g->len && (off != g->at + (sqlite3_int64)g->len || g->len + (size_t)amt > GATHER_MAX)) {
        int rc = write_gathered(g);
        if (rc != SQLITE_OK)
            return rc;
    }
    if ((size_t)amt > WRITE_MAX)
        return g->real->pMethods->xWrite(g->real, data, amt, off); /* as SQLite would have */
    if (!g->len)
        g->at = off;
    memcpy(g->buf + g->len, data, (size_t)amt);
    g->len += (size_t)amt;
    if (amt == FRAME_HEADER) {
        /* Bytes 4-7 of a frame header: the database's size after the
         * commit for its last frame, 0 for the others. */
        const unsigned char *h = data;
        g->closes_commit = (h[4] | h[5] | h[6] | h[7]) != 0;
        return SQLITE_OK;
    }
    /* The commit's last page: written before SQLite publishes the commit in
     * the WAL index, where readers learn of it. */
    if (g->closes_commit) {
        g->closes_commit = false;
        return write_gathered(g);
    }
    return SQLITE_OK;
}

/* Every other use of the WAL file sees what was written: gathered bytes first. */
static int wal_read(sqlite3_file *f, void *data, int amt, sqlite3_int64 off)
{
    int rc = write_gathered((gathered_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xRead(real_of(f), data, amt, off);
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    int rc = write_gathered((gathered_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int wal_sync(sqlite3_file *f, int flags)
{
    int rc = write_gathered((gathered_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    int rc = write_gathered((gathered_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int wal_file_control(sqlite3_file *f, int op, void *arg)
{
    int rc = write_gathered((gathered_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int wal_close(sqlite3_file *f)
{
    gathered_file *g = (gathered_file *)f;
    int rc = write_gathered(g);
    int closed = g->real->pMethods->xClose(g->real);
    sqlite3_free(g->buf);
    g->buf = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

/* The rest, as SQLite's own VFS does it (and all of it for the other files). */
static int pass_close(sqlite3_file *f) { return real_of(f)->pMethods->xClose(real_of(f)); }
static int pass_read(sqlite3_file *f, void *data, int amt, sqlite3_int64 off)
{
    return real_of(f)->pMethods->xRead(real_of(f), data, amt, off);
}
static int pass_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
    return real_of(f)->pMethods->xWrite(real_of(f), data, amt, off);
}
static int pass_truncate(sqlite3_file *f, sqlite3_int64 size) { return real_of(f)->pMethods->xTruncate(real_of(f), size); }
static int pass_sync(sqlite3_file *f, int flags) { return real_of(f)->pMethods->xSync(real_of(f), flags); }
static int pass_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
static int pass_file_control(sqlite3_file *f, int op, void *arg)
{
    return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
static int pass_lock(sqlite3_file *f, int lock) { return real_of(f)->pMethods->xLock(real_of(f), lock); }
static int pass_unlock(sqlite3_file *f, int lock) { return real_of(f)->pMethods->xUnlock(real_of(f), lock); }
static int pass_check_reserved(sqlite3_file *f, int *out)
{
    return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
static int pass_sector_size(sqlite3_file *f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
static int pass_device(sqlite3_file *f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }
static int pass_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
    return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}
static int pass_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
static void pass_shm_barrier(sqlite3_file *f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
static int pass_shm_unmap(sqlite3_file *f, int delete_flag)
{
    return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}
static int pass_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
    return real_of(f)->pMethods->xFetch(real_of(f), off, amt, out);
}
static int pass_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static int gathered_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)v;
    gathered_file *g = (gathered_file *)f;
    memset(g, 0, sizeof *g);
    g->real = (sqlite3_file *)(g + 1);
    bool wal = flags & SQLITE_OPEN_WAL;
    if (wal && !(g->buf = sqlite3_malloc(GATHER_MAX)))
        return SQLITE_NOMEM;
    int rc = real_vfs->xOpen(real_vfs, name, g->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        sqlite3_free(g->buf);
        g->buf = NULL;
        return rc;
    }
    /* Our methods have the version of the real file's (the same for every
     * file of SQLite's own VFS): none SQLite would call that it lacks. */
    wal_methods.iVersion = pass_methods.iVersion = g->real->pMethods->iVersion < 3 ? g->real->pMethods->iVersion : 3;
    g->base.pMethods = wal ? &wal_methods : &pass_methods;
    return SQLITE_OK;
}

static int registered = SQLITE_ERROR;

static void register_once(void)
{
    /* SQLite's unix-excl: the first connection to read the file takes one
     * lock on it for the whole process, and the WAL index lives in memory,
     * so a transaction takes no lock by system call (six fewer per lone
     * command: +6-8 % with 1 in flight, tools/PERFORMANCE.md). Other
     * connections of this process share that lock; another process cannot
     * open the file while we run. A default that is not SQLite's own (a
     * test's faulty disk, tests/support) is wrapped as it is. */
    sqlite3_vfs *def = sqlite3_vfs_find(NULL);
    if (!def)
        return;
    sqlite3_vfs *excl = sqlite3_vfs_find("unix-excl");
    if (excl && strcmp(def->zName, "unix") == 0)
        def = excl;
    real_vfs = def;
    vfs = *def;
    vfs.pNext = NULL;
    vfs.zName = CN_WAL_WRITES_VFS;
    vfs.szOsFile = (int)sizeof(gathered_file) + def->szOsFile;
    vfs.xOpen = gathered_open;
    pass_methods = (sqlite3_io_methods){
        .iVersion = 3,
        .xClose = pass_close,
        .xRead = pass_read,
        .xWrite = pass_write,
        .xTruncate = pass_truncate,
        .xSync = pass_sync,
        .xFileSize = pass_file_size,
        .xLock = pass_lock,
        .xUnlock = pass_unlock,
        .xCheckReservedLock = pass_check_reserved,
        .xFileControl = pass_file_control,
        .xSectorSize = pass_sector_size,
        .xDeviceCharacteristics = pass_device,
        .xShmMap = pass_shm_map,
        .xShmLock = pass_shm_lock,
        .xShmBarrier = pass_shm_barrier,
        .xShmUnmap = pass_shm_unmap,
        .xFetch = pass_fetch,
        .xUnfetch = pass_unfetch,
    };
    /* The WAL's: the same, but what writes or looks at the file. */
    wal_methods = pass_methods;
    wal_methods.xClose = wal_close;
    wal_methods.xRead = wal_read;
    wal_methods.xWrite = wal_write;
    wal_methods.xTruncate = wal_truncate;
    wal_methods.xSync = wal_sync;
    wal_methods.xFileSize = wal_file_size;
    wal_methods.xFileControl = wal_file_control;
    /* The default from now on: every connection this process opens to the
     * database (the checkpointer's, a backup's) must go through the same
     * locks, or its own would undo the process's (POSIX locks are the
     * process's, not the connection's). */
    registered = sqlite3_vfs_register(&vfs, 1);
}

int cn_wal_writes_register(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_once);
    return registered;
}
