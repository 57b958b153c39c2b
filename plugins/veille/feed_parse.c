/* feed_parse.c: see feed_parse.h. The body is prepared by feed_repair.c,
 * dates read by feed_dates.c; here, the three formats. */
#include "feed_parse.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>

#include "feed_repair.h"
#include "utf8.h"

#define MAX_ITEMS VP_MAX_ITEMS
#define SUMMARY_MAX 1000

static void scrub_text(char *s)
{
    if (s)
        cn_utf8_scrub(s);
}

static bool whole_utf8(const char *s) { return cn_utf8_valid_prefix(s, strlen(s)) == strlen(s); }

/* libxml2's complaints become the feed's warning, not lines on stderr. */
static void quiet(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    (void)fmt;
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
        /* "…" takes 3 bytes where at least 1 is cut: within n bytes, the
         * text's own, the cut comes 3 bytes before the end at the latest. */
        static const char ellipsis[] = "…";
        size_t room = n >= sizeof ellipsis - 1 ? n - (sizeof ellipsis - 1) : 0, limit = max < room ? max : room;
        while (limit && ((unsigned char)s[limit] & 0xC0) == 0x80)
            limit--;
        size_t cut = limit;
        if (s[limit] != ' ') { /* inside a word: back to the end of the one before, within 40 bytes */
            while (cut && s[cut - 1] != ' ' && limit - cut < 40)
                cut--;
            cut = cut && s[cut - 1] == ' ' ? cut - 1 : limit; /* "sociale en…", not "en …" */
        }
        if (n >= sizeof ellipsis - 1)
            memcpy(s + cut, ellipsis, sizeof ellipsis);
        else
            s[cut] = '\0';
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
    for (char *c = h; c && *c != ':'; c++) /* "HTTPS://" as "https://": one link, one spelling */
        *c = (char)tolower((unsigned char)*c);
    return h;
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
    char *warning = NULL, sentence[200];
    vp_body prepared;
    if (vp_repair(body, size, charset, &prepared, &warning) != 0) {
        free(prepared.text);
        free(warning);
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    const char *parse_as = prepared.encoding;
    char *text = prepared.text;
    size_t len = prepared.len;
    int options = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    if (prepared.ours)
        options |= XML_PARSE_IGNORE_ENC;
    /* libxml2's complaints become the warning, not lines on the daemon's stderr. */
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlResetLastError();
    xmlDocPtr doc = xmlReadMemory(text, (int)len, base_url, parse_as, options);
    free(text);
    const xmlError *last = xmlGetLastError();
    if (doc && last && last->level >= XML_ERR_ERROR && last->message) {
        char why[120];
        snprintf(why, sizeof why, "%s", last->message);
        size_t l = strlen(why);
        while (l && (why[l - 1] == '\n' || why[l - 1] == ' '))
            why[--l] = '\0';
        snprintf(sentence, sizeof sentence, "XML réparé pour être lu (%s)", why);
        cn_utf8_scrub(sentence);
        vp_say(&warning, sentence);
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
    /* Whatever libxml2 made of an encoding it was left to decode, what
     * leaves here is text: scrubbed, and a link that is not is no link. */
    scrub_text(out->title);
    if (out->link && !whole_utf8(out->link)) {
        free(out->link);
        out->link = NULL;
    }
    for (size_t i = 0; i < out->n; i++) {
        vp_item *it = &out->items[i];
        scrub_text(it->title);
        scrub_text(it->summary);
        scrub_text(it->guid);
        if (it->link && !whole_utf8(it->link)) {
            free(it->link);
            it->link = NULL;
        }
    }
    if (seen > MAX_ITEMS) {
        snprintf(sentence, sizeof sentence, "%zu éléments dans le fil : les %d premiers seulement sont lus", seen,
                 MAX_ITEMS);
        vp_say(&out->warning, sentence);
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
