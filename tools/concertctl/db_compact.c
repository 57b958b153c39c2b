/* db_compact.c: see db_compact.h. */
#include "db_compact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "mpnum.h"
#include "table.h"
#include "text.h"

#define T(fr, en) (ctl_en() ? (en) : (fr))

static const char usage_fr[] =
    "Usage: concertctl db compact [--days N] [--dry-run]\n"
    "Retire du journal les événements de plus de N jours ([storage] keep_events_days par défaut), jamais ceux\n"
    "qu'un pair déclaré ou un greffon n'a pas encore lus. --dry-run compte seulement.\n";
static const char usage_en[] =
    "Usage: concertctl db compact [--days N] [--dry-run]\n"
    "Removes events older than N days ([storage] keep_events_days by default) from the log, never those a\n"
    "declared peer or a plugin has yet to read. --dry-run only counts.\n";

static double num_of(const msgpack_object *map, const char *key)
{
    const msgpack_object *o = cn_mp_get(map, key);
    return o ? cn_mp_number(o) : 0;
}

/* What one call said, origin by origin; adds its count to *total. */
static void say(const msgpack_object *r, bool dry, double *total)
{
    *total += num_of(r, dry ? "removable" : "removed");
    const msgpack_object *origins = cn_mp_get(r, "origins");
    for (uint32_t i = 0; origins && origins->type == MSGPACK_OBJECT_ARRAY && i < origins->via.array.size; i++) {
        const msgpack_object *o = &origins->via.array.ptr[i], *name = cn_mp_get(o, "origin"),
                             *by = cn_mp_get(o, "held_by");
        double held = num_of(o, "held_back");
        printf("  %.*s : %.0f%s", name && name->type == MSGPACK_OBJECT_STR ? (int)name->via.str.size : 0,
               name && name->type == MSGPACK_OBJECT_STR ? name->via.str.ptr : "", num_of(o, dry ? "removable" : "removed"),
               dry ? T(" à retirer", " to remove") : T(" retiré(s)", " removed"));
        if (held > 0 && by && by->type == MSGPACK_OBJECT_STR)
            printf(T(" ; %.0f gardé(s) pour %.*s", "; %.0f kept for %.*s"), held, (int)by->via.str.size, by->via.str.ptr);
        printf("\n");
    }
}

int ctl_db_compact(const ctl_conn *conn, int argc, char **argv)
{
    long days = 0;
    bool dry = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") == 0)
            dry = true;
        else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc && (days = strtol(argv[i + 1], NULL, 10)) > 0)
            i++;
        else {
            fprintf(strcmp(argv[i], "--help") == 0 ? stdout : stderr, "%s", T(usage_fr, usage_en));
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    double total = 0;
    for (bool more = true; more;) {
        msgpack_sbuffer args;
        msgpack_sbuffer_init(&args);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1 + (days > 0));
        cn_pk_kbool(&pk, "dry_run", dry);
        if (days > 0)
            cn_pk_kint(&pk, "days", days);
        ctl_reply reply;
        char err[512];
        int rc = ctl_call(conn, "node.compact", args.data, args.size, &reply, err, sizeof err);
        msgpack_sbuffer_destroy(&args);
        if (rc != 0) {
            fprintf(stderr, "concertctl: unavailable: %s\n", err);
            return 1;
        }
        const msgpack_object *ok = cn_mp_get(&reply.up.data, "ok"), *r = cn_mp_get(&reply.up.data, "result");
        if (!ok || ok->type != MSGPACK_OBJECT_BOOLEAN || !ok->via.boolean) {
            const msgpack_object *msg = cn_mp_get(cn_mp_get(&reply.up.data, "error"), "message");
            fprintf(stderr, "concertctl: %.*s\n", msg && msg->type == MSGPACK_OBJECT_STR ? (int)msg->via.str.size : 0,
                    msg && msg->type == MSGPACK_OBJECT_STR ? msg->via.str.ptr : "");
            ctl_reply_destroy(&reply);
            return 1;
        }
        say(r, dry, &total);
        days = (long)num_of(r, "days");
        const msgpack_object *m = cn_mp_get(r, "more");
        more = m && m->type == MSGPACK_OBJECT_BOOLEAN && m->via.boolean;
        ctl_reply_destroy(&reply);
    }
    printf(dry ? T("%.0f événement(s) de plus de %ld jours à retirer (--dry-run : rien n'est retiré).\n",
                   "%.0f event(s) older than %ld days to remove (--dry-run: nothing removed).\n")
               : T("%.0f événement(s) de plus de %ld jours retiré(s) du journal.\n",
                   "%.0f event(s) older than %ld days removed from the log.\n"),
           total, days);
    return 0;
}
