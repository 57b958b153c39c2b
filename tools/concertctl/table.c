/* table.c: see table.h. */
#include "table.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonmp.h"
#include "mp.h"
#include "text.h"
#include "words.h"

static bool english;
void ctl_set_en(bool en)
{
    english = en;
    cn_lang_set(en ? CN_LANG_EN : CN_LANG_FR); /* cn_strerror speaks it too */
}
bool ctl_en(void) { return english; }
#define T(fr, en) (english ? (en) : (fr))

void ctl_print_json(const msgpack_object *o, bool compact)
{
    json_t *j = cn_mp_to_json(o);
    char *s = j ? json_dumps(j, compact ? JSON_COMPACT : JSON_INDENT(2)) : NULL;
    printf("%s\n", s ? s : "null");
    free(s);
    json_decref(j);
}

/* Words for the model's enumerations. */
const char *ctl_word(const char *v) { return cn_word(v, english); }

static const char *scalar_text(const msgpack_object *o, char *buf, size_t cap, bool words);

/* Formats a scalar into buf; lists of strings are joined with ", ". buf always holds the text answered (an
 * absent value as "": callers print their buffer as well as the answer). */
const char *ctl_scalar(const msgpack_object *o, char *buf, size_t cap, bool words)
{
    if (!cap)
        return "";
    const char *t = scalar_text(o, buf, cap, words);
    if (t != buf) {
        snprintf(buf, cap, "%s", t);
        buf[cn_utf8_valid_prefix(buf, strlen(buf))] = '\0';
    }
    return buf;
}

static const char *scalar_text(const msgpack_object *o, char *buf, size_t cap, bool words)
{
    if (!o)
        return "";
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return "";
    case MSGPACK_OBJECT_BOOLEAN:
        return o->via.boolean ? T("oui", "yes") : T("non", "no");
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(buf, cap, "%llu", (unsigned long long)o->via.u64);
        return buf;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(buf, cap, "%lld", (long long)o->via.i64);
        return buf;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        snprintf(buf, cap, "%g", o->via.f64);
        return buf;
    case MSGPACK_OBJECT_STR:
        if (cn_utc_to_local(o->via.str.ptr, o->via.str.size, buf, cap))
            return buf; /* a UTC time, read in local time */
        snprintf(buf, cap, "%.*s", (int)o->via.str.size, o->via.str.ptr);
        if (o->via.str.size >= cap) /* cut short: between two characters, not inside one */
            buf[cn_utf8_valid_prefix(buf, strlen(buf))] = '\0';
        return words ? ctl_word(buf) : buf;
    case MSGPACK_OBJECT_ARRAY: {
        buf[0] = '\0';
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            char item[512];
            size_t len = strlen(buf);
            snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", ctl_scalar(&o->via.array.ptr[i], item, sizeof item, words));
        }
        buf[cn_utf8_valid_prefix(buf, strlen(buf))] = '\0'; /* a long list cut between two characters */
        return buf;
    }
    default:
        return "…";
    }
}

/* Display width of UTF-8 text: one column per code point. */
static size_t ctl_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

/* Prints s in exactly w columns: cut with "…" or padded. Newlines become spaces. */
static void ctl_cell(const char *s, size_t w, bool last)
{
    size_t col = 0;
    const char *p = s;
    size_t total = ctl_width(s);
    while (*p && col < w) {
        if (total > w && col == w - 1) {
            fputs("…", stdout);
            col++;
            break;
        }
        size_t n = 1;
        while (p[n] && ((unsigned char)p[n] & 0xC0) == 0x80)
            n++;
        if (*p == '\n' || *p == '\t')
            putchar(' ');
        else
            fwrite(p, 1, n, stdout);
        p += n;
        col++;
    }
    if (!last)
        for (; col < w + 2; col++)
            putchar(' ');
}


/* A cell: a time (a key ending in _ms, milliseconds since the epoch) as the
 * local date and minute a person reads; anything else as ctl_scalar says. */
static const char *cell_text(const msgpack_object *row, const column *col, char *buf, size_t cap)
{
    const msgpack_object *v = cn_mp_get(row, col->key);
    size_t klen = strlen(col->key);
    if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && klen > 3 && strcmp(col->key + klen - 3, "_ms") == 0) {
        time_t t = (time_t)(v->via.u64 / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
        return buf;
    }
    return ctl_scalar(v, buf, cap, col->words);
}

void ctl_table(const msgpack_object *list, const column *cols, size_t ncols)
{
    if (!list || list->type != MSGPACK_OBJECT_ARRAY)
        return;
    if (list->via.array.size == 0) {
        printf("%s\n", T("(aucun)", "(none)"));
        return;
    }
    size_t w[16];
    char buf[2048];
    for (size_t c = 0; c < ncols; c++) {
        w[c] = ctl_width(english ? cols[c].en : cols[c].fr);
        for (uint32_t i = 0; i < list->via.array.size; i++) {
            size_t cw = ctl_width(cell_text(&list->via.array.ptr[i], &cols[c], buf, sizeof buf));
            if (cw > w[c])
                w[c] = cw;
        }
        if (w[c] > cols[c].max)
            w[c] = cols[c].max;
    }
    for (size_t c = 0; c < ncols; c++)
        ctl_cell(english ? cols[c].en : cols[c].fr, w[c], c + 1 == ncols);
    putchar('\n');
    for (size_t c = 0; c < ncols; c++) {
        for (size_t k = 0; k < w[c]; k++)
            fputs("─", stdout);
        if (c + 1 < ncols)
            fputs("  ", stdout);
    }
    putchar('\n');
    for (uint32_t i = 0; i < list->via.array.size; i++) {
        for (size_t c = 0; c < ncols; c++)
            ctl_cell(cell_text(&list->via.array.ptr[i], &cols[c], buf, sizeof buf), w[c], c + 1 == ncols);
        putchar('\n');
    }
}

/* "Label : value" lines for the keys of a map that have a value. */
void ctl_details(const msgpack_object *map, const column *rows, size_t n)
{
    size_t lw = 0;
    for (size_t i = 0; i < n; i++)
        if (ctl_width(english ? rows[i].en : rows[i].fr) > lw)
            lw = ctl_width(english ? rows[i].en : rows[i].fr);
    char buf[8192];
    for (size_t i = 0; i < n; i++) {
        const char *v = ctl_scalar(cn_mp_get(map, rows[i].key), buf, sizeof buf, rows[i].words);
        if (!*v)
            continue;
        const char *label = english ? rows[i].en : rows[i].fr;
        printf("%s", label);
        for (size_t k = ctl_width(label); k < lw; k++)
            putchar(' ');
        printf(" : %s\n", v);
    }
}

void ctl_heading(const char *fr, const char *en) { printf("\n%s\n", T(fr, en)); }
