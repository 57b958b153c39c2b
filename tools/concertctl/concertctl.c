/* concertctl: the command-line client of concertd.
 *
 *   concertctl [--endpoint EP] [--events EP] [--json] [--lang fr|en] NOUN VERB [ARGS] [--OPTIONS]
 *
 * Each subcommand is one row of the table below: the op it sends, the
 * positional arguments (mapped to the op's args in order) and the options
 * (--foo-bar VALUE → args.foo_bar). Errors end with a one-line
 * "concertctl: <code>: <message>" on stderr and a non-zero status. */
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <ctype.h>
#include <stdbool.h>
#include <zmq.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client.h"
#include "daemon_config.h"
#include "db_backup.h"
#include "db_compact.h"
#include "commands.h"
#include "jsonmp.h"
#include "mp.h"
#include "plugin_args.h"
#include "render.h"
#include "table.h"
#include "folder.h"
#include "text.h"
#include "textfile.h"
#include "webuser.h"

/* A file sent as it is (a .docx…): args.text as bytes, added when the args are packed. */
static struct {
    char *data;
    size_t len;
} attached;



#define T(fr, en) (ctl_en() ? (en) : (fr))

static bool known_op(const char *name, size_t len)
{
    for (size_t i = 0; i < ctl_ncommands; i++)
        if (strlen(ctl_commands[i].op) == len && memcmp(ctl_commands[i].op, name, len) == 0)
            return true;
    return false;
}

static const ctl_conn *usage_conn;
static void plugin_usage(FILE *out, const ctl_conn *conn);

static void usage(FILE *out)
{
    fprintf(out, "%s",
            T("Usage: concertctl [OPTIONS GLOBALES] NOM VERBE [ARGUMENTS] [--OPTIONS]\n\n"
              "Options globales:\n"
              "  --endpoint EP   socket de commandes (défaut : $CONCERTD_ENDPOINT, [bus] command de la configuration\n"
              "                  du démon, sinon tcp://127.0.0.1:7410)\n"
              "  --events EP     socket d'événements (défaut : $CONCERTD_EVENTS, [bus] events, sinon tcp://127.0.0.1:7411)\n"
              "  --config FILE   configuration du démon, pour ses adresses (défaut : $CONCERTD_CONFIG, sinon pour\n"
              "                  " CONCERTD_INSTALLED_PATH " " CONCERTD_SYSTEM_CONFIG " s'il existe)\n"
              "  --json          sortie JSON pour les scripts\n"
              "  --lang fr|en    langue des messages (défaut fr, ou $CONCERTD_LANG)\n"
              "  --as NOM        qui fait les changements, dans l'historique (défaut : l'utilisateur du système)\n"
              "  --timeout MS    délai de réponse (défaut 5000, ou $CONCERTCTL_TIMEOUT_MS)\n"
              "  --version       version\n\n"
              "Commandes:\n",
              "Usage: concertctl [GLOBAL OPTIONS] NOUN VERB [ARGUMENTS] [--OPTIONS]\n\n"
              "Global options:\n"
              "  --endpoint EP   command socket (default: $CONCERTD_ENDPOINT, [bus] command of the daemon's\n"
              "                  configuration, else tcp://127.0.0.1:7410)\n"
              "  --events EP     event socket (default: $CONCERTD_EVENTS, [bus] events, else tcp://127.0.0.1:7411)\n"
              "  --config FILE   the daemon's configuration, for its addresses (default: $CONCERTD_CONFIG, else for\n"
              "                  " CONCERTD_INSTALLED_PATH " " CONCERTD_SYSTEM_CONFIG " when it exists)\n"
              "  --json          JSON output for scripts\n"
              "  --lang fr|en    message language (default fr, or $CONCERTD_LANG)\n"
              "  --as NAME       who makes the changes, in the history (default: the system's user)\n"
              "  --timeout MS    reply timeout (default 5000, or $CONCERTCTL_TIMEOUT_MS)\n"
              "  --version       version\n\n"
              "Commands:\n"));
    for (size_t i = 0; i < ctl_ncommands; i++) {
        char line[128];
        snprintf(line, sizeof line, "%s %s", ctl_commands[i].noun, ctl_commands[i].verb);
        for (int p = 0; p < 4 && ctl_commands[i].pos[p]; p++) {
            size_t len = strlen(line);
            snprintf(line + len, sizeof line - len, " %s", ctl_commands[i].pos[p]);
        }
        fprintf(out, "  %-40s %s\n", line, T(ctl_commands[i].help_fr, ctl_commands[i].help_en));
    }
    fprintf(out, "  %-40s %s\n", "tail [region]", T("affiche les événements en direct", "prints live events"));
    fprintf(out, "  %-40s %s\n", "call OP [JSON]", T("envoie une opération brute", "sends a raw operation"));
    fprintf(out, "  %-40s %s\n", "backup FILE",
            T("sauvegarde à chaud de toute la base, vérifiée", "hot backup of the whole database, checked"));
    fprintf(out, "  %-40s %s\n", "db check",
            T("le démon vérifie toute sa base sans s'arrêter", "the daemon checks its whole database without stopping"));
    fprintf(out, "  %-40s %s\n", "db compact [--days N] [--dry-run]",
            T("retire du journal les événements anciens (ceux que tous ont lus)",
              "removes old events from the log (those everyone has read)"));
    plugin_usage(out, usage_conn);
    fprintf(out, "%s", T("\n«concertctl NOM VERBE --help» détaille une commande. Exemple:\n"
                         "  concertctl action show lanaudiere 2.3\n",
                         "\n\"concertctl NOUN VERB --help\" details a command. Example:\n"
                         "  concertctl action show lanaudiere 2.3\n"));
}

static void command_help(const command *c)
{
    printf("Usage: concertctl %s%s%s", c->noun, *c->verb ? " " : "", c->verb);
    for (int p = 0; p < 4 && c->pos[p]; p++)
        printf(" %s", c->pos[p]);
    printf(" [--OPTIONS]\n%s (op %s)\n", T(c->help_fr, c->help_en), c->op);
    for (const opt *o = c->opts; o->name; o++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s%s", o->name, o->type == 'f' ? "" : " VALEUR");
        printf("  %-26s %s\n", flag, T(o->help_fr, o->help_en));
    }
}

/* Where the last node.info of a daemon is kept, so that --help lists its
 * plugins' commands while it is stopped: ~/.cache/concertctl/ (or
 * $XDG_CACHE_HOME), one file per command endpoint. */
static void cache_path(const ctl_conn *conn, char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char name[200];
    size_t n = 0;
    for (const char *p = conn->endpoint; *p && n + 1 < sizeof name; p++)
        name[n++] = isalnum((unsigned char)*p) ? *p : '_';
    name[n] = '\0';
    if (xdg && *xdg)
        snprintf(out, cap, "%s/concertctl/node-info-%s.msgpack", xdg, name);
    else if (home && *home)
        snprintf(out, cap, "%s/.cache/concertctl/node-info-%s.msgpack", home, name);
    else
        out[0] = '\0';
}

static time_t ops_cached_at; /* when the list shown came from the cache, else 0 */

/* Keeps node.info's reply (best effort: a cache). */
static void cache_store(const ctl_conn *conn, const msgpack_object *reply)
{
    char path[4096], tmp[4200];
    cache_path(conn, path, sizeof path);
    if (!path[0])
        return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    cn_folder_ready(dir, true);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_object(&pk, *reply);
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f && fwrite(buf.data, 1, buf.size, f) == buf.size && fclose(f) == 0)
        rename(tmp, path);
    else if (f)
        fclose(f);
    unlink(tmp);
    msgpack_sbuffer_destroy(&buf);
}

/* The cached reply, into reply (as ctl_call fills it). 0, or -1. */
static int cache_load(const ctl_conn *conn, ctl_reply *reply)
{
    char path[4096];
    cache_path(conn, path, sizeof path);
    struct stat st;
    FILE *f = path[0] ? fopen(path, "rb") : NULL;
    if (!f)
        return -1;
    if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 || st.st_size > (16 << 20)) {
        fclose(f);
        return -1;
    }
    reply->frame = malloc((size_t)st.st_size);
    msgpack_unpacked_init(&reply->up);
    bool ok = reply->frame && fread(reply->frame, 1, (size_t)st.st_size, f) == (size_t)st.st_size &&
              msgpack_unpack_next(&reply->up, reply->frame, (size_t)st.st_size, NULL) == MSGPACK_UNPACK_SUCCESS;
    fclose(f);
    if (!ok) {
        ctl_reply_destroy(reply);
        return -1;
    }
    ops_cached_at = st.st_mtime;
    return 0;
}

/* The ops the daemon has beyond this table (plugins'), from node.info, or
 * from the last one kept when the daemon does not answer. Returns 0 and
 * fills *reply (the caller destroys it), or -1. */
static int daemon_ops(const ctl_conn *conn, ctl_reply *reply, const msgpack_object **ops)
{
    char err[256];
    ctl_conn quick = *conn;
    if (quick.timeout_ms > 1000)
        quick.timeout_ms = 1000;
    ops_cached_at = 0;
    if (ctl_call(&quick, "node.info", NULL, 0, reply, err, sizeof err) == 0)
        cache_store(conn, &reply->up.data);
    else if (cache_load(conn, reply) != 0)
        return -1;
    *ops = cn_mp_get(cn_mp_get(&reply->up.data, "result"), "ops");
    if (!*ops || (*ops)->type != MSGPACK_OBJECT_ARRAY) {
        ctl_reply_destroy(reply);
        return -1;
    }
    return 0;
}

static bool known_op(const char *name, size_t len);

static void plugin_usage(FILE *out, const ctl_conn *conn)
{
    ctl_reply reply;
    const msgpack_object *ops;
    if (daemon_ops(conn, &reply, &ops) != 0)
        return;
    bool first = true;
    for (uint32_t i = 0; i < ops->via.array.size; i++) {
        const msgpack_object *op = &ops->via.array.ptr[i], *name = cn_mp_get(op, "name"), *help = cn_mp_get(op, "help");
        if (!name || name->type != MSGPACK_OBJECT_STR || known_op(name->via.str.ptr, name->via.str.size))
            continue;
        if (first && ops_cached_at) {
            char when[32];
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime(&ops_cached_at));
            fprintf(out, T("\nOpérations des greffons (le démon ne répond pas : liste retenue le %s) :\n",
                           "\nPlugin operations (the daemon does not answer: list kept on %s):\n"),
                    when);
        } else if (first) {
            fprintf(out, "%s", T("\nOpérations des greffons de ce démon (--CLÉ VALEUR pour leurs arguments):\n",
                                 "\nThis daemon's plugin operations (--KEY VALUE for their arguments):\n"));
        }
        first = false;
        char line[128];
        snprintf(line, sizeof line, "%.*s", (int)name->via.str.size, name->via.str.ptr);
        char *dot = strchr(line, '.');
        if (dot)
            *dot = ' ';
        fprintf(out, "  %-40s %.*s\n", line, help ? (int)help->via.str.size : 0, help ? help->via.str.ptr : "");
    }
    ctl_reply_destroy(&reply);
}

static int fail(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "concertctl: %s: ", code);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* Adds one value to the JSON args. */
static int put(json_t *args, const char *key, char type, const char *value)
{
    char *end;
    json_t *v = NULL;
    switch (type) {
    case 'i': {
        long long n = strtoll(value, &end, 10);
        if (*end || !*value)
            return fail("invalid_argument", T("« %s » n'est pas un entier", "\"%s\" is not an integer"), value);
        v = json_integer(n);
        break;
    }
    case 'n':
    case 'v': {
        double d = strtod(value, &end);
        if (*end || !*value)
            return fail("invalid_argument", T("« %s » n'est pas un nombre", "\"%s\" is not a number"), value);
        v = json_real(d);
        break;
    }
    case 'f': {
        json_error_t err;
        v = json_load_file(value, 0, &err);
        if (!v) {
            fprintf(stderr, "concertctl: invalid_argument: %s:%d: %s\n", value, err.line, err.text);
            return 2;
        }
        break;
    }
    case 't': {
        size_t len;
        bool converted;
        char *raw = ctl_read_file(value, &len);
        if (raw && ctl_is_document(raw, len)) {
            /* A .docx, .odt… goes as it is, as bytes: the daemon reads it. */
            free(attached.data);
            attached.data = raw;
            attached.len = len;
            json_object_del(args, "text");
            v = json_string(value);
            key = "_file";
            break;
        }
        free(raw);
        char *text = ctl_read_text(value, &len, &converted);
        if (!text)
            return fail("invalid_argument", T("%s: %s", "%s: %s"), value,
                        errno == EILSEQ ? T("ce n'est pas un fichier texte", "not a text file") : cn_strerror(errno));
        if (converted)
            fprintf(stderr, "%s", T("concertctl: fichier en Windows-1252, converti en UTF-8\n",
                                    "concertctl: file in Windows-1252, converted to UTF-8\n"));
        json_object_set_new(args, "text", json_stringn(text, len));
        free(text);
        v = json_string(value);
        key = "_file";
        break;
    }
    case 'l':
    case 'w': {
        json_t *list = json_object_get(args, key);
        if (!list) {
            list = json_array();
            json_object_set_new(args, key, list);
        }
        if (type == 'l') {
            json_array_append_new(list, json_string(value));
        } else if (strcmp(value, "ongoing") == 0 || strcmp(value, "on_demand") == 0) {
            json_array_append_new(list, json_pack("{s:s}", "kind", value));
        } else {
            const char *dots = strstr(value, "..");
            char start[32];
            if (!dots || dots - value >= (long)sizeof start)
                return fail("invalid_argument", T("--window %s: attendu DÉBUT..FIN (AAAA-MM-JJ..AAAA-MM-JJ)",
                                                  "--window %s: expected START..END (YYYY-MM-DD..YYYY-MM-DD)"),
                            value);
            snprintf(start, sizeof start, "%.*s", (int)(dots - value), value);
            json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "kind", "dated", "start", start, "end", dots + 2));
        }
        return 0;
    }
    case 'b':
        v = json_true();
        break;
    default:
        v = json_string(value);
    }
    if (!v)
        return fail("invalid_argument", T("valeur illisible: %s", "unreadable value: %s"), value);
    json_object_set_new(args, key, v);
    return 0;
}

static void pack_args(msgpack_packer *pk, json_t *args)
{
    if (!attached.data) {
        cn_json_to_mp(pk, args);
        return;
    }
    msgpack_pack_map(pk, json_object_size(args) + 1);
    const char *k;
    json_t *v;
    json_object_foreach(args, k, v)
    {
        cn_pk_str(pk, k);
        cn_json_to_mp(pk, v);
    }
    cn_pk_str(pk, "text");
    msgpack_pack_bin(pk, attached.len);
    msgpack_pack_bin_body(pk, attached.data, attached.len);
}

/* Sends op with args and shows its result as render_as (usually op). */
static int run_as(const ctl_conn *conn, const char *op, const char *render_as, json_t *args, bool json);

static int run(const ctl_conn *conn, const char *op, json_t *args, bool json) { return run_as(conn, op, op, args, json); }

static int run_as(const ctl_conn *conn, const char *op, const char *render_as, json_t *args, bool json)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    pack_args(&pk, args);
    ctl_reply reply;
    char err[512];
    int status = 0;
    if (ctl_call(conn, op, buf.data, buf.size, &reply, err, sizeof err) != 0) {
        fprintf(stderr, "concertctl: unavailable: %s\n", err);
        status = 1;
    } else {
        const msgpack_object *ok = cn_mp_get(&reply.up.data, "ok");
        if (ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean) {
            const msgpack_object *result = cn_mp_get(&reply.up.data, "result");
            ctl_render(render_as, result, json);
            /* The federation's status says both ways: whom this node follows, and who follows it. */
            if (!json && strcmp(op, "federation.status") == 0) {
                json_t *none = json_object();
                status = run_as(conn, "federation.followers", "federation.followers", none, false);
                json_decref(none);
            }
        } else {
            const msgpack_object *e = cn_mp_get(&reply.up.data, "error");
            const msgpack_object *code = cn_mp_get(e, "code"), *msg = cn_mp_get(e, "message");
            fprintf(stderr, "concertctl: %.*s: %.*s\n", code ? (int)code->via.str.size : 7,
                    code ? code->via.str.ptr : "unknown", msg ? (int)msg->via.str.size : 0, msg ? msg->via.str.ptr : "");
            status = 1;
        }
        ctl_reply_destroy(&reply);
    }
    msgpack_sbuffer_destroy(&buf);
    return status;
}

/* Sends op with args: 0 with the reply's result in *reply (destroy it), or
 * 1 after saying why on stderr. */
static int ask(const ctl_conn *conn, const char *op, json_t *args, ctl_reply *reply, const msgpack_object **result)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    cn_json_to_mp(&pk, args);
    char err[512];
    int rc = ctl_call(conn, op, buf.data, buf.size, reply, err, sizeof err);
    msgpack_sbuffer_destroy(&buf);
    if (rc != 0) {
        fprintf(stderr, "concertctl: unavailable: %s\n", err);
        return 1;
    }
    const msgpack_object *ok = cn_mp_get(&reply->up.data, "ok");
    if (ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean) {
        *result = cn_mp_get(&reply->up.data, "result");
        return 0;
    }
    const msgpack_object *e = cn_mp_get(&reply->up.data, "error");
    const msgpack_object *code = cn_mp_get(e, "code"), *msg = cn_mp_get(e, "message");
    fprintf(stderr, "concertctl: %.*s: %.*s\n", code ? (int)code->via.str.size : 7, code ? code->via.str.ptr : "unknown",
            msg ? (int)msg->via.str.size : 0, msg ? msg->via.str.ptr : "");
    ctl_reply_destroy(reply);
    return 1;
}

/* echeances without a period: what is late first, then what comes due in
 * the next 90 days; said in words when one of them is empty. */
static int echeances_overview(const ctl_conn *conn, json_t *args)
{
    ctl_reply late, coming;
    const msgpack_object *late_rows, *coming_rows;
    json_t *a = json_deep_copy(args);
    json_object_set_new(a, "overdue", json_true());
    int rc = ask(conn, "echeance.list", a, &late, &late_rows);
    json_decref(a);
    if (rc)
        return rc;
    time_t t = time(NULL) + 90 * 86400;
    struct tm tm;
    localtime_r(&t, &tm);
    char to[16];
    strftime(to, sizeof to, "%Y-%m-%d", &tm);
    a = json_deep_copy(args);
    json_object_set_new(a, "to", json_string(to));
    rc = ask(conn, "echeance.list", a, &coming, &coming_rows);
    json_decref(a);
    if (rc) {
        ctl_reply_destroy(&late);
        return rc;
    }
    uint32_t nlate = late_rows && late_rows->type == MSGPACK_OBJECT_ARRAY ? late_rows->via.array.size : 0;
    uint32_t ncoming = coming_rows && coming_rows->type == MSGPACK_OBJECT_ARRAY ? coming_rows->via.array.size : 0;
    printf(T("En retard (%u)\n", "Overdue (%u)\n"), nlate);
    if (nlate)
        ctl_render("echeance.list", late_rows, false);
    else
        printf("%s\n", T("(rien en retard)", "(nothing overdue)"));
    printf(T("\nÀ venir d'ici 90 jours, jusqu'au %s (%u)\n", "\nComing within 90 days, until %s (%u)\n"), to, ncoming);
    if (ncoming)
        ctl_render("echeance.list", coming_rows, false);
    else if (nlate)
        printf(T("(rien d'ici 90 jours ; %u échéance(s) en retard ci-dessus)\n",
                 "(nothing within 90 days; %u overdue above)\n"), nlate);
    else
        printf("%s\n", T("(rien d'ici 90 jours)", "(nothing within 90 days)"));
    ctl_reply_destroy(&late);
    ctl_reply_destroy(&coming);
    return 0;
}

/* echeances over a period: the table, and when it is empty while some are
 * late, says so (an empty list must not read as "all is well"). */
static int echeances_period(const ctl_conn *conn, json_t *args)
{
    ctl_reply reply;
    const msgpack_object *rows;
    if (ask(conn, "echeance.list", args, &reply, &rows))
        return 1;
    uint32_t n = rows && rows->type == MSGPACK_OBJECT_ARRAY ? rows->via.array.size : 0;
    if (n || json_object_get(args, "unparsed") || json_object_get(args, "overdue")) {
        ctl_render("echeance.list", rows, false);
        ctl_reply_destroy(&reply);
        return 0;
    }
    ctl_reply_destroy(&reply);
    json_t *a = json_object();
    if (json_object_get(args, "region"))
        json_object_set(a, "region", json_object_get(args, "region"));
    json_object_set_new(a, "overdue", json_true());
    int rc = ask(conn, "echeance.list", a, &reply, &rows);
    json_decref(a);
    if (rc)
        return rc;
    uint32_t late = rows && rows->type == MSGPACK_OBJECT_ARRAY ? rows->via.array.size : 0;
    if (late)
        printf(T("(rien dans cette période ; mais %u échéance(s) en retard : concertctl echeances --overdue)\n",
                 "(nothing in this period; but %u overdue: concertctl echeances --overdue)\n"), late);
    else
        printf("%s\n", T("(rien dans cette période, et rien en retard)", "(nothing in this period, and nothing overdue)"));
    ctl_reply_destroy(&reply);
    return 0;
}

/* action delete on a terminal: says what goes and asks (--yes for scripts;
 * without a terminal and without --yes, refused: a script says so). 0 to
 * go on, 1 when not confirmed. */
static int confirm_delete(const ctl_conn *conn, json_t *args)
{
    if (json_object_get(args, "yes")) {
        json_object_del(args, "yes");
        return 0;
    }
    if (!isatty(STDIN_FILENO))
        return fail("invalid_argument", "%s",
                    T("supprimer demande une confirmation : --yes (pas de terminal pour la demander)",
                      "deleting asks for confirmation: --yes (no terminal to ask on)")) ? 1 : 1;
    ctl_reply reply;
    const msgpack_object *a;
    if (ask(conn, "action.get", args, &reply, &a))
        return 1;
    const msgpack_object *notes = cn_mp_get(a, "notes"), *inds = cn_mp_get(a, "indicators");
    char num[64], text[512], region[64];
    printf(T("Supprimer l'action %s « %s » (%s), avec %u note(s) et %u indicateur(s) ? "
             "(concertctl undo la ramène) [o/N] ",
             "Delete action %s \"%s\" (%s), with %u note(s) and %u indicator(s)? "
             "(concertctl undo brings it back) [y/N] "),
           ctl_scalar(cn_mp_get(a, "number"), num, sizeof num, false), ctl_scalar(cn_mp_get(a, "text"), text, sizeof text, false),
           ctl_scalar(cn_mp_get(a, "region"), region, sizeof region, false),
           notes && notes->type == MSGPACK_OBJECT_ARRAY ? notes->via.array.size : 0,
           inds && inds->type == MSGPACK_OBJECT_ARRAY ? inds->via.array.size : 0);
    fflush(stdout);
    ctl_reply_destroy(&reply);
    char line[16] = "";
    if (!fgets(line, sizeof line, stdin) || (line[0] != 'o' && line[0] != 'O' && line[0] != 'y' && line[0] != 'Y')) {
        printf("%s\n", T("Rien n'a été supprimé.", "Nothing was deleted."));
        return 1;
    }
    return 0;
}

/* region delete: archiving asks yes or no; erasing for good (--purge) asks
 * for the region's id typed again. --yes for scripts. 0 to go on. */
static int confirm_region_delete(const ctl_conn *conn, json_t *args)
{
    bool wipe = json_is_true(json_object_get(args, "purge"));
    if (json_object_get(args, "yes")) {
        json_object_del(args, "yes");
        return 0;
    }
    if (!isatty(STDIN_FILENO))
        return fail("invalid_argument", "%s",
                    T("archiver ou effacer une région demande une confirmation : --yes (pas de terminal pour la "
                      "demander)",
                      "archiving or erasing a region asks for confirmation: --yes (no terminal to ask on)")) ? 1 : 1;
    json_t *get = json_pack("{s:O}", "id", json_object_get(args, "id"));
    ctl_reply reply;
    const msgpack_object *r;
    int asked = ask(conn, "region.get", get, &reply, &r);
    json_decref(get);
    if (asked)
        return 1;
    char id[64], name[256];
    const msgpack_object *plans = cn_mp_get(r, "plans");
    ctl_scalar(cn_mp_get(r, "id"), id, sizeof id, false);
    ctl_scalar(cn_mp_get(r, "name"), name, sizeof name, false);
    unsigned n = plans && plans->type == MSGPACK_OBJECT_ARRAY ? plans->via.array.size : 0;
    ctl_reply_destroy(&reply);
    char line[80] = "";
    if (!wipe) {
        printf(T("Archiver la région %s (%s, %u plan(s)) ? Elle reste, en lecture seule, hors des listes et des "
                 "rappels ; concertctl region restore la rouvre. [o/N] ",
                 "Archive region %s (%s, %u plan(s))? It stays, read-only, out of lists and reminders; "
                 "concertctl region restore reopens it. [y/N] "),
               name, id, n);
        fflush(stdout);
        if (fgets(line, sizeof line, stdin) && strchr("oOyY", line[0]) && line[0])
            return 0;
        printf("%s\n", T("Rien n'a été archivé.", "Nothing was archived."));
        return 1;
    }
    printf(T("Effacer pour de bon la région %s (%s) : ses %u plan(s), actions, notes, mesures, activités, adhésions "
             "et abonnements, et les données de son historique ? Rien ne pourra la ramener.\n"
             "Tapez son identifiant (%s) pour confirmer : ",
             "Erase region %s (%s) for good: its %u plan(s), actions, notes, measurements, activities, memberships "
             "and subscriptions, and the data of its history? Nothing can bring it back.\n"
             "Type its id (%s) to confirm: "),
           name, id, n, id);
    fflush(stdout);
    if (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, id) == 0)
            return 0;
    }
    printf("%s\n", T("Rien n'a été effacé.", "Nothing was erased."));
    return 1;
}

/* plan report: the bilan written to a file (--output, or its own name here). */
static int write_report(const ctl_conn *conn, json_t *args, bool json)
{
    char output[1024] = "";
    const char *o = json_string_value(json_object_get(args, "_output"));
    if (o)
        snprintf(output, sizeof output, "%s", o);
    json_object_del(args, "_output");
    /* --output bilan.docx says the format when --format does not. */
    const char *dot = strrchr(output, '.');
    if (dot && !json_object_get(args, "format")) {
        const char *format = strcasecmp(dot, ".docx") == 0                                   ? "docx"
                             : strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0 ? "html"
                                                                                            : NULL;
        if (format)
            json_object_set_new(args, "format", json_string(format));
    }
    ctl_reply reply;
    const msgpack_object *r;
    if (ask(conn, "plan.report", args, &reply, &r))
        return 1;
    const msgpack_object *content = cn_mp_get(r, "content"), *name = cn_mp_get(r, "filename");
    if (!output[0] && name && name->type == MSGPACK_OBJECT_STR)
        snprintf(output, sizeof output, "%.*s", (int)name->via.str.size, name->via.str.ptr);
    const char *data = content && content->type == MSGPACK_OBJECT_BIN   ? content->via.bin.ptr
                       : content && content->type == MSGPACK_OBJECT_STR ? content->via.str.ptr
                                                                        : NULL;
    size_t len = content && content->type == MSGPACK_OBJECT_BIN   ? content->via.bin.size
                 : content && content->type == MSGPACK_OBJECT_STR ? content->via.str.size
                                                                  : 0;
    FILE *f = data && output[0] ? fopen(output, "wb") : NULL;
    bool ok = f && fwrite(data, 1, len, f) == len;
    ok = f && fclose(f) == 0 && ok;
    int err = errno;
    ctl_reply_destroy(&reply);
    if (!ok)
        return fail("unavailable", T("%s : le bilan n'a pu être écrit : %s", "%s: the report could not be written: %s"),
                    output, cn_strerror(err)) ? 1 : 1;
    if (json) {
        json_t *said = json_pack("{s:s, s:I}", "output", output, "bytes", (json_int_t)len);
        json_dumpf(said, stdout, JSON_ENSURE_ASCII);
        putchar('\n');
        json_decref(said);
    } else
        printf(T("Bilan écrit dans %s (%zu Ko).\n", "Report written to %s (%zu KB).\n"), output, (len + 1023) / 1024);
    return 0;
}

/* A document sent as it is must fit in one message of the daemon's bus:
 * said before sending (the bus would drop a larger one without a word). */
static int attached_fits(const ctl_conn *conn)
{
    if (attached.len < 256 * 1024)
        return 0; /* small enough for any configuration worth running: no round trip */
    json_t *none = json_object();
    ctl_reply reply;
    const msgpack_object *info;
    int rc = ask(conn, "node.info", none, &reply, &info);
    json_decref(none);
    if (rc)
        return 1;
    const msgpack_object *max = cn_mp_get(info, "max_message_size");
    long limit = max && max->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (long)max->via.u64 : 0;
    ctl_reply_destroy(&reply);
    if (limit && (long)attached.len + 4096 > limit)
        return fail("invalid_argument",
                    T("le fichier fait %.1f Mio, plus que les %.1f Mio qu'un message peut porter jusqu'au démon : "
                      "augmentez [bus] max_message_size dans sa configuration (puis redémarrez-le), ou retirez "
                      "du document ses images",
                      "the file is %.1f MiB, more than the %.1f MiB a message to the daemon may carry: raise [bus] "
                      "max_message_size in its configuration (then restart it), or remove the document's images"),
                    attached.len / 1048576.0, limit / 1048576.0) ? 1 : 1;
    return 0;
}

/* The import command's file: its format from --format or the extension;
 * an exported JSON document is sent as the document itself. */
static int import_args(json_t *args)
{
    const char *file = json_string_value(json_object_get(args, "_file"));
    const char *format = json_string_value(json_object_get(args, "format"));
    const char *dot = strrchr(file, '.');
    if (!format && attached.data)
        format = "office"; /* a document as it is: the daemon knows it by its content */
    if (!format)
        format = dot && strcasecmp(dot, ".csv") == 0 ? "csv" : dot && strcasecmp(dot, ".json") == 0 ? "document" : "table";
    json_object_set_new(args, "format", json_string(format));
    if (!json_object_get(args, "region"))
        return fail("invalid_argument", "%s", T("--region RÉGION manquant (concertctl import --help)",
                                                "--region REGION missing (concertctl import --help)"));
    if (strcmp(format, "document") == 0) {
        json_error_t err;
        const char *text = json_string_value(json_object_get(args, "text"));
        if (text && strncmp(text, "\xEF\xBB\xBF", 3) == 0) /* a BOM, as some Windows editors write */
            text += 3;
        json_t *doc = json_loads(text, 0, &err);
        if (!doc)
            return fail("invalid_argument", "%s:%d: %s", file, err.line, err.text);
        json_object_set_new(args, "document", doc);
        json_object_del(args, "text");
    }
    json_object_del(args, "_file");
    return 0;
}

/* region create/update: --remind-days, --remind-overdue and --follow-up-days
 * become args.reminders. */
static int reminder_args(json_t *args)
{
    json_t *days = json_object_get(args, "remind_days"), *overdue = json_object_get(args, "remind_overdue"),
           *every = json_object_get(args, "follow_up_days");
    if (!days && !overdue && !every)
        return 0;
    json_t *r = json_object();
    if (days) {
        json_t *list = json_array();
        size_t i;
        json_t *d;
        json_array_foreach(days, i, d)
        {
            char *end;
            long v = strtol(json_string_value(d), &end, 10);
            if (*end || v < 0) {
                json_decref(list);
                json_decref(r);
                return fail("invalid_argument", T("--remind-days %s: un nombre de jours", "--remind-days %s: a number of days"),
                            json_string_value(d));
            }
            json_array_append_new(list, json_integer(v));
        }
        json_object_set_new(r, "days", list);
    }
    if (overdue) {
        const char *v = json_string_value(overdue);
        if (!v || (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)) {
            json_decref(r);
            return fail("invalid_argument", "%s", T("--remind-overdue: true ou false", "--remind-overdue: true or false"));
        }
        json_object_set_new(r, "overdue", json_boolean(v[0] == 't'));
    }
    if (every)
        json_object_set(r, "undated_every_days", every);
    json_object_set_new(args, "reminders", r);
    json_object_del(args, "remind_days");
    json_object_del(args, "remind_overdue");
    json_object_del(args, "follow_up_days");
    return 0;
}

/* NOUN VERB for an op the daemon has and this table does not (a plugin's):
 * its arguments read by what the op declares (node.info "params"), so the
 * daemon and this command line agree on every type and limit. */
static int plugin_command(const ctl_conn *conn, const char *noun, const char *verb, int argc, char **argv, bool json)
{
    char opname[128];
    snprintf(opname, sizeof opname, "%s.%s", noun, verb);
    for (char *p = strchr(opname, '.'); p && *p; p++)
        if (*p == '-')
            *p = '_'; /* veille rule-add as veille rule_add */
    ctl_reply reply;
    const msgpack_object *ops, *found = NULL;
    if ((!*verb || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) && daemon_ops(conn, &reply, &ops) == 0) {
        /* "concertctl adhesion --help": the plugin's commands. */
        size_t len = strlen(noun), shown = 0;
        for (uint32_t i = 0; i < ops->via.array.size; i++) {
            const msgpack_object *name = cn_mp_get(&ops->via.array.ptr[i], "name"),
                                 *help = cn_mp_get(&ops->via.array.ptr[i], "help");
            if (!name || name->type != MSGPACK_OBJECT_STR || name->via.str.size <= len + 1 ||
                memcmp(name->via.str.ptr, noun, len) != 0 || name->via.str.ptr[len] != '.')
                continue;
            if (!shown++)
                printf(T("Usage : concertctl %s VERBE [RÉGION] [--CLÉ VALEUR]… ; « concertctl %s VERBE --help » "
                         "détaille un verbe\n\n",
                         "Usage: concertctl %s VERB [REGION] [--KEY VALUE]…; \"concertctl %s VERB --help\" details "
                         "a verb\n\n"),
                       noun, noun);
            printf("  %-22.*s %.*s\n", (int)(name->via.str.size - len - 1), name->via.str.ptr + len + 1,
                   help ? (int)help->via.str.size : 0, help ? help->via.str.ptr : "");
        }
        ctl_reply_destroy(&reply);
        if (shown)
            return 0;
        return fail("bad_request", T("commande inconnue: %s (concertctl --help)", "unknown command: %s (concertctl --help)"),
                    noun) ? 2 : 2;
    }
    if (daemon_ops(conn, &reply, &ops) == 0) {
        for (uint32_t i = 0; i < ops->via.array.size && !found; i++)
            if (cn_mp_str_eq(cn_mp_get(&ops->via.array.ptr[i], "name"), opname))
                found = &ops->via.array.ptr[i];
    } else {
        ops = NULL;
    }
    if (!found) {
        char what[160];
        snprintf(what, sizeof what, "%s %s", noun, verb);
        fail("bad_request", T("commande inconnue: %s (concertctl --help)", "unknown command: %s (concertctl --help)"),
             what);
        if (ops)
            ctl_reply_destroy(&reply);
        return 2;
    }
    const msgpack_object *params = cn_mp_get(found, "params");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            const msgpack_object *help = cn_mp_get(found, "help");
            char usage[256];
            plugin_args_usage(params, usage, sizeof usage);
            printf(T("Usage : concertctl %s %s %s[--CLÉ VALEUR]…\n%.*s (op %s)\n",
                     "Usage: concertctl %s %s %s[--KEY VALUE]…\n%.*s (op %s)\n"),
                   noun, verb, usage, help ? (int)help->via.str.size : 0, help ? help->via.str.ptr : "", opname);
            plugin_args_help(stdout, params);
            ctl_reply_destroy(&reply);
            return 0;
        }
    }
    json_t *args = json_object();
    char err[512];
    int status = plugin_args_read(params, argc, argv, args, err, sizeof err) == 0 ? 0 : fail("invalid_argument", "%s", err);
    ctl_reply_destroy(&reply);
    if (status == 0)
        status = run(conn, opname, args, json);
    json_decref(args);
    return status;
}

/* concertctl keygen --show FILE: the public line of an existing key file. */
static int ctl_keygen_show(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail("invalid_argument", "%s: %s", path, cn_strerror(errno));
    char line[256];
    int status = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "public = ", 9) == 0 && strlen(line) >= 9 + 40) {
            printf("%.40s\n", line + 9);
            status = 0;
            break;
        }
    fclose(f);
    if (status != 0)
        return fail("invalid_argument", T("%s : pas de ligne « public = … » (un fichier fait par concertctl keygen ?)",
                                          "%s: no \"public = …\" line (a file made by concertctl keygen?)"),
                    path);
    return 0;
}

static int ctl_keygen(const char *path, const char *shown)
{
    if (path && strcmp(path, "--show") == 0 && shown)
        return ctl_keygen_show(shown);
    if (!path || strcmp(path, "--help") == 0 || strcmp(path, "--show") == 0) {
        printf("%s", T("Usage: concertctl keygen FICHIER\nCrée la paire de clés CURVE de ce nœud (fédération) dans\n"
                       "FICHIER, lisible de son seul propriétaire, et affiche la clé publique à donner aux pairs.\n"
                       "       concertctl keygen --show FICHIER\nRéaffiche la clé publique de FICHIER.\n",
                       "Usage: concertctl keygen FILE\nCreates this node's CURVE key pair (federation) in FILE,\n"
                       "readable by its owner only, and prints the public key to give to peers.\n"
                       "       concertctl keygen --show FILE\nPrints FILE's public key again.\n"));
        return path && strcmp(path, "--help") == 0 ? 0 : 2;
    }
    char public_key[41], secret_key[41];
    if (zmq_curve_keypair(public_key, secret_key) != 0)
        return fail("internal", T("ZeroMQ sans CURVE (libsodium) : %s", "ZeroMQ without CURVE (libsodium): %s"),
                    cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return fail(errno == EEXIST ? "conflict" : "invalid_argument", "%s: %s", path,
                    errno == EEXIST ? T("existe déjà (une clé ne se remplace pas par mégarde)",
                                        "exists already (a key is not replaced by accident)")
                                    : cn_strerror(errno));
    char text[256];
    int n = snprintf(text, sizeof text,
                     "# concertd : la clé de ce nœud pour la fédération. Secrète : ne partagez que la ligne public.\n"
                     "public = %s\nsecret = %s\n",
                     public_key, secret_key);
    bool ok = write(fd, text, (size_t)n) == n;
    ok = fsync(fd) == 0 && ok;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(path);
        return fail("internal", "%s: %s", path, cn_strerror(errno));
    }
    printf("%s\n", public_key);
    return 0;
}

/* The daemon's addresses, when not given: from its configuration
 * (daemon_config.h), else the source tree's. The strings live until exit. */
static int resolve_endpoints(ctl_conn *conn, const char *daemon_config, char *err, size_t errcap)
{
    char *cmd_ep = NULL, *ev_ep = NULL;
    int rc = 0;
    if (!conn->endpoint || !conn->events)
        rc = ctl_daemon_endpoints(daemon_config, &cmd_ep, &ev_ep, err, errcap);
    if (!conn->endpoint)
        conn->endpoint = cmd_ep ? cmd_ep : "tcp://127.0.0.1:7410";
    else
        free(cmd_ep);
    if (!conn->events)
        conn->events = ev_ep ? ev_ep : "tcp://127.0.0.1:7411";
    else
        free(ev_ep);
    return rc;
}

int main(int argc, char **argv)
{
    ctl_conn conn = {.endpoint = getenv("CONCERTD_ENDPOINT"), .events = getenv("CONCERTD_EVENTS"),
                     .timeout_ms = 5000, .lang = getenv("CONCERTD_LANG")};
    const char *wait = getenv("CONCERTCTL_TIMEOUT_MS"); /* a slow machine, a daemon under valgrind */
    if (wait && atoi(wait) > 0)
        conn.timeout_ms = atoi(wait);
    const char *daemon_config = NULL; /* --config: the daemon's, for its addresses */
    if (!conn.lang || (strcmp(conn.lang, "en") != 0))
        conn.lang = "fr";
    /* People read times in the tables' own time zone unless they chose another. */
    if (!getenv("TZ"))
        setenv("TZ", "America/Toronto", 1);
    tzset();
    bool json = false;
    usage_conn = &conn;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--help") == 0) {
            ctl_set_en(strcmp(conn.lang, "en") == 0);
            char ignored[1024]; /* the help is printed all the same */
            resolve_endpoints(&conn, daemon_config, ignored, sizeof ignored);
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("concertctl %s\n", CONCERTD_VERSION);
            return 0;
        } else if (i + 1 < argc && strcmp(a, "--endpoint") == 0) {
            conn.endpoint = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--events") == 0) {
            conn.events = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--config") == 0) {
            daemon_config = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--timeout") == 0) {
            conn.timeout_ms = atoi(argv[++i]);
        } else if (i + 1 < argc && strcmp(a, "--lang") == 0) {
            conn.lang = strcmp(argv[++i], "en") == 0 ? "en" : "fr";
        } else if (i + 1 < argc && strcmp(a, "--as") == 0) {
            setenv("CONCERTD_ACTOR", argv[++i], 1); /* who the changes are recorded as (client.c) */
        } else {
            ctl_set_en(strcmp(conn.lang, "en") == 0);
            fail("bad_request", T("option globale inconnue: %s (concertctl --help)", "unknown global option: %s (concertctl --help)"), a);
            return 2;
        }
    }
    ctl_set_en(strcmp(conn.lang, "en") == 0);
    char unreadable[1024];
    if (resolve_endpoints(&conn, daemon_config, unreadable, sizeof unreadable) != 0)
        return fail("unavailable", "%s", unreadable);
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *noun = argv[i++];
    if (strcmp(noun, "tail") == 0) {
        char prefix[128] = "";
        if (i < argc && strcmp(argv[i], "--help") == 0) {
            printf("%s", T("Usage: concertctl [--json] tail [RÉGION]\nAffiche les événements publiés, en direct, chacun en une phrase (--json : tels quels).\n",
                           "Usage: concertctl [--json] tail [REGION]\nPrints published events as they happen, each as a sentence (--json: as they are).\n"));
            return 0;
        }
        if (i < argc)
            snprintf(prefix, sizeof prefix, "%s/", argv[i]);
        return ctl_tail(&conn, prefix, json);
    }
    if (strcmp(noun, "keygen") == 0)
        return ctl_keygen(i < argc ? argv[i] : NULL, i + 1 < argc ? argv[i + 1] : NULL);
    if (strcmp(noun, "backup") == 0)
        return ctl_backup(&conn, argc - i, argv + i);
    if (strcmp(noun, "db") == 0 && i < argc && strcmp(argv[i], "compact") == 0)
        return ctl_db_compact(&conn, argc - i, argv + i);
    if (strcmp(noun, "db") == 0)
        return ctl_db_check(&conn, argc - i, argv + i);
    if (strcmp(noun, "web") == 0 && i < argc && strcmp(argv[i], "user") == 0)
        return ctl_web_user(&conn, argc - i - 1, argv + i + 1);
    if (strcmp(noun, "call") == 0) {
        if (i >= argc || strcmp(argv[i], "--help") == 0) {
            printf("%s", T("Usage: concertctl call OP ['{\"arg\": valeur}']\n", "Usage: concertctl call OP ['{\"arg\": value}']\n"));
            return i >= argc ? 2 : 0;
        }
        const char *op = argv[i++];
        json_error_t err;
        json_t *args = i < argc ? json_loads(argv[i], 0, &err) : json_object();
        if (!json_is_object(args)) {
            json_decref(args);
            return fail("bad_request", T("les arguments doivent être un objet JSON: %s", "arguments must be a JSON object: %s"),
                        i < argc ? argv[i] : "");
        }
        int rc = run(&conn, op, args, true);
        json_decref(args);
        return rc;
    }
    /* NOUN VERB when VERB is one of NOUN's verbs, else NOUN alone ("info", "events"). */
    const char *verb = i < argc ? argv[i] : "";
    const command *cmd = NULL;
    for (size_t k = 0; k < ctl_ncommands && !cmd; k++)
        if (strcmp(ctl_commands[k].noun, noun) == 0 && *ctl_commands[k].verb && strcmp(ctl_commands[k].verb, verb) == 0)
            cmd = &ctl_commands[k];
    if (cmd)
        i++;
    for (size_t k = 0; k < ctl_ncommands && !cmd; k++)
        if (strcmp(ctl_commands[k].noun, noun) == 0 && !*ctl_commands[k].verb)
            cmd = &ctl_commands[k];
    if (!cmd && i < argc)
        i++; /* an unknown verb: maybe a plugin's */
    if (!cmd)
        return plugin_command(&conn, noun, verb, argc - i, argv + i, json);

    for (int k = i; k < argc; k++)
        if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
            command_help(cmd);
            return 0;
        }
    json_t *args = json_object();
    int npos = 0, status = 0;
    for (; i < argc && status == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            command_help(cmd);
            json_decref(args);
            return 0;
        }
        if (strncmp(a, "--", 2) == 0) {
            const opt *o = cmd->opts;
            while (o->name && strcmp(o->name, a + 2) != 0)
                o++;
            if (!o->name) {
                status = fail("invalid_argument", T("option inconnue pour cette commande: %s (--help)",
                                                    "unknown option for this command: %s (--help)"), a);
                break;
            }
            char key[64];
            snprintf(key, sizeof key, "%s", o->arg ? o->arg : o->name);
            for (char *p = key; *p; p++)
                if (*p == '-')
                    *p = '_';
            if (o->type == 'f') {
                status = put(args, key, 'b', "");
            } else if (i + 1 >= argc) {
                status = fail("invalid_argument", T("%s attend une valeur", "%s needs a value"), a);
            } else {
                status = put(args, key, o->type == 'd' ? 's' : o->type, argv[++i]);
            }
            continue;
        }
        if (npos >= 4 || !cmd->pos[npos]) {
            status = fail("invalid_argument", T("argument en trop: %s (--help)", "unexpected argument: %s (--help)"), a);
            break;
        }
        char t = cmd->pos_type[npos];
        status = put(args, cmd->pos[npos], t == 'n' ? 's' : t, a); /* 'n': plan numbering, sent as text */
        npos++;
    }
    if (status == 0) {
        /* plan.list's region is optional; an entity named by --id needs no region and number. */
        bool by_id = json_object_get(args, "id") && strcmp(cmd->pos[0] ? cmd->pos[0] : "", "id") != 0;
        for (int p = npos; p < 4 && cmd->pos[p] && !by_id; p++)
            if (!(strcmp(cmd->op, "plan.list") == 0 || strcmp(cmd->op, "events.undo") == 0 ||
                  (strcmp(cmd->op, "events.history") == 0 && p > 0))) {
                status = fail("invalid_argument", T("argument manquant: %s (--help)", "missing argument: %s (--help)"),
                              cmd->pos[p]);
                break;
            }
    }
    if (status == 0 && json_object_get(args, "_file"))
        status = import_args(args);
    if (status == 0 && attached.data)
        status = attached_fits(&conn);
    if (status == 0)
        status = reminder_args(args);
    bool period = json_object_get(args, "from") || json_object_get(args, "to") || json_object_get(args, "unparsed") ||
                  json_object_get(args, "overdue") || json_object_get(args, "include_closed");
    if (status == 0 && ((strcmp(cmd->op, "action.delete") == 0 && confirm_delete(&conn, args) != 0) ||
                        (strcmp(cmd->op, "region.delete") == 0 && confirm_region_delete(&conn, args) != 0))) {
        json_decref(args);
        return 1;
    }
    if (status == 0 && strcmp(cmd->op, "plan.report") == 0)
        status = write_report(&conn, args, json);
    else if (status == 0 && strcmp(cmd->op, "echeance.list") == 0 && !json)
        status = period ? echeances_period(&conn, args) : echeances_overview(&conn, args);
    else if (status == 0)
        status = run(&conn, cmd->op, args, json || (strcmp(cmd->op, "plan.export") == 0 && !json_object_get(args, "format")));
    /* plan show: the plan, then its whole tree, to read beside the document. */
    if (status == 0 && !json && strcmp(cmd->op, "plan.get") == 0)
        status = run_as(&conn, "plan.export", "plan.tree", args, false);
    json_decref(args);
    return status;
}
