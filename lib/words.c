/* words.c: see words.h. */
#include "words.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fold.h"

typedef struct {
    const char *value, *fr, *en;
    const char *also; /* more ways to type it, '|'-separated, folded (a_completer) */
} word;

static const word words[] = {
    /* an action's state */
    {"planned", "prévue", "planned", "prevu|a_venir|planifiee|provisoire|tentative"},
    {"in_progress", "en cours", "in progress", "commencee|demarree|started"},
    {"done", "réalisée", "done", "realise|terminee|termine|faite|fait|finie|fini|complete|completed|finished"},
    {"ongoing", "en continu", "ongoing", "continu|continue|permanente|en_tout_temps"},
    {"postponed", "reportée", "postponed", "reporte|remise|differee|delayed"},
    {"cancelled", "annulée", "cancelled", "annule|abandonnee|abandonne|canceled"},
    /* plans, regions, windows */
    {"active", "en vigueur", "active", "actif|active|en_cours"},
    {"archived", "archivé", "archived", "archive|archivee"},
    {"local", "locale", "local", ""},
    {"regional", "régionale", "regional", "regionale|regional"},
    {"national", "nationale", "national", ""},
    {"dated", "datée", "dated", "date"},
    {"on_demand", "sur demande", "on demand", "sur_invitation|au_besoin"},
    {"unknown", "non datée", "undated", "inconnue|a_determiner|non_date"},
    /* the calendar */
    {"confirmed", "confirmée", "confirmed", "confirme"},
    {"held", "tenue", "held", "tenu|eue_lieu|a_eu_lieu"},
    {"rencontre", "rencontre", "meeting", "reunion"},
    {"comite", "comité", "committee", ""},
    {"formation", "formation", "training", ""},
    {"atelier", "atelier", "workshop", ""},
    {"forum", "forum", "forum", ""},
    {"aga", "AGA", "AGM", "assemblee_generale|assemblee_generale_annuelle|agm"},
    {"conference", "conférence", "conference", ""},
    {"visite", "visite", "visit", ""},
    {"autre", "autre", "other", ""},
    {"sessions", "séances", "sessions", "seance|rencontres"},
    {"participants", "participants", "participants", "participant|personnes"},
    /* membership */
    {"submitted", "soumise", "submitted", "recue|en_attente"},
    {"needs_info", "à compléter", "needs information", "infos|informations|info|incomplete"},
    {"member", "membre", "member", "acceptee|accepte"},
    {"accepted", "acceptée", "accepted", "accepte|accepter|acceptee"},
    {"refused", "refusée", "refused", "refuse|refuser|refusee|rejetee|rejected"},
    {"withdrawn", "retirée", "withdrawn", "retire|retiree|retrait"},
    {"lapsed", "échue", "lapsed", "echu|expiree|expire"},
    {"territory", "territoire", "territory", "mrc"},
    {"motivation", "motivation", "motivation", "motif|motifs|motivations"},
    {"board", "décision du CA", "board decision", "ca|conseil|conseil_d_administration|c_a"},
    {"auto", "d'office", "automatic", "automatique|d_office|automatic"},
    /* notifications */
    {"email", "courriel", "e-mail", "courriel|e_mail|mail|adresse_courriel"},
    {"webhook", "webhook", "webhook", ""},
    {"immediate", "immédiat", "immediate", "immediat|immediatement|chaque_avis"},
    {"daily", "quotidien", "daily", "quotidienne|chaque_jour|par_jour"},
    {"weekly", "hebdomadaire", "weekly", "hebdo|chaque_semaine|par_semaine"},
    {"fr", "français", "French", "francais|french"},
    {"en", "anglais", "English", "anglais|english"},
    /* plugins, reminders, the outbox */
    {"running", "en service", "running", ""},
    {"stopped", "arrêté", "stopped", ""},
    {"upcoming", "à venir", "upcoming", ""},
    {"overdue", "en retard", "overdue", ""},
    {"follow_up", "suivi", "follow-up", ""},
    {"pending", "prévu", "pending", ""},
    {"sent", "envoyé", "sent", ""},
    {"skipped", "sauté", "skipped", ""},
    {"waiting", "en attente", "waiting", ""},
    {"sending", "en envoi", "sending", ""},
    {"failed", "en échec", "failed", ""},
};

const char *cn_word(const char *v, bool english)
{
    for (size_t i = 0; v && i < sizeof words / sizeof words[0]; i++)
        if (strcmp(v, words[i].value) == 0)
            return english ? words[i].en : words[i].fr;
    return v ? v : "";
}

/* s folded for comparing typed words: accents and capitals gone, runs of
 * spaces, dashes, apostrophes and underscores as one '_', trimmed. */
static void key_of(const char *s, size_t len, char *out, size_t cap)
{
    char copy[128], folded[128];
    if (len >= sizeof copy) {
        out[0] = '\0';
        return;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    cn_fold(copy, folded, sizeof folded);
    size_t n = 0;
    for (const char *p = folded; *p && n + 1 < cap; p++) {
        bool sep = *p == ' ' || *p == '-' || *p == '_' || *p == '\'' || *p == '\t';
        if (!sep)
            out[n++] = *p;
        else if (n && out[n - 1] != '_')
            out[n++] = '_';
    }
    while (n && out[n - 1] == '_')
        n--;
    out[n] = '\0';
}

/* Whether key is one of the '|'-separated forms. */
static bool among(const char *key, const char *forms)
{
    size_t n = strlen(key);
    for (const char *p = forms; p && *p;) {
        size_t len = strcspn(p, "|");
        if (len == n && n && strncmp(p, key, n) == 0)
            return true;
        p += len + (p[len] == '|');
    }
    return false;
}

static bool names(const word *w, const char *key)
{
    char fr[64], en[64];
    key_of(w->fr, strlen(w->fr), fr, sizeof fr);
    key_of(w->en, strlen(w->en), en, sizeof en);
    return strcmp(key, w->value) == 0 || strcmp(key, fr) == 0 || strcmp(key, en) == 0 || among(key, w->also);
}

const char *cn_word_value(const char *given, size_t len, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++) /* the value itself, exactly */
        if (strlen(allowed[i]) == len && strncmp(given, allowed[i], len) == 0)
            return allowed[i];
    char key[128];
    key_of(given, len, key, sizeof key);
    if (!key[0])
        return NULL;
    for (size_t i = 0; allowed[i]; i++) {
        char value[128];
        key_of(allowed[i], strlen(allowed[i]), value, sizeof value);
        if (strcmp(key, value) == 0)
            return allowed[i];
        for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
            if (strcmp(words[k].value, allowed[i]) == 0 && names(&words[k], key))
                return allowed[i];
    }
    return NULL;
}

bool cn_utc_to_local(const char *s, size_t len, char *out, size_t cap)
{
    if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return false;
    struct tm tm = {0};
    char copy[21];
    memcpy(copy, s, 20);
    copy[20] = '\0';
    if (sscanf(copy, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec) != 6)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    struct tm local;
    if (t == (time_t)-1 || !localtime_r(&t, &local))
        return false;
    strftime(out, cap, "%Y-%m-%d %H:%M", &local);
    return true;
}
