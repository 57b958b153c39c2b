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

static ymd plus_days(ymd a, int days)
{
    for (; days > 0; days--)
        if (++a.d > mdays(a.y, a.m)) {
            a.d = 1;
            if (++a.m > 12) {
                a.m = 1;
                a.y++;
            }
        }
    return a;
}

static int days_between(ymd a, ymd b) /* b - a, a <= b, within a few years */
{
    int n = 0;
    for (; (a.y != b.y || a.m != b.m || a.d != b.d) && n < 4000; n++)
        a = plus_days(a, 1);
    return n;
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

enum point_kind { P_DAY, P_MONTH, P_SEASON, P_YEAR, P_PLANYEAR, P_QUARTER, P_SEMESTER, P_WEEK, P_SPAN };

typedef struct {
    enum point_kind kind;
    int year; /* 0: not given (a range may lend one) */
    int month, day, season, planyear;
    int quarter, semester; /* 1..4, 1..2 */
    int part;              /* 1 its beginning, 2 its middle, 3 its end; 0 the whole */
    ymd from, to;          /* P_SPAN: a school or financial year */
    bool impossible;       /* "30 février 2016": consumed, but no window */
} point;

static bool is_word(const token *t, const char *w) { return t->kind == T_WORD && strcmp(t->word, w) == 0; }

/* Skips a dot after an abbreviation ("oct.", "Aut.13"). */
static size_t skip_dot(const token *t, size_t n, size_t i) { return i < n && t[i].kind == T_DOT ? i + 1 : i; }

/* Words that say nothing of the date ("de l'été", "du 9"). */
static size_t skip_fillers(const token *t, size_t n, size_t j)
{
    static const char *const fillers[] = {"de", "d", "du", "des", "l", "la", "le", "les", NULL};
    for (bool more = true; more && j < n;) {
        more = false;
        for (int k = 0; fillers[k]; k++)
            if (is_word(&t[j], fillers[k])) {
                j++;
                more = true;
                break;
            }
    }
    return j;
}

/* An ordinal at i ("2e", "1er", "premier", "dernier", "T4"'s 4 is read by
 * the caller): its value (dernier: last, -1), and the index after it. */
static int ordinal(const token *t, size_t n, size_t i, size_t *after)
{
    static const char *const words[] = {"premier", "premiere", "deuxieme", "second", "seconde", "troisieme",
                                        "quatrieme", NULL};
    static const int values[] = {1, 1, 2, 2, 2, 3, 4};
    if (t[i].kind == T_NUM && t[i].digits == 1 && i + 1 < n &&
        (is_word(&t[i + 1], "e") || is_word(&t[i + 1], "er") || is_word(&t[i + 1], "re") ||
         is_word(&t[i + 1], "eme") || is_word(&t[i + 1], "ieme"))) {
        *after = i + 2;
        return t[i].value;
    }
    for (int k = 0; words[k]; k++)
        if (is_word(&t[i], words[k])) {
            *after = i + 1;
            return values[k];
        }
    if (is_word(&t[i], "dernier")) {
        *after = i + 1;
        return -1;
    }
    return 0;
}

/* "YYYY-YYYY" or "YYYY-YY", two years in a row, at i: the first, and the index after. */
static int year_pair(const token *t, size_t n, size_t i, size_t *after)
{
    int y1 = i < n ? full_year(&t[i]) : 0;
    if (!y1 || t[i].digits != 4 || i + 2 >= n || t[i + 1].kind != T_DASH || full_year(&t[i + 2]) != y1 + 1)
        return 0;
    *after = i + 3;
    return y1;
}

static size_t parse_plain(const token *t, size_t n, size_t i, point *p);

/* Parses one expression at i; returns the index after it, or 0 when none. */
static size_t parse_point(const token *t, size_t n, size_t i, point *p)
{
    memset(p, 0, sizeof *p);
    /* "début", "mi-", "milieu", "fin" of a month, a season, a year, a quarter. */
    int part = is_word(&t[i], "debut") ? 1 : is_word(&t[i], "mi") || is_word(&t[i], "milieu") ? 2 : is_word(&t[i], "fin") ? 3 : 0;
    if (part) {
        size_t j = i + 1;
        if (j < n && t[j].kind == T_DASH)
            j++;
        j = skip_fillers(t, n, j);
        if (j < n) {
            size_t after = parse_point(t, n, j, p);
            if (after && !p->part && (p->kind == P_MONTH || p->kind == P_SEASON || p->kind == P_YEAR ||
                                      p->kind == P_QUARTER || p->kind == P_SEMESTER)) {
                p->part = part;
                return after;
            }
        }
        memset(p, 0, sizeof *p);
        return 0;
    }
    /* "2e trimestre 2026", "premier semestre 2027", "T4 2025", "dernier trimestre de 2025". */
    size_t j = 0;
    int ord = ordinal(t, n, i, &j);
    if (!ord && is_word(&t[i], "t") && i + 1 < n && t[i + 1].kind == T_NUM && t[i + 1].digits == 1 &&
        t[i + 1].value >= 1 && t[i + 1].value <= 4) { /* T1…T4 */
        p->kind = P_QUARTER;
        p->quarter = t[i + 1].value;
        j = i + 2;
        if (j < n && full_year(&t[j]))
            p->year = full_year(&t[j++]);
        return j;
    }
    if (ord && j < n && (is_word(&t[j], "trimestre") || is_word(&t[j], "semestre"))) {
        bool quarter = is_word(&t[j], "trimestre");
        int last = quarter ? 4 : 2;
        p->kind = quarter ? P_QUARTER : P_SEMESTER;
        ord = ord < 0 ? last : ord;
        p->impossible = ord > last;
        if (quarter)
            p->quarter = ord;
        else
            p->semester = ord;
        j = skip_fillers(t, n, j + 1);
        if (j < n && full_year(&t[j]))
            p->year = full_year(&t[j++]);
        return j;
    }
    /* "semaine du 9 février 2026": seven days from that one. */
    if (is_word(&t[i], "semaine")) {
        j = skip_fillers(t, n, i + 1);
        if (j < n) {
            size_t after = parse_plain(t, n, j, p);
            if (after && p->kind == P_DAY) {
                p->kind = P_WEEK;
                return after;
            }
        }
        memset(p, 0, sizeof *p);
        return 0;
    }
    /* "année scolaire 2025-2026" (Québec's: 1 July to 30 June), "année
     * financière" or "exercice 2025-2026" (1 April to 31 March). */
    if ((is_word(&t[i], "annee") && i + 1 < n && (is_word(&t[i + 1], "scolaire") || is_word(&t[i + 1], "financiere"))) ||
        is_word(&t[i], "exercice")) {
        bool school = i + 1 < n && is_word(&t[i + 1], "scolaire");
        j = is_word(&t[i], "exercice") ? i + 1 : i + 2;
        if (j < n && (is_word(&t[j], "financier") || is_word(&t[j], "financiere")))
            j++;
        size_t after;
        int y = year_pair(t, n, j, &after);
        if (y) {
            p->kind = P_SPAN;
            p->from = school ? (ymd){y, 7, 1} : (ymd){y, 4, 1};
            p->to = school ? (ymd){y + 1, 6, 30} : (ymd){y + 1, 3, 31};
            p->year = y;
            return after;
        }
    }
    return parse_plain(t, n, i, p);
}

/* Days, months, seasons, years and plan years. */
static size_t parse_plain(const token *t, size_t n, size_t i, point *p)
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
            size_t j = skip_dot(t, n, i + 1), after;
            /* "hiver 2025-2026": the winter between them, which ends in the second. */
            int pair = s == 4 ? year_pair(t, n, j, &after) : 0;
            if (pair) {
                p->year = pair + 1;
                return after;
            }
            if (j < n && full_year(&t[j]))
                p->year = full_year(&t[j++]);
            return j; /* without a year, only a range or a list can lend it one */
        }
        /* "an 1" … "an 20" (a plan lasts at most twenty years: "an 99" is
         * impossible, not ignored). */
        if ((is_word(&t[i], "an") || is_word(&t[i], "annee") || is_word(&t[i], "ans") || is_word(&t[i], "annees")) &&
            i + 1 < n &&
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

static bool whole_span(const point *p, int year, const char *plan_start, ymd *a, ymd *b);

/* The span of a point given its (possibly lent) year; a part of it for
 * "début", "mi", "fin": a month's first, second and last ten days, a
 * year's four months, another span's third of its days. */
static bool span(const point *p, int year, const char *plan_start, ymd *a, ymd *b)
{
    if (!whole_span(p, year, plan_start, a, b))
        return false;
    if (!p->part)
        return true;
    ymd s = *a, e = *b;
    if (p->kind == P_MONTH) {
        *a = (ymd){s.y, s.m, p->part == 1 ? 1 : p->part == 2 ? 11 : 21};
        *b = p->part == 3 ? e : (ymd){s.y, s.m, p->part == 1 ? 10 : 20};
    } else if (p->kind == P_YEAR) {
        *a = (ymd){s.y, p->part == 1 ? 1 : p->part == 2 ? 5 : 9, 1};
        *b = (ymd){s.y, p->part == 1 ? 4 : p->part == 2 ? 8 : 12, p->part == 1 ? 30 : 31};
    } else {
        int days = days_between(s, e) + 1;
        int first = days / 3, second = 2 * days / 3;
        *a = plus_days(s, p->part == 1 ? 0 : p->part == 2 ? first : second);
        *b = p->part == 3 ? e : plus_days(s, (p->part == 1 ? first : second) - 1);
    }
    return true;
}

static bool whole_span(const point *p, int year, const char *plan_start, ymd *a, ymd *b)
{
    switch (p->kind) {
    case P_QUARTER:
        if (!year)
            return false;
        *a = (ymd){year, 3 * p->quarter - 2, 1};
        *b = (ymd){year, 3 * p->quarter, mdays(year, 3 * p->quarter)};
        return true;
    case P_SEMESTER:
        if (!year)
            return false;
        *a = (ymd){year, p->semester == 1 ? 1 : 7, 1};
        *b = (ymd){year, p->semester == 1 ? 6 : 12, p->semester == 1 ? 30 : 31};
        return true;
    case P_WEEK:
        if (!year || p->day > mdays(year, p->month))
            return false;
        *a = (ymd){year, p->month, p->day};
        *b = plus_days(*a, 6);
        return true;
    case P_SPAN:
        *a = p->from;
        *b = p->to;
        return true;
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

    /* Ongoing: what goes on all along, and rhythms ("trimestriel", "aux six mois"). */
    static const char *const ongoing[] = {"en continu", "continu", "en tout temps", "annuellement", "chaque annee",
                                          "toute l'annee", "en cours d'annee", "trimestriel", "semestriel", "mensuel",
                                          "hebdomadaire", "quotidien", "annuel", "chaque mois", "chaque semaine",
                                          "chaque trimestre", "chaque jour", "tous les mois", "toutes les semaines",
                                          "tous les ans", "aux six mois", "aux 6 mois", "aux trois mois", "aux 3 mois",
                                          "aux deux mois", "aux 2 mois", "aux deux semaines", "fois l'an",
                                          "fois par annee", "fois par an", "fois par mois", "fois par semaine",
                                          "fois par trimestre", NULL};
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
        /* Deadlines: "d'ici mai 2026", "au plus tard le 30 septembre", "avant
         * l'été 2026", "jusqu'au 30 juin": the day it falls (for "avant", the
         * day before what is named begins). */
        size_t dl = 0;
        bool before = false;
        if (is_word(&toks[i], "d") && i + 1 < n && is_word(&toks[i + 1], "ici"))
            dl = i + 2;
        else if (is_word(&toks[i], "au") && i + 2 < n && is_word(&toks[i + 1], "plus") && is_word(&toks[i + 2], "tard"))
            dl = i + 3;
        else if (is_word(&toks[i], "jusqu"))
            dl = i + 1;
        else if (is_word(&toks[i], "avant"))
            dl = i + 1, before = true;
        if (dl) {
            size_t at = dl < n && (is_word(&toks[dl], "au") || is_word(&toks[dl], "a") || is_word(&toks[dl], "en"))
                            ? dl + 1
                            : dl;
            at = skip_fillers(toks, n, at);
            size_t after = at < n ? parse_point(toks, n, at, &p1) : 0;
            if (after && !p1.impossible && span(&p1, p1.year, plan_start, &a, &b)) {
                ymd day = before ? minus_one_day(a) : b;
                count = add_window(out, cap, count, CN_WIN_DATED, day, day);
                i = after;
                continue;
            }
        }
        size_t j = parse_point(toks, n, i, &p1);
        if (!j) {
            i++;
            continue;
        }
        /* "mars et octobre 2025", "Mars, juin 2022": months or seasons sharing the last one's year. */
        if (!p1.year && (p1.kind == P_MONTH || p1.kind == P_SEASON)) {
            point list[12];
            size_t nl = 0, at = j, end = 0;
            list[nl++] = p1;
            while (at < n && nl < 12) {
                size_t k2 = at;
                if (toks[k2].kind == T_OTHER || is_word(&toks[k2], "et"))
                    k2++;
                point q;
                size_t after = k2 < n ? parse_plain(toks, n, k2, &q) : 0;
                if (!after || (q.kind != P_MONTH && q.kind != P_SEASON) || q.impossible)
                    break;
                list[nl++] = q;
                at = after;
                if (q.year) {
                    end = after;
                    break;
                }
            }
            if (end && nl > 1) {
                int year = list[nl - 1].year;
                for (size_t q = 0; q < nl; q++)
                    if (span(&list[q], year, plan_start, &a, &b))
                        count = add_window(out, cap, count, CN_WIN_DATED, a, b);
                i = end;
                continue;
            }
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
