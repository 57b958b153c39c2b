/* message.c: see message.h. */
#include "message.h"
#include "sentence.h"
#include "words.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>

#include <concertd/plugin.h>

/* ---- growing strings ------------------------------------------------------ */

typedef struct {
    char *p;
    size_t n, cap;
    bool oom;
} str;

static void put(str *s, const char *t, size_t n)
{
    if (s->oom)
        return;
    if (s->n + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 512;
        while (cap < s->n + n + 1)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->oom = true;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->n, t, n);
    s->n += n;
    s->p[s->n] = '\0';
}

static void puts_(str *s, const char *t) { put(s, t, strlen(t)); }

/* ---- words ---------------------------------------------------------------- */

void message_date_words(const char *date, const char *lang, char *out, size_t cap)
{
    static const char *const fr[] = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                                     "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
    static const char *const en[] = {"January", "February", "March",     "April",   "May",      "June",
                                     "July",    "August",   "September", "October", "November", "December"};
    int y, m, d;
    if (!date || sscanf(date, "%d-%d-%d", &y, &m, &d) != 3 || m < 1 || m > 12) {
        snprintf(out, cap, "%s", "");
        return;
    }
    if (strcmp(lang, "en") == 0)
        snprintf(out, cap, "%s %d, %d", en[m - 1], d, y);
    else
        snprintf(out, cap, "%d%s %s %d", d, d == 1 ? "er" : "", fr[m - 1], y);
}

void message_when_words(long days, const char *date, const char *lang, char *out, size_t cap)
{
    char on[64];
    message_date_words(date, lang, on, sizeof on);
    bool en = strcmp(lang, "en") == 0;
    if (days == 0)
        snprintf(out, cap, en ? "today, %s" : "aujourd'hui, le %s", on);
    else if (days == 1)
        snprintf(out, cap, en ? "tomorrow, %s" : "demain, le %s", on);
    else if (days > 1)
        snprintf(out, cap, en ? "in %ld days, on %s" : "dans %ld jours, le %s", days, on);
    else if (days == -1)
        snprintf(out, cap, en ? "yesterday, %s" : "hier, le %s", on);
    else
        snprintf(out, cap, en ? "%ld days ago, on %s" : "il y a %ld jours, le %s", -days, on);
}

static const char *status_words(const char *status, bool en) { return cn_word(status, en); }

/* ---- templates ------------------------------------------------------------ */

typedef struct {
    const char *name, *fr, *en;
} builtin;

static const builtin builtins[] = {
    {"echeance.upcoming",
     "Objet : Échéance {{when_short}} : action {{number}} ({{region}})\n\n"
     "Bonjour,\n\n"
     "L'action {{number}} du {{plan}} arrive à échéance {{when}}.\n\n"
     "  {{text}}\n\n"
     "Responsable : {{responsible}}\n"
     "Échéance au plan : {{schedule}}\n"
     "État : {{status}}\n\n"
     "-- \nRappel envoyé par concertd pour la région {{region}}.\n",
     "Subject: Due {{when_short}}: action {{number}} ({{region}})\n\n"
     "Hello,\n\n"
     "Action {{number}} of the {{plan}} comes due {{when}}.\n\n"
     "  {{text}}\n\n"
     "Responsible: {{responsible}}\n"
     "Schedule in the plan: {{schedule}}\n"
     "Status: {{status}}\n\n"
     "-- \nReminder sent by concertd for the region {{region}}.\n"},
    {"echeance.overdue",
     "Objet : Échéance dépassée : action {{number}} ({{region}})\n\n"
     "Bonjour,\n\n"
     "L'échéance de l'action {{number}} du {{plan}} est passée : elle tombait {{when}}.\n\n"
     "  {{text}}\n\n"
     "Responsable : {{responsible}}\n"
     "Échéance au plan : {{schedule}}\n"
     "État : {{status}}\n\n"
     "Si elle est réalisée, reportée ou annulée, changer son état arrête les rappels.\n\n"
     "-- \nRappel envoyé par concertd pour la région {{region}}.\n",
     "Subject: Overdue: action {{number}} ({{region}})\n\n"
     "Hello,\n\n"
     "Action {{number}} of the {{plan}} is past its échéance: it was due {{when}}.\n\n"
     "  {{text}}\n\n"
     "Responsible: {{responsible}}\n"
     "Schedule in the plan: {{schedule}}\n"
     "Status: {{status}}\n\n"
     "If it is done, postponed or cancelled, changing its status stops the reminders.\n\n"
     "-- \nReminder sent by concertd for the region {{region}}.\n"},
    {"echeance.follow_up",
     "Objet : Point de suivi : action {{number}} ({{region}})\n\n"
     "Bonjour,\n\n"
     "L'action {{number}} du {{plan}} se poursuit ({{schedule}}). Où en est-elle?\n\n"
     "  {{text}}\n\n"
     "Responsable : {{responsible}}\n"
     "État : {{status}}\n\n"
     "-- \nRappel envoyé par concertd pour la région {{region}}.\n",
     "Subject: Follow-up: action {{number}} ({{region}})\n\n"
     "Hello,\n\n"
     "Action {{number}} of the {{plan}} is ongoing ({{schedule}}). Where does it stand?\n\n"
     "  {{text}}\n\n"
     "Responsible: {{responsible}}\n"
     "Status: {{status}}\n\n"
     "-- \nReminder sent by concertd for the region {{region}}.\n"},
    {"activity.upcoming",
     "Objet : {{title}}, {{when_short}} ({{region}})\n\n"
     "Bonjour,\n\n"
     "« {{title}} » a lieu {{when}}, à {{time}}.\n\n"
     "Lieu : {{place}}\n\n"
     "-- \nRappel envoyé par concertd pour la région {{region}}.\n",
     "Subject: {{title}}, {{when_short}} ({{region}})\n\n"
     "Hello,\n\n"
     "\"{{title}}\" takes place {{when}}, at {{time}}.\n\n"
     "Place: {{place}}\n\n"
     "-- \nReminder sent by concertd for the region {{region}}.\n"},
    {"veille.item",
     "Objet : Veille : {{title}} ({{region}})\n\n"
     "Bonjour,\n\n"
     "La veille a repéré : « {{title}} »\n\n"
     "{{excerpt}}\n\n"
     "{{link}}\n\n"
     "Étiquettes : {{tags}}\n"
     "Objectifs du plan : {{objectives}}\n\n"
     "-- \nAvis envoyé par concertd pour la région {{region}}.\n",
     "Subject: Watch: {{title}} ({{region}})\n\n"
     "Hello,\n\n"
     "The watch found: \"{{title}}\"\n\n"
     "{{excerpt}}\n\n"
     "{{link}}\n\n"
     "Tags: {{tags}}\n"
     "Plan objectives: {{objectives}}\n\n"
     "-- \nNotice sent by concertd for the region {{region}}.\n"},
    {"adhesion.received",
     "Objet : Demande d'adhésion reçue : {{organisation}}\n"
     "\n"
     "Bonjour {{name}},\n"
     "\n"
     "Nous avons bien reçu la demande d'adhésion de {{organisation}} (catégorie : {{category}}) à la table de concertation ({{region}}).\n"
     "\n"
     "Elle sera étudiée selon la politique d'adhésion de la table ; nous vous écrirons dès qu'une décision sera prise.\n"
     "\n"
     "Charte des valeurs acceptée : version {{charter}}.\n"
     "\n"
     "-- \n"
     "Message envoyé par concertd pour la région {{region}}.\n",
     "Subject: Membership application received: {{organisation}}\n"
     "\n"
     "Hello {{name}},\n"
     "\n"
     "We have received the membership application of {{organisation}} (category: {{category}}) to the table ({{region}}).\n"
     "\n"
     "It will be reviewed under the table's membership policy; we will write as soon as it is decided.\n"
     "\n"
     "Charter of values accepted: version {{charter}}.\n"
     "\n"
     "-- \n"
     "Message sent by concertd for the region {{region}}.\n"},
    {"adhesion.accepted",
     "Objet : Bienvenue : {{organisation}} est membre\n"
     "\n"
     "Bonjour {{name}},\n"
     "\n"
     "La demande d'adhésion de {{organisation}} est acceptée : l'organisation est maintenant membre de la table ({{region}}), catégorie {{category}}.\n"
     "\n"
     "Bienvenue!\n"
     "\n"
     "-- \n"
     "Message envoyé par concertd pour la région {{region}}.\n",
     "Subject: Welcome: {{organisation}} is a member\n"
     "\n"
     "Hello {{name}},\n"
     "\n"
     "The membership application of {{organisation}} is accepted: the organisation is now a member of the table ({{region}}), category {{category}}.\n"
     "\n"
     "Welcome!\n"
     "\n"
     "-- \n"
     "Message sent by concertd for the region {{region}}.\n"},
    {"adhesion.refused",
     "Objet : Demande d'adhésion de {{organisation}}\n"
     "\n"
     "Bonjour {{name}},\n"
     "\n"
     "La demande d'adhésion de {{organisation}} n'a pas été retenue.\n"
     "\n"
     "Motif : {{reason}}\n"
     "\n"
     "Pour toute question, répondez à ce message.\n"
     "\n"
     "-- \n"
     "Message envoyé par concertd pour la région {{region}}.\n",
     "Subject: Membership application of {{organisation}}\n"
     "\n"
     "Hello {{name}},\n"
     "\n"
     "The membership application of {{organisation}} was not accepted.\n"
     "\n"
     "Reason: {{reason}}\n"
     "\n"
     "For any question, reply to this message.\n"
     "\n"
     "-- \n"
     "Message sent by concertd for the region {{region}}.\n"},
    {"adhesion.needs_info",
     "Objet : Demande d'adhésion de {{organisation}} : il manque un renseignement\n"
     "\n"
     "Bonjour {{name}},\n"
     "\n"
     "Pour étudier la demande d'adhésion de {{organisation}}, il nous faut :\n"
     "\n"
     "{{reason}}\n"
     "\n"
     "Merci de nous le faire parvenir en répondant à ce message.\n"
     "\n"
     "-- \n"
     "Message envoyé par concertd pour la région {{region}}.\n",
     "Subject: Membership application of {{organisation}}: information needed\n"
     "\n"
     "Hello {{name}},\n"
     "\n"
     "To review the membership application of {{organisation}}, we need:\n"
     "\n"
     "{{reason}}\n"
     "\n"
     "Please reply to this message with it.\n"
     "\n"
     "-- \n"
     "Message sent by concertd for the region {{region}}.\n"},
    {"adhesion.lapsed",
     "Objet : L'adhésion de {{organisation}} est à renouveler\n"
     "\n"
     "Bonjour {{name}},\n"
     "\n"
     "L'adhésion de {{organisation}} à la table ({{region}}) est arrivée à échéance. Pour rester membre, il suffit de la renouveler : répondez à ce message.\n"
     "\n"
     "-- \n"
     "Message envoyé par concertd pour la région {{region}}.\n",
     "Subject: The membership of {{organisation}} is due for renewal\n"
     "\n"
     "Hello {{name}},\n"
     "\n"
     "The membership of {{organisation}} in the table ({{region}}) has come due. To remain a member, renew it: reply to this message.\n"
     "\n"
     "-- \n"
     "Message sent by concertd for the region {{region}}.\n"},
    {"adhesion.submitted",
     "Objet : Nouvelle demande d'adhésion : {{organisation}} ({{region}})\n"
     "\n"
     "Bonjour,\n"
     "\n"
     "{{organisation}} demande à devenir membre de la table ({{region}}), catégorie {{category}}.\n"
     "\n"
     "Les demandes en attente : concertctl adhesion list {{region_id}} --state submitted\n"
     "\n"
     "-- \n"
     "Avis envoyé par concertd pour la région {{region}}.\n",
     "Subject: New membership application: {{organisation}} ({{region}})\n"
     "\n"
     "Hello,\n"
     "\n"
     "{{organisation}} applies to become a member of the table ({{region}}), category {{category}}.\n"
     "\n"
     "Pending applications: concertctl adhesion list {{region_id}} --state submitted\n"
     "\n"
     "-- \n"
     "Notice sent by concertd for the region {{region}}.\n"},
    {"adhesion.pending",
     "Objet : Demandes d'adhésion en attente ({{region}})\n\n"
     "Bonjour,\n\n"
     "{{pending}} demande(s) d'adhésion attendent une décision ; la plus ancienne depuis {{oldest_days}} jours.\n\n"
     "Pour les voir : concertctl adhesion list {{region_id}} --state submitted\n\n"
     "-- \nAvis envoyé par concertd pour la région {{region}}.\n",
     "Subject: Membership applications waiting ({{region}})\n\n"
     "Hello,\n\n"
     "{{pending}} membership application(s) wait for a decision; the oldest for {{oldest_days}} days.\n\n"
     "To see them: concertctl adhesion list {{region_id}} --state submitted\n\n"
     "-- \nNotice sent by concertd for the region {{region}}.\n"},
    {"federation.peer_silent",
     "Objet : Fédération : {{peer}} ne donne plus de nouvelles ({{region}})\n"
     "\n"
     "Bonjour,\n"
     "\n"
     "Le nœud {{peer}}, qui tient la région {{region}}, ne donne plus de\n"
     "nouvelles à ce nœud-ci. Dernier contact : {{last_contact}}.\n"
     "\n"
     "Ses changements n'arrivent plus ici : la copie de la région reste telle\n"
     "qu'elle était au dernier contact. Sur ce nœud, concertctl federation status\n"
     "dit la dernière erreur de la liaison ; la table peut vérifier que son\n"
     "concertd tourne (systemctl status concertd) et que le réseau passe.\n"
     "\n"
     "Un autre avis suivra quand {{peer}} donnera de nouveau des nouvelles.\n"
     "\n"
     "-- \n"
     "Avis envoyé par concertd.\n",
     "Subject: Federation: {{peer}} is not heard from ({{region}})\n"
     "\n"
     "Hello,\n"
     "\n"
     "The node {{peer}}, which holds the region {{region}}, is no longer heard\n"
     "from by this node. Last contact: {{last_contact}}.\n"
     "\n"
     "Its changes no longer arrive here: the copy of the region stays as it was\n"
     "at the last contact. On this node, concertctl federation status gives the\n"
     "link's last error; the table can check that its concertd runs (systemctl\n"
     "status concertd) and that the network lets it through.\n"
     "\n"
     "Another notice will follow when {{peer}} is heard from again.\n"
     "\n"
     "-- \n"
     "Notice sent by concertd.\n"},
    {"federation.peer_back",
     "Objet : Fédération : {{peer}} donne de nouveau des nouvelles ({{region}})\n"
     "\n"
     "Bonjour,\n"
     "\n"
     "Le nœud {{peer}}, qui tient la région {{region}}, donne de nouveau des\n"
     "nouvelles à ce nœud-ci : ses changements arrivent et la copie de la région\n"
     "se met à jour.\n"
     "\n"
     "-- \n"
     "Avis envoyé par concertd.\n",
     "Subject: Federation: {{peer}} is heard from again ({{region}})\n"
     "\n"
     "Hello,\n"
     "\n"
     "The node {{peer}}, which holds the region {{region}}, is heard from again\n"
     "by this node: its changes arrive and the copy of the region is brought up\n"
     "to date.\n"
     "\n"
     "-- \n"
     "Notice sent by concertd.\n"},
    {"default",
     "Objet : {{summary}} ({{region}})\n\n"
     "Bonjour,\n\n"
     "{{summary}}\n\n"
     "Région : {{region}}\n\n"
     "-- \nAvis envoyé par concertd.\n",
     "Subject: {{summary}} ({{region}})\n\n"
     "Hello,\n\n"
     "{{summary}}\n\n"
     "Region: {{region}}\n\n"
     "-- \nNotice sent by concertd.\n"},
};

/* The table's own templates, read once at start (message_load_templates):
 * rendering a message does no file I/O on the loop. */
typedef struct {
    char name[128]; /* "echeance.upcoming.fr" */
    char *text;
} loaded;
static loaded *cache;
static size_t ncache;

int message_load_templates(const char *dir)
{
    message_free_templates();
    DIR *d = dir && *dir ? opendir(dir) : NULL;
    if (!d)
        return dir && *dir ? -1 : 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || len >= sizeof cache[0].name + 4 || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        str s = {0};
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            put(&s, buf, n);
        fclose(f);
        loaded *grown = s.oom || !s.p ? NULL : realloc(cache, (ncache + 1) * sizeof *cache);
        if (!grown) {
            free(s.p);
            rc = s.oom ? -1 : 0;
            continue;
        }
        cache = grown;
        snprintf(cache[ncache].name, sizeof cache[ncache].name, "%.*s", (int)(len - 4), e->d_name);
        cache[ncache++].text = s.p;
    }
    closedir(d);
    return rc < 0 ? rc : (int)ncache;
}

void message_free_templates(void)
{
    for (size_t i = 0; i < ncache; i++)
        free(cache[i].text);
    free(cache);
    cache = NULL;
    ncache = 0;
}

/* The template text for name: the table's NAME.LANG.txt when there is one,
 * else its default.LANG.txt, else the built-in one. */
static char *template_for(const char *name, const char *lang)
{
    const char *tries[] = {name, "default"};
    for (int t = 0; t < 2; t++) {
        char key[160];
        snprintf(key, sizeof key, "%s.%s", tries[t], lang);
        for (size_t i = 0; i < ncache; i++)
            if (strcmp(cache[i].name, key) == 0)
                return strdup(cache[i].text);
    }
    const builtin *b = &builtins[sizeof builtins / sizeof builtins[0] - 1];
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, name) == 0)
            b = &builtins[i];
    return strdup(strcmp(lang, "en") == 0 ? b->en : b->fr);
}

/* ---- values of an event ---------------------------------------------------- */

#define NVARS 40
typedef struct {
    const char *name;
    char value[2048];
} var;

static void set(var *v, int *n, const char *name, const char *value)
{
    if (*n >= NVARS)
        return;
    v[*n].name = name;
    snprintf(v[*n].value, sizeof v[*n].value, "%s", value && *value ? value : "—");
    (*n)++;
}

static void mp_text(const msgpack_object *o, char *out, size_t cap)
{
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(out, cap, "%llu", (unsigned long long)o->via.u64);
    else if (o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        snprintf(out, cap, "%lld", (long long)o->via.i64);
    else
        cd_str(o, out, cap);
}

/* An array of strings as "a, b, c". */
static void joined(const msgpack_object *o, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (uint32_t i = 0; o && o->type == MSGPACK_OBJECT_ARRAY && i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        if (e->type != MSGPACK_OBJECT_STR)
            continue;
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%.*s", n ? ", " : "", (int)e->via.str.size,
                              e->via.str.ptr);
        if (n >= cap)
            break;
    }
}

/* A sentence for events without their own template. */
static void summary(const msgpack_object *event, bool en, char *out, size_t cap)
{
    char type[64], num[64], a[256], b[256];
    cd_str(cd_get(event, "type"), type, sizeof type);
    const msgpack_object *d = cd_get(event, "data"), *action = cd_get(d, "action");
    const msgpack_object *subject = action && action->type == MSGPACK_OBJECT_MAP ? action : d;
    mp_text(cd_get(subject, "number"), num, sizeof num);
    char what[300];
    cd_str(cd_get(subject, "text"), what, sizeof what);
    if (strcmp(type, "federation.peer_silent") == 0 || strcmp(type, "federation.peer_back") == 0) {
        cd_str(cd_get(d, "peer"), a, sizeof a);
        snprintf(out, cap, strcmp(type, "federation.peer_back") == 0
                               ? (en ? "The node %s is heard from again" : "Le nœud %s donne de nouveau des nouvelles")
                               : (en ? "The node %s has not been heard from for a while"
                                     : "Le nœud %s ne donne plus de nouvelles"),
                 a);
    } else if (strcmp(type, "action.status_changed") == 0) {
        char note[1024];
        cd_str(cd_get(d, "from"), a, sizeof a);
        cd_str(cd_get(d, "to"), b, sizeof b);
        cd_str(cd_get(d, "note"), note, sizeof note);
        snprintf(out, cap, en ? "Action %s \"%s\" went from %s to %s%s%s" : "L'action %s « %s » passe de « %s » à « %s »%s%s",
                 num, what, status_words(a, en), status_words(b, en), note[0] ? (en ? ". Note: " : ". Note : ") : "",
                 note);
    } else if (strcmp(type, "action.noted") == 0) {
        cd_str(cd_get(d, "text"), a, sizeof a);
        snprintf(out, cap, en ? "Note on action %s \"%s\": %s" : "Note sur l'action %s « %s » : %s", num, what, a);
    } else if (strcmp(type, "action.created") == 0 || strcmp(type, "action.updated") == 0) {
        cd_str(cd_get(subject, "text"), a, sizeof a);
        snprintf(out, cap, en ? "Action %s %s: %s" : "Action %s %s : %s", num,
                 type[7] == 'c' ? (en ? "added" : "ajoutée") : (en ? "changed" : "modifiée"), a);
    } else if (strcmp(type, "indicator.recorded") == 0) {
        const msgpack_object *ind = cd_get(d, "indicator");
        cd_str(cd_get(ind, "name"), a, sizeof a);
        const msgpack_object *v = cd_get(d, "value");
        double value = v && (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32) ? v->via.f64
                       : v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (double)v->via.u64
                                                                         : 0;
        snprintf(out, cap, en ? "New measurement of \"%s\": %g" : "Nouvelle mesure de « %s » : %g", a, value);
    } else {
        /* The sentence concertctl tail prints, without its "region · ". */
        char line[2048];
        cn_event_sentence(event, en, line, sizeof line);
        const char *dot = strstr(line, " · ");
        snprintf(out, cap, "%s", dot ? dot + strlen(" · ") : line);
        if (out[0] >= 'a' && out[0] <= 'z')
            out[0] = (char)(out[0] - 'a' + 'A');
    }
}

static int collect(const msgpack_object *event, const char *lang, const char *region_name, var *v)
{
    bool en = strcmp(lang, "en") == 0;
    int n = 0;
    char buf[2048], tmp[256];
    const msgpack_object *d = cd_get(event, "data"), *action = cd_get(d, "action");
    if (action && action->type != MSGPACK_OBJECT_MAP)
        action = NULL;
    /* People read the region's name; its id is for commands (concertctl … {{region_id}}). */
    set(v, &n, "region_id", cd_str(cd_get(event, "region"), buf, sizeof buf));
    set(v, &n, "region", region_name && *region_name ? region_name : buf);
    set(v, &n, "type", cd_str(cd_get(event, "type"), buf, sizeof buf));
    set(v, &n, "origin", cd_str(cd_get(event, "origin"), buf, sizeof buf));
    mp_text(cd_get(event, "seq"), buf, sizeof buf);
    set(v, &n, "seq", buf);
    const msgpack_object *subject = action ? action : d;
    mp_text(cd_get(subject, "number"), buf, sizeof buf);
    set(v, &n, "number", buf);
    set(v, &n, "text", cd_str(cd_get(subject, "text"), buf, sizeof buf));
    set(v, &n, "responsible", cd_str(cd_get(subject, "responsible"), buf, sizeof buf));
    set(v, &n, "schedule", cd_str(cd_get(subject, "schedule"), buf, sizeof buf));
    set(v, &n, "status", status_words(cd_str(cd_get(subject, "status"), tmp, sizeof tmp), en));
    char title[1024];
    cd_str(cd_get(cd_get(d, "plan"), "title"), title, sizeof title);
    snprintf(buf, sizeof buf, "%s%s%s", en ? "plan" : "plan", *title ? " " : "", *title ? title : "");
    /* "du plan Plan d'action 2018-2023" reads badly: the title alone when it says "Plan". */
    if (strncmp(title, "Plan", 4) == 0 || strncmp(title, "plan", 4) == 0)
        snprintf(buf, sizeof buf, "%s", title);
    set(v, &n, "plan", buf);
    const msgpack_object *w = cd_get(d, "window"), *left = cd_get(d, "days_left");
    char end[16];
    cd_str(cd_get(w, "end"), end, sizeof end);
    /* An activity of the calendar: its occurrence is the date. */
    const msgpack_object *activity = cd_get(d, "activity");
    char occurrence[32];
    cd_str(cd_get(d, "occurrence"), occurrence, sizeof occurrence);
    if (!end[0] && occurrence[0])
        snprintf(end, sizeof end, "%.10s", occurrence);
    /* An activity's title, or the event's own (a veille item). */
    set(v, &n, "title", cd_str(cd_get(activity ? activity : d, "title"), buf, sizeof buf));
    set(v, &n, "link", cd_str(cd_get(d, "link"), buf, sizeof buf));
    set(v, &n, "excerpt", cd_str(cd_get(d, "summary"), buf, sizeof buf));
    joined(cd_get(d, "tags"), buf, sizeof buf);
    set(v, &n, "tags", buf);
    joined(cd_get(d, "objectives"), buf, sizeof buf);
    set(v, &n, "objectives", buf);
    /* Membership (adhesion): what the applicant's own messages say. */
    set(v, &n, "organisation", cd_str(cd_get(d, "organisation"), buf, sizeof buf));
    set(v, &n, "category", cd_str(cd_get(d, "category_name"), buf, sizeof buf));
    set(v, &n, "reason", cd_str(cd_get(d, "reason"), buf, sizeof buf));
    set(v, &n, "name", cd_str(cd_get(d, "name"), buf, sizeof buf));
    set(v, &n, "charter", cd_str(cd_get(d, "charter"), buf, sizeof buf));
    mp_text(cd_get(d, "pending"), buf, sizeof buf);
    set(v, &n, "pending", buf);
    mp_text(cd_get(d, "oldest_days"), buf, sizeof buf);
    set(v, &n, "oldest_days", buf);
    set(v, &n, "place", cd_str(cd_get(activity, "place"), buf, sizeof buf));
    set(v, &n, "time", strlen(occurrence) > 11 ? occurrence + 11 : "");
    long days = left && left->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (long)left->via.u64
                : left && left->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? (long)left->via.i64
                                                                        : 0;
    message_date_words(end, lang, tmp, sizeof tmp);
    set(v, &n, "due", tmp);
    message_when_words(days, end, lang, buf, sizeof buf);
    set(v, &n, "when", end[0] ? buf : "");
    char *comma = strchr(buf, ',');
    if (comma)
        *comma = '\0';
    set(v, &n, "when_short", end[0] ? buf : "");
    snprintf(tmp, sizeof tmp, "%ld", days);
    set(v, &n, "days_left", tmp);
    /* A federation peer silent, or back (federation.peer_silent, peer_back). */
    set(v, &n, "peer", cd_str(cd_get(d, "peer"), buf, sizeof buf));
    const msgpack_object *contact = cd_get(d, "last_contact_ms");
    tmp[0] = '\0';
    if (contact && contact->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        time_t t = (time_t)(contact->via.u64 / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(tmp, sizeof tmp, "%Y-%m-%d %H:%M", &tm);
    }
    set(v, &n, "last_contact", tmp[0] ? tmp : (en ? "none since the start" : "aucun depuis le démarrage"));
    summary(event, en, buf, sizeof buf);
    set(v, &n, "summary", buf);
    return n;
}

static void fill(str *out, const char *tpl, const var *v, int n)
{
    for (const char *p = tpl; *p;) {
        const char *open = strstr(p, "{{");
        if (!open) {
            puts_(out, p);
            return;
        }
        put(out, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            puts_(out, open);
            return;
        }
        size_t len = (size_t)(close - open - 2);
        bool found = false;
        for (int i = 0; i < n && !found; i++)
            if (strlen(v[i].name) == len && strncmp(v[i].name, open + 2, len) == 0) {
                puts_(out, v[i].value);
                found = true;
            }
        if (!found)
            put(out, open, (size_t)(close + 2 - open)); /* unknown: left as written, to be seen and fixed */
        p = close + 2;
    }
}

int message_render(const msgpack_object *event, const char *lang, const char *region_name, char **subject, char **body)
{
    *subject = *body = NULL;
    char type[64];
    cd_str(cd_get(event, "type"), type, sizeof type);
    char *tpl = template_for(type, lang);
    if (!tpl)
        return -1;
    var *v = calloc(NVARS, sizeof *v);
    if (!v) {
        free(tpl);
        return -1;
    }
    int n = collect(event, lang, region_name, v);
    str out = {0};
    fill(&out, tpl, v, n);
    free(tpl);
    free(v);
    if (out.oom || !out.p) {
        free(out.p);
        return -1;
    }
    /* First line: "Objet : …" or "Subject: …"; then the body after a blank line. */
    char *text = out.p, *nl = strchr(text, '\n');
    const char *subj = "";
    if (nl && (strncmp(text, "Objet", 5) == 0 || strncmp(text, "Subject", 7) == 0)) {
        *nl = '\0';
        char *colon = strchr(text, ':');
        subj = colon ? colon + 1 : text;
        while (*subj == ' ')
            subj++;
        text = nl + 1;
        while (*text == '\n' || *text == '\r')
            text++;
    }
    *subject = strdup(subj);
    *body = strdup(text);
    free(out.p);
    if (!*subject || !*body) {
        free(*subject);
        free(*body);
        *subject = *body = NULL;
        return -1;
    }
    return 0;
}

/* ---- e-mail ---------------------------------------------------------------- */

static void base64(str *out, const unsigned char *p, size_t n, size_t line)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t col = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {t[v >> 18 & 63], t[v >> 12 & 63], i + 1 < n ? t[v >> 6 & 63] : '=', i + 2 < n ? t[v & 63] : '='};
        put(out, q, 4);
        col += 4;
        if (line && col >= line && i + 3 < n) {
            puts_(out, "\r\n");
            col = 0;
        }
    }
}

static bool ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80 || *s == '\r' || *s == '\n')
            return false;
    return true;
}

/* RFC 2047: =?UTF-8?B?…?= words of at most 45 bytes of text each (whole
 * characters), folded onto continuation lines. */
static void encoded_words(str *out, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t take = n - i < 45 ? n - i : 45;
        while (take < n - i && ((unsigned char)s[i + take] & 0xC0) == 0x80)
            take--;
        if (i)
            puts_(out, "\r\n ");
        puts_(out, "=?UTF-8?B?");
        base64(out, (const unsigned char *)s + i, take, 0);
        puts_(out, "?=");
        i += take;
    }
}

char *message_email(const char *from, const char *to, const char *subject, const char *body, const char *message_id,
                    long long now_ms)
{
    str m = {0};
    puts_(&m, "From: ");
    const char *lt = strchr(from, '<');
    if (lt && lt > from && !ascii(from)) {
        char name[320];
        size_t len = (size_t)(lt - from);
        while (len && from[len - 1] == ' ')
            len--;
        snprintf(name, sizeof name, "%.*s", (int)len, from);
        encoded_words(&m, name);
        puts_(&m, " ");
        puts_(&m, lt);
    } else {
        puts_(&m, from);
    }
    puts_(&m, "\r\nTo: ");
    puts_(&m, to);
    puts_(&m, "\r\nSubject: ");
    if (ascii(subject))
        puts_(&m, subject);
    else
        encoded_words(&m, subject);
    char date[64];
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    puts_(&m, "\r\nDate: ");
    puts_(&m, date);
    puts_(&m, "\r\nMessage-ID: <");
    puts_(&m, message_id);
    puts_(&m, ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: base64\r\nAuto-Submitted: auto-generated\r\n\r\n");
    /* Line ends as e-mail wants them, then base64. */
    str crlf = {0};
    for (const char *p = body; *p; p++) {
        if (*p == '\n' && (p == body || p[-1] != '\r'))
            put(&crlf, "\r\n", 2);
        else
            put(&crlf, p, 1);
    }
    base64(&m, (const unsigned char *)(crlf.p ? crlf.p : ""), crlf.n, 76);
    puts_(&m, "\r\n");
    free(crlf.p);
    if (m.oom || crlf.oom) {
        free(m.p);
        return NULL;
    }
    return m.p;
}
