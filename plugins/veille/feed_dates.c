/* feed_dates.c: a date as feeds write it (see feed_parse.h, vp_date):
 * ISO 8601, RFC 822 and their usual broken variants, French names. */
#define _GNU_SOURCE /* timegm */
#include "feed_parse.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

/* Time zones by name, in minutes east of UTC: North America's in English
 * (RFC 822 names those of the US) and in French as Québec writes them
 * (HNE, heure normale de l'Est; HAE, heure avancée), Newfoundland and
 * Alaska, which curl_getdate does not know. */
static const struct {
    const char *name;
    int minutes;
} zones[] = {
    {"UT", 0},      {"UTC", 0},     {"GMT", 0},     {"Z", 0},       {"EST", -300},  {"EDT", -240},
    {"CST", -360},  {"CDT", -300},  {"MST", -420},  {"MDT", -360},  {"PST", -480},  {"PDT", -420},
    {"AST", -240},  {"ADT", -180},  {"NST", -210},  {"NDT", -150},  {"AKST", -540}, {"AKDT", -480},
    {"HST", -600},  {"HNE", -300},  {"HAE", -240},  {"HNC", -360},  {"HAC", -300},  {"HNR", -420},
    {"HAR", -360},  {"HNP", -480},  {"HAP", -420},  {"HNA", -240},  {"HAA", -180},  {"HNT", -210},
    {"HAT", -150},
};

/* The zone named by the letters at p (a whole word, case as written), its
 * length in *len; false when it is none of them. */
static bool zone_at(const char *p, size_t *len, int *minutes)
{
    size_t n = 0;
    while (isalpha((unsigned char)p[n]))
        n++;
    for (size_t i = 0; n && i < sizeof zones / sizeof zones[0]; i++)
        if (strlen(zones[i].name) == n && strncmp(zones[i].name, p, n) == 0) {
            *len = n;
            *minutes = zones[i].minutes;
            return true;
        }
    return false;
}

static int64_t iso8601(const char *s)
{
    struct tm tm = {0};
    int consumed = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) != 3)
        return 0;
    const char *p = s + consumed;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int c2 = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &c2) == 2) {
            p += 1 + c2;
            if (*p == ':' && isdigit((unsigned char)p[1])) { /* one or two digits: never past the end */
                p++;
                for (int k = 0; k < 2 && isdigit((unsigned char)*p); k++, p++)
                    tm.tm_sec = tm.tm_sec * 10 + (*p - '0');
            }
            if (*p == '.' || *p == ',')
                for (p++; isdigit((unsigned char)*p); p++)
                    ;
        }
    }
    while (*p == ' ')
        p++;
    long offset = 0;
    size_t zlen;
    int zmin;
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) >= 1 || sscanf(p + 1, "%2d%2d", &hh, &mm) >= 1)
            offset = (*p == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
    } else if (zone_at(p, &zlen, &zmin)) {
        offset = zmin * 60L; /* "2026-11-19T10:00:00 EST" */
    }
    if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 24 || tm.tm_min > 59 || tm.tm_sec > 60)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return t < 0 ? 0 : ((int64_t)t - offset) * 1000;
}

/* French day and month names (with or without accents, abbreviated or
 * not) as curl_getdate's English. */
static void english_names(const char *in, char *out, size_t cap)
{
    static const char *const months[][2] = {
        {"janvier", "Jan"}, {"janv", "Jan"}, {"février", "Feb"}, {"fevrier", "Feb"}, {"févr", "Feb"}, {"fevr", "Feb"},
        {"mars", "Mar"},    {"avril", "Apr"}, {"avr", "Apr"},   {"mai", "May"},       {"juin", "Jun"},
        {"juillet", "Jul"}, {"juil", "Jul"}, {"août", "Aug"},   {"aout", "Aug"},      {"septembre", "Sep"},
        {"sept", "Sep"},    {"octobre", "Oct"}, {"novembre", "Nov"}, {"décembre", "Dec"}, {"decembre", "Dec"},
        {"déc", "Dec"},     {"dec", "Dec"},
        /* English names in full, which curl_getdate does not read */
        {"january", "Jan"}, {"february", "Feb"}, {"march", "Mar"}, {"april", "Apr"}, {"june", "Jun"},
        {"july", "Jul"}, {"august", "Aug"}, {"september", "Sep"}, {"october", "Oct"}, {"november", "Nov"},
        {"december", "Dec"}};
    static const char *const days[] = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
                                       "lun",   "mar",   "mer",      "jeu",   "ven",      "sam",    "dim",
                                       "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
    size_t n = 0;
    out[0] = '\0';
    char copy[256];
    snprintf(copy, sizeof copy, "%s", in);
    int index = 0;
    for (char *save = NULL, *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save), index++) {
        char word[64];
        size_t w = 0;
        for (const char *t = tok; *t && *t != '.' && *t != ',' && w + 1 < sizeof word; t++)
            word[w++] = (char)tolower((unsigned char)*t);
        word[w] = '\0';
        const char *rest = tok + strlen(word); /* the "." or "," after a name */
        while (*rest == '.')
            rest++;
        const char *replacement = NULL;
        bool weekday = false;
        for (size_t i = 0; index == 0 && i < sizeof days / sizeof days[0]; i++)
            weekday = weekday || strcasecmp(word, days[i]) == 0;
        if (weekday)
            continue; /* the day's name says nothing the date does not */
        for (size_t i = 0; !replacement && i < sizeof months / sizeof months[0]; i++)
            if (strcasecmp(word, months[i][0]) == 0)
                replacement = months[i][1];
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s%s", n ? " " : "", replacement ? replacement : tok,
                              replacement ? rest : "");
        if (n >= cap)
            return;
    }
}

/* The shapes curl_getdate does not know, in one it does: "1er mars" →
 * "1 mars", "à 10 h 00" → "10:00", "GMT+1" → "+0100", "+01:00" → "+0100". */
static void normalize_date(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; in[i] && n + 8 < cap;) {
        const char *p = in + i;
        bool word_start = i == 0 || in[i - 1] == ' ';
        if (word_start && strncmp(p, "\xc3\xa0 ", 3) == 0) { /* "à " */
            i += 3;
            continue;
        }
        if (isdigit((unsigned char)p[0]) && word_start) {
            size_t d = 0;
            while (isdigit((unsigned char)p[d]))
                d++;
            if (d <= 2 && strncmp(p + d, "er", 2) == 0 && (p[d + 2] == ' ' || !p[d + 2])) { /* "1er" */
                memcpy(out + n, p, d);
                n += d;
                i += d + 2;
                continue;
            }
            size_t k = d;
            while (p[k] == ' ')
                k++;
            if (d <= 2 && (p[k] == 'h' || p[k] == 'H') && (k == d || p[k + 1] == ' ' || isdigit((unsigned char)p[k + 1]) ||
                                                          !p[k + 1])) { /* "10 h 00", "10h" */
                size_t m = k + 1;
                while (p[m] == ' ')
                    m++;
                int minutes = 0;
                if (isdigit((unsigned char)p[m]) && isdigit((unsigned char)p[m + 1])) {
                    minutes = (p[m] - '0') * 10 + (p[m + 1] - '0');
                    m += 2;
                }
                n += (size_t)snprintf(out + n, cap - n, "%.*s:%02d:00", (int)d, p, minutes);
                i += m;
                continue;
            }
        }
        size_t zlen;
        int zmin;
        if (word_start && i > 0 && zone_at(p, &zlen, &zmin) && p[zlen] != '+' && p[zlen] != '-') {
            /* "10:00 HNE", "NST": as an offset curl_getdate reads */
            n += (size_t)snprintf(out + n, cap - n, "%c%02d%02d", zmin < 0 ? '-' : '+', abs(zmin) / 60, abs(zmin) % 60);
            i += zlen;
            continue;
        }
        if ((strncmp(p, "GMT", 3) == 0 || strncmp(p, "UTC", 3) == 0) && (p[3] == '+' || p[3] == '-')) {
            i += 3; /* "GMT+1": the offset alone, below */
            continue;
        }
        if ((p[0] == '+' || p[0] == '-') && i > 0 && (in[i - 1] == ' ' || in[i - 1] == 'T' || isalpha((unsigned char)in[i - 1])) &&
            isdigit((unsigned char)p[1])) {
            size_t d = 1;
            while (isdigit((unsigned char)p[d]))
                d++;
            int hours = -1, minutes = 0;
            size_t end = d;
            if (d - 1 <= 2) {
                hours = atoi(p + 1);
                if (p[d] == ':' && isdigit((unsigned char)p[d + 1]) && isdigit((unsigned char)p[d + 2])) {
                    minutes = (p[d + 1] - '0') * 10 + (p[d + 2] - '0');
                    end = d + 3;
                }
            }
            if (hours >= 0 && hours <= 14 && minutes < 60) {
                if (n && out[n - 1] != ' ')
                    out[n++] = ' ';
                n += (size_t)snprintf(out + n, cap - n, "%c%02d%02d", p[0], hours, minutes);
                i += end;
                continue;
            }
        }
        out[n++] = in[i++];
    }
    out[n] = '\0';
}

#define MAX_DATE_SECONDS 253402300799 /* 9999-12-31T23:59:59Z */

int64_t vp_date(const char *text)
{
    if (!text)
        return 0;
    while (isspace((unsigned char)*text))
        text++;
    if (!*text)
        return 0;
    if (isdigit((unsigned char)text[0]) && isdigit((unsigned char)text[1]) && isdigit((unsigned char)text[2]) &&
        isdigit((unsigned char)text[3]) && text[4] == '-')
        return iso8601(text);
    char plain[256], english[256];
    normalize_date(text, plain, sizeof plain);
    english_names(plain, english, sizeof english);
    time_t t = curl_getdate(english, NULL);
    /* curl reads a year of any length ("19 Nov 2026410500"): a date past
     * 9999 is no date, and its milliseconds would not fit. */
    return t > 0 && t <= MAX_DATE_SECONDS ? (int64_t)t * 1000 : 0;
}
