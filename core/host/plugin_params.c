/* plugin_params.c: a plugin op's declared arguments (cd_param): copied
 * and checked for sense when the op is registered, checked against each
 * request before the handler runs (type, size, range, real dates, allowed
 * values), and described in node.info so that clients (concertctl) read
 * and explain them as the host checks them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_state.h"
#include "mp.h"
#include "text.h"
#include "words.h"

static const char *const type_names[] = {
    [CD_TEXT] = "text", [CD_INT] = "int",   [CD_NUMBER] = "number", [CD_BOOL] = "bool",
    [CD_DATE] = "date", [CD_DATETIME] = "datetime", [CD_WHEN] = "when", [CD_ENUM] = "enum",
    [CD_REGION] = "region", [CD_FILE] = "file", [CD_LIST] = "list", [CD_MAP] = "map",
};

static bool known_type(cd_type t) { return t >= CD_TEXT && t <= CD_MAP; }

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static const char **copy_values(const char *const *values)
{
    size_t n = 0;
    while (values[n])
        n++;
    const char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = strdup(values[i]))) {
            for (size_t j = 0; j < i; j++)
                free((char *)out[j]);
            free(out);
            return NULL;
        }
    return out;
}

void host_params_free(cd_param *params, size_t n)
{
    for (size_t i = 0; params && i < n; i++) {
        free((char *)params[i].name);
        free((char *)params[i].help_fr);
        free((char *)params[i].help_en);
        for (size_t j = 0; params[i].values && params[i].values[j]; j++)
            free((char *)params[i].values[j]);
        free((void *)params[i].values);
    }
    free(params);
}

/* What is wrong with one declaration, or NULL. */
static const char *senseless(const cd_param *p)
{
    if (!known_type(p->type))
        return "type inconnu";
    bool sized = p->type == CD_TEXT || p->type == CD_FILE || p->type == CD_LIST || p->type == CD_MAP;
    if (sized && (p->max <= 0 || p->min < 0 || p->min > p->max))
        return "max (> 0) et min (0 ≤ min ≤ max) requis pour un texte, un fichier, une liste ou une map";
    if ((p->type == CD_INT || p->type == CD_NUMBER) && p->min > p->max)
        return "min > max";
    bool enumerated = p->type == CD_ENUM || (p->type == CD_LIST && p->item == CD_ENUM);
    if (enumerated && (!p->values || !p->values[0]))
        return "values requis (liste terminée par NULL)";
    if (p->type == CD_LIST && (p->item == CD_LIST || p->item == CD_REGION || p->item == CD_FILE || !known_type(p->item)))
        return "item: le type des éléments (texte, entier, nombre, booléen, date, énumération ou map)";
    if (p->type == CD_LIST && p->item == CD_TEXT && p->item_max <= 0)
        return "item_max (> 0) requis pour une liste de textes";
    if (p->text_max < 0 || (p->text_max > 0 && p->type != CD_LIST && p->type != CD_MAP))
        return "text_max : seulement pour une liste ou une map";
    if (!p->help_fr || !p->help_fr[0])
        return "help_fr requis : chaque argument s'explique";
    return NULL;
}

cd_param *host_params_copy(const cd_param *src, size_t *count, char *why, size_t cap)
{
    size_t n = 0;
    while (src && src[n].name)
        n++;
    *count = n;
    cd_param *out = calloc(n + 1, sizeof *out);
    if (!out) {
        snprintf(why, cap, "mémoire insuffisante");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const char *bad = senseless(&src[i]);
        for (size_t j = 0; !bad && j < i; j++)
            if (strcmp(src[j].name, src[i].name) == 0)
                bad = "déclaré deux fois";
        if (bad) {
            snprintf(why, cap, "argument %s : %s", src[i].name, bad);
            host_params_free(out, i);
            return NULL;
        }
        out[i] = src[i];
        out[i].name = strdup(src[i].name);
        out[i].help_fr = dup_or_empty(src[i].help_fr);
        out[i].help_en = dup_or_empty(src[i].help_en && src[i].help_en[0] ? src[i].help_en : src[i].help_fr);
        out[i].values = src[i].values ? copy_values(src[i].values) : NULL;
        if (!out[i].name || !out[i].help_fr || !out[i].help_en || (src[i].values && !out[i].values)) {
            snprintf(why, cap, "mémoire insuffisante");
            host_params_free(out, i + 1);
            return NULL;
        }
    }
    return out;
}

/* ---- checking a request ------------------------------------------------- */

static int wrong(cn_req *req, const char *field, const char *fr, const char *en)
{
    return cn_req_fail(req, "bad_request", field, L("%s doit être %s", "%s must be %s"), field, L(fr, en));
}

/* A string argument as an error quotes it: its first 64 bytes, whole characters. */
static void quoted(const msgpack_object *o, char out[96])
{
    size_t cut = cn_utf8_valid_prefix(o->via.str.ptr, o->via.str.size < 64 ? o->via.str.size : 64);
    snprintf(out, 96, "%.*s%s", (int)cut, o->via.str.ptr, cut < o->via.str.size ? "…" : "");
}

static int64_t int_of(const msgpack_object *o, bool *ok)
{
    *ok = true;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
        return (int64_t)o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    *ok = false;
    return 0;
}

static int check_value(cn_req *req, const char *field, cd_type type, const cd_param *p, const msgpack_object *o);

static int check_text(cn_req *req, const char *field, const cd_param *p, int64_t min, int64_t max,
                      const msgpack_object *o, bool file)
{
    if (o->type != MSGPACK_OBJECT_STR && !(file && o->type == MSGPACK_OBJECT_BIN))
        return wrong(req, field, file ? "le contenu d'un fichier (texte ou binaire)" : "une chaîne de caractères",
                     file ? "a file's content (text or binary)" : "a string");
    int64_t n = o->type == MSGPACK_OBJECT_STR ? o->via.str.size : o->via.bin.size;
    if (n > max)
        return cn_req_fail(req, "invalid_argument", field,
                           L("%s : %lld octets au plus (ici %lld) ; rien n'a été modifié",
                             "%s: at most %lld bytes (here %lld); nothing was changed"),
                           field, (long long)max, (long long)n);
    if (n < min && min == 1)
        return cn_req_fail(req, "invalid_argument", field, L("%s (%s) ne peut pas être vide", "%s (%s) cannot be empty"),
                           field, L(p->help_fr, p->help_en));
    if (n < min)
        return cn_req_fail(req, "invalid_argument", field, L("%s : %lld octets au moins", "%s: at least %lld bytes"),
                           field, (long long)min);
    return 0;
}

static int check_enum(cn_req *req, const char *field, const char *const *values, const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return wrong(req, field, "une chaîne de caractères", "a string");
    if (cn_word_value(o->via.str.ptr, o->via.str.size, values))
        return 0; /* its value, or a word for it: host_params_canonical sets the value */
    char list[400] = "";
    for (size_t i = 0; values[i]; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", values[i]);
    }
    char given[96];
    quoted(o, given);
    return cn_req_fail(req, "invalid_argument", field,
                       L("%s : « %s » n'est pas une valeur permise (%s)", "%s: \"%s\" is not an allowed value (%s)"),
                       field, given, list);
}

static int check_moment(cn_req *req, const char *field, cd_type type, const msgpack_object *o)
{
    static const char *const fr[] = {[CD_DATE] = "une date AAAA-MM-JJ qui existe",
                                     [CD_DATETIME] = "une date et heure AAAA-MM-JJTHH:MM qui existe",
                                     [CD_WHEN] = "une date AAAA-MM-JJ ou une date et heure AAAA-MM-JJTHH:MM qui existe"};
    static const char *const en[] = {[CD_DATE] = "an existing date YYYY-MM-DD",
                                     [CD_DATETIME] = "an existing date and time YYYY-MM-DDTHH:MM",
                                     [CD_WHEN] = "an existing date YYYY-MM-DD or date and time YYYY-MM-DDTHH:MM"};
    char s[24];
    bool ok = o->type == MSGPACK_OBJECT_STR && o->via.str.size < sizeof s && cn_mp_str_copy(o, s, sizeof s);
    int kind = ok ? cd_when_kind(s) : 0;
    ok = kind != 0 && (type == CD_WHEN || (int)type == kind);
    if (ok)
        return 0;
    if (o->type != MSGPACK_OBJECT_STR)
        return wrong(req, field, fr[type], en[type]);
    char given[96];
    quoted(o, given);
    return cn_req_fail(req, "invalid_argument", field,
                       L("%s : « %s » n'est pas %s", "%s: \"%s\" is not %s"), field, given, L(fr[type], en[type]));
}

/* A list of texts given as one text, its elements separated by commas (as
 * a command line writes them): the same limits, element by element. */
static int check_joined(cn_req *req, const char *field, const cd_param *p, const msgpack_object *o)
{
    const char *s = o->via.str.ptr, *end = s + o->via.str.size;
    int64_t count = 0;
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s)), *stop = comma ? comma : end;
        const char *a = s, *b = stop;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a && ++count > p->max)
            return cn_req_fail(req, "invalid_argument", field,
                               L("%s : %lld éléments au plus", "%s: at most %lld elements"), field, (long long)p->max);
        if (b - a > p->item_max)
            return cn_req_fail(req, "invalid_argument", field,
                               L("%s : %lld octets au plus par élément (« %.*s… »)", "%s: at most %lld bytes per element (\"%.*s…\")"),
                               field, (long long)p->item_max, (int)cn_utf8_valid_prefix(a, b - a < 40 ? (size_t)(b - a) : 40), a);
        s = stop + 1;
    }
    return 0;
}

static int check_value(cn_req *req, const char *field, cd_type type, const cd_param *p, const msgpack_object *o)
{
    bool ok;
    int64_t v;
    switch (type) {
    case CD_TEXT:
        return check_text(req, field, p, p->type == CD_LIST ? 0 : p->min, p->type == CD_LIST ? p->item_max : p->max, o,
                          false);
    case CD_FILE:
        return check_text(req, field, p, p->min, p->max, o, true);
    case CD_INT: {
        v = int_of(o, &ok);
        if (!ok)
            return wrong(req, field, "un entier", "an integer");
        int64_t lo = p->type == CD_LIST ? INT64_MIN : p->min, hi = p->type == CD_LIST ? p->item_max : p->max;
        if (p->type == CD_LIST && hi == 0)
            hi = INT64_MAX;
        if (p->type != CD_LIST && lo == 0 && hi == 0)
            lo = INT64_MIN, hi = INT64_MAX;
        if (v < lo || v > hi)
            return cn_req_fail(req, "invalid_argument", field,
                               L("%s doit être entre %lld et %lld (ici %lld)", "%s must be between %lld and %lld (here %lld)"),
                               field, (long long)lo, (long long)hi, (long long)v);
        return 0;
    }
    case CD_NUMBER: {
        double d;
        if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64)
            d = o->via.f64;
        else if ((v = int_of(o, &ok)), ok)
            d = (double)v;
        else
            return wrong(req, field, "un nombre", "a number");
        bool any = p->min == 0 && p->max == 0;
        if (d != d || (!any && (d < (double)p->min || d > (double)p->max)))
            return cn_req_fail(req, "invalid_argument", field,
                               L("%s doit être un nombre entre %lld et %lld", "%s must be a number between %lld and %lld"),
                               field, (long long)p->min, (long long)p->max);
        return 0;
    }
    case CD_BOOL:
        return o->type == MSGPACK_OBJECT_BOOLEAN ? 0 : wrong(req, field, "un booléen (true/false)", "a boolean (true/false)");
    case CD_DATE:
    case CD_DATETIME:
    case CD_WHEN:
        return check_moment(req, field, type, o);
    case CD_ENUM:
        return check_enum(req, field, p->values, o);
    case CD_REGION:
        return o->type == MSGPACK_OBJECT_STR ? 0 : wrong(req, field, "le nom ou l'identifiant d'une région",
                                                         "a region's name or id");
    case CD_MAP:
        if (o->type == MSGPACK_OBJECT_STR && p->type != CD_LIST && p->text_max > 0)
            return check_text(req, field, p, 0, p->text_max, o, false);
        if (o->type != MSGPACK_OBJECT_MAP)
            return wrong(req, field, "une map (objet)", "a map (object)");
        if (p->type != CD_LIST && o->via.map.size > (uint64_t)p->max)
            return cn_req_fail(req, "invalid_argument", field,
                               L("%s : %lld entrées au plus", "%s: at most %lld entries"), field, (long long)p->max);
        return 0;
    case CD_LIST:
        if (o->type == MSGPACK_OBJECT_STR && p->text_max > 0) {
            if (check_text(req, field, p, 0, p->text_max, o, false) != 0)
                return -1;
            return p->item == CD_TEXT ? check_joined(req, field, p, o) : 0;
        }
        if (o->type != MSGPACK_OBJECT_ARRAY)
            return wrong(req, field, "une liste", "a list");
        if (o->via.array.size > (uint64_t)p->max)
            return cn_req_fail(req, "invalid_argument", field,
                               L("%s : %lld éléments au plus (ici %u)", "%s: at most %lld elements (here %u)"), field,
                               (long long)p->max, o->via.array.size);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            char at[96];
            snprintf(at, sizeof at, "%s[%u]", field, i);
            if (check_value(req, at, p->item, p, &o->via.array.ptr[i]) != 0)
                return -1;
        }
        return 0;
    }
    return cn_req_fail(req, "internal", field, "type d'argument inconnu");
}

int host_params_check(cn_req *req, const cd_param *params, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const cd_param *p = &params[i];
        const msgpack_object *o = cn_mp_get(req->args, p->name);
        bool absent = !o || o->type == MSGPACK_OBJECT_NIL;
        if (absent && p->required)
            return cn_req_fail(req, "invalid_argument", p->name,
                               L("argument obligatoire manquant : %s (%s)", "missing required argument: %s (%s)"), p->name,
                               L(p->help_fr, p->help_en));
        if (!absent && check_value(req, p->name, p->type, p, o) != 0)
            return -1;
    }
    return 0;
}

/* A string as its allowed value, when a person typed a word for it. */
static bool canonical(const msgpack_object *o, const char *const *values, msgpack_object *out)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return false;
    const char *v = cn_word_value(o->via.str.ptr, o->via.str.size, values);
    if (!v || (strlen(v) == o->via.str.size && memcmp(v, o->via.str.ptr, o->via.str.size) == 0))
        return false;
    *out = (msgpack_object){.type = MSGPACK_OBJECT_STR, .via.str = {(uint32_t)strlen(v), v}};
    return true;
}

int host_params_canonical(cn_req *req, const cd_param *params, size_t n)
{
    const msgpack_object *args = req->args;
    if (!args || args->type != MSGPACK_OBJECT_MAP)
        return 0;
    uint32_t size = args->via.map.size;
    msgpack_object_kv *kv = NULL; /* a copy, made at the first change */
    for (uint32_t i = 0; i < size; i++) {
        const msgpack_object *key = &args->via.map.ptr[i].key, *val = &args->via.map.ptr[i].val;
        const cd_param *p = NULL;
        for (size_t k = 0; k < n && !p; k++)
            if (cn_mp_str_eq(key, params[k].name))
                p = &params[k];
        if (!p || !p->values)
            continue;
        msgpack_object now = *val;
        bool changed = false;
        if (p->type == CD_ENUM) {
            changed = canonical(val, p->values, &now);
        } else if (p->type == CD_LIST && p->item == CD_ENUM && val->type == MSGPACK_OBJECT_ARRAY) {
            msgpack_object *items = NULL;
            for (uint32_t j = 0; j < val->via.array.size; j++) {
                msgpack_object one;
                if (!canonical(&val->via.array.ptr[j], p->values, &one))
                    continue;
                if (!items) {
                    items = msgpack_zone_malloc(req->zone, val->via.array.size * sizeof *items);
                    if (!items)
                        return -1;
                    memcpy(items, val->via.array.ptr, val->via.array.size * sizeof *items);
                }
                items[j] = one;
            }
            if (items) {
                now.via.array.ptr = items;
                changed = true;
            }
        }
        if (!changed)
            continue;
        if (!kv) {
            kv = msgpack_zone_malloc(req->zone, size * sizeof *kv);
            if (!kv)
                return -1;
            memcpy(kv, args->via.map.ptr, size * sizeof *kv);
        }
        kv[i].val = now;
    }
    if (!kv)
        return 0;
    msgpack_object *map = msgpack_zone_malloc(req->zone, sizeof *map);
    if (!map)
        return -1;
    *map = (msgpack_object){.type = MSGPACK_OBJECT_MAP, .via.map = {size, kv}};
    req->args = map;
    return 0;
}

/* ---- describing --------------------------------------------------------- */

void host_params_pack(msgpack_packer *pk, const cd_param *params, size_t n)
{
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        const cd_param *p = &params[i];
        bool sized = p->type == CD_TEXT || p->type == CD_FILE || p->type == CD_LIST || p->type == CD_MAP;
        bool ranged = (p->type == CD_INT || p->type == CD_NUMBER) && (p->min || p->max);
        const char *const *values = p->values;
        size_t fields = 4 + (sized || ranged ? 1 : 0) + (ranged || (sized && p->min) ? 1 : 0) + (values ? 1 : 0) +
                        (p->type == CD_LIST ? 1 : 0) + (p->type == CD_LIST && p->item_max ? 1 : 0) + (p->text_max ? 1 : 0);
        msgpack_pack_map(pk, fields);
        cn_pk_kstr(pk, "name", p->name);
        cn_pk_kstr(pk, "type", type_names[p->type]);
        cn_pk_str(pk, "required");
        p->required ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        cn_pk_kstr(pk, "help", L(p->help_fr, p->help_en));
        if (sized || ranged)
            cn_pk_kint(pk, "max", p->max);
        if (ranged || (sized && p->min))
            cn_pk_kint(pk, "min", p->min);
        if (p->type == CD_LIST)
            cn_pk_kstr(pk, "item", type_names[p->item]);
        if (p->type == CD_LIST && p->item_max)
            cn_pk_kint(pk, "item_max", p->item_max);
        if (p->text_max)
            cn_pk_kint(pk, "text_max", p->text_max);
        if (values) {
            size_t nv = 0;
            while (values[nv])
                nv++;
            cn_pk_str(pk, "values");
            msgpack_pack_array(pk, nv);
            for (size_t j = 0; j < nv; j++)
                cn_pk_str(pk, values[j]);
        }
    }
}
