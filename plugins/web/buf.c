/* buf.c: see web.h. This is the one place HTML text is escaped: pages never
 * write a text of the plan, a feed or a form with buf_str. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared.h"

void buf_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void buf_add(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void buf_str(buf *b, const char *s)
{
    if (s)
        buf_add(b, s, strlen(s));
}

void buf_printf(buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buf_add(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_add(b, big, (size_t)n);
    free(big);
}

static void escape(buf *b, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        buf_add(b, s + from, i - from);
        buf_str(b, rep);
        from = i + 1;
    }
    buf_add(b, s + from, n - from);
}

void html_text(buf *b, const char *s)
{
    if (s)
        escape(b, s, strlen(s));
}

void html_mp(buf *b, const msgpack_object *o)
{
    if (o && o->type == MSGPACK_OBJECT_STR)
        escape(b, o->via.str.ptr, o->via.str.size);
}

void html_href(buf *b, const char *url)
{
    if (!url)
        return buf_str(b, "#");
    /* A scheme is what comes before the first ':' when no '/', '?' or '#' does. */
    size_t scheme = strcspn(url, ":/?#");
    bool has_scheme = url[scheme] == ':';
    if (has_scheme && !(scheme == 4 && strncasecmp(url, "http", 4) == 0) &&
        !(scheme == 5 && strncasecmp(url, "https", 5) == 0))
        return buf_str(b, "#");
    html_text(b, url);
}

void json_str(buf *b, const char *s)
{
    buf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            buf_add(b, e, 2);
        } else if (*p < 0x20 || *p == '<') { /* '<': no "</script>" in a JSON text */
            buf_printf(b, "\\u%04x", *p);
        } else {
            buf_add(b, (const char *)p, 1);
        }
    }
    buf_add(b, "\"", 1);
}
