/* feed_parse.c: see feed_parse.h. */
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
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>

#include "utf8.h"

#define MAX_ITEMS VP_MAX_ITEMS
#define SUMMARY_MAX 1000

/* ---- before parsing: entities and encoding ----------------------------------------- */

/* HTML named entities (&eacute; &nbsp; …), undefined in XML, as numeric
 * references, which XML knows. A new buffer (caller frees), *len updated. */
static char *numeric_entities(const char *in, size_t *len)
{
    size_t cap = *len + *len / 8 + 64, n = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (size_t i = 0; i < *len;) {
        if (in[i] == '&' && i + 1 < *len && isalpha((unsigned char)in[i + 1])) {
            size_t j = i + 1;
            while (j < *len && j - i < 32 && isalnum((unsigned char)in[j]))
                j++;
            if (j < *len && in[j] == ';') {
                char name[40];
                snprintf(name, sizeof name, "%.*s", (int)(j - i - 1), in + i + 1);
                const htmlEntityDesc *e = NULL;
                if (strcmp(name, "amp") && strcmp(name, "lt") && strcmp(name, "gt") && strcmp(name, "quot") &&
                    strcmp(name, "apos"))
                    e = htmlEntityLookup((const xmlChar *)name);
                if (e) {
                    if (n + 16 > cap) {
                        char *p = realloc(out, cap *= 2);
                        if (!p) {
                            free(out);
                            return NULL;
                        }
                        out = p;
                    }
                    n += (size_t)snprintf(out + n, 16, "&#%u;", e->value);
                    i = j + 1;
                    continue;
                }
            }
        }
        if (n + 1 > cap) {
            char *p = realloc(out, cap *= 2);
            if (!p) {
                free(out);
                return NULL;
            }
            out = p;
        }
        out[n++] = in[i++];
    }
    *len = n;
    return out;
}

static bool valid_utf8(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
        if (k == 9 || i + k >= len + (k ? 0 : 1))
            return false;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

/* ---- repairs: what feeds get wrong, put right and said ------------------------------ */

/* A growing buffer of bytes. */
typedef struct {
    char *data;
    size_t len, cap;
    bool oom;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->oom = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void put_codepoint(bytes *b, unsigned cp)
{
    unsigned char u[4];
    size_t n = 0;
    if (cp < 0x80)
        u[n++] = (unsigned char)cp;
    else if (cp < 0x800) {
        u[n++] = (unsigned char)(0xC0 | cp >> 6);
        u[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        u[n++] = (unsigned char)(0xE0 | cp >> 12);
        u[n++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    }
    put(b, u, n);
}

/* Windows-1252's 0x80..0x9F; 0 where it defines nothing (0x81, 0x8D, 0x8F,
 * 0x90, 0x9D), which iconv would stop at: the rest of the feed was lost. */
static const unsigned short cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/* Windows-1252 (or Latin-1, its subset) to UTF-8 by hand; undefined bytes
 * become U+FFFD. Returns how many were. */
static size_t from_cp1252(const unsigned char *in, size_t len, bytes *out)
{
    size_t undefined = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = in[i];
        if (c >= 0x80 && c <= 0x9F) {
            c = cp1252_high[c - 0x80];
            if (!c) {
                c = 0xFFFD;
                undefined++;
            }
        }
        put_codepoint(out, c);
    }
    return undefined;
}

/* UTF-8 kept, each byte that is not part of a well-formed character
 * replaced by U+FFFD. Returns how many were. */
static size_t repair_utf8(const char *in, size_t len, bytes *out)
{
    size_t bad = 0;
    for (size_t i = 0; i < len;) {
        size_t ok = cn_utf8_valid_prefix(in + i, len - i);
        put(out, in + i, ok);
        i += ok;
        if (i < len) {
            if (in[i] == '\0') { /* a NUL is no text either */
                i++;
                continue;
            }
            put_codepoint(out, 0xFFFD);
            bad++;
            i++;
        }
    }
    return bad;
}

/* "&" that starts no entity or character reference ("R&D", "?a=1&b=2",
 * "Emploi & Solidarité") as "&amp;": libxml2's recovery dropped "&word",
 * turning links into other links. Returns how many. */
static size_t escape_bare_ampersands(const char *in, size_t len, bytes *out)
{
    size_t fixed = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '&') {
            put(out, in + i, 1);
            continue;
        }
        size_t j = i + 1;
        if (j < len && in[j] == '#') {
            j++;
            bool hex = j < len && (in[j] == 'x' || in[j] == 'X');
            j += hex;
            size_t start = j;
            while (j < len && (hex ? isxdigit((unsigned char)in[j]) : isdigit((unsigned char)in[j])))
                j++;
            if (j > start && j < len && in[j] == ';') {
                put(out, in + i, 1);
                continue;
            }
        } else if (j < len && (isalpha((unsigned char)in[j]) || in[j] == '_')) {
            while (j < len && j - i < 40 && (isalnum((unsigned char)in[j]) || in[j] == '_' || in[j] == '-' || in[j] == '.'))
                j++;
            if (j < len && in[j] == ';') {
                put(out, in + i, 1);
                continue;
            }
        }
        put(out, "&amp;", 5);
        fixed++;
    }
    return fixed;
}

static void quiet(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    (void)fmt;
}

/* More well-formed multi-byte characters than stray bytes: UTF-8 with a
 * few bad bytes, not another encoding. */
static bool mostly_utf8(const unsigned char *s, size_t len)
{
    size_t good = 0, bad = 0;
    for (size_t i = 0; i < len;) {
        size_t ok = cn_utf8_valid_prefix((const char *)s + i, len - i);
        for (size_t k = i; k < i + ok; k++)
            good += s[k] >= 0xC0;
        i += ok;
        if (i < len) {
            bad++;
            i++;
        }
    }
    return good > bad;
}

/* Adds a sentence to what was repaired. */
static void say(char **warning, const char *sentence)
{
    size_t old = *warning ? strlen(*warning) : 0, n = strlen(sentence);
    char *w = realloc(*warning, old + n + 3);
    if (!w)
        return;
    if (old)
        memcpy(w + old, " ; ", 3), old += 3;
    memcpy(w + old, sentence, n + 1);
    *warning = w;
}

/* UTF-16 or UTF-32 without a byte order mark, known by "<" and its zeros. */
static const char *wide_encoding(const unsigned char *b, size_t len)
{
    if (len >= 4 && b[0] == '<' && !b[1] && !b[2] && !b[3])
        return "UCS-4LE";
    if (len >= 4 && !b[0] && !b[1] && !b[2] && b[3] == '<')
        return "UCS-4BE";
    if (len >= 2 && b[0] == '<' && !b[1])
        return "UTF-16LE";
    if (len >= 2 && !b[0] && b[1] == '<')
        return "UTF-16BE";
    return NULL;
}

/* The encoding to read with: the bytes decide, not a declaration that may
 * be wrong. Valid UTF-8 is UTF-8 (whatever is declared); otherwise what is
 * declared (or sent by HTTP) when it is not UTF-8, else Windows-1252, the
 * usual truth behind undeclared non-UTF-8 text. NULL: let libxml2 look
 * (a UTF-16 byte order mark). */
static const char *encoding_of(const char *body, size_t len, const char *charset)
{
    const unsigned char *b = (const unsigned char *)body;
    if (len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        return NULL;
    if (valid_utf8(b, len))
        return "UTF-8";
    static char declared[64];
    declared[0] = '\0';
    /* Looked for in the first 200 bytes only, which need not end with a NUL. */
    size_t head = len < 200 ? len : 200;
    const char *d = memmem(body, head, "encoding=", 9);
    if (d && (size_t)(d - body) + 10 < head && (d[9] == '"' || d[9] == '\'')) {
        const char *end = memchr(d + 10, d[9], head - (size_t)(d - body) - 10);
        if (end && end - d < 60)
            snprintf(declared, sizeof declared, "%.*s", (int)(end - d - 10), d + 10);
    }
    const char *named = declared[0] ? declared : charset;
    if (named && *named && strcasecmp(named, "utf-8") && strcasecmp(named, "utf8"))
        return strcasecmp(named, "iso-8859-1") == 0 ? "windows-1252" : named; /* 1252 is latin-1's superset */
    return "windows-1252";
}

/* ---- text ------------------------------------------------------------------------ */

static char *xstrdup_trim(const char *s)
{
    if (!s)
        return NULL;
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return n ? strndup(s, n) : NULL;
}

/* Whitespace runs (and non-breaking spaces) as one space, trimmed; cut
 * at max bytes on a character boundary with "…". In place. */
static void collapse(char *s, size_t max)
{
    size_t n = 0;
    bool space = true;
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ws = isspace(c) || (c == 0xC2 && (unsigned char)s[i + 1] == 0xA0);
        if (ws) {
            if (c == 0xC2)
                i++;
            if (!space)
                s[n++] = ' ';
            space = true;
        } else {
            s[n++] = s[i];
            space = false;
        }
    }
    while (n && s[n - 1] == ' ')
        n--;
    s[n] = '\0';
    if (max && n > max) {
        size_t cut = max;
        while (cut && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        while (cut && s[cut - 1] != ' ' && max - cut < 40)
            cut--;
        strcpy(s + (cut ? cut : max), "…");
    }
}

/* Text that may hold HTML (escaped in RSS, type="html" in Atom) as plain text. */
static char *plain_text(const char *text, size_t max)
{
    if (!text)
        return NULL;
    char *out = NULL;
    if (strchr(text, '<') || strchr(text, '&')) {
        htmlDocPtr h = htmlReadMemory(text, (int)strlen(text), NULL, "UTF-8",
                                      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
        xmlNodePtr root = h ? xmlDocGetRootElement(h) : NULL;
        xmlChar *c = root ? xmlNodeGetContent(root) : NULL;
        out = c ? strdup((const char *)c) : NULL;
        xmlFree(c);
        xmlFreeDoc(h);
    }
    if (!out)
        out = strdup(text);
    if (out)
        collapse(out, max);
    if (out && !out[0]) {
        free(out);
        out = NULL;
    }
    return out;
}

static bool named(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static bool in_ns(xmlNodePtr n, const char *prefix_of_href)
{
    return n->ns && n->ns->href && strstr((const char *)n->ns->href, prefix_of_href);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (named(c, name))
            return c;
    return NULL;
}

static char *content(xmlNodePtr n)
{
    if (!n)
        return NULL;
    xmlChar *c = xmlNodeGetContent(n);
    char *s = xstrdup_trim((const char *)c);
    xmlFree(c);
    return s;
}

static char *plain_content(xmlNodePtr n, size_t max)
{
    char *raw = content(n);
    char *s = plain_text(raw, max);
    free(raw);
    return s;
}

/* href resolved against xml:base or the document's address. */
static char *absolute(xmlDocPtr doc, xmlNodePtr n, const char *href)
{
    char *h = xstrdup_trim(href);
    if (!h)
        return NULL;
    xmlChar *base = xmlNodeGetBase(doc, n);
    xmlChar *abs = base ? xmlBuildURI((const xmlChar *)h, base) : NULL;
    xmlFree(base);
    if (abs) {
        free(h);
        h = strdup((const char *)abs);
        xmlFree(abs);
    }
    /* A link nobody can follow (unresolvable, or another scheme) is no link. */
    if (h && strncasecmp(h, "http://", 7) != 0 && strncasecmp(h, "https://", 8) != 0) {
        free(h);
        h = NULL;
    }
    return h;
}

/* ---- dates ------------------------------------------------------------------------- */

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
            if (*p == ':' && isdigit((unsigned char)p[1])) {
                tm.tm_sec = atoi(p + 1);
                p += 3;
            }
            if (*p == '.' || *p == ',')
                for (p++; isdigit((unsigned char)*p); p++)
                    ;
        }
    }
    while (*p == ' ')
        p++;
    long offset = 0;
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) >= 1 || sscanf(p + 1, "%2d%2d", &hh, &mm) >= 1)
            offset = (*p == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
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
    return t > 0 ? (int64_t)t * 1000 : 0;
}

/* ---- the three formats ------------------------------------------------------------- */

static int add_item(vp_feed *f, size_t *cap, vp_item *it)
{
    if (!it->guid && !it->link && !it->title && !it->summary) { /* nothing to know it by */
        return 0;
    }
    if (!it->title && it->summary) { /* RSS 2.0 allows an item with only a description */
        it->title = strdup(it->summary);
        if (it->title)
            collapse(it->title, 120);
    }
    if (f->n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        vp_item *p = realloc(f->items, c * sizeof *p);
        if (!p)
            return -1;
        f->items = p;
        *cap = c;
    }
    f->items[f->n++] = *it;
    return 0;
}

static void free_item(vp_item *it)
{
    free(it->guid);
    free(it->link);
    free(it->title);
    free(it->summary);
}

/* RSS 2.0 <item> and RSS 1.0 <item rdf:about>. */
static void read_rss_item(xmlDocPtr doc, xmlNodePtr n, vp_item *it)
{
    xmlNodePtr guid = child(n, "guid");
    it->guid = content(guid);
    if (!it->guid) {
        xmlChar *about = xmlGetProp(n, (const xmlChar *)"about");
        it->guid = xstrdup_trim((const char *)about);
        xmlFree(about);
    }
    char *link = content(child(n, "link"));
    if (!link && guid) { /* a permalink guid is the item's address */
        xmlChar *perma = xmlGetProp(guid, (const xmlChar *)"isPermaLink");
        if (!perma || strcasecmp((const char *)perma, "false") != 0)
            link = it->guid && strstr(it->guid, "://") ? strdup(it->guid) : NULL;
        xmlFree(perma);
    }
    it->link = absolute(doc, n, link);
    free(link);
    it->title = plain_content(child(n, "title"), 0);
    xmlNodePtr summary = NULL;
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (named(c, "description") || (!summary && named(c, "encoded") && in_ns(c, "content")))
            summary = c;
    it->summary = plain_content(summary, SUMMARY_MAX);
    const char *const date_names[] = {"pubDate", "date", "published", "updated", NULL};
    for (int i = 0; date_names[i] && !it->published_ms; i++) {
        char *d = content(child(n, date_names[i]));
        it->published_ms = vp_date(d);
        free(d);
    }
}

/* An Atom element's link: rel="alternate" (or no rel), HTML first. */
static char *atom_link(xmlDocPtr doc, xmlNodePtr n)
{
    xmlNodePtr best = NULL;
    int best_score = -1;
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (!named(c, "link"))
            continue;
        xmlChar *rel = xmlGetProp(c, (const xmlChar *)"rel"), *type = xmlGetProp(c, (const xmlChar *)"type");
        int score = !rel || strcmp((const char *)rel, "alternate") == 0 ? 2 : 0;
        if (score && (!type || strstr((const char *)type, "html")))
            score++;
        xmlFree(rel);
        xmlFree(type);
        if (score > best_score) {
            best = c;
            best_score = score;
        }
    }
    if (!best || best_score == 0)
        return NULL;
    xmlChar *href = xmlGetProp(best, (const xmlChar *)"href");
    char *abs = absolute(doc, best, (const char *)href);
    xmlFree(href);
    return abs;
}

/* An Atom text construct (RFC 4287 §3.1): type="html" is HTML; "text",
 * the default, is text as it is ("<Mobilisation>" stays, "&amp;" read once);
 * "xhtml" is the text of its elements. */
static char *text_construct(xmlNodePtr n, size_t max)
{
    if (!n)
        return NULL;
    xmlChar *type = xmlGetProp(n, (const xmlChar *)"type");
    bool html = type && strcasecmp((const char *)type, "html") == 0;
    xmlFree(type);
    if (html)
        return plain_content(n, max);
    char *s = content(n);
    if (s)
        collapse(s, max);
    if (s && !s[0]) {
        free(s);
        s = NULL;
    }
    return s;
}

static void read_atom_entry(xmlDocPtr doc, xmlNodePtr n, vp_item *it)
{
    it->guid = content(child(n, "id"));
    it->link = atom_link(doc, n);
    it->title = text_construct(child(n, "title"), 0);
    xmlNodePtr summary = child(n, "summary");
    it->summary = text_construct(summary ? summary : child(n, "content"), SUMMARY_MAX);
    const char *const date_names[] = {"published", "updated", "issued", "modified", NULL};
    for (int i = 0; date_names[i] && !it->published_ms; i++) {
        char *d = content(child(n, date_names[i]));
        it->published_ms = vp_date(d);
        free(d);
    }
}

int vp_parse(const char *body, size_t size, const char *base_url, const char *charset, vp_feed *out, char *err,
             size_t errcap)
{
    memset(out, 0, sizeof *out);
    if (!size) {
        snprintf(err, errcap, "réponse vide : aucun flux");
        return -1;
    }
    /* To UTF-8 first, by hand, so nothing stops the parse half-way; then
     * the bare "&" escaped. libxml2 decodes only what has a byte order mark
     * or a declared encoding we do not know, and then nothing is repaired. */
    const unsigned char *b = (const unsigned char *)body;
    bool bom16 = size >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF));
    const char *wide = bom16 ? NULL : wide_encoding(b, size);
    bool bom8 = size >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0;
    const char *src = body + (bom8 ? 3 : 0);
    size_t srclen = size - (bom8 ? 3 : 0);
    const char *encoding = bom16 || wide ? NULL : encoding_of(src, srclen, charset);
    bytes utf8 = {0}, fixed = {0};
    char *warning = NULL, sentence[200];
    const char *parse_as = "UTF-8";
    if (bom16 || wide) {
        put(&fixed, body, size);
        parse_as = wide; /* NULL with a byte order mark: libxml2 reads it */
    } else {
        size_t damaged = 0;
        if (strcmp(encoding, "UTF-8") == 0)
            put(&utf8, src, srclen);
        else if (bom8 || mostly_utf8((const unsigned char *)src, srclen))
            damaged = repair_utf8(src, srclen, &utf8);
        else if (strcasecmp(encoding, "windows-1252") == 0 || strcasecmp(encoding, "cp1252") == 0 ||
                 strcasecmp(encoding, "latin1") == 0 || strcasecmp(encoding, "iso-8859-1") == 0)
            damaged = from_cp1252((const unsigned char *)src, srclen, &utf8);
        else
            parse_as = NULL; /* another declared encoding: libxml2's */
        if (damaged) {
            snprintf(sentence, sizeof sentence, "%zu octet(s) qui ne sont pas du texte (%s) remplacés par « \xef\xbf\xbd »",
                     damaged, strcmp(encoding, "UTF-8") == 0 || bom8 ? "UTF-8" : encoding);
            say(&warning, sentence);
        }
        if (parse_as) {
            size_t amps = escape_bare_ampersands(utf8.data ? utf8.data : "", utf8.len, &fixed);
            if (amps) {
                snprintf(sentence, sizeof sentence, "%zu « & » isolé(s) lu(s) comme du texte", amps);
                say(&warning, sentence);
            }
        } else {
            put(&fixed, src, srclen);
        }
    }
    free(utf8.data);
    if (fixed.oom || !fixed.data) {
        free(fixed.data);
        free(warning);
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    size_t len = fixed.len;
    char *text = numeric_entities(fixed.data, &len);
    free(fixed.data);
    if (!text) {
        free(warning);
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    int options = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    if (parse_as && !wide)
        options |= XML_PARSE_IGNORE_ENC;
    /* libxml2's complaints become the warning, not lines on the daemon's stderr. */
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlResetLastError();
    xmlDocPtr doc = xmlReadMemory(text, (int)len, base_url, parse_as, options);
    free(text);
    const xmlError *last = xmlGetLastError();
    if (doc && last && last->level >= XML_ERR_ERROR && last->message) {
        snprintf(sentence, sizeof sentence, "XML réparé pour être lu (%s)", last->message);
        size_t l = strlen(sentence);
        while (l && (sentence[l - 1] == '\n' || sentence[l - 1] == ' ' || sentence[l - 1] == ')'))
            sentence[--l] = '\0';
        strcat(sentence, ")");
        cn_utf8_scrub(sentence);
        say(&warning, sentence);
    }
    out->warning = warning;
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        const xmlError *e = xmlGetLastError();
        snprintf(err, errcap, "ce n'est pas du XML lisible%s%s", e && e->message ? " : " : "",
                 e && e->message ? e->message : "");
        size_t l = strlen(err);
        while (l && (err[l - 1] == '\n' || err[l - 1] == ' '))
            err[--l] = '\0';
        cn_utf8_scrub(err); /* libxml2 may quote bytes of the feed that are not text */
        xmlFreeDoc(doc);
        free(out->warning);
        out->warning = NULL;
        return -1;
    }
    xmlNodePtr channel = NULL, items_parent = NULL;
    const char *item_name = "item";
    if (named(root, "rss")) {
        out->format = "rss2";
        channel = child(root, "channel");
        items_parent = channel ? channel : root;
    } else if (named(root, "RDF")) {
        out->format = "rss1";
        channel = child(root, "channel");
        items_parent = root;
    } else if (named(root, "feed")) {
        out->format = "atom";
        channel = root;
        items_parent = root;
        item_name = "entry";
    } else {
        snprintf(err, errcap, "ni RSS ni Atom : l'élément racine est <%s>%s", (const char *)root->name,
                 strcasecmp((const char *)root->name, "html") == 0 ? " (une page web, pas son flux)" : "");
        cn_utf8_scrub(err);
        xmlFreeDoc(doc);
        free(out->warning);
        out->warning = NULL;
        return -1;
    }
    out->title = strcmp(out->format, "atom") == 0 ? text_construct(child(channel, "title"), 0)
                                                  : plain_content(child(channel, "title"), 0);
    if (strcmp(out->format, "atom") == 0) {
        out->link = atom_link(doc, channel);
    } else {
        char *l = content(child(channel, "link"));
        out->link = absolute(doc, channel, l);
        free(l);
    }
    size_t cap = 0;
    size_t seen = 0;
    for (xmlNodePtr n = items_parent->children; n; n = n->next) {
        if (!named(n, item_name) || ++seen > MAX_ITEMS)
            continue;
        vp_item it = {0};
        if (out->format[0] == 'a')
            read_atom_entry(doc, n, &it);
        else
            read_rss_item(doc, n, &it);
        if (add_item(out, &cap, &it) != 0) {
            free_item(&it);
            break;
        }
    }
    if (seen > MAX_ITEMS) {
        snprintf(sentence, sizeof sentence, "%zu éléments dans le fil : les %d premiers seulement sont lus", seen,
                 MAX_ITEMS);
        say(&out->warning, sentence);
    }
    xmlFreeDoc(doc);
    return 0;
}

void vp_feed_free(vp_feed *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free_item(&f->items[i]);
    free(f->items);
    free(f->title);
    free(f->link);
    free(f->warning);
    memset(f, 0, sizeof *f);
}
