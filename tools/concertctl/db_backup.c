/* db_backup.c: see db_backup.h. The daemon takes the copy off its loop
 * (node.backup), this program waits for it (node.backup_status), reads it
 * in pieces (node.backup_read) into FILE.part, flushes it to the disk,
 * checks it (integrity_check, a concertd database) and only then names it
 * FILE: a FILE that exists is a whole, checked backup. */
#include "db_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup.h" /* core/store: the checks a copy passes */
#include "mp.h"
#include "table.h"
#include "text.h"

#define T(fr, en) (ctl_en() ? (en) : (fr))

/* One call; 0 with *result (in *reply, to destroy), or 1 after saying why. */
static int call(const ctl_conn *conn, const char *op, int64_t id, int64_t offset, ctl_reply *reply,
                const msgpack_object **result)
{
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, (id > 0) + (offset >= 0));
    if (id > 0)
        cn_pk_kint(&pk, "id", id);
    if (offset >= 0)
        cn_pk_kint(&pk, "offset", offset);
    char err[512];
    int rc = ctl_call(conn, op, args.data, args.size, reply, err, sizeof err);
    msgpack_sbuffer_destroy(&args);
    if (rc != 0) {
        fprintf(stderr, "concertctl: unavailable: %s\n", err);
        return 1;
    }
    const msgpack_object *ok = cn_mp_get(&reply->up.data, "ok");
    if (!ok || ok->type != MSGPACK_OBJECT_BOOLEAN || !ok->via.boolean) {
        const msgpack_object *e = cn_mp_get(&reply->up.data, "error");
        const msgpack_object *code = cn_mp_get(e, "code"), *msg = cn_mp_get(e, "message");
        fprintf(stderr, "concertctl: %.*s: %.*s\n", code ? (int)code->via.str.size : 0, code ? code->via.str.ptr : "",
                msg ? (int)msg->via.str.size : 0, msg ? msg->via.str.ptr : "");
        ctl_reply_destroy(reply);
        return 1;
    }
    *result = cn_mp_get(&reply->up.data, "result");
    return 0;
}

static int64_t int_of(const msgpack_object *map, const char *key)
{
    const msgpack_object *o = cn_mp_get(map, key);
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)o->via.u64 : 0;
}

static bool is(const msgpack_object *map, const char *key, const char *value)
{
    const msgpack_object *o = cn_mp_get(map, key);
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(value) &&
           memcmp(o->via.str.ptr, value, o->via.str.size) == 0;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts a job on the daemon's worker (start_op), then asks status_op how
 * it stands until it is no longer running: 0 with its last state in
 * *reply / *r (destroy *reply), or 1 after saying why. */
static int run_job(const ctl_conn *conn, const char *start_op, const char *status_op, ctl_reply *reply,
                   const msgpack_object **r)
{
    if (call(conn, start_op, 0, -1, reply, r) != 0)
        return 1;
    int64_t id = int_of(*r, "id");
    ctl_reply_destroy(reply);
    for (;;) {
        if (call(conn, status_op, id, -1, reply, r) != 0)
            return 1;
        if (!is(*r, "state", "running"))
            return 0;
        ctl_reply_destroy(reply);
        pause_ms(50);
    }
}

static void sync_folder_of(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int ctl_backup(const ctl_conn *conn, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0) {
        fprintf(argc ? stdout : stderr, "%s",
                T("Usage: concertctl backup FICHIER\nCopie cohérente de toute la base du démon (plans, journal des "
                  "événements, tables des greffons), prise sans l'arrêter, écrite dans FICHIER puis vérifiée.\n"
                  "Pour revenir à cet état : concertd --restore FICHIER, le démon arrêté.\n",
                  "Usage: concertctl backup FILE\nA consistent copy of the daemon's whole database (plans, event "
                  "log, plugins' tables), taken without stopping it, written to FILE then checked.\nTo go back to "
                  "it: concertd --restore FILE, the daemon stopped.\n"));
        return argc ? 0 : 2;
    }
    const char *file = argv[0];
    if (access(file, F_OK) == 0) {
        fprintf(stderr, "concertctl: conflict: %s : %s\n", file,
                T("existe déjà (une sauvegarde ne se remplace pas par mégarde : un autre nom)",
                  "exists already (a backup is not replaced by accident: another name)"));
        return 2;
    }
    char part[4200];
    snprintf(part, sizeof part, "%s.part", file);
    ctl_reply reply;
    const msgpack_object *r;
    if (run_job(conn, "node.backup", "node.backup_status", &reply, &r) != 0)
        return 1;
    int64_t id = int_of(r, "id");
    if (!is(r, "state", "ready")) {
        const msgpack_object *e = cn_mp_get(r, "error");
        fprintf(stderr, "concertctl: internal: %s : %.*s\n", T("la copie a échoué", "the copy failed"),
                e && e->type == MSGPACK_OBJECT_STR ? (int)e->via.str.size : 0,
                e && e->type == MSGPACK_OBJECT_STR ? e->via.str.ptr : "");
        ctl_reply_destroy(&reply);
        return 1;
    }
    int64_t size = int_of(r, "size");
    ctl_reply_destroy(&reply);
    int fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "concertctl: invalid_argument: %s : %s\n", part, cn_strerror(errno));
        return 2;
    }
    int64_t offset = 0;
    int status = 0;
    while (status == 0) {
        if (call(conn, "node.backup_read", id, offset, &reply, &r) != 0) {
            status = 1;
            break;
        }
        const msgpack_object *data = cn_mp_get(r, "data"), *eof = cn_mp_get(r, "eof");
        if (!data || data->type != MSGPACK_OBJECT_BIN ||
            write(fd, data->via.bin.ptr, data->via.bin.size) != (ssize_t)data->via.bin.size) {
            fprintf(stderr, "concertctl: internal: %s : %s\n", part,
                    data ? cn_strerror(errno) : T("réponse sans données", "reply without data"));
            status = 1;
        }
        offset += data ? data->via.bin.size : 0;
        bool done = eof && eof->type == MSGPACK_OBJECT_BOOLEAN && eof->via.boolean;
        ctl_reply_destroy(&reply);
        if (done)
            break;
    }
    if (status == 0 && (fsync(fd) != 0 || offset != size)) {
        fprintf(stderr, "concertctl: internal: %s : %s\n", part,
                offset != size ? T("copie incomplète", "incomplete copy") : cn_strerror(errno));
        status = 1;
    }
    if (close(fd) != 0 && status == 0) {
        fprintf(stderr, "concertctl: internal: %s : %s\n", part, cn_strerror(errno));
        status = 1;
    }
    cn_backup what;
    char why[1024];
    const char *node = "";
    if (status == 0 && cn_backup_inspect(part, node, &what, why, sizeof why) != 0) {
        fprintf(stderr, "concertctl: internal: %s\n", why);
        status = 1;
    }
    if (status == 0 && rename(part, file) != 0) {
        fprintf(stderr, "concertctl: internal: %s : %s\n", file, cn_strerror(errno));
        status = 1;
    }
    if (status != 0) {
        unlink(part);
        return status;
    }
    sync_folder_of(file);
    printf(T("Sauvegarde écrite : %s — %.1f Mo, schéma %d, %lld événements ; vérifiée (integrity_check).\n"
             "Pour revenir à cet état : concertd --restore %s (le démon arrêté).\n",
             "Backup written: %s — %.1f MB, schema %d, %lld events; checked (integrity_check).\n"
             "To go back to it: concertd --restore %s (the daemon stopped).\n"),
           file, (double)size / 1e6, what.schema, (long long)what.events, file);
    return 0;
}

int ctl_db_check(const ctl_conn *conn, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "check") != 0 || (argc > 1 && strcmp(argv[1], "--help") == 0)) {
        fprintf(argc > 1 ? stdout : stderr, "%s",
                T("Usage: concertctl db check\nLe démon vérifie toute sa base (integrity_check) sans s'arrêter.\n",
                  "Usage: concertctl db check\nThe daemon checks its whole database (integrity_check) without "
                  "stopping.\n"));
        return argc > 1 ? 0 : 2;
    }
    ctl_reply reply;
    const msgpack_object *r;
    if (run_job(conn, "node.check_db", "node.check_db", &reply, &r) != 0)
        return 1;
    const msgpack_object *said = cn_mp_get(r, "said"), *sound = cn_mp_get(r, "sound");
    bool ok = sound && sound->type == MSGPACK_OBJECT_BOOLEAN && sound->via.boolean;
    fprintf(ok ? stdout : stderr, "%.*s\n", said && said->type == MSGPACK_OBJECT_STR ? (int)said->via.str.size : 0,
            said && said->type == MSGPACK_OBJECT_STR ? said->via.str.ptr : "");
    ctl_reply_destroy(&reply);
    return ok ? 0 : 1;
}
