/* backup.c: see backup.h. */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "text.h"

/* The checks every copy passes: a database SQLite finds sound
 * (integrity_check), made by concertd (its event log), and what it holds. */
static int inspect(sqlite3 *db, const char *what, const char *node_id, cn_backup *out, char *err, size_t errcap)
{
    sqlite3_stmt *st;
    char verdict[256] = "";
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(verdict, sizeof verdict, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (strcmp(verdict, "ok") != 0) {
        snprintf(err, errcap, "%s : base abîmée ou pas une base SQLite (%s)", what,
                 verdict[0] ? verdict : sqlite3_errmsg(db));
        return -1;
    }
    out->schema = cn_db_version(db);
    if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(CASE WHEN origin = ? THEN seq END), 0) FROM events",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errcap, "%s : pas une base de concertd (pas de journal des événements)", what);
        return -1;
    }
    sqlite3_bind_text(st, 1, node_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->events = sqlite3_column_int64(st, 0);
        out->last_seq = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (out->schema <= 0) {
        snprintf(err, errcap, "%s : pas une base de concertd (schéma %d)", what, out->schema);
        return -1;
    }
    return 0;
}

int cn_backup_take(const char *data_dir, const char *node_id, cn_backup *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    snprintf(path, sizeof path, "%s/concertd.db", data_dir);
    sqlite3 *src = NULL, *dst = NULL;
    int rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_open(":memory:", &dst);
    if (rc != SQLITE_OK) {
        snprintf(err, errcap, "%s : %s", path, src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
        sqlite3_close(src);
        sqlite3_close(dst);
        return -1;
    }
    /* One step for the whole file: one read transaction, one consistent
     * state, while the daemon's connection keeps writing to the WAL. */
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    rc = b ? SQLITE_OK : sqlite3_errcode(dst);
    for (int tries = 0; b && tries < 500; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        sqlite3_sleep(10);
    }
    if (b)
        sqlite3_backup_finish(b);
    int status = -1;
    if (rc != SQLITE_DONE) {
        snprintf(err, errcap, "copie de %s impossible : %s", path, sqlite3_errstr(rc));
    } else if (inspect(dst, "la copie", node_id, out, err, errcap) == 0) {
        sqlite3_int64 size = 0;
        unsigned char *bytes = sqlite3_serialize(dst, "main", &size, 0); /* SQLite's memory: cn_backup_free */
        if (!bytes || size <= 100) {
            snprintf(err, errcap, "mémoire insuffisante pour la copie (%lld octets)", (long long)size);
            sqlite3_free(bytes);
        } else {
            out->bytes = bytes;
            out->size = (size_t)size;
            /* A file of its own: "legacy" journal, not WAL (file format, offsets 18 and 19). */
            out->bytes[18] = out->bytes[19] = 1;
            status = 0;
        }
    }
    sqlite3_close(src);
    sqlite3_close(dst);
    return status;
}

void cn_backup_free(cn_backup *b)
{
    sqlite3_free(b->bytes);
    b->bytes = NULL;
    b->size = 0;
}

int cn_backup_inspect(const char *file, const char *node_id, cn_backup *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    if (access(file, R_OK) != 0) {
        snprintf(err, errcap, "%s : %s", file, cn_strerror(errno));
        return -1;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL);
    int status = rc == SQLITE_OK ? inspect(db, file, node_id, out, err, errcap) : -1;
    if (rc != SQLITE_OK)
        snprintf(err, errcap, "%s : %s", file, sqlite3_errstr(rc));
    sqlite3_close(db);
    return status;
}

/* Copies from into to (created, not there before), flushed to the disk. */
static int copy_file(const char *from, const char *to, char *err, size_t errcap)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
    if (in < 0) {
        snprintf(err, errcap, "%s : %s", from, cn_strerror(errno));
        return -1;
    }
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (out < 0) {
        snprintf(err, errcap, "%s : %s", to, cn_strerror(errno));
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int status = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            status = -1;
            break;
        }
    if (n < 0 || status != 0 || fsync(out) != 0) {
        snprintf(err, errcap, "%s : %s", to, cn_strerror(errno ? errno : EIO));
        status = -1;
    }
    if (close(out) != 0 && status == 0) {
        snprintf(err, errcap, "%s : %s", to, cn_strerror(errno));
        status = -1;
    }
    close(in);
    if (status != 0)
        unlink(to);
    return status;
}

static void sync_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int cn_backup_restore(const char *data_dir, const char *node_id, const char *file, char *said, size_t saidcap,
                      char *err, size_t errcap)
{
    cn_backup what;
    if (cn_backup_inspect(file, node_id, &what, err, errcap) != 0)
        return -1;
    if (mkdir(data_dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "%s : %s", data_dir, cn_strerror(errno));
        return -1;
    }
    int lock = cn_db_take_lock(data_dir, err, errcap);
    if (lock < 0)
        return -1;
    char db[4096], part[4200], aside[4200], from[4200], to[4300];
    snprintf(db, sizeof db, "%s/concertd.db", data_dir);
    snprintf(part, sizeof part, "%s.restauration", db);
    unlink(part); /* a restore interrupted before */
    int status = copy_file(file, part, err, errcap);
    aside[0] = '\0';
    if (status == 0 && access(db, F_OK) == 0) {
        /* Nothing is deleted: the current database (and its WAL) is kept aside. */
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
        snprintf(aside, sizeof aside, "%s.avant-restauration-%s", db, stamp);
        snprintf(from, sizeof from, "%s-wal", db);
        snprintf(to, sizeof to, "%s-wal", aside);
        if (rename(db, aside) != 0 || (access(from, F_OK) == 0 && rename(from, to) != 0)) {
            snprintf(err, errcap, "%s : mise de côté impossible : %s", db, cn_strerror(errno));
            status = -1;
        }
        snprintf(from, sizeof from, "%s-shm", db);
        unlink(from);
    }
    if (status == 0 && rename(part, db) != 0) {
        snprintf(err, errcap, "%s : %s", db, cn_strerror(errno));
        status = -1;
    }
    if (status != 0)
        unlink(part);
    sync_folder(data_dir);
    cn_db_release_lock(lock);
    if (status == 0)
        snprintf(said, saidcap,
                 "%s restaurée depuis %s : schéma %d, %lld événements, dernier n° %lld de ce nœud (%s)%s%s", db, file,
                 what.schema, (long long)what.events, (long long)what.last_seq, node_id,
                 aside[0] ? " ; l'ancienne base est gardée sous " : "", aside);
    return status;
}
