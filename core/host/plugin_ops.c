/* plugin_ops.c: a plugin's ops in the core's dispatch table (a trampoline
 * that runs the plugin's handler as the plugin, in the command's
 * savepoint), the calls it makes to any op through the host, and what a
 * handler reads of its request and answers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_state.h"
#include "log.h"
#include "model.h"
#include "mp.h"
#include "text.h"

/* ---- ops ---------------------------------------------------------------- */

/* Replaces req's args by a copy (in the request's memory) whose key
 * holds slug. */
static int with_region_slug(cn_req *req, const char *key, const char *slug)
{
    const msgpack_object *args = req->args;
    uint32_t n = args->via.map.size;
    msgpack_object_kv *kv = msgpack_zone_malloc(req->zone, n * sizeof *kv);
    msgpack_object *map = msgpack_zone_malloc(req->zone, sizeof *map);
    if (!kv || !map)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        kv[i] = args->via.map.ptr[i];
        if (cn_mp_str_eq(&kv[i].key, key))
            kv[i].val = (msgpack_object){.type = MSGPACK_OBJECT_STR, .via.str = {(uint32_t)strlen(slug), slug}};
    }
    *map = (msgpack_object){.type = MSGPACK_OBJECT_MAP, .via.map = {n, kv}};
    req->args = map;
    return 0;
}

/* Each region argument becomes its slug, however the request named it (the
 * name, accents and case folded): resolved once here, so no plugin stores
 * a name that later matches nothing (adversary F2, F6). A region the
 * plugin is not enabled for is refused here, so no plugin has to remember. */
static int resolve_regions(cn_req *req, const plugin_op *po)
{
    cd_host *p = po->plugin;
    for (size_t i = 0; i < po->nparams; i++) {
        const char *key = po->params[i].name, *region = NULL;
        if (po->params[i].type != CD_REGION || !cn_mp_get(req->args, key))
            continue;
        if (cn_region_arg(req, key, CN_OPTIONAL, &region) < 0)
            return -1;
        if (region && !host_region_enabled(p, region))
            return cn_req_fail(req, "forbidden", key,
                               L("le greffon %s n'est pas activé pour la région %s ([plugin.%s] regions)",
                                 "plugin %s is not enabled for region %s ([plugin.%s] regions)"),
                               p->name, region, p->name);
        if (region && with_region_slug(req, key, region) != 0)
            return cn_req_fail(req, "unavailable", NULL, L("mémoire insuffisante", "out of memory"));
    }
    return 0;
}

static int op_trampoline(cn_req *req)
{
    plugin_op *po = (plugin_op *)req->op->data;
    cd_host *p = po->plugin;
    cn_host *host = p->host;
    /* The arguments are what the op declares before the plugin sees them. */
    const msgpack_object *given_args = req->args;
    if (host_params_check(req, po->params, po->nparams) != 0 ||
        (host_params_canonical(req, po->params, po->nparams) != 0 &&
         cn_req_fail(req, "unavailable", NULL, L("mémoire insuffisante", "out of memory"))) ||
        resolve_regions(req, po) != 0) {
        req->args = given_args;
        return -1;
    }
    cd_host *outer = host->current;
    cn_req *outer_req = host->current_req;
    host->current = p;
    host->current_req = req;
    int rc = po->fn((cd_req *)req, po->data);
    host->current = outer;
    host->current_req = outer_req;
    req->args = given_args;
    if (rc == 0 && !req->err_code)
        return 0;
    if (!req->err_code || strcmp(req->err_code, "internal") == 0) {
        p->op_errors++;
        cn_error("[%s] %s a échoué%s%s", p->name, po->name, req->err_code ? ": " : " sans dire pourquoi",
                 req->err_code ? req->err_msg : "");
        if (!req->err_code)
            cn_req_fail(req, "internal", NULL,
                        L("le greffon %s a échoué en traitant %s; rien n'a été modifié (voir le journal du démon)",
                          "plugin %s failed handling %s; nothing was changed (see the daemon's log)"),
                        p->name, po->name);
    }
    return -1;
}

bool host_describe_op(void *data, const cn_op *op, msgpack_packer *pk)
{
    (void)data;
    if (op->fn != op_trampoline)
        return false;
    const plugin_op *po = op->data;
    if (pk)
        host_params_pack(pk, po->params, po->nparams);
    return true;
}

/* A plugin's "<plugin>.undo" reverses the event types its "type" enum lists. */
bool host_op_undoes(void *data, const cn_op *op, const char *type)
{
    (void)data;
    size_t n = strlen(op->name);
    if (op->fn != op_trampoline || n < 5 || strcmp(op->name + n - 5, ".undo") != 0)
        return false;
    const plugin_op *po = op->data;
    for (size_t i = 0; i < po->nparams; i++)
        if (strcmp(po->params[i].name, "type") == 0 && po->params[i].type == CD_ENUM)
            for (size_t k = 0; po->params[i].values && po->params[i].values[k]; k++)
                if (strcmp(po->params[i].values[k], type) == 0)
                    return true;
    return false;
}

void host_free_op(plugin_op *po)
{
    if (!po)
        return;
    free(po->name);
    for (size_t i = 0; po->args && po->args[i]; i++)
        free(po->args[i]);
    free(po->args);
    free(po->help_fr);
    free(po->help_en);
    host_params_free(po->params, po->nparams);
    free(po);
}

int host_register_op(cd_host *h, const cd_op_spec *spec)
{
    if (!h->initialising) {
        host_plugin_log(h, CD_LOG_ERROR, "register_op: seulement pendant init");
        return -1;
    }
    size_t n = strlen(h->name);
    if (!spec || !spec->name || !spec->fn || strncmp(spec->name, h->name, n) != 0 || spec->name[n] != '.' ||
        !spec->name[n + 1]) {
        host_plugin_log(h, CD_LOG_ERROR, "register_op: le nom doit être « %s.<verbe> » (reçu %s)", h->name,
                   spec && spec->name ? spec->name : "NULL");
        return -1;
    }
    plugin_op *po = calloc(1, sizeof *po);
    plugin_op **ops = po ? realloc(h->ops, (h->nops + 1) * sizeof *ops) : NULL;
    if (!ops) {
        free(po);
        return -1;
    }
    h->ops = ops;
    po->plugin = h;
    po->fn = spec->fn;
    po->data = spec->data;
    po->name = strdup(spec->name);
    po->help_fr = strdup(spec->help_fr ? spec->help_fr : "");
    po->help_en = strdup(spec->help_en ? spec->help_en : (spec->help_fr ? spec->help_fr : ""));
    char why[256] = "";
    po->params = host_params_copy(spec->params, &po->nparams, why, sizeof why);
    po->args = calloc(po->nparams + 1, sizeof *po->args);
    bool ok = po->name && po->help_fr && po->help_en && po->params && po->args;
    for (size_t i = 0; ok && i < po->nparams; i++)
        ok = (po->args[i] = strdup(po->params[i].name)) != NULL;
    if (!ok) {
        host_plugin_log(h, CD_LOG_ERROR, "register_op %s : %s", spec->name, why[0] ? why : "mémoire insuffisante");
        host_free_op(po);
        return -1;
    }
    po->op = (cn_op){po->name, op_trampoline, (const char *const *)po->args, po->help_fr, po->help_en, po};
    if (cn_core_register(h->host->core, &po->op, 1) != 0) {
        host_plugin_log(h, CD_LOG_ERROR, "register_op: %s existe déjà", spec->name);
        host_free_op(po);
        return -1;
    }
    h->ops[h->nops++] = po;
    return 0;
}

/* ---- calling ops -------------------------------------------------------- */

int host_call(cd_host *h, const char *op, const void *args, size_t len, msgpack_sbuffer *out, char *err,
              size_t errcap)
{
    return host_call_as(h, NULL, op, args, len, out, err, errcap);
}

int host_call_as(cd_host *h, const char *actor, const char *op, const void *args, size_t len, msgpack_sbuffer *out,
                 char *err, size_t errcap)
{
    cn_core *core = h->host->core;
    if (!cn_core_in_batch(core)) {
        snprintf(err, errcap, "unavailable: call hors d'une transaction");
        return -1;
    }
    msgpack_sbuffer req;
    msgpack_sbuffer_init(&req);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &req, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, actor ? 5 : 4);
    if (actor)
        cn_pk_kstr(&pk, "actor", actor); /* checked by the core like any request's */
    cn_pk_kint(&pk, "v", 1);
    cn_pk_kstr(&pk, "op", op);
    cn_pk_kstr(&pk, "lang", cn_lang_get() == CN_LANG_EN ? "en" : "fr");
    cn_pk_str(&pk, "args");
    if (args && len)
        cn_pk_raw(&pk, args, len);
    else
        msgpack_pack_map(&pk, 0);
    cn_reply reply;
    AS_HOST(h);
    cn_core_handle(core, req.data, req.size, &reply);
    AS_PLUGIN_AGAIN(h);
    msgpack_sbuffer_destroy(&req);

    int rc = -1;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    if (msgpack_unpack_next(&up, reply.buf.data, reply.buf.size, NULL) == MSGPACK_UNPACK_SUCCESS) {
        if (reply.ok) {
            const msgpack_object *result = cn_mp_get(&up.data, "result");
            msgpack_packer opk;
            msgpack_packer_init(&opk, out, msgpack_sbuffer_write);
            msgpack_pack_object(&opk, *result);
            rc = 0;
        } else {
            const msgpack_object *e = cn_mp_get(&up.data, "error");
            const msgpack_object *code = cn_mp_get(e, "code"), *msg = cn_mp_get(e, "message");
            snprintf(err, errcap, "%.*s: %.*s", code ? (int)code->via.str.size : 0, code ? code->via.str.ptr : "",
                     msg ? (int)msg->via.str.size : 0, msg ? msg->via.str.ptr : "");
        }
    }
    msgpack_unpacked_destroy(&up);
    cn_reply_destroy(&reply);
    return rc;
}

/* ---- requests ----------------------------------------------------------- */

const msgpack_object *host_req_args(cd_req *req) { return ((cn_req *)req)->args; }

msgpack_packer *host_req_result(cd_req *req) { return cn_req_pk((cn_req *)req); }

const char *host_req_lang(cd_req *req)
{
    (void)req;
    return cn_lang_get() == CN_LANG_EN ? "en" : "fr";
}

int host_req_fail(cd_req *req, const char *code, const char *field, const char *fmt, ...)
{
    static const char *const codes[] = {"bad_request", "invalid_argument", "not_found", "conflict",
                                        "forbidden",   "unavailable",      "internal"};
    const char *known = "internal";
    for (size_t i = 0; code && i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i]) == 0)
            known = codes[i];
    va_list ap;
    va_start(ap, fmt);
    cn_req_failv((cn_req *)req, known, field, fmt, ap);
    va_end(ap);
    return -1;
}

/* An op of a plugin that is not running answers "unavailable". */
int host_refused_op(cd_req *req, void *data)
{
    (void)data;
    return host_req_fail(req, "unavailable", NULL, "%s", L("ce greffon n'est pas en service; voir node.info",
                                                       "this plugin is not running; see node.info"));
}
