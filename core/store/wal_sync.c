/* wal_sync.c: see wal_sync.h. */
#include "wal_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thread.h"

struct cn_wal_sync {
    sqlite3 *db;
    int fd;           /* the WAL file, ours (opened by cn_wal_sync_new) */
    cn_wal_synced_fn fn;
    void *data;
    uv_thread_t thread;
    uv_async_t async; /* the thread's flush is done */
    uv_mutex_t lock;
    uv_cond_t cond;
    /* Under lock: */
    bool asked, done, quit;
    int err;
    uint64_t ticket;
    /* On the loop thread only: */
    bool busy;
};

/* The thread: one flush at a time, as asked. */
static void flusher(void *arg)
{
    cn_wal_sync *s = arg;
    cn_thread_name("concertd-flush");
    uv_mutex_lock(&s->lock);
    for (;;) {
        while (!s->asked && !s->quit)
            uv_cond_wait(&s->cond, &s->lock);
        if (!s->asked)
            break;
        int fd = s->fd;
        uv_mutex_unlock(&s->lock);
        int err = fdatasync(fd) == 0 ? 0 : errno;
        uv_mutex_lock(&s->lock);
        s->asked = false;
        s->err = err;
        s->done = true;
        uv_cond_signal(&s->cond); /* cn_wal_sync_finish may wait for it */
        uv_async_send(&s->async);
    }
    uv_mutex_unlock(&s->lock);
}

/* The flush's callback, if it is done and not yet called. */
static void collect(cn_wal_sync *s)
{
    uv_mutex_lock(&s->lock);
    bool done = s->done;
    int err = s->err;
    uint64_t ticket = s->ticket;
    s->done = false;
    uv_mutex_unlock(&s->lock);
    if (!done || !s->busy)
        return; /* taken by cn_wal_sync_finish already */
    s->busy = false;
    s->fn(s->data, ticket, err);
}

static void on_flushed(uv_async_t *a) { collect(a->data); }

bool cn_wal_sync_finished(cn_wal_sync *s)
{
    if (!s->busy)
        return false;
    uv_mutex_lock(&s->lock);
    bool done = s->done;
    uv_mutex_unlock(&s->lock);
    return done;
}

void cn_wal_sync_collect(cn_wal_sync *s) { collect(s); }

/* The WAL's descriptor, opened again when its file is gone (SQLite
 * deletes the WAL when a database is closed and makes a new one when it
 * is opened again): a flush of a file no longer the WAL would say nothing. */
static int wal_fd(cn_wal_sync *s)
{
    struct stat st;
    if (s->fd >= 0 && fstat(s->fd, &st) == 0 && st.st_nlink > 0)
        return s->fd;
    const char *path = sqlite3_filename_wal(sqlite3_db_filename(s->db, "main"));
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return -1;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = fd;
    return fd;
}

static void free_closed(uv_handle_t *h) { free(h->data); }

cn_wal_sync *cn_wal_sync_new(uv_loop_t *loop, sqlite3 *db, cn_wal_synced_fn done, void *data)
{
    cn_wal_sync *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->db = db;
    s->fd = -1;
    s->fn = done;
    s->data = data;
    /* Opened now, at the start, rather than at the first flush: a descriptor
     * that cannot be had (too many open) is said before any change waits. */
    if (wal_fd(s) < 0 || uv_async_init(loop, &s->async, on_flushed) != 0) {
        if (s->fd >= 0)
            close(s->fd);
        free(s);
        return NULL;
    }
    s->async.data = s;
    uv_mutex_init(&s->lock);
    uv_cond_init(&s->cond);
    if (uv_thread_create(&s->thread, flusher, s) != 0) {
        uv_cond_destroy(&s->cond);
        uv_mutex_destroy(&s->lock);
        uv_close((uv_handle_t *)&s->async, free_closed);
        return NULL;
    }
    return s;
}

bool cn_wal_sync_busy(const cn_wal_sync *s) { return s->busy; }

int cn_wal_sync_start(cn_wal_sync *s, uint64_t ticket)
{
    if (s->busy || wal_fd(s) < 0)
        return -1;
    s->busy = true;
    uv_mutex_lock(&s->lock);
    s->ticket = ticket;
    s->asked = true;
    uv_cond_signal(&s->cond);
    uv_mutex_unlock(&s->lock);
    return 0;
}

/* Flushes the WAL now, on the calling thread: 0, or an errno. */
static int sync_now(cn_wal_sync *s)
{
    if (s->busy)
        return EBUSY;
    int fd = wal_fd(s);
    if (fd < 0)
        return errno ? errno : EIO;
    return fdatasync(fd) == 0 ? 0 : errno;
}

int cn_wal_sync_finish(cn_wal_sync *s)
{
    uv_mutex_lock(&s->lock);
    while (s->asked)
        uv_cond_wait(&s->cond, &s->lock);
    int err = s->busy && s->done ? s->err : 0;
    s->done = false;
    uv_mutex_unlock(&s->lock);
    s->busy = false;
    int now = sync_now(s);
    return err ? err : now;
}

void cn_wal_sync_destroy(cn_wal_sync **sp)
{
    if (!sp || !*sp)
        return;
    cn_wal_sync *s = *sp;
    uv_mutex_lock(&s->lock);
    s->quit = true;
    uv_cond_signal(&s->cond);
    uv_mutex_unlock(&s->lock);
    uv_thread_join(&s->thread);
    uv_cond_destroy(&s->cond);
    uv_mutex_destroy(&s->lock);
    if (s->fd >= 0)
        close(s->fd);
    uv_close((uv_handle_t *)&s->async, free_closed);
    *sp = NULL;
}
