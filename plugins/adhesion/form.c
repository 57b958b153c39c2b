/* form.c: an application form, from the fields of a request or from a
 * text form ("Organisme : …" lines, as a person would fill it in), and its
 * check against the region's policy (category, charter, required fields,
 * a plausible e-mail), each error naming the field. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adhesion.h"
#include "fold.h"


const char *const FIELDS[] = {"organisation", "category", "territory", "contact_name", "contact_email",
                                     "charter",      "motivation", "lang", NULL};

char *field_of(form *f, int i, size_t *cap)
{
    char *const ptrs[] = {f->organisation, f->category, f->territory, f->contact_name, f->contact_email,
                          f->charter,      f->motivation, f->lang};
    const size_t caps[] = {sizeof f->organisation, sizeof f->category, sizeof f->territory, sizeof f->contact_name,
                           sizeof f->contact_email, sizeof f->charter,  sizeof f->motivation, sizeof f->lang};
    *cap = caps[i];
    return ptrs[i];
}

bool set_field(form *f, int i, const char *value)
{
    size_t cap = 0, n = strlen(value);
    char *dst = field_of(f, i, &cap);
    bool fits = n < cap;
    if (!fits) {
        n = cd_utf8_cut(value, n, cap - 1);
        if (f->too_long < 0)
            f->too_long = i;
    }
    memcpy(dst, value, n);
    dst[n] = '\0';
    return fits;
}

/* ---- reading what was sent ---------------------------------------------------------- */

/* A form as people write it: "Organisme : …" lines (French or English
 * names); a line without a name continues the previous value. */
static void read_form_text(const char *text, form *f)
{
    static const struct {
        const char *word;
        int field;
    } names[] = {{"organisation", 0}, {"organisme", 0}, {"nom de l organisme", 0}, {"organization", 0},
                 {"categorie", 1},    {"category", 1},  {"territoire", 2},          {"mrc", 2},
                 {"territory", 2},    {"contact", 3},   {"personne ressource", 3},  {"nom du contact", 3},
                 {"contact name", 3}, {"courriel", 4},  {"email", 4},               {"e mail", 4},
                 {"adresse courriel", 4}, {"charte", 5}, {"charter", 5},            {"version de la charte", 5},
                 {"motivation", 6},   {"motivations", 6}, {"langue", 7},            {"language", 7}};
    int last = -1;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n");
        char line[4096];
        if (len >= sizeof line) { /* longer than any field */
            if (f->too_long < 0)
                f->too_long = last >= 0 ? last : 6;
            p += len + (p[len] ? 1 : 0);
            continue;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (p[len] ? 1 : 0);
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\r' || line[l - 1] == ' '))
            line[--l] = '\0';
        char *colon = strchr(line, ':');
        int field = -1;
        if (colon) {
            *colon = '\0';
            char *key = cn_fold_words(line);
            for (size_t i = 0; key && i < sizeof names / sizeof names[0] && field < 0; i++) {
                char want[64];
                snprintf(want, sizeof want, " %s ", names[i].word);
                if (strcmp(key, want) == 0)
                    field = names[i].field;
            }
            free(key);
            if (field < 0)
                *colon = ':';
        }
        size_t cap = 0;
        if (field >= 0) {
            char *value = colon + 1;
            while (*value == ' ' || *value == '\t')
                value++;
            set_field(f, field, value);
            last = field;
        } else if (last >= 0 && line[0]) {
            char *dst = field_of(f, last, &cap);
            size_t used = strlen(dst), sep = used ? 1 : 0;
            if (used + sep + strlen(line) >= cap) {
                if (f->too_long < 0)
                    f->too_long = last;
                continue;
            }
            if (sep)
                dst[used++] = last == 6 ? '\n' : ' ';
            memcpy(dst + used, line, strlen(line) + 1);
        }
    }
}

/* The fields of args (a form text first, flags over it). */
void read_form(const msgpack_object *args, form *f)
{
    memset(f, 0, sizeof *f);
    f->too_long = -1;
    const msgpack_object *text = cd_get(args, "form");
    if (text && text->type == MSGPACK_OBJECT_STR) {
        char *t = strndup(text->via.str.ptr, text->via.str.size);
        if (t)
            read_form_text(t, f);
        free(t);
    }
    for (int i = 0; FIELDS[i]; i++) {
        const msgpack_object *o = cd_get(args, FIELDS[i]);
        char value[8192];
        size_t cap = 0;
        field_of(f, i, &cap);
        if (o && o->type == MSGPACK_OBJECT_STR && o->via.str.size >= cap) {
            if (f->too_long < 0)
                f->too_long = i;
        } else if (o && o->type == MSGPACK_OBJECT_STR)
            set_field(f, i, cd_str(o, value, sizeof value));
        else if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) { /* a charter "2024" sent as a number */
            snprintf(value, sizeof value, "%llu", (unsigned long long)o->via.u64);
            set_field(f, i, value);
        }
    }
}

static bool email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@') || strlen(s) > 254)
        return false;
    const char *dot = strrchr(at, '.');
    if (!dot || dot == at + 1 || !dot[1] || at[1] == '.' || s[strlen(s) - 1] == '.')
        return false;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || strchr("<>,;:\"()[]\\", *p) || (unsigned char)*p < 0x20)
            return false;
    return true;
}

/* ---- ops ------------------------------------------------------------------------------ */

const char *check_form(cd_host *h, const char *region, form *f, const policy *p, const char **field,
                              char *msg, size_t cap)
{
    char name[256], decision[16];
    if (f->too_long >= 0) {
        size_t limit = 0;
        field_of(f, f->too_long, &limit);
        *field = FIELDS[f->too_long];
        snprintf(msg, cap, "%s : %zu octets au plus ; rien n'a été enregistré (le texte n'est jamais coupé)", *field,
                 limit - 1);
        return msg;
    }
    if (!f->organisation[0])
        return *field = "organisation", "organisation: le nom de l'organisation qui demande l'adhésion";
    int c = category_get(h, region, f->category, name, sizeof name, decision, sizeof decision);
    if (c <= 0) {
        *field = "category";
        sqlite3_stmt *st;
        char list[512] = "";
        if (sqlite3_prepare_v2(api->db(h), "SELECT id FROM adhesion_categories WHERE region = ? ORDER BY position", -1,
                               &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
            while (sqlite3_step(st) == SQLITE_ROW) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", sqlite3_column_text(st, 0));
            }
            sqlite3_finalize(st);
        }
        snprintf(msg, cap, "category: « %s » n'est pas une catégorie de la région %s (%s)", f->category, region, list);
        return msg;
    }
    if (!f->contact_name[0])
        return *field = "contact_name", "contact_name: la personne à joindre pour cette demande";
    if (!f->contact_email[0] || !email_ok(f->contact_email)) {
        *field = "contact_email";
        snprintf(msg, cap, "contact_email: « %s » n'est pas une adresse courriel (nom@domaine.org)", f->contact_email);
        return msg;
    }
    if (strcmp(f->charter, p->charter) != 0) {
        *field = "charter";
        snprintf(msg, cap, "charter: la charte en vigueur est la version « %s »%s%s%s", p->charter,
                 f->charter[0] ? " (pas « " : " : l'adhésion l'accepte", f->charter[0] ? f->charter : "",
                 f->charter[0] ? " »)" : "");
        return msg;
    }
    if (strstr(p->required, "territory") && !f->territory[0])
        return *field = "territory", "territory: le territoire (MRC) de l'organisation, requis par la politique";
    if (strstr(p->required, "motivation") && !f->motivation[0])
        return *field = "motivation", "motivation: pourquoi l'organisation se joint à la table, requis par la politique";
    if (f->lang[0] && strcmp(f->lang, "fr") != 0 && strcmp(f->lang, "en") != 0)
        return *field = "lang", "lang: fr ou en";
    return NULL;
}
