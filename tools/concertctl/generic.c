/* generic.c: a result concertctl has no layout for (most plugins' ops) as
 * people read it: a map as "Label : value" lines, a list of maps as a
 * table, the labels in French or English, the values of enumerations in
 * words, times as local dates; nested lists as tables of their own. --json
 * still gives the protocol's own. */
#include "generic.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mp.h"
#include "repeat.h"
#include "table.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* What each key is called; a key not here is shown as itself, '_' as ' '. */
static const struct {
    const char *key, *fr, *en;
    bool words; /* its values are enumerations, shown in words */
} labels[] = {
    {"id", "N°", "No.", false},
    {"region", "Région", "Region", false},
    {"title", "Titre", "Title", false},
    {"name", "Nom", "Name", false},
    {"state", "État", "State", true},
    {"status", "État", "Status", true},
    {"kind", "Type", "Kind", true},
    {"start", "Début", "Start", false},
    {"end", "Fin", "End", false},
    {"occurrence", "Séance", "Session", false},
    {"place", "Lieu", "Place", false},
    {"url", "Lien", "Link", false},
    {"organisation", "Organisation", "Organisation", false},
    {"description", "Description", "Description", false},
    {"action", "Action", "Action", false},
    {"category", "Catégorie", "Category", false},
    {"territory", "Territoire", "Territory", false},
    {"contact_name", "Contact", "Contact", false},
    {"contact_email", "Courriel", "E-mail", false},
    {"charter", "Charte", "Charter", false},
    {"motivation", "Motivation", "Motivation", false},
    {"reason", "Motif", "Reason", false},
    {"decision", "Décision", "Decision", true},
    {"required", "Champs requis", "Required fields", true},
    {"renewal_months", "Renouvellement (mois)", "Renewal (months)", false},
    {"members", "Membres", "Members", false},
    {"indicator", "Indicateur", "Indicator", false},
    {"measure", "Mesure", "Measure", true},
    {"address", "Adresse", "Address", false},
    {"channel", "Canal", "Channel", true},
    {"cadence", "Fréquence", "Cadence", true},
    {"events", "Événements", "Events", false},
    {"lang", "Langue", "Language", true},
    {"at", "Heure", "At", false},
    {"weekday", "Jour", "Weekday", false},
    {"responsible", "Responsable", "Responsible", false},
    {"tags", "Étiquettes", "Tags", false},
    {"interval", "Intervalle (s)", "Interval (s)", false},
    {"site", "Site", "Site", false},
    {"items", "Éléments", "Items", false},
    {"warning", "Avertissement", "Warning", false},
    {"last_error", "Dernière erreur", "Last error", false},
    {"rrule", "Récurrence", "Recurrence", false},
    {"exdates", "Sauf", "Except", false},
    {"all_day", "Toute la journée", "All day", false},
    {"participants", "Participants", "Participants", false},
    {"notes", "Notes", "Notes", false},
    {"uid", "UID", "UID", false},
    {"sequence", "Version", "Sequence", false},
    {"duplicate_of", "Doublon de", "Duplicate of", false},
    {"percent", "%", "%", false},
    {"plan", "Plan", "Plan", false},
    {"text", "Texte", "Text", false},
    {"count", "Nombre", "Count", false},
    {"created", "Créés", "Created", false},
    {"updated", "Modifiés", "Updated", false},
    {"unchanged", "Inchangés", "Unchanged", false},
    {"problems", "Problèmes", "Problems", false},
    {"categories", "Catégories", "Categories", false},
    {"actions", "Actions", "Actions", false},
    {"last_milestone", "Dernier jalon (%)", "Last milestone (%)", false},
    {"by_status", "Par état", "By status", false},
    {"held", "Séances tenues", "Sessions held", false},
    {"submitted_ms", "Reçue le", "Received on", false},
    {"decided_ms", "Décidée le", "Decided on", false},
    {"member_since_ms", "Membre depuis", "Member since", false},
    {"renewed_ms", "Renouvelée le", "Renewed on", false},
    {"ended_ms", "Terminée le", "Ended on", false},
    {"erased_ms", "Effacée le", "Erased on", false},
    {"created_ms", "Créé le", "Created on", false},
    {"updated_ms", "Modifié le", "Updated on", false},
    {"published", "Publié le", "Published", false},
    {"last_ok", "Lu le", "Read on", false},
    {"last_fetch", "Dernière lecture", "Last fetch", false},
    {"next_fetch", "Prochaine lecture", "Next fetch", false},
    {"link", "Lien", "Link", false},
    {"format", "Format", "Format", false},
    {"failures", "Échecs", "Failures", false},
    {"last_status", "Dernier statut HTTP", "Last HTTP status", false},
};

static column column_for(const char *key, size_t max)
{
    for (size_t i = 0; i < COUNT(labels); i++)
        if (strcmp(labels[i].key, key) == 0)
            return (column){labels[i].key, labels[i].fr, labels[i].en, max, labels[i].words};
    return (column){key, key, key, max, false};
}

/* "…_ms" keys hold epoch milliseconds: shown as local "YYYY-MM-DD HH:MM". */
static bool is_time(const char *key)
{
    size_t n = strlen(key);
    return n > 3 && strcmp(key + n - 3, "_ms") == 0;
}

/* The map's scalar entries, times as local dates (in a copy the table
 * code can read like any other map). */
static bool scalar(const msgpack_object *v)
{
    return v->type != MSGPACK_OBJECT_MAP &&
           !(v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size && v->via.array.ptr[0].type == MSGPACK_OBJECT_MAP);
}

static void local_time(const msgpack_object *v, char *out, size_t cap)
{
    out[0] = '\0';
    if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return;
    time_t t = (time_t)(v->via.u64 / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M", &tm);
}

static void label_of(const char *key, char *out, size_t cap)
{
    column c = column_for(key, 0);
    const char *l = ctl_en() ? c.en : c.fr;
    if (l == key && strcmp(ctl_word(key), key) != 0)
        l = ctl_word(key); /* a key that is a value: by_status's "in_progress" */
    snprintf(out, cap, "%s", l);
    if (l == key) {
        for (char *p = out; *p; p++)
            if (*p == '_')
                *p = ' ';
        /* "submitted ms" → "submitted" */
        size_t n = strlen(out);
        if (n > 3 && strcmp(out + n - 3, " ms") == 0)
            out[n - 3] = '\0';
    }
}

static void details(const msgpack_object *map)
{
    size_t lw = 0;
    char label[96], buf[8192];
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || !scalar(&kv->val))
            continue;
        char key[64];
        cn_mp_str_copy(&kv->key, key, sizeof key);
        label_of(key, label, sizeof label);
        size_t w = 0;
        for (const char *p = label; *p; p++)
            w += ((unsigned char)*p & 0xC0) != 0x80;
        if (w > lw)
            lw = w;
    }
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || !scalar(&kv->val))
            continue;
        char key[64];
        cn_mp_str_copy(&kv->key, key, sizeof key);
        const char *v;
        if (is_time(key)) {
            local_time(&kv->val, buf, sizeof buf);
            v = buf;
        } else if (strcmp(key, "rrule") == 0 && kv->val.type == MSGPACK_OBJECT_STR) {
            char rule[512], words[512];
            cn_mp_str_copy(&kv->val, rule, sizeof rule);
            rrule_to_words(rule, ctl_en(), words, sizeof words); /* "le 2e mardi du mois (FREQ=…)" */
            snprintf(buf, sizeof buf, "%s (%s)", words, rule);
            v = buf;
        } else {
            v = ctl_scalar(&kv->val, buf, sizeof buf, column_for(key, 0).words);
        }
        if (!*v)
            continue;
        label_of(key, label, sizeof label);
        size_t w = 0;
        for (const char *p = label; *p; p++)
            w += ((unsigned char)*p & 0xC0) != 0x80;
        printf("%s", label);
        for (; w < lw; w++)
            putchar(' ');
        printf(" : %s\n", v);
    }
    /* Lists of maps (a policy's categories, an activity's sessions held). */
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || scalar(&kv->val))
            continue;
        char key[64];
        cn_mp_str_copy(&kv->key, key, sizeof key);
        label_of(key, label, sizeof label);
        printf("\n%s\n", label);
        ctl_render_generic(&kv->val);
    }
}

static void table(const msgpack_object *list)
{
    column cols[12];
    size_t n = 0;
    const msgpack_object *first = &list->via.array.ptr[0];
    for (uint32_t i = 0; i < first->via.map.size && n < COUNT(cols); i++) {
        const msgpack_object_kv *kv = &first->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || !scalar(&kv->val) || kv->key.via.str.size >= 64)
            continue;
        static char keys[12][64]; /* the column keys outlive this loop, in the table's calls */
        cn_mp_str_copy(&kv->key, keys[n], sizeof keys[n]);
        if (is_time(keys[n]))
            continue; /* raw milliseconds mean nothing in a table */
        cols[n] = column_for(keys[n], 40);
        n++;
    }
    ctl_table(list, cols, n);
}

void ctl_render_generic(const msgpack_object *r)
{
    if (r && r->type == MSGPACK_OBJECT_MAP)
        details(r);
    else if (r && r->type == MSGPACK_OBJECT_ARRAY && r->via.array.size && r->via.array.ptr[0].type == MSGPACK_OBJECT_MAP)
        table(r);
    else if (r && r->type == MSGPACK_OBJECT_ARRAY && r->via.array.size == 0)
        printf("%s\n", ctl_en() ? "(none)" : "(aucun)");
    else
        ctl_print_json(r, false);
}
