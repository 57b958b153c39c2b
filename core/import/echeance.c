/* echeance.c: see echeance.h. The text is folded (accents, case), cut into
 * tokens (numbers, words, dashes, other punctuation), then scanned for date
 * expressions; what is not part of one is skipped, so text around dates
 * ("Bases au printemps 2014", "Mise à jour : 2013-10-11") does no harm. */
#include "echeance.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "text.h"

enum tok_kind { T_NUM, T_WORD, T_DASH, T_SLASH, T_DOT, T_OTHER };

typedef struct {
    enum tok_kind kind;
    int value, digits; /* T_NUM */
    char word[24];     /* T_WORD */
} token;

#define MAX_PLAN_YEAR 20 /* "an 20": the last plan year read */

static size_t tokenize(const char *folded, token *toks, size_t cap)
{
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)folded;
    while (*s && n < cap) {
        token *t = &toks[n];
        memset(t, 0, sizeof *t);
        if (isdigit(*s)) {
            t->kind = T_NUM;
            while (isdigit(*s)) {
                if (t->digits < 6)
                    t->value = t->value * 10 + (*s - '0');
                t->digits++;
                s++;
            }
        } else if (isalpha(*s)) {
            t->kind = T_WORD;
            size_t k = 0;
            while (isalpha(*s)) {
                if (k + 1 < sizeof t->word)
                    t->word[k++] = (char)*s;
                s++;
            }
        } else if (*s == '-' || (s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0x93 || s[2] == 0x94))) {
            t->kind = T_DASH;
            s += *s == '-' ? 1 : 3;
        } else if (*s == '/') {
            t->kind = T_SLASH;
            s++;
        } else if (*s == '.') {
            t->kind = T_DOT;
            s++;
        } else if (isspace(*s) || *s == '\'' || *s >= 0x80) {
            /* Spaces, apostrophes (l'hiver) and other non-ASCII separate
             * tokens: a character is skipped whole, never past the end. */
            s++;
            while ((*s & 0xC0) == 0x80)
                s++;
            continue;
        } else {
            t->kind = T_OTHER;
            s++;
        }
        n++;
    }
    return n;
}

/* ---- dates ---------------------------------------------------------------- */

typedef struct {
    int y, m, d;
} ymd;

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static int mdays(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m - 1] + (m == 2 && leap(y));
}

static ymd minus_one_day(ymd a)
{
    if (--a.d == 0) {
        if (--a.m == 0) {
            a.m = 12;
            a.y--;
        }
        a.d = mdays(a.y, a.m);
    }
    return a;
}

static ymd add_years(ymd a, int years)
{
    a.y += years;
    if (a.m == 2 && a.d == 29 && !leap(a.y))
        a.d = 28;
    return a;
}

static int cmp(ymd a, ymd b) { return a.y != b.y ? a.y - b.y : a.m != b.m ? a.m - b.m : a.d - b.d; }

static void fmt(ymd a, char out[11])
{
    /* Dates here are always within 1900..2199 with a valid month and day. */
    unsigned y = (unsigned)a.y % 10000u, m = (unsigned)a.m % 100u, d = (unsigned)a.d % 100u;
    char buf[16];
    snprintf(buf, sizeof buf, "%04u-%02u-%02u", y, m, d);
    memcpy(out, buf, 10);
    out[10] = '\0';
}

static int full_year(const token *t)
{
    if (t->kind != T_NUM)
        return 0;
    if (t->digits == 4 && t->value >= 1900 && t->value <= 2199)
        return t->value;
    if (t->digits == 2)
        return t->value < 70 ? 2000 + t->value : 1900 + t->value;
    return 0;
}

/* ---- words ---------------------------------------------------------------- */

static int month_of(const char *w)
{
    static const char *const names[][4] = {
        {"janvier", "janv", "jan", NULL}, {"fevrier", "fevr", "fev", NULL}, {"mars", "mar", NULL, NULL},
        {"avril", "avr", NULL, NULL},     {"mai", NULL, NULL, NULL},        {"juin", NULL, NULL, NULL},
        {"juillet", "juil", NULL, NULL},  {"aout", NULL, NULL, NULL},       {"septembre", "sept", "sep", NULL},
        {"octobre", "oct", NULL, NULL},   {"novembre", "nov", NULL, NULL},  {"decembre", "dec", NULL, NULL},
    };
    for (int m = 0; m < 12; m++)
        for (int k = 0; k < 4 && names[m][k]; k++)
            if (strcmp(w, names[m][k]) == 0)
                return m + 1;
    return 0;
}

/* 1 printemps, 2 été, 3 automne, 4 hiver. */
static int season_of(const char *w)
{
    static const char *const names[][4] = {{"printemps", "print", "prin", "pri"},
                                           {"ete", NULL, NULL, NULL},
                                           {"automne", "autom", "aut", NULL},
                                           {"hiver", "hiv", NULL, NULL}};
    for (int s = 0; s < 4; s++)
        for (int k = 0; k < 4 && names[s][k]; k++)
            if (strcmp(w, names[s][k]) == 0)
                return s + 1;
    return 0;
}

static void season_span(int season, int y, ymd *a, ymd *b)
{
    switch (season) {
    case 1: *a = (ymd){y, 3, 21}, *b = (ymd){y, 6, 20}; break;
    case 2: *a = (ymd){y, 6, 21}, *b = (ymd){y, 9, 22}; break;
    case 3: *a = (ymd){y, 9, 23}, *b = (ymd){y, 12, 20}; break;
    default: *a = (ymd){y - 1, 12, 21}, *b = (ymd){y, 3, 20}; break;
    }
}

/* ---- points: one date expression -------------------------------------------- */

enum point_kind { P_DAY, P_MONTH, P_SEASON, P_YEAR, P_PLANYEAR };

typedef struct {
    enum point_kind kind;
    int year; /* 0: not given (a range may lend one) */
    int month, day, season, planyear;
    bool impossible; /* "30 février 2016": consumed, but no window */
} point;

static bool is_word(const token *t, const char *w) { return t->kind == T_WORD && strcmp(t->word, w) == 0; }

/* Skips a dot after an abbreviation ("oct.", "Aut.13"). */
static size_t skip_dot(const token *t, size_t n, size_t i) { return i < n && t[i].kind == T_DOT ? i + 1 : i; }

/* Parses one expression at i; returns the index after it, or 0 when none. */
static size_t parse_point(const token *t, size_t n, size_t i, point *p)
{
    memset(p, 0, sizeof *p);
    /* YYYY-MM-DD, YYYY-MM. A date of that shape that does not exist
     * ("2019-13", "2019-02-29") is impossible as a whole: its year is not
     * read alone (adversary F9). */
    bool years_range = t[i].kind == T_NUM && i + 2 < n && t[i + 2].kind == T_NUM && t[i + 2].digits == 2 &&
                       (t[i + 2].value < 1 || t[i + 2].value > 12) && full_year(&t[i + 2]) > t[i].value;
    if (t[i].kind == T_NUM && t[i].digits == 4 && i + 2 < n && t[i + 1].kind == T_DASH && t[i + 2].kind == T_NUM &&
        t[i + 2].digits <= 2 && full_year(&t[i]) && !years_range) { /* "2013-14" is a range of years, read below */
        p->year = t[i].value;
        p->month = t[i + 2].value;
        bool month_ok = p->month >= 1 && p->month <= 12;
        if (i + 4 < n && t[i + 3].kind == T_DASH && t[i + 4].kind == T_NUM && t[i + 4].digits <= 2) {
            p->kind = P_DAY;
            p->day = t[i + 4].value;
            p->impossible = !month_ok || p->day < 1 || p->day > mdays(p->year, p->month);
            return i + 5;
        }
        p->kind = P_MONTH;
        p->impossible = !month_ok;
        return i + 3;
    }
    /* DD/MM/YYYY */
    if (t[i].kind == T_NUM && t[i].digits <= 2 && i + 4 < n && t[i + 1].kind == T_SLASH && t[i + 2].kind == T_NUM &&
        t[i + 3].kind == T_SLASH && full_year(&t[i + 4])) {
        p->kind = P_DAY;
        p->day = t[i].value;
        p->month = t[i + 2].value;
        p->year = full_year(&t[i + 4]);
        p->impossible = !(p->month >= 1 && p->month <= 12 && p->day >= 1 && p->day <= mdays(p->year, p->month));
        return i + 5;
    }
    /* D [er] mois [YYYY] */
    if (t[i].kind == T_NUM && t[i].digits <= 2 && t[i].value >= 1 && t[i].value <= 31) {
        size_t j = i + 1;
        if (j < n && is_word(&t[j], "er"))
            j++;
        if (j < n && t[j].kind == T_WORD && month_of(t[j].word)) {
            p->kind = P_DAY;
            p->day = t[i].value;
            p->month = month_of(t[j].word);
            j = skip_dot(t, n, j + 1);
            if (j < n && full_year(&t[j]))
                p->year = full_year(&t[j++]);
            p->impossible = p->day > (p->year ? mdays(p->year, p->month) : mdays(2000, p->month));
            return j;
        }
    }
    if (t[i].kind == T_WORD) {
        int m = month_of(t[i].word), s = season_of(t[i].word);
        if (m || s) {
            p->kind = m ? P_MONTH : P_SEASON;
            p->month = m;
            p->season = s;
            size_t j = skip_dot(t, n, i + 1);
            if (j < n && full_year(&t[j]))
                p->year = full_year(&t[j++]);
            return j; /* without a year, only a range can lend it one */
        }
        /* "an 1" … "an 20" (a plan lasts at most twenty years: "an 99" is
         * impossible, not ignored). */
        if ((is_word(&t[i], "an") || is_word(&t[i], "annee") || is_word(&t[i], "ans")) && i + 1 < n &&
            t[i + 1].kind == T_NUM && t[i + 1].value >= 1) {
            p->kind = P_PLANYEAR;
            p->planyear = t[i + 1].digits <= 2 ? t[i + 1].value : 0;
            p->impossible = p->planyear < 1 || p->planyear > MAX_PLAN_YEAR;
            return i + 2;
        }
    }
    if (t[i].kind == T_NUM && t[i].digits == 4 && full_year(&t[i])) {
        p->kind = P_YEAR;
        p->year = t[i].value;
        return i + 1;
    }
    return 0;
}

/* The span of a point given its (possibly lent) year. */
static bool span(const point *p, int year, const char *plan_start, ymd *a, ymd *b)
{
    switch (p->kind) {
    case P_DAY:
        if (!year || p->day > mdays(year, p->month))
            return false;
        *a = *b = (ymd){year, p->month, p->day};
        return true;
    case P_MONTH:
        if (!year)
            return false;
        *a = (ymd){year, p->month, 1};
        *b = (ymd){year, p->month, mdays(year, p->month)};
        return true;
    case P_SEASON:
        if (!year)
            return false;
        season_span(p->season, year, a, b);
        return true;
    case P_YEAR:
        *a = (ymd){year, 1, 1};
        *b = (ymd){year, 12, 31};
        return true;
    case P_PLANYEAR: {
        if (!plan_start || !cn_date_valid(plan_start))
            return false;
        ymd s = {atoi(plan_start), atoi(plan_start + 5), atoi(plan_start + 8)};
        *a = add_years(s, p->planyear - 1);
        *b = minus_one_day(add_years(s, p->planyear));
        return true;
    }
    }
    return false;
}

/* After a range connector, parses the second point; "an 1-2" and "2013-14"
 * allow a bare number there. */
static size_t parse_second(const token *t, size_t n, size_t j, const point *first, point *p)
{
    while (j < n && (is_word(&t[j], "l") || is_word(&t[j], "le") || is_word(&t[j], "la") || is_word(&t[j], "a") ||
                     is_word(&t[j], "fin") || is_word(&t[j], "en")))
        j++;
    if (j >= n)
        return 0;
    if (first->kind == P_PLANYEAR && t[j].kind == T_NUM && t[j].value >= first->planyear) {
        memset(p, 0, sizeof *p);
        p->kind = P_PLANYEAR;
        p->planyear = t[j].digits <= 2 ? t[j].value : 0;
        p->impossible = p->planyear < 1 || p->planyear > MAX_PLAN_YEAR;
        return j + 1;
    }
    if (first->kind == P_YEAR && t[j].kind == T_NUM && t[j].digits == 2 && full_year(&t[j]) > first->year) {
        memset(p, 0, sizeof *p);
        p->kind = P_YEAR;
        p->year = full_year(&t[j]);
        return j + 1;
    }
    return parse_point(t, n, j, p);
}

static bool connector(const token *t, size_t n, size_t *j)
{
    if (*j >= n)
        return false;
    if (t[*j].kind == T_DASH || is_word(&t[*j], "a") || is_word(&t[*j], "au") || is_word(&t[*j], "jusqu")) {
        (*j)++;
        return true;
    }
    return false;
}

static size_t add_window(cn_window *out, size_t cap, size_t count, cn_win_kind kind, ymd a, ymd b)
{
    cn_window w = {.kind = kind};
    if (kind == CN_WIN_DATED) {
        /* Only dates a plan document accepts back (adversary F8). */
        if (a.y < CN_ECHEANCE_FIRST_YEAR || b.y > CN_ECHEANCE_LAST_YEAR)
            return count;
        fmt(a, w.start);
        fmt(b, w.end);
    }
    for (size_t k = 0; k < count; k++)
        if (out[k].kind == w.kind && strcmp(out[k].start, w.start) == 0 && strcmp(out[k].end, w.end) == 0)
            return count;
    if (count < cap)
        out[count++] = w;
    return count;
}

size_t cn_echeance_parse(const char *text, const char *plan_start, cn_window *out, size_t cap)
{
    if (cap == 0)
        return 0;
    /* The whole text is read (folding may lengthen it: "œ" → "oe"). */
    size_t len = text ? strlen(text) : 0;
    char *folded = malloc(len * 2 + 1);
    token *toks = malloc((len + 1) * sizeof *toks);
    if (!folded || !toks) {
        free(folded);
        free(toks);
        out[0] = (cn_window){.kind = CN_WIN_UNKNOWN};
        return 1;
    }
    cn_fold(text ? text : "", folded, len * 2 + 1);
    size_t count = 0;
    static const ymd none = {0, 0, 0};

    static const char *const ongoing[] = {"en continu", "continu", "en tout temps", "annuellement", "chaque annee",
                                          "toute l'annee", "en cours d'annee", NULL};
    static const char *const on_demand[] = {"sur invitation", "au besoin", "sur demande", "selon les besoins",
                                            "selon le besoin", "lorsque requis", NULL};
    for (size_t k = 0; ongoing[k]; k++)
        if (strstr(folded, ongoing[k])) {
            count = add_window(out, cap, count, CN_WIN_ONGOING, none, none);
            break;
        }
    for (size_t k = 0; on_demand[k]; k++)
        if (strstr(folded, on_demand[k])) {
            count = add_window(out, cap, count, CN_WIN_ON_DEMAND, none, none);
            break;
        }

    size_t n = tokenize(folded, toks, len + 1);
    for (size_t i = 0; i < n;) {
        point p1, p2;
        ymd a, b, c, d;
        /* "3 au 5 octobre 2013": a first day sharing the second's month and year. */
        size_t k = i + 1;
        if (toks[i].kind == T_NUM && toks[i].digits <= 2 && toks[i].value >= 1 && connector(toks, n, &k) && k < n) {
            size_t after = parse_point(toks, n, k, &p2);
            if (after && p2.kind == P_DAY && !p2.impossible && p2.year && toks[i].value < p2.day) {
                a = (ymd){p2.year, p2.month, toks[i].value};
                d = (ymd){p2.year, p2.month, p2.day};
                count = add_window(out, cap, count, CN_WIN_DATED, a, d);
                i = after;
                continue;
            }
        }
        size_t j = parse_point(toks, n, i, &p1);
        if (!j) {
            i++;
            continue;
        }
        if (p1.impossible) { /* and a range it begins with it */
            k = j;
            point skipped;
            size_t after = connector(toks, n, &k) ? parse_second(toks, n, k, &p1, &skipped) : 0;
            i = after ? after : j;
            continue;
        }
        k = j;
        size_t after = connector(toks, n, &k) ? parse_second(toks, n, k, &p1, &p2) : 0;
        if (after && p2.impossible) { /* "an 1 à an 99": the range is impossible, not its first half */
            i = after;
            continue;
        }
        if (after) {
            int y2 = p2.year, y1 = p1.year ? p1.year : y2;
            if (span(&p1, y1, plan_start, &a, &b) && span(&p2, y2, plan_start, &c, &d)) {
                if (!p1.year && cmp(a, d) > 0) /* "novembre à février 2015": the year before */
                    span(&p1, y1 - 1, plan_start, &a, &b);
                if (cmp(a, d) <= 0) {
                    count = add_window(out, cap, count, CN_WIN_DATED, a, d);
                    i = after;
                    continue;
                }
            }
        }
        if (span(&p1, p1.year, plan_start, &a, &b))
            count = add_window(out, cap, count, CN_WIN_DATED, a, b);
        i = j;
        /* "An 1, 2, 3, 4, 5", "an 1 et 3": more plan years after the first
         * (a number that begins a date of its own, "15 mai 2014", is not one). */
        while (p1.kind == P_PLANYEAR && i < n) {
            size_t at = i < n && (is_word(&toks[i], "et") || toks[i].kind == T_OTHER) ? i + 1 : i; /* ", 2" "et 3" */
            point next;
            if (at >= n || toks[at].kind != T_NUM || toks[at].digits > 2 || parse_point(toks, n, at, &next))
                break;
            point more = p1;
            more.planyear = toks[at].value;
            more.impossible = more.planyear < 1 || more.planyear > MAX_PLAN_YEAR;
            if (!more.impossible && span(&more, 0, plan_start, &a, &b))
                count = add_window(out, cap, count, CN_WIN_DATED, a, b);
            i = at + 1;
        }
    }
    if (count == 0)
        count = add_window(out, cap, count, CN_WIN_UNKNOWN, none, none);
    free(folded);
    free(toks);
    return count;
}

const char *cn_win_kind_name(cn_win_kind kind)
{
    static const char *const names[] = {"dated", "ongoing", "on_demand", "unknown"};
    return names[kind];
}
