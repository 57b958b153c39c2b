/* sentence.c: an event as a sentence people read: "lanaudiere · action
 * 2.3 « Réaliser et diffuser… » : prévue → en cours — note : Première
 * capsule tournée", in French or English, with who made the change. The
 * event's own data, nothing asked of the daemon: concertctl tail prints it,
 * the notify plugin writes it in the messages of events without a template
 * of their own. */
#include "sentence.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "words.h"

typedef struct {
    char *p;
    size_t cap, len;
    bool en;
} out_t;

#define T(fr_, en_) (o->en ? (en_) : (fr_))

/* The value of key in map, or NULL. */
static const msgpack_object *get(const msgpack_object *map, const char *key)
{
    size_t n = strlen(key);
    for (uint32_t i = 0; map && map->type == MSGPACK_OBJECT_MAP && i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, key, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_t *o, const char *fmt, ...)
{
    if (o->len >= o->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len = (size_t)n < o->cap - o->len ? o->len + (size_t)n : o->cap - 1;
}

/* A map's value as text (enumerations in words when asked), "" when absent. */
static const char *text_of(const out_t *o, const msgpack_object *map, const char *key, bool words, char *buf,
                           size_t cap)
{
    const msgpack_object *v = get(map, key);
    buf[0] = '\0';
    if (!v)
        return buf;
    switch (v->type) {
    case MSGPACK_OBJECT_STR:
        snprintf(buf, cap, "%.*s", (int)v->via.str.size, v->via.str.ptr);
        return words ? cn_word(buf, o->en) : buf;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(buf, cap, "%llu", (unsigned long long)v->via.u64);
        return buf;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(buf, cap, "%lld", (long long)v->via.i64);
        return buf;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        snprintf(buf, cap, "%g", v->via.f64);
        return buf;
    default:
        return buf;
    }
}
#define text(map, key, words, buf, cap) text_of(o, map, key, words, buf, cap)

/* « text », cut at about 60 characters on a whole character. */
static void quoted(out_t *o, const char *s)
{
    size_t n = 0, chars = 0;
    while (s[n] && chars < 60) {
        n++;
        while (s[n] && ((unsigned char)s[n] & 0xC0) == 0x80)
            n++;
        chars++;
    }
    put(o, "« %.*s%s »", (int)n, s, s[n] ? "…" : "");
}

/* "action 2.3 « … »" from an action map. */
static void action_named(out_t *o, const msgpack_object *a)
{
    char num[64], txt[1024];
    put(o, "action %s ", text(a, "number", false, num, sizeof num));
    quoted(o, text(a, "text", false, txt, sizeof txt));
}

/* "2027-01-19T13:30" as "19 janv. 2027, 13 h 30" is more than a tail needs:
 * the date and the hour, readable. */
static void when(out_t *o, const char *s)
{
    if (strlen(s) == 16 && s[10] == 'T')
        put(o, o->en ? "%.10s at %.5s" : "%.10s à %.2s h %.2s", s, s + 11, s + 14);
    else
        put(o, "%s", s);
}

static void days(out_t *o, const msgpack_object *d)
{
    if (!d || (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER && d->type != MSGPACK_OBJECT_NEGATIVE_INTEGER))
        return;
    long long n = d->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (long long)d->via.u64 : (long long)d->via.i64;
    if (n == 0)
        put(o, "%s", T("aujourd'hui", "today"));
    else if (n > 0)
        put(o, T("dans %lld jour%s", "in %lld day%s"), n, n > 1 ? "s" : "");
    else
        put(o, T("en retard de %lld jour%s", "%lld day%s late"), -n, -n > 1 ? "s" : "");
}

static void action_event(out_t *o, const char *type, const msgpack_object *d)
{
    char a[256], b[256], note[1024];
    if (strcmp(type, "action.status_changed") == 0) {
        action_named(o, get(d, "action"));
        put(o, " : %s → %s", text(d, "from", true, a, sizeof a), text(d, "to", true, b, sizeof b));
        if (*text(d, "note", false, note, sizeof note))
            put(o, T(" — note : %s", " — note: %s"), note);
    } else if (strcmp(type, "action.noted") == 0) {
        action_named(o, get(d, "action"));
        put(o, T(" — note : %s", " — note: %s"), text(d, "text", false, note, sizeof note));
    } else if (strcmp(type, "action.unnoted") == 0) {
        action_named(o, get(d, "action"));
        put(o, T(" — note retirée : %s", " — note removed: %s"), text(d, "text", false, note, sizeof note));
    } else {
        action_named(o, d);
        put(o, " %s", strcmp(type, "action.created") == 0   ? T("ajoutée", "added")
                       : strcmp(type, "action.deleted") == 0 ? T("supprimée", "deleted")
                                                             : T("modifiée", "changed"));
    }
}

static void echeance_event(out_t *o, const char *type, const msgpack_object *d)
{
    char end[32];
    put(o, "%s ", T("échéance de l'", "échéance of "));
    action_named(o, get(d, "action"));
    if (strcmp(type, "echeance.follow_up") == 0) {
        put(o, "%s", T(" : où en est-elle ? (suivi)", ": where does it stand? (follow-up)"));
        return;
    }
    put(o, T(" : le %s, ", ": on %s, "), text(get(d, "window"), "end", false, end, sizeof end));
    days(o, get(d, "days_left"));
}

static void activity_event(out_t *o, const char *type, const msgpack_object *d)
{
    char title[1024], start[32], kind[64];
    const msgpack_object *act = strcmp(type, "activity.upcoming") == 0 ? get(d, "activity") : d;
    put(o, "%s ", text(act, "kind", true, kind, sizeof kind));
    quoted(o, text(act, "title", false, title, sizeof title));
    put(o, " (");
    when(o, text(strcmp(type, "activity.upcoming") == 0 ? d : act, strcmp(type, "activity.upcoming") == 0 ? "occurrence" : "start",
                 false, start, sizeof start));
    put(o, ")");
    if (strcmp(type, "activity.upcoming") == 0) {
        put(o, T(" : rappel, ", ": reminder, "));
        days(o, get(d, "days_left"));
    } else if (strcmp(type, "activity.held") == 0) {
        put(o, " %s", T("tenue", "held"));
        const msgpack_object *held = get(d, "held");
        const msgpack_object *last = held && held->type == MSGPACK_OBJECT_ARRAY && held->via.array.size
                                         ? &held->via.array.ptr[held->via.array.size - 1] : NULL;
        char n[32];
        if (last && *text(last, "participants", false, n, sizeof n))
            put(o, T(", %s participant(s)", ", %s participant(s)"), n);
    } else {
        put(o, " %s", strcmp(type, "activity.created") == 0     ? T("au calendrier", "added to the calendar")
                       : strcmp(type, "activity.cancelled") == 0 ? T("annulée", "cancelled")
                                                                 : T("modifiée", "changed"));
    }
}

static void adhesion_event(out_t *o, const msgpack_object *d)
{
    char org[512], cat[256], state[64], reason[1024], members[32];
    put(o, "%s ", T("adhésion de", "membership of"));
    quoted(o, text(d, "organisation", false, org, sizeof org));
    if (*text(d, "category_name", false, cat, sizeof cat))
        put(o, " (%s)", cat);
    put(o, " : %s", text(d, "state", true, state, sizeof state));
    if (*text(d, "reason", false, reason, sizeof reason))
        put(o, T(" — motif : %s", " — reason: %s"), reason);
    if (*text(d, "members", false, members, sizeof members))
        put(o, T(" — %s membre(s)", " — %s member(s)"), members);
}

void cn_event_sentence(const msgpack_object *ev, bool english, char *buf, size_t cap)
{
    out_t out = {buf, cap, 0, english}, *o = &out;
    buf[0] = '\0';
    char region[64], type[64], s[1024], t[256], date[32];
    const msgpack_object *d = get(ev, "data");
    text(ev, "region", false, region, sizeof region);
    text(ev, "type", false, type, sizeof type);
    put(o, "%s · ", region);
    if (strncmp(type, "action.", 7) == 0) {
        action_event(o, type, d);
    } else if (strncmp(type, "echeance.", 9) == 0) {
        echeance_event(o, type, d);
    } else if (strncmp(type, "activity.", 9) == 0) {
        activity_event(o, type, d);
    } else if (strncmp(type, "adhesion.", 9) == 0) {
        adhesion_event(o, d);
    } else if (strncmp(type, "orientation.", 12) == 0 || strncmp(type, "objective.", 10) == 0) {
        bool ori = type[1] == 'r';
        const char *verb = strrchr(type, '.') + 1;
        put(o, "%s %s ", ori ? "orientation" : T("objectif", "objective"), text(d, "number", false, t, sizeof t));
        quoted(o, text(d, ori ? "statement" : "text", false, s, sizeof s));
        put(o, " %s", strcmp(verb, "created") == 0   ? (ori ? T("ajoutée", "added") : T("ajouté", "added"))
                        : strcmp(verb, "deleted") == 0 ? (ori ? T("supprimée", "deleted") : T("supprimé", "deleted"))
                                                       : (ori ? T("modifiée", "changed") : T("modifié", "changed")));
    } else if (strcmp(type, "indicator.created") == 0 || strcmp(type, "indicator.updated") == 0) {
        put(o, "%s ", T("indicateur", "indicator"));
        quoted(o, text(d, "name", false, s, sizeof s));
        put(o, T(" (action %s) %s", " (action %s) %s"), text(d, "action", false, t, sizeof t),
            type[10] == 'c' ? T("ajouté", "added") : T("modifié", "changed"));
    } else if (strcmp(type, "indicator.unrecorded") == 0) {
        put(o, "%s ", T("indicateur", "indicator"));
        quoted(o, text(get(d, "indicator"), "name", false, s, sizeof s));
        put(o, T(" : mesure de %s au %s retirée", ": measurement of %s on %s removed"), text(d, "value", false, t, sizeof t),
            text(d, "date", false, date, sizeof date));
    } else if (strcmp(type, "indicator.recorded") == 0) {
        put(o, "%s ", T("indicateur", "indicator"));
        quoted(o, text(get(d, "indicator"), "name", false, s, sizeof s));
        put(o, T(" : %s au %s", ": %s on %s"), text(d, "value", false, t, sizeof t),
            text(d, "date", false, date, sizeof date));
        if (*text(d, "note", false, s, sizeof s))
            put(o, " — %s", s);
    } else if (strcmp(type, "plan.imported") == 0) {
        const msgpack_object *created = get(d, "created"), *updated = get(d, "updated");
        char c[32], u[32];
        put(o, T("plan n° %s importé : %s action(s), %s créée(s), %s modifiée(s)",
                  "plan no. %s imported: %s action(s), %s created, %s changed"),
            text(d, "plan", false, t, sizeof t), text(d, "actions", false, s, sizeof s),
            text(created, "actions", false, c, sizeof c), text(updated, "actions", false, u, sizeof u));
    } else if (strncmp(type, "plan.", 5) == 0) {
        put(o, "plan ");
        quoted(o, text(d, "title", false, s, sizeof s));
        put(o, " %s", strcmp(type, "plan.created") == 0    ? T("créé", "created")
                        : strcmp(type, "plan.archived") == 0 ? T("archivé", "archived")
                        : strcmp(type, "plan.imported") == 0 ? T("importé", "imported")
                                                             : T("modifié", "changed"));
    } else if (strncmp(type, "region.", 7) == 0) {
        put(o, "%s ", T("région", "region"));
        quoted(o, text(d, "name", false, s, sizeof s));
        put(o, " %s", strcmp(type, "region.created") == 0    ? T("créée", "created")
                        : strcmp(type, "region.archived") == 0 ? T("archivée", "archived")
                        : strcmp(type, "region.restored") == 0 ? T("rouverte", "reopened")
                        : strcmp(type, "region.purged") == 0   ? T("effacée pour de bon", "erased for good")
                                                               : T("modifiée", "changed"));
    } else if (strncmp(type, "veille.", 7) == 0) {
        put(o, "%s ", T("veille :", "watch:"));
        quoted(o, text(d, "title", false, s, sizeof s));
    } else {
        const char *keys[] = {"number", "name", "title", "statement", "text"};
        put(o, "%s", type);
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (*text(d, keys[i], false, s, sizeof s)) {
                put(o, " ");
                quoted(o, s);
                break;
            }
    }
    if (*text(ev, "actor", false, s, sizeof s))
        put(o, T(" (par %s)", " (by %s)"), s);
}
