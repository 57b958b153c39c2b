/* render_status.c: concertctl status — node.status for a person, a few
 * lines an operator reads at a glance (PROTOCOL.md, node.status). */
#include <stdio.h>
#include <string.h>

#include "mp.h"
#include "mpnum.h"
#include "render.h"
#include "table.h"

#define T(fr, en) (ctl_en() ? (en) : (fr))

static double num(const msgpack_object *map, const char *key) { return cn_mp_number(cn_mp_get(map, key)); }

static const char *str(const msgpack_object *map, const char *key, char *buf, size_t cap)
{
    const msgpack_object *o = cn_mp_get(map, key);
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return NULL;
    snprintf(buf, cap, "%.*s", (int)o->via.str.size, o->via.str.ptr);
    return buf;
}

/* 2 j 3 h, 4 h 12 min, 35 s. */
static void duration(double s, char *out, size_t cap)
{
    long t = (long)s;
    if (t >= 86400)
        snprintf(out, cap, T("%ld j %ld h", "%ld d %ld h"), t / 86400, t % 86400 / 3600);
    else if (t >= 3600)
        snprintf(out, cap, "%ld h %ld min", t / 3600, t % 3600 / 60);
    else if (t >= 60)
        snprintf(out, cap, "%ld min %ld s", t / 60, t % 60);
    else
        snprintf(out, cap, "%ld s", t);
}

/* v with two decimals as the reader writes them: 2,78 in French, 2.78 in
 * English. Each call has its own buffer among the last eight. */
static const char *dec(double v)
{
    static char ring[8][32];
    static unsigned next;
    char *s = ring[next++ % 8];
    snprintf(s, sizeof ring[0], "%.2f", v);
    char *point = strchr(s, '.');
    if (point && !ctl_en())
        *point = ',';
    return s;
}

static void latency(const msgpack_object *h)
{
    printf("p50 %s ms, p90 %s ms, p99 %s ms, max %s ms", dec(num(h, "p50_ms")), dec(num(h, "p90_ms")),
           dec(num(h, "p99_ms")), dec(num(h, "max_ms")));
}

void ctl_render_status(const msgpack_object *r)
{
    char a[512], b[512], up[64];
    duration(num(r, "uptime_s"), up, sizeof up);
    printf(T("Nœud %s (concertd %s), en marche depuis %s\n", "Node %s (concertd %s), running for %s\n"),
           str(r, "node", a, sizeof a), str(r, "version", b, sizeof b), up);
    const msgpack_object *db = cn_mp_get(r, "db");
    printf(T("Base      : %s — %s Mo (WAL %s Mo), dernier événement n° %.0f\n",
             "Database  : %s — %s MB (WAL %s MB), last event no. %.0f\n"),
           str(db, "file", a, sizeof a), dec(num(db, "size_bytes") / 1e6), dec(num(db, "wal_bytes") / 1e6),
           num(db, "last_seq"));
    const msgpack_object *c = cn_mp_get(r, "commands");
    printf(T("Commandes : %.0f (%s par seconde depuis le démarrage), %.0f en erreur ; latence ",
             "Commands  : %.0f (%s per second since the start), %.0f failed; latency "),
           num(c, "total"), dec(num(c, "per_second")), num(c, "errors"));
    latency(cn_mp_get(c, "latency"));
    if (num(c, "batches_redone") > 0) /* a command failed after it wrote: its batch was handled again */
        printf(T(" ; %.0f lot(s) repris après l'échec d'une commande", "; %.0f batch(es) redone after a command failed"),
               num(c, "batches_redone"));
    const msgpack_object *commits = cn_mp_get(r, "commits");
    double n = num(commits, "count");
    printf(n < 2 ? T("\nÉcritures : %.0f validation (fsync) ; ", "\nWrites    : %.0f commit (fsync); ")
                 : T("\nÉcritures : %.0f validations (fsync) ; ", "\nWrites    : %.0f commits (fsync); "),
           n);
    latency(commits);
    const msgpack_object *rem = cn_mp_get(r, "reminders");
    printf(T("\nRappels   : %.0f à envoyer (jusqu'au %s), %.0f envoyés aujourd'hui\n",
             "\nReminders : %.0f to send (up to %s), %.0f sent today\n"),
           num(rem, "due"), str(rem, "today", a, sizeof a), num(rem, "sent_today"));
    const msgpack_object *fed = cn_mp_get(r, "federation");
    for (uint32_t i = 0; fed && fed->type == MSGPACK_OBJECT_ARRAY && i < fed->via.array.size; i++) {
        const msgpack_object *p = &fed->via.array.ptr[i], *connected = cn_mp_get(p, "connected");
        bool on = connected && connected->type == MSGPACK_OBJECT_BOOLEAN && connected->via.boolean;
        const msgpack_object *contact = cn_mp_get(p, "seconds_since_contact");
        char since[64] = "—";
        if (contact && contact->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            duration((double)contact->via.u64, since, sizeof since);
        printf(T("Pair      : %s — %s, retard %.0f événement(s) / %.0f s, dernier contact il y a %s\n",
                 "Peer      : %s — %s, lag %.0f event(s) / %.0f s, last contact %s ago\n"),
               str(p, "peer", a, sizeof a), on ? T("relié", "connected") : T("NON RELIÉ", "NOT CONNECTED"),
               num(p, "lag_events"), num(p, "lag_seconds"), since);
        if (str(p, "last_error", b, sizeof b))
            printf("            %s\n", b);
    }
    const msgpack_object *plugins = cn_mp_get(r, "plugins");
    for (uint32_t i = 0; plugins && plugins->type == MSGPACK_OBJECT_ARRAY && i < plugins->via.array.size; i++) {
        const msgpack_object *p = &plugins->via.array.ptr[i], *figures = cn_mp_get(p, "figures");
        const char *state = str(p, "state", b, sizeof b);
        const char *said = !state ? "?" : !strcmp(state, "running") ? T("en marche", "running")
                                       : !strcmp(state, "refused")   ? T("REFUSÉ", "REFUSED")
                                       : !strcmp(state, "stopped")   ? T("ARRÊTÉ", "STOPPED")
                                                                     : state;
        printf(T("Greffon   : %-10s %-10s", "Plugin    : %-10s %-10s"), str(p, "name", a, sizeof a), said);
        if (num(p, "op_errors") || num(p, "event_errors") || num(p, "callback_errors"))
            printf(T(" erreurs %.0f/%.0f/%.0f (cmd/évén./rappels)", " errors %.0f/%.0f/%.0f (op/event/callback)"),
                   num(p, "op_errors"), num(p, "event_errors"), num(p, "callback_errors"));
        for (uint32_t k = 0; figures && figures->type == MSGPACK_OBJECT_MAP && k < figures->via.map.size; k++) {
            const msgpack_object *key = &figures->via.map.ptr[k].key;
            if (key->type == MSGPACK_OBJECT_STR) {
                char v[64];
                printf(" %.*s %s", (int)key->via.str.size, key->via.str.ptr,
                       ctl_scalar(&figures->via.map.ptr[k].val, v, sizeof v, false));
            }
        }
        printf("\n");
    }
}
