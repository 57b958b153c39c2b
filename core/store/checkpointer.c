/* checkpointer.c: see checkpointer.h. */
#include "checkpointer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <uv.h>

#include "log.h"
#include "thread.h"

/* SQLite's own threshold (its default wal_autocheckpoint): the thread is
 * asked each time the WAL has grown by this much. */
enum { CHECKPOINT_FRAMES = 1000 };
/* The WAL starts over only when all of it is copied: the thread gets there
 * whenever no commit comes while it copies; under a steady load the
 * connection finishes the copy itself once the WAL holds this many frames
 * (some 40 MiB), at the cost of two flushes on its thread — once the thread
 * has left it no more than FINISH_FRAMES to copy (it is asked again until
 * then: each copy is shorter than the one before), or whatever is left
 * once the WAL holds twice as many (a writer faster than the copies; the
 * thread's copy in flight then waited for). */
enum { RESTART_FRAMES = 10000, FINISH_FRAMES = 300 };

struct cn_checkpointer {
    sqlite3 *db;  /* the daemon's connection, used on its thread only */
    sqlite3 *own; /* the thread's */
    uv_thread_t thread;
    uv_mutex_t lock;
    uv_cond_t cond;     /* asked, or quit */
    uv_cond_t finished; /* done */
    /* Under lock: */
    bool asked, done, quit;
    int rc;        /* the finished checkpoint's */
    long copied;   /* frames the thread copied, in all */
    /* The committing thread's: the thread was asked and its end not yet
     * seen; the WAL's size when it was asked, and at which to ask it again. */
    bool in_flight;
    int asked_frames, next_frames;
};

/* SQLite flushes the database after a checkpoint only when it copied the
 * whole WAL, which the thread seldom does under load: flushed here, so
 * that the committing side's last copy (complete, flushed) has little of
 * the thread's writes left to wait for. */
static int sync_database(sqlite3 *own)
{
    sqlite3_file *f = NULL;
    int rc = sqlite3_file_control(own, "main", SQLITE_FCNTL_FILE_POINTER, &f);
    if (rc == SQLITE_OK && (!f || !f->pMethods))
        rc = SQLITE_IOERR;
    return rc == SQLITE_OK ? f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) : rc;
}

static void run(void *arg)
{
    cn_checkpointer *c = arg;
    cn_thread_name("concertd-ckpt");
    uv_mutex_lock(&c->lock);
    for (;;) {
        while (!c->asked && !c->quit)
            uv_cond_wait(&c->cond, &c->lock);
        if (!c->asked)
            break;
        c->asked = false;
        uv_mutex_unlock(&c->lock);
        int copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->own, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, &copied);
        if (rc == SQLITE_OK)
            rc = sync_database(c->own);
        uv_mutex_lock(&c->lock);
        c->rc = rc;
        c->copied += copied > 0 ? copied : 0;
        c->done = true;
        uv_cond_signal(&c->finished);
    }
    uv_mutex_unlock(&c->lock);
}

/* SQLite's WAL hook, after each COMMIT that wrote, on the committing thread. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    cn_checkpointer *c = arg;
    if (frames < c->next_frames - CHECKPOINT_FRAMES)
        c->next_frames = CHECKPOINT_FRAMES; /* the WAL started over */
    if (c->in_flight) {
        uv_mutex_lock(&c->lock);
        /* Twice the bound and the thread still copying (a slow disk, a
         * writer far faster): waited for, as SQLite's own checkpoint would
         * have been, so that the WAL stays bounded. */
        while (!c->done && frames >= 2 * RESTART_FRAMES)
            uv_cond_wait(&c->finished, &c->lock);
        bool done = c->done;
        int rc = c->rc;
        c->done = false;
        uv_mutex_unlock(&c->lock);
        if (!done)
            return SQLITE_OK;
        c->in_flight = false;
        bool failed = rc != SQLITE_OK && rc != SQLITE_BUSY;
        if (failed)
            cn_warn("recopie du journal (WAL) dans la base impossible en arrière-plan (%s) : faite ici à la place",
                    sqlite3_errstr(rc));
        /* The thread copied what was there when it began. Past the bound,
         * what was committed since is copied here (SQLite's own checkpoint),
         * so that the WAL starts over at the next transaction, once it is
         * little; and here at once if the thread could not. */
        if (failed || frames >= 2 * RESTART_FRAMES ||
            (frames >= RESTART_FRAMES && frames - c->asked_frames <= FINISH_FRAMES)) {
            sqlite3_wal_checkpoint(db, name);
            c->next_frames = CHECKPOINT_FRAMES;
            return SQLITE_OK;
        }
        if (frames < RESTART_FRAMES)
            return SQLITE_OK;
    }
    if (frames >= c->next_frames || frames >= RESTART_FRAMES) {
        uv_mutex_lock(&c->lock);
        c->asked = true;
        uv_cond_signal(&c->cond);
        uv_mutex_unlock(&c->lock);
        c->in_flight = true;
        c->asked_frames = frames;
        c->next_frames = frames + CHECKPOINT_FRAMES;
    }
    return SQLITE_OK;
}

cn_checkpointer *cn_checkpointer_new(sqlite3 *db)
{
    const char *file = sqlite3_db_filename(db, "main");
    if (!file || !*file)
        return NULL; /* in memory: no WAL */
    cn_checkpointer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->db = db;
    c->next_frames = CHECKPOINT_FRAMES;
    /* Read once: a connection knows its database is in WAL mode (and will
     * checkpoint it) only once it has read it. */
    if (sqlite3_open_v2(file, &c->own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(c->own, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(c->own);
        free(c);
        return NULL;
    }
    uv_mutex_init(&c->lock);
    uv_cond_init(&c->cond);
    uv_cond_init(&c->finished);
    if (uv_thread_create(&c->thread, run, c) != 0) {
        uv_cond_destroy(&c->finished);
        uv_cond_destroy(&c->cond);
        uv_mutex_destroy(&c->lock);
        sqlite3_close(c->own);
        free(c);
        return NULL;
    }
    sqlite3_wal_hook(db, on_commit, c);
    return c;
}

long cn_checkpointer_copied(cn_checkpointer *c)
{
    uv_mutex_lock(&c->lock);
    long n = c->copied;
    uv_mutex_unlock(&c->lock);
    return n;
}

void cn_checkpointer_destroy(cn_checkpointer **cp)
{
    if (!cp || !*cp)
        return;
    cn_checkpointer *c = *cp;
    sqlite3_wal_autocheckpoint(c->db, CHECKPOINT_FRAMES); /* SQLite's hook again */
    uv_mutex_lock(&c->lock);
    c->quit = true;
    uv_cond_signal(&c->cond);
    uv_mutex_unlock(&c->lock);
    uv_thread_join(&c->thread);
    uv_cond_destroy(&c->finished);
    uv_cond_destroy(&c->cond);
    uv_mutex_destroy(&c->lock);
    sqlite3_close(c->own);
    free(c);
    *cp = NULL;
}
