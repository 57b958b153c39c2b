/* args.c: reading a request's arguments by name and type (see core.h): a
 * missing required argument or a wrong type fails the request with the
 * argument named, in words a person can act on. */
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "mp.h"
#include "text.h"
#include "words.h"

/* ---- arguments --------------------------------------------------------- */

static int arg_lookup(cn_req *req, const char *key, int required, const msgpack_object **out)
{
    const msgpack_object *o = cn_mp_get(req->args, key);
    *out = o;
    if (!o) {
        if (required)
            return cn_req_fail(req, "invalid_argument", key, L("argument obligatoire manquant: %s",
                                                               "missing required argument: %s"), key);
        return 0;
    }
    return 1;
}

static int wrong_type(cn_req *req, const char *key, const char *fr, const char *en)
{
    return cn_req_fail(req, "bad_request", key, L("l'argument %s doit être %s", "argument %s must be %s"), key,
                       L(fr, en));
}

int cn_arg_str(cn_req *req, const char *key, int required, const char **out)
{
    const msgpack_object *o;
    int r = arg_lookup(req, key, required, &o);
    *out = NULL;
    if (r <= 0)
        return r;
    if (o->type == MSGPACK_OBJECT_NIL)
        return 1;
    if (o->type != MSGPACK_OBJECT_STR)
        return wrong_type(req, key, "une chaîne de caractères", "a string");
    *out = cn_req_strdup(req, o);
    return *out ? 1 : cn_req_fail(req, "internal", NULL, "mémoire insuffisante");
}

int cn_arg_int(cn_req *req, const char *key, int required, int64_t *out, bool *is_null)
{
    const msgpack_object *o;
    int r = arg_lookup(req, key, required, &o);
    if (is_null)
        *is_null = false;
    if (r <= 0)
        return r;
    if (o->type == MSGPACK_OBJECT_NIL && is_null) {
        *is_null = true;
        return 1;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 > INT64_MAX) /* adversary D4: an integer, too large */
        return cn_req_fail(req, "invalid_argument", key, L("%s: entier hors limites (au plus %lld)",
                                                           "%s: integer out of range (at most %lld)"),
                           key, (long long)INT64_MAX);
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        *out = (int64_t)o->via.u64;
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *out = o->via.i64;
    else
        return wrong_type(req, key, "un entier", "an integer");
    return 1;
}

int cn_arg_num(cn_req *req, const char *key, int required, double *out, bool *is_null)
{
    const msgpack_object *o;
    int r = arg_lookup(req, key, required, &o);
    if (is_null)
        *is_null = false;
    if (r <= 0)
        return r;
    if (o->type == MSGPACK_OBJECT_NIL && is_null) {
        *is_null = true;
        return 1;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        *out = (double)o->via.u64;
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *out = (double)o->via.i64;
    else if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64)
        *out = o->via.f64;
    else
        return wrong_type(req, key, "un nombre", "a number");
    if (*out != *out || *out > 1e15 || *out < -1e15)
        return cn_req_fail(req, "invalid_argument", key, L("%s: nombre hors limites", "%s: number out of range"),
                           key);
    return 1;
}

int cn_arg_bool(cn_req *req, const char *key, int required, bool *out)
{
    const msgpack_object *o;
    int r = arg_lookup(req, key, required, &o);
    if (r <= 0)
        return r;
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return wrong_type(req, key, "un booléen (true/false)", "a boolean (true/false)");
    *out = o->via.boolean;
    return 1;
}

int cn_arg_enum(cn_req *req, const char *key, int required, const char *const *allowed, const char **out)
{
    int r = cn_arg_str(req, key, required, out);
    if (r <= 0 || !*out)
        return r;
    /* As a person types it: the value, or its French or English word. */
    const char *value = cn_word_value(*out, strlen(*out), allowed);
    if (value) {
        *out = value;
        return 1;
    }
    char list[256] = "";
    for (size_t i = 0; allowed[i]; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", allowed[i]);
    }
    return cn_req_fail(req, "invalid_argument", key, L("%s: « %s » n'est pas une valeur permise (%s)",
                                                       "%s: \"%s\" is not an allowed value (%s)"),
                       key, *out, list);
}

int cn_arg_date(cn_req *req, const char *key, int required, const char **out)
{
    int r = cn_arg_str(req, key, required, out);
    if (r <= 0 || !*out)
        return r;
    if (!cn_date_valid(*out))
        return cn_req_fail(req, "invalid_argument", key,
                           L("%s: « %s » n'est pas une date valide (AAAA-MM-JJ, jour existant)",
                             "%s: \"%s\" is not a valid date (YYYY-MM-DD, existing day)"),
                           key, *out);
    return 1;
}

int cn_arg_array(cn_req *req, const char *key, int required, const msgpack_object **out)
{
    int r = arg_lookup(req, key, required, out);
    if (r <= 0)
        return r;
    if ((*out)->type == MSGPACK_OBJECT_NIL) {
        *out = NULL;
        return 1;
    }
    if ((*out)->type != MSGPACK_OBJECT_ARRAY)
        return wrong_type(req, key, "une liste", "a list");
    return 1;
}

int cn_arg_strlist(cn_req *req, const char *key, int required, const msgpack_object **out)
{
    int r = cn_arg_array(req, key, required, out);
    if (r <= 0 || !*out)
        return r;
    for (uint32_t i = 0; i < (*out)->via.array.size; i++)
        if ((*out)->via.array.ptr[i].type != MSGPACK_OBJECT_STR)
            return wrong_type(req, key, "une liste de chaînes", "a list of strings");
    return 1;
}

int cn_map_keys(cn_req *req, const msgpack_object *map, const char *path, const char *const *known)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return 0;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR)
            return cn_req_fail(req, "bad_request", path, L("%s: les clés doivent être des chaînes",
                                                          "%s: keys must be strings"), path);
        bool found = false;
        for (size_t j = 0; known[j] && !found; j++)
            found = strlen(known[j]) == k->via.str.size && memcmp(known[j], k->via.str.ptr, k->via.str.size) == 0;
        if (found)
            continue;
        char list[400] = "", field[160];
        for (size_t j = 0; known[j]; j++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "", known[j]);
        }
        /* The key is quoted at most 60 bytes long, cut on a character. */
        int shown = (int)cn_utf8_valid_prefix(k->via.str.ptr, k->via.str.size < 60 ? k->via.str.size : 60);
        snprintf(field, sizeof field, "%s.%.*s", path, shown, k->via.str.ptr);
        return cn_req_fail(req, "invalid_argument", field,
                           L("clé inconnue dans %s: %.*s (acceptées: %s)", "unknown key in %s: %.*s (accepted: %s)"),
                           path, shown, k->via.str.ptr, list);
    }
    return 0;
}
