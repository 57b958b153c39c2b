/* repeat.c: a recurrence as a table says it ("le 2e mardi du mois, sauf
 * juillet et août", "chaque lundi", "aux deux semaines", "le 15 de chaque
 * mois", "10 fois", "jusqu'au 2027-06-30") as an RFC 5545 rule, and a rule
 * back in words. Only what these say; --rrule stays for the rest. */
#include "repeat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"

static const char *const days_fr[] = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"};
static const char *const days_en[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
static const char *const days_ical[] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};
static const char *const months_fr[] = {"janvier", "fevrier", "mars",      "avril",   "mai",      "juin",
                                        "juillet", "aout",    "septembre", "octobre", "novembre", "decembre"};
static const char *const months_shown[] = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                                           "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
static const char *const months_en[] = {"January", "February", "March",     "April",   "May",      "June",
                                        "July",    "August",   "September", "October", "November", "December"};

/* The words of s, folded, one per slot ("2e" stays "2e"). */
typedef struct {
    char w[48][24];
    int n;
} words;

static void split(const char *s, words *ws)
{
    char *f = cn_fold_words(s);
    ws->n = 0;
    for (char *save = NULL, *t = f ? strtok_r(f, " ", &save) : NULL; t && ws->n < 48; t = strtok_r(NULL, " ", &save))
        snprintf(ws->w[ws->n++], sizeof ws->w[0], "%s", t);
    free(f);
}

static int day_of(const char *w)
{
    for (int d = 0; d < 7; d++) {
        size_t n = strlen(days_fr[d]);
        if ((strncmp(w, days_fr[d], n) == 0 && (!w[n] || (w[n] == 's' && !w[n + 1]))) ||
            (strncmp(w, days_en[d], strlen(days_en[d])) == 0))
            return d;
    }
    return -1;
}

static int month_of(const char *w)
{
    char en[16];
    for (int m = 0; m < 12; m++) {
        snprintf(en, sizeof en, "%s", months_en[m]);
        en[0] = (char)(en[0] - 'A' + 'a');
        if (strcmp(w, months_fr[m]) == 0 || strcmp(w, en) == 0)
            return m;
    }
    return -1;
}

/* "1er", "premier", "2e", "deuxieme", "second", "dernier" … → 1..5, -1 (last); 0 when not one. */
static int ordinal(const char *w)
{
    static const char *const names[] = {"premier", "deuxieme", "troisieme", "quatrieme", "cinquieme"};
    static const char *const en[] = {"first", "second", "third", "fourth", "fifth"};
    for (int i = 0; i < 5; i++)
        if (strcmp(w, names[i]) == 0 || strcmp(w, en[i]) == 0)
            return i + 1;
    if (strcmp(w, "premiere") == 0 || strcmp(w, "seconde") == 0 || strcmp(w, "second") == 0)
        return w[0] == 'p' ? 1 : 2;
    if (strcmp(w, "dernier") == 0 || strcmp(w, "derniere") == 0 || strcmp(w, "last") == 0)
        return -1;
    char *end;
    long n = strtol(w, &end, 10);
    if (n >= 1 && n <= 5 && end != w &&
        (strcmp(end, "e") == 0 || strcmp(end, "er") == 0 || strcmp(end, "re") == 0 || strcmp(end, "eme") == 0 ||
         strcmp(end, "nd") == 0 || strcmp(end, "st") == 0 || strcmp(end, "rd") == 0 || strcmp(end, "th") == 0))
        return (int)n;
    return 0;
}

/* "deux", "2" → 2 (2 to 12); 0 otherwise. */
static int count_word(const char *w)
{
    static const char *const names[] = {"deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
                                        "douze"};
    for (int i = 0; i < 11; i++)
        if (strcmp(w, names[i]) == 0)
            return i + 2;
    char *end;
    long n = strtol(w, &end, 10);
    return !*end && end != w && n >= 1 && n <= 1000 ? (int)n : 0;
}

static bool is(const words *ws, int i, const char *w) { return i >= 0 && i < ws->n && strcmp(ws->w[i], w) == 0; }

int repeat_to_rrule(const char *text, char *out, size_t cap, char *err, size_t errcap)
{
    words ws;
    split(text, &ws);
    const char *freq = NULL;
    int interval = 1, byday = -1, setpos = 0, monthday = 0, count = 0;
    bool except[12] = {false}, in_except = false;
    char until[16] = "";
    for (int i = 0; i < ws.n; i++) {
        const char *w = ws.w[i];
        int d = day_of(w), o = ordinal(w), c;
        if (strcmp(w, "sauf") == 0 || strcmp(w, "except") == 0) {
            in_except = true;
        } else if (in_except && month_of(w) >= 0) {
            except[month_of(w)] = true;
        } else if (o && i + 1 < ws.n && day_of(ws.w[i + 1]) >= 0) { /* "2e mardi" */
            setpos = o;
            byday = day_of(ws.w[++i]);
            freq = "MONTHLY";
        } else if (d >= 0) { /* "chaque lundi", "le lundi", "tous les lundis" */
            byday = d;
            if (!freq)
                freq = "WEEKLY";
        } else if ((strcmp(w, "le") == 0 || strcmp(w, "on") == 0) && i + 1 < ws.n &&
                   (c = count_word(ws.w[i + 1])) >= 1 && c <= 31 && (is(&ws, i + 2, "de") || is(&ws, i + 2, "du") ||
                                                                     is(&ws, i + 2, "of") || is(&ws, i + 2, "chaque"))) {
            monthday = c; /* "le 15 de chaque mois" */
            freq = "MONTHLY";
            i++;
        } else if ((c = count_word(w)) >= 1 && (is(&ws, i + 1, "fois") || is(&ws, i + 1, "times") ||
                                                 is(&ws, i + 1, "seances") || is(&ws, i + 1, "sessions"))) {
            count = c; /* "10 fois" */
            i++;
        } else if ((c = count_word(w)) >= 2 && (is(&ws, i + 1, "semaines") || is(&ws, i + 1, "weeks"))) {
            interval = c; /* "aux deux semaines", "toutes les 2 semaines" */
            freq = "WEEKLY";
            i++;
        } else if ((c = count_word(w)) >= 2 && (is(&ws, i + 1, "mois") || is(&ws, i + 1, "months"))) {
            interval = c;
            freq = "MONTHLY";
            i++;
        } else if ((c = count_word(w)) >= 2 && (is(&ws, i + 1, "ans") || is(&ws, i + 1, "annees") ||
                                                 is(&ws, i + 1, "years"))) {
            interval = c;
            freq = "YEARLY";
            i++;
        } else if (strcmp(w, "jour") == 0 || strcmp(w, "jours") == 0 || strcmp(w, "day") == 0 ||
                   strcmp(w, "quotidien") == 0 || strcmp(w, "daily") == 0) {
            freq = "DAILY";
        } else if (strcmp(w, "semaine") == 0 || strcmp(w, "semaines") == 0 || strcmp(w, "week") == 0 ||
                   strcmp(w, "hebdomadaire") == 0 || strcmp(w, "weekly") == 0) {
            if (!freq)
                freq = "WEEKLY";
        } else if (strcmp(w, "mois") == 0 || strcmp(w, "month") == 0 || strcmp(w, "mensuel") == 0 ||
                   strcmp(w, "mensuelle") == 0 || strcmp(w, "monthly") == 0) {
            if (!freq || strcmp(freq, "WEEKLY") == 0)
                freq = "MONTHLY";
        } else if (strcmp(w, "trimestre") == 0 || strcmp(w, "trimestriel") == 0 || strcmp(w, "quarterly") == 0) {
            freq = "MONTHLY";
            interval = 3;
        } else if (strcmp(w, "an") == 0 || strcmp(w, "annee") == 0 || strcmp(w, "annuel") == 0 ||
                   strcmp(w, "annuelle") == 0 || strcmp(w, "year") == 0 || strcmp(w, "yearly") == 0) {
            freq = "YEARLY";
        } else if ((strcmp(w, "jusqu") == 0 || strcmp(w, "until") == 0) && i + 1 < ws.n) {
            /* "jusqu'au 2027-06-30" (folded: "jusqu au 2027 06 30") or "jusqu'au 30 juin 2027" */
            int k = is(&ws, i + 1, "au") || is(&ws, i + 1, "a") ? i + 2 : i + 1;
            int y = 0, m = -1, dd = 0;
            if (k + 2 < ws.n && strlen(ws.w[k]) == 4 && count_word(ws.w[k + 1]) && count_word(ws.w[k + 2])) {
                y = atoi(ws.w[k]);
                m = atoi(ws.w[k + 1]) - 1;
                dd = atoi(ws.w[k + 2]);
            } else if (k + 2 < ws.n && month_of(ws.w[k + 1]) >= 0) {
                dd = strcmp(ws.w[k], "1er") == 0 ? 1 : atoi(ws.w[k]);
                m = month_of(ws.w[k + 1]);
                y = atoi(ws.w[k + 2]);
            }
            if (m < 0 || m > 11 || dd < 1 || dd > 31 || y < 1900 || y > 2999) {
                snprintf(err, errcap, "repeat : « jusqu'au » attend une date (2027-06-30, ou 30 juin 2027)");
                return -1;
            }
            snprintf(until, sizeof until, "%04d%02d%02d", y, m + 1, dd);
            i = k + 2;
        }
    }
    if (!freq) {
        snprintf(err, errcap,
                 "repeat : « %.80s » n'est pas une répétition comprise (ex. « chaque lundi », « aux deux semaines », "
                 "« le 2e mardi du mois », « le 15 de chaque mois », « sauf juillet et août », « 10 fois » ; "
                 "ou --rrule FREQ=…)",
                 text);
        return -1;
    }
    int n = snprintf(out, cap, "FREQ=%s", freq);
    if (interval > 1)
        n += snprintf(out + n, cap - (size_t)n, ";INTERVAL=%d", interval);
    if (count)
        n += snprintf(out + n, cap - (size_t)n, ";COUNT=%d", count);
    else if (until[0])
        n += snprintf(out + n, cap - (size_t)n, ";UNTIL=%s", until);
    if (byday >= 0 && setpos)
        n += snprintf(out + n, cap - (size_t)n, ";BYDAY=%d%s", setpos, days_ical[byday]);
    else if (byday >= 0)
        n += snprintf(out + n, cap - (size_t)n, ";BYDAY=%s", days_ical[byday]);
    if (monthday)
        n += snprintf(out + n, cap - (size_t)n, ";BYMONTHDAY=%d", monthday);
    bool any = false;
    for (int m = 0; m < 12; m++)
        any = any || except[m];
    if (any) {
        n += snprintf(out + n, cap - (size_t)n, ";BYMONTH=");
        bool first = true;
        for (int m = 0; m < 12; m++)
            if (!except[m]) {
                n += snprintf(out + n, cap - (size_t)n, "%s%d", first ? "" : ",", m + 1);
                first = false;
            }
    }
    return (size_t)n < cap ? 0 : -1;
}

/* ---- a rule in words ---------------------------------------------------- */

static const char *part(const char *rrule, const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    size_t n = strlen(key);
    for (const char *p = rrule; p && *p;) {
        if (strncmp(p, key, n) == 0 && p[n] == '=') {
            snprintf(out, cap, "%.*s", (int)strcspn(p + n + 1, ";"), p + n + 1);
            return out;
        }
        p = strchr(p, ';');
        p = p ? p + 1 : NULL;
    }
    return out;
}

void rrule_to_words(const char *rrule, bool en, char *out, size_t cap)
{
    char freq[16], interval[8], byday[16], monthday[8], bymonth[64], count[8], until[16];
    part(rrule, "FREQ", freq, sizeof freq);
    part(rrule, "INTERVAL", interval, sizeof interval);
    part(rrule, "BYDAY", byday, sizeof byday);
    part(rrule, "BYMONTHDAY", monthday, sizeof monthday);
    part(rrule, "BYMONTH", bymonth, sizeof bymonth);
    part(rrule, "COUNT", count, sizeof count);
    part(rrule, "UNTIL", until, sizeof until);
    int every = atoi(interval) > 1 ? atoi(interval) : 1;
    size_t n = 0;
#define PUT(...) (n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, __VA_ARGS__))
    out[0] = '\0';
    int setpos = 0, day = -1;
    if (byday[0] && !strchr(byday, ',')) {
        char *end;
        long pos = strtol(byday, &end, 10);
        for (int d = 0; d < 7; d++)
            if (strcmp(end, days_ical[d]) == 0)
                day = d;
        setpos = (int)pos;
    }
    if (strcmp(freq, "MONTHLY") == 0 && setpos && day >= 0) {
        static const char *const ord_fr[] = {"", "1er", "2e", "3e", "4e", "5e"}, *const ord_en[] = {"", "first",
                                                                                                   "second", "third",
                                                                                                   "fourth", "fifth"};
        const char *o = setpos == -1 ? (en ? "last" : "dernier") : setpos >= 1 && setpos <= 5 ? (en ? ord_en : ord_fr)[setpos] : "?";
        if (every > 1)
            PUT(en ? "the %s %s of every %d months" : "le %s %s tous les %d mois", o, en ? days_en[day] : days_fr[day], every);
        else
            PUT(en ? "the %s %s of the month" : "le %s %s du mois", o, en ? days_en[day] : days_fr[day]);
    } else if (strcmp(freq, "MONTHLY") == 0 && monthday[0]) {
        PUT(en ? "on the %s of every month" : "le %s de chaque mois", monthday);
    } else if (strcmp(freq, "WEEKLY") == 0 && day >= 0) {
        if (every > 1 && en)
            PUT("every %d weeks on %s", every, days_en[day]);
        else if (every > 1)
            PUT("le %s, toutes les %d semaines", days_fr[day], every);
        else
            PUT(en ? "every %s" : "chaque %s", en ? days_en[day] : days_fr[day]);
    } else {
        static const char *const unit_fr[][2] = {{"DAILY", "jour"}, {"WEEKLY", "semaine"}, {"MONTHLY", "mois"},
                                                 {"YEARLY", "année"}};
        static const char *const unit_en[][2] = {{"DAILY", "day"}, {"WEEKLY", "week"}, {"MONTHLY", "month"},
                                                 {"YEARLY", "year"}};
        const char *u = NULL;
        for (int i = 0; i < 4; i++)
            if (strcmp(freq, unit_fr[i][0]) == 0)
                u = en ? unit_en[i][1] : unit_fr[i][1];
        if (!u) {
            snprintf(out, cap, "%s", rrule);
            return;
        }
        if (every > 1 && en)
            PUT("every %d %ss", every, u);
        else if (every > 1)
            PUT(strcmp(u, "semaine") == 0 ? "toutes les %d semaines" : strcmp(u, "année") == 0 ? "tous les %d ans"
                                                                                                : "tous les %d %s",
                every, strcmp(u, "jour") == 0 ? "jours" : u);
        else
            PUT(en ? "every %s" : "chaque %s", u);
    }
    if (bymonth[0]) {
        bool in[12] = {false};
        int kept = 0;
        for (const char *p = bymonth; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
            int m = atoi(p);
            if (m >= 1 && m <= 12 && !in[m - 1]) {
                in[m - 1] = true;
                kept++;
            }
        }
        if (kept > 6) {
            PUT(en ? ", except " : ", sauf ");
            int said = 0, left = 12 - kept;
            for (int m = 0; m < 12; m++)
                if (!in[m]) {
                    said++;
                    PUT("%s%s", said == 1 ? "" : said == left ? (en ? " and " : " et ") : ", ", en ? months_en[m] : months_shown[m]);
                }
        } else {
            PUT(en ? ", in " : ", en ");
            int said = 0;
            for (int m = 0; m < 12; m++)
                if (in[m]) {
                    said++;
                    PUT("%s%s", said == 1 ? "" : said == kept ? (en ? " and " : " et ") : ", ", en ? months_en[m] : months_shown[m]);
                }
        }
    }
    if (count[0])
        PUT(en ? ", %s times" : ", %s fois", count);
    else if (strlen(until) >= 8)
        PUT(en ? ", until %.4s-%.2s-%.2s" : ", jusqu'au %.4s-%.2s-%.2s", until, until + 4, until + 6);
#undef PUT
}
