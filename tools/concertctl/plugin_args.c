/* plugin_args.c: see plugin_args.h. The types are those of cd_param
 * (core/include/concertd/plugin.h), as node.info names them. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mp.h"
#include "plugin_args.h"
#include "table.h"
#include "text.h"
#include "textfile.h"

#define T(fr, en) (ctl_en() ? (en) : (fr))

static bool is(const msgpack_object *o, const char *s) { return o && cn_mp_str_eq(o, s); }

static int say(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* The declaration named key in params, or NULL. */
static const msgpack_object *declared(const msgpack_object *params, const char *key)
{
    for (uint32_t i = 0; params && params->type == MSGPACK_OBJECT_ARRAY && i < params->via.array.size; i++)
        if (is(cn_mp_get(&params->via.array.ptr[i], "name"), key))
            return &params->via.array.ptr[i];
    return NULL;
}

/* One value of a type, as JSON (NULL with err when it cannot be read so). */
static json_t *value_of(const char *key, const msgpack_object *type, const char *v, char *err, size_t cap)
{
    char *end;
    if (is(type, "int")) {
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || errno)
            return say(err, cap, T("--%s attend un nombre entier (reçu « %s »)", "--%s expects a whole number (got \"%s\")"),
                       key, v), NULL;
        return json_integer(n);
    }
    if (is(type, "number")) {
        double d = strtod(v, &end);
        if (!*v || *end)
            return say(err, cap, T("--%s attend un nombre (reçu « %s »)", "--%s expects a number (got \"%s\")"), key, v),
                   NULL;
        return json_real(d);
    }
    if (is(type, "bool")) {
        static const char *const yes[] = {"true", "oui", "yes", "1"}, *const no[] = {"false", "non", "no", "0"};
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(v, yes[i]) == 0)
                return json_true();
            if (strcasecmp(v, no[i]) == 0)
                return json_false();
        }
        return say(err, cap, T("--%s attend oui ou non (true/false)", "--%s expects yes or no (true/false)"), key), NULL;
    }
    if (is(type, "map")) {
        json_error_t je;
        json_t *j = v[0] == '@' ? json_load_file(v + 1, 0, &je) : json_loads(v, 0, &je);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            return say(err, cap, T("--%s attend un objet JSON ({\"clé\": …} ou @fichier.json) : %s",
                                   "--%s expects a JSON object ({\"key\": …} or @file.json): %s"),
                       key, j ? "" : je.text),
                   NULL;
        }
        return j;
    }
    if (is(type, "file") && v[0] == '@' && v[1]) {
        size_t len;
        bool converted;
        char *text = ctl_read_text(v + 1, &len, &converted);
        if (!text)
            return say(err, cap, "%s: %s", v + 1,
                       errno == EILSEQ ? T("ce n'est pas un fichier texte", "not a text file") : cn_strerror(errno)),
                   NULL;
        json_t *j = json_stringn(text, len);
        free(text);
        return j;
    }
    return json_string(v); /* text, date, datetime, when, enum, region: the daemon checks them */
}

/* Adds v to the list key (split on commas for a list of texts). */
static int add_to_list(json_t *args, const char *key, const msgpack_object *decl, const char *v, char *err, size_t cap)
{
    json_t *list = json_object_get(args, key);
    if (!list) {
        list = json_array();
        json_object_set_new(args, key, list);
    }
    const msgpack_object *item = cn_mp_get(decl, "item");
    char *copy = strdup(v);
    if (!copy)
        return say(err, cap, "mémoire insuffisante");
    int rc = 0;
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p && rc == 0; p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ')
            p++;
        for (char *e = p + strlen(p); e > p && e[-1] == ' ';)
            *--e = '\0';
        if (!*p)
            continue;
        json_t *one = value_of(key, item, p, err, cap);
        if (!one)
            rc = -1;
        else
            json_array_append_new(list, one);
    }
    free(copy);
    return rc;
}

/* Whether decl may be given without its --name, in order: the region, and
 * each required argument of one value ("calendar cancel 12"). */
static bool positional(const msgpack_object *decl)
{
    const msgpack_object *type = cn_mp_get(decl, "type"), *required = cn_mp_get(decl, "required");
    if (is(type, "region"))
        return true;
    static const char *const one_value[] = {"text", "int", "number", "date", "datetime", "when", "enum", NULL};
    bool scalar = false;
    for (int i = 0; one_value[i]; i++)
        scalar = scalar || is(type, one_value[i]);
    return scalar && required && required->type == MSGPACK_OBJECT_BOOLEAN && required->via.boolean;
}

void plugin_args_usage(const msgpack_object *params, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (uint32_t i = 0; params && params->type == MSGPACK_OBJECT_ARRAY && i < params->via.array.size && n < cap; i++) {
        const msgpack_object *decl = &params->via.array.ptr[i];
        if (!positional(decl))
            continue;
        char name[64];
        cn_mp_str_copy(cn_mp_get(decl, "name"), name, sizeof name);
        bool region = is(cn_mp_get(decl, "type"), "region");
        const msgpack_object *required = cn_mp_get(decl, "required");
        bool must = required && required->type == MSGPACK_OBJECT_BOOLEAN && required->via.boolean;
        if (region)
            snprintf(name, sizeof name, "%s", T("RÉGION", "REGION"));
        else
            for (char *p = name; *p; p++)
                *p = *p == '_' ? '-' : (char)toupper((unsigned char)*p);
        n += (size_t)snprintf(out + n, cap - n, must ? "%s " : "[%s] ", name);
    }
}

int plugin_args_read(const msgpack_object *params, int argc, char **argv, json_t *args, char *err, size_t cap)
{
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            /* The next positional argument not given yet takes it. */
            const msgpack_object *decl = NULL;
            for (uint32_t k = 0; !decl && params && params->type == MSGPACK_OBJECT_ARRAY && k < params->via.array.size;
                 k++) {
                const msgpack_object *d = &params->via.array.ptr[k];
                char name[64];
                cn_mp_str_copy(cn_mp_get(d, "name"), name, sizeof name);
                if (positional(d) && !json_object_get(args, name))
                    decl = d;
            }
            if (!decl || (argv[i][0] == '-' && !is(cn_mp_get(decl, "type"), "int") &&
                          !is(cn_mp_get(decl, "type"), "number")))
                return say(err, cap, T("argument inattendu : %s (--help)", "unexpected argument: %s (--help)"), argv[i]);
            char name[64];
            cn_mp_str_copy(cn_mp_get(decl, "name"), name, sizeof name);
            json_t *one = value_of(name, cn_mp_get(decl, "type"), argv[i], err, cap);
            if (!one)
                return -1;
            json_object_set_new(args, name, one);
            continue;
        }
        char key[64];
        snprintf(key, sizeof key, "%s", argv[i] + 2);
        for (char *p = key; *p; p++)
            if (*p == '-')
                *p = '_';
        const msgpack_object *decl = declared(params, key);
        if (!decl)
            return say(err, cap, T("argument inconnu : --%s (--help les donne)", "unknown argument: --%s (--help lists them)"),
                       argv[i] + 2);
        if (i + 1 >= argc)
            return say(err, cap, T("--%s attend une valeur", "--%s expects a value"), argv[i] + 2);
        const char *v = argv[++i];
        const msgpack_object *type = cn_mp_get(decl, "type");
        bool as_text = cn_mp_get(decl, "text_max") != NULL;
        if (is(type, "list") && v[0] == '@' && as_text && !json_object_get(args, key)) {
            /* --categories @categories.txt: the file itself, which the op reads */
            static const msgpack_object file = {.type = MSGPACK_OBJECT_STR, .via.str = {4, "file"}};
            json_t *one = value_of(argv[i - 1] + 2, &file, v, err, cap);
            if (!one)
                return -1;
            json_object_set_new(args, key, one);
            continue;
        }
        if (is(type, "list") && v[0] == '[' && !json_object_get(args, key)) {
            json_error_t je;
            json_t *list = json_loads(v, 0, &je);
            if (!json_is_array(list)) {
                json_decref(list);
                return say(err, cap, T("--%s : une liste JSON illisible (%s)", "--%s: an unreadable JSON list (%s)"),
                           argv[i - 1] + 2, je.text);
            }
            json_object_set_new(args, key, list);
            continue;
        }
        if (is(type, "list")) {
            if (!json_is_array(json_object_get(args, key)) && json_object_get(args, key))
                return say(err, cap, T("--%s est donné deux fois", "--%s is given twice"), argv[i - 1] + 2);
            if (add_to_list(args, key, decl, v, err, cap) != 0)
                return -1;
            continue;
        }
        if (json_object_get(args, key))
            return say(err, cap, T("--%s est donné deux fois", "--%s is given twice"), argv[i - 1] + 2);
        json_t *one = value_of(argv[i - 1] + 2, type, v, err, cap);
        if (!one)
            return -1;
        json_object_set_new(args, key, one);
    }
    return 0;
}

/* "texte, 511 octets au plus" and the like, into out. */
static void kind_of(const msgpack_object *decl, char *out, size_t cap)
{
    char type[16], item[16];
    cn_mp_str_copy(cn_mp_get(decl, "type"), type, sizeof type);
    cn_mp_str_copy(cn_mp_get(decl, "item"), item, sizeof item);
    static const struct {
        const char *type, *fr, *en, *many_fr, *many_en; /* many: as a list's elements */
    } names[] = {{"text", "texte", "text", "textes", "texts"},
                 {"int", "entier", "integer", "entiers", "integers"},
                 {"number", "nombre", "number", "nombres", "numbers"},
                 {"bool", "oui/non", "yes/no", "oui/non", "yes/no"},
                 {"date", "AAAA-MM-JJ", "YYYY-MM-DD", "dates AAAA-MM-JJ", "dates YYYY-MM-DD"},
                 {"datetime", "AAAA-MM-JJTHH:MM", "YYYY-MM-DDTHH:MM", "AAAA-MM-JJTHH:MM", "YYYY-MM-DDTHH:MM"},
                 {"when", "AAAA-MM-JJ[THH:MM]", "YYYY-MM-DD[THH:MM]", "AAAA-MM-JJ[THH:MM]", "YYYY-MM-DD[THH:MM]"},
                 {"enum", "l'un de", "one of", "valeurs parmi", "values among"},
                 {"region", "région", "region", "régions", "regions"},
                 {"file", "@fichier", "@file", "fichiers", "files"},
                 {"list", "liste", "list", "listes", "lists"},
                 {"map", "objet JSON", "JSON object", "objets JSON", "JSON objects"}};
    const char *word = type;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(type, names[i].type) == 0)
            word = T(names[i].fr, names[i].en);
    size_t n = (size_t)snprintf(out, cap, "%s", word);
    const msgpack_object *values = cn_mp_get(decl, "values"), *max = cn_mp_get(decl, "max"), *min = cn_mp_get(decl, "min");
    if (strcmp(type, "list") == 0) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(item, names[i].type) == 0 && n < cap)
                n += (size_t)snprintf(out + n, cap - n, T(" de %s (virgules entre eux)", " of %s (comma-separated)"),
                                      T(names[i].many_fr, names[i].many_en));
    }
    for (uint32_t i = 0; values && values->type == MSGPACK_OBJECT_ARRAY && i < values->via.array.size && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", i ? ", " : " ", (int)values->via.array.ptr[i].via.str.size,
                              values->via.array.ptr[i].via.str.ptr);
    bool bytes = strcmp(type, "text") == 0 || strcmp(type, "file") == 0;
    if (max && n < cap && max->via.i64 == INT64_MAX)
        snprintf(out + n, cap - n, T(", %lld ou plus", ", %lld or more"), (long long)(min ? min->via.i64 : 0));
    else if (max && n < cap && (strcmp(type, "int") == 0 || strcmp(type, "number") == 0))
        snprintf(out + n, cap - n, T(", de %lld à %lld", ", from %lld to %lld"), (long long)(min ? min->via.i64 : 0),
                 (long long)max->via.i64);
    else if (max && n < cap)
        snprintf(out + n, cap - n, bytes ? T(", %lld octets au plus", ", at most %lld bytes") : T(", %lld au plus", ", at most %lld"),
                 (long long)max->via.i64);
}

void plugin_args_help(FILE *out, const msgpack_object *params)
{
    for (uint32_t i = 0; params && params->type == MSGPACK_OBJECT_ARRAY && i < params->via.array.size; i++) {
        const msgpack_object *decl = &params->via.array.ptr[i];
        char name[64], kind[400], help[400];
        cn_mp_str_copy(cn_mp_get(decl, "name"), name, sizeof name);
        cn_mp_str_copy(cn_mp_get(decl, "help"), help, sizeof help);
        kind_of(decl, kind, sizeof kind);
        for (char *p = name; *p; p++)
            if (*p == '_')
                *p = '-';
        const msgpack_object *required = cn_mp_get(decl, "required");
        bool must = required && required->type == MSGPACK_OBJECT_BOOLEAN && required->via.boolean;
        fprintf(out, "  --%-16s %s%s [%s]\n", name, help, must ? T(" (obligatoire)", " (required)") : "", kind);
    }
}
