/* import_cells.c: see import_cells.h. */
#include "import_cells.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

char *cn_zdup(msgpack_zone *z, const char *s, size_t n)
{
    char *p = msgpack_zone_malloc(z, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *cn_zcat(msgpack_zone *z, const char *a, const char *sep, const char *b)
{
    size_t na = a ? strlen(a) : 0, nb = b ? strlen(b) : 0, ns = (na && nb) ? strlen(sep) : 0;
    char *p = msgpack_zone_malloc(z, na + ns + nb + 1);
    if (!p)
        return NULL;
    if (na)
        memcpy(p, a, na);
    if (ns)
        memcpy(p + na, sep, ns);
    if (nb)
        memcpy(p + na + ns, b, nb);
    p[na + ns + nb] = '\0';
    return p;
}

/* ---- cleaning ---------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            abort(); /* out of memory while reading a document: nothing sane to do */
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void put_utf8(buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp == 0xA0 || cp == 0x202F || cp == 0x2007) {
        put(b, " ", 1);
        return;
    }
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else if (cp < 0x110000) {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    } else
        return;
    put(b, u, n);
}

/* The named entities Word and web editors write in French text. */
static const struct {
    const char *name;
    unsigned long cp;
} entities[] = {
    {"amp", '&'},      {"lt", '<'},        {"gt", '>'},        {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},    {"laquo", 0xAB},    {"raquo", 0xBB},    {"rsquo", 0x2019}, {"lsquo", 0x2018},
    {"ldquo", 0x201C}, {"rdquo", 0x201D},  {"ndash", 0x2013},  {"mdash", 0x2014}, {"hellip", 0x2026},
    {"agrave", 0xE0},  {"acirc", 0xE2},    {"ccedil", 0xE7},   {"egrave", 0xE8},  {"eacute", 0xE9},
    {"ecirc", 0xEA},   {"euml", 0xEB},     {"icirc", 0xEE},    {"iuml", 0xEF},    {"ocirc", 0xF4},
    {"ugrave", 0xF9},  {"ucirc", 0xFB},    {"uuml", 0xFC},     {"oelig", 0x153},  {"Agrave", 0xC0},
    {"Acirc", 0xC2},   {"Ccedil", 0xC7},   {"Egrave", 0xC8},   {"Eacute", 0xC9},  {"Ecirc", 0xCA},
    {"Icirc", 0xCE},   {"Ocirc", 0xD4},    {"OElig", 0x152},   {"deg", 0xB0},     {"bull", 0x2022},
};

/* Decodes the entity at s (after '&'); returns the bytes it takes, or 0. */
static size_t entity(const char *s, buf *out)
{
    const char *semi = strchr(s, ';');
    if (!semi || semi - s > 10 || semi == s)
        return 0;
    size_t n = (size_t)(semi - s);
    if (s[0] == '#') {
        char *end;
        unsigned long cp = (s[1] == 'x' || s[1] == 'X') ? strtoul(s + 2, &end, 16) : strtoul(s + 1, &end, 10);
        if (end != semi || cp == 0)
            return 0;
        put_utf8(out, cp);
        return n + 1;
    }
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++)
        if (strlen(entities[i].name) == n && memcmp(entities[i].name, s, n) == 0) {
            put_utf8(out, entities[i].cp);
            return n + 1;
        }
    return 0;
}

/* When s (at '<') is an HTML tag, returns its length and whether it breaks
 * items (p, li, br, div, tr, ul, ol, h1…); else 0. */
static size_t tag(const char *s, bool *breaks)
{
    size_t i = 1;
    if (s[i] == '/')
        i++;
    if (!isalpha((unsigned char)s[i]))
        return 0;
    size_t name = i;
    while (isalnum((unsigned char)s[i]))
        i++;
    size_t name_len = i - name;
    while (s[i] && s[i] != '>' && s[i] != '<' && s[i] != '\n')
        i++;
    if (s[i] != '>')
        return 0;
    static const char *const block[] = {"p", "li", "br", "div", "tr", "ul", "ol", "h1", "h2", "h3", "h4", "td", NULL};
    *breaks = false;
    for (int k = 0; block[k]; k++)
        if (strlen(block[k]) == name_len && strncasecmp(block[k], s + name, name_len) == 0)
            *breaks = true;
    return i + 1;
}

char *cn_cell_clean(msgpack_zone *z, const char *s, size_t n)
{
    buf raw = {0}, out = {0};
    /* Pass 1: tags and entities out, item breaks as '\n'. */
    char *copy = cn_zdup(z, s, n);
    if (!copy)
        return NULL;
    put(&raw, "", 0);
    for (size_t i = 0; i < n;) {
        bool breaks;
        size_t k;
        if (copy[i] == '<' && (k = tag(copy + i, &breaks)) > 0) {
            put(&raw, breaks ? "\n" : "", breaks ? 1 : 0);
            i += k;
        } else if (copy[i] == '&' && (k = entity(copy + i + 1, &raw)) > 0) {
            i += k + 1;
        } else if ((unsigned char)copy[i] == 0xC2 && (unsigned char)copy[i + 1] == 0xA0) {
            put(&raw, " ", 1); /* NBSP */
            i += 2;
        } else if ((unsigned char)copy[i] == 0xE2 && (unsigned char)copy[i + 1] == 0x80 &&
                   (unsigned char)copy[i + 2] == 0xAF) {
            put(&raw, " ", 1); /* narrow NBSP */
            i += 3;
        } else {
            put(&raw, copy[i] == '\t' || copy[i] == '\r' || copy[i] == '\v' || copy[i] == '\f' ? " " : copy + i, 1);
            i++;
        }
    }
    /* Pass 2: collapse spaces, trim every item, drop empty items. */
    put(&out, "", 0);
    const char *p = raw.p;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        bool space = false, any = false;
        size_t item_start = out.n;
        for (size_t i = 0; i < len; i++) {
            if (p[i] == ' ') {
                space = any;
                continue;
            }
            if (space)
                put(&out, " ", 1);
            if (!any && out.n > 0 && item_start == out.n)
                put(&out, "\n", 1);
            put(&out, p + i, 1);
            space = false;
            any = true;
        }
        p += len + (nl ? 1 : 0);
    }
    char *r = cn_zdup(z, out.p, out.n);
    free(raw.p);
    free(out.p);
    return r;
}

/* ---- numbers ----------------------------------------------------------- */

size_t cn_num_prefix(const char *s, char num[64])
{
    size_t i = 0, o = 0;
    int groups = 0;
    bool closed = false;
    while (isdigit((unsigned char)s[i])) {
        size_t start = i;
        while (isdigit((unsigned char)s[i]))
            i++;
        if (i - start > 3 || o + (i - start) + 2 > 63)
            return 0;
        if (groups)
            num[o++] = '.';
        memcpy(num + o, s + start, i - start);
        o += i - start;
        groups++;
        if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
            i++;
            continue;
        }
        if (s[i] == '.' || s[i] == ')') {
            closed = true;
            i++;
            if (s[i] == '.')
                i++; /* "2.2.2." followed by another dot in some exports */
        }
        break;
    }
    num[o] = '\0';
    if (groups == 0 || (groups == 1 && !closed))
        return 0;
    if (groups == 1 && i > 0 && s[i - 1] == '.' && isdigit((unsigned char)s[i - 2]) && strlen(num) > 2)
        return 0; /* "2018." is a year ending a sentence */
    if (s[i] != ' ' && s[i] != '\0')
        return 0;
    while (s[i] == ' ')
        i++;
    return i;
}

int cn_num_depth(const char *num)
{
    int d = *num ? 1 : 0;
    for (; *num; num++)
        d += *num == '.';
    return d;
}

/* Splits "1.2.3" into up to 16 integers; returns how many. */
static int groups_of(const char *num, long g[16])
{
    int n = 0;
    while (*num && n < 16) {
        char *end;
        g[n++] = strtol(num, &end, 10);
        num = *end == '.' ? end + 1 : end;
        if (end == num && *num)
            break;
    }
    return n;
}

bool cn_num_follows(const char *a, const char *b)
{
    long x[16], y[16];
    int nx = groups_of(a, x), ny = groups_of(b, y);
    if (nx == 0 || ny == 0)
        return false;
    if (ny == nx + 1) { /* child */
        for (int i = 0; i < nx; i++)
            if (x[i] != y[i])
                return false;
        return y[nx] >= 1 && y[nx] <= 3;
    }
    if (ny == nx || ny == nx - 1) { /* sibling, or sibling of the parent */
        for (int i = 0; i < ny - 1; i++)
            if (x[i] != y[i])
                return false;
        long d = y[ny - 1] - x[ny - 1];
        return d >= 1 && d <= 3;
    }
    return false;
}

/* ---- items ------------------------------------------------------------- */

bool cn_starts_lower(const char *s)
{
    unsigned char c = (unsigned char)s[0], d = (unsigned char)s[1];
    if (c >= 'a' && c <= 'z')
        return true;
    if (c == 0xC3) /* U+00DF..U+00FF: ß à â ç é è ê … except ÷ */
        return d >= 0x9F && d <= 0xBF && d != 0xB7;
    if (c == 0xC5 && d == 0x93) /* œ */
        return true;
    return false;
}

bool cn_starts_upper(const char *s)
{
    unsigned char c = (unsigned char)s[0], d = (unsigned char)s[1];
    if (c >= 'A' && c <= 'Z')
        return true;
    if (c == 0xC3) /* U+00C0..U+00DE except × */
        return d >= 0x80 && d <= 0x9E && d != 0x97;
    if (c == 0xC5 && d == 0x92) /* Œ */
        return true;
    return false;
}

static bool is_bullet(const char *s, size_t *len)
{
    static const char *const marks[] = {"- ", "– ", "• ", "* ", "· ", "▪ ", "o ", NULL};
    for (int i = 0; marks[i]; i++) {
        size_t n = strlen(marks[i]);
        if (strncmp(s, marks[i], n) == 0 && (i != 6 || cn_starts_upper(s + n))) {
            *len = n;
            return true;
        }
    }
    return false;
}

/* Finds "Note :" / "NB :" starting a word; returns its offset or -1. */
static long note_at(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (p != s && p[-1] != ' ' && p[-1] != '\n') /* a note on a line of its own (a paragraph) too */
            continue;
        if ((strncmp(p, "Note :", 6) == 0 || strncmp(p, "Note:", 5) == 0 || strncmp(p, "N.B.", 4) == 0) && p != s)
            return p - s;
    }
    return -1;
}

static size_t add_item(msgpack_zone *z, cn_item *out, size_t n, size_t cap, const char *num, const char *s, size_t len)
{
    while (len && s[len - 1] == ' ')
        len--;
    while (len && *s == ' ')
        s++, len--;
    /* A number alone is an item still (its text is assumed later, and said). */
    if ((len == 0 && !*num) || n >= cap)
        return n;
    snprintf(out[n].num, sizeof out[n].num, "%s", num);
    out[n].text = cn_zdup(z, s, len);
    return out[n].text ? n + 1 : n;
}

/* One '\n'-free line: numbered items that follow each other, or bullets. */
static size_t line_items(msgpack_zone *z, const char *s, cn_item *out, size_t n, size_t cap)
{
    char num[64], next[64];
    size_t k = cn_num_prefix(s, num);
    if (k) {
        const char *text = s + k;
        for (const char *p = text; *p; p++) {
            size_t m;
            if (p[-1] == ' ' && isdigit((unsigned char)*p) && (m = cn_num_prefix(p, next)) > 0 &&
                cn_num_depth(next) > 1 && cn_num_follows(num, next)) {
                n = add_item(z, out, n, cap, num, text, (size_t)(p - text));
                snprintf(num, sizeof num, "%s", next);
                text = p + m;
                p = text;
                if (!*p)
                    break;
            }
        }
        return add_item(z, out, n, cap, num, text, strlen(text));
    }
    size_t b;
    if (is_bullet(s, &b)) {
        const char *text = s + b;
        for (const char *p = text; *p; p++) {
            size_t m;
            if (p[0] == ' ' && is_bullet(p + 1, &m) && cn_starts_upper(p + 1 + m)) {
                n = add_item(z, out, n, cap, "", text, (size_t)(p - text));
                text = p + 1 + m;
                p = text;
            }
        }
        return add_item(z, out, n, cap, "", text, strlen(text));
    }
    return add_item(z, out, n, cap, "", s, strlen(s));
}

size_t cn_cell_items(msgpack_zone *z, const char *cell, cn_item *out, size_t cap)
{
    size_t n = 0;
    const char *note = NULL;
    long at = note_at(cell);
    char *body = (char *)cell;
    if (at > 0) {
        body = cn_zdup(z, cell, (size_t)at);
        note = cell + at;
        if (!body)
            return 0;
    }
    for (const char *p = body; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = cn_zdup(z, p, len);
        if (!line)
            return n;
        n = line_items(z, line, out, n, cap);
        p += len + (nl ? 1 : 0);
    }
    if (note) {
        if (n == 0)
            n = add_item(z, out, n, cap, "", note, strlen(note));
        else
            out[0].text = cn_zcat(z, out[0].text, " ", note);
    }
    return n;
}

size_t cn_cell_by_number(msgpack_zone *z, const char *cell, const char *const *nums, size_t n, char **parts)
{
    for (size_t i = 0; i <= n; i++)
        parts[i] = NULL;
    size_t found = 0, cur = n;
    const char *text = cell;
    for (const char *p = cell;; p++) {
        char num[64];
        size_t m = 0, which = n;
        if (*p && (p == cell || p[-1] == ' ' || p[-1] == '\n') && isdigit((unsigned char)*p) &&
            (m = cn_num_prefix(p, num)) > 0) {
            for (size_t i = 0; i < n; i++)
                if (strcmp(nums[i], num) == 0)
                    which = i;
        }
        if (*p && which == n)
            continue;
        char *part = cn_zdup(z, text, (size_t)(p - text));
        size_t len = part ? strlen(part) : 0;
        while (len && (part[len - 1] == ' ' || part[len - 1] == '\n'))
            part[--len] = '\0';
        if (part && len)
            parts[cur] = cn_zcat(z, parts[cur], " ", part);
        if (!*p)
            break;
        cur = which;
        found++;
        text = p + m;
        p = text - 1;
    }
    return found;
}
