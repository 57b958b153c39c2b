/* opml.c: see opml.h. */
#include "opml.h"

#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

static void add_tag(char *tags, size_t cap, const char *tag, size_t len)
{
    while (len && (*tag == ' ' || *tag == '/')) {
        tag++;
        len--;
    }
    while (len && (tag[len - 1] == ' ' || tag[len - 1] == '/'))
        len--;
    size_t used = strlen(tags);
    if (!len || used + len + 2 > cap)
        return;
    /* no duplicates */
    for (const char *p = tags; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l == len && strncmp(p, tag, len) == 0)
            return;
        p += l + (nl ? 1 : 0);
    }
    snprintf(tags + used, cap - used, "%s%.*s", used ? "\n" : "", (int)len, tag);
}

static char *prop(xmlNodePtr n, const char *name)
{
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

typedef struct {
    opml_feed *feeds;
    size_t n, cap;
} list;

/* Walks outlines; folders (outlines without xmlUrl) are tags of what they hold. */
static int walk(xmlNodePtr parent, const char *folders, list *l)
{
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "outline") != 0)
            continue;
        char *url = prop(c, "xmlUrl"), *text = prop(c, "text"), *title = prop(c, "title");
        const char *name = title && *title ? title : text ? text : "";
        int rc = 0;
        if (url && *url) {
            if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 16;
                opml_feed *p = realloc(l->feeds, cap * sizeof *p);
                if (!p)
                    rc = -1;
                else {
                    l->feeds = p;
                    l->cap = cap;
                }
            }
            if (rc == 0) {
                opml_feed *f = &l->feeds[l->n++];
                memset(f, 0, sizeof *f);
                snprintf(f->url, sizeof f->url, "%s", url);
                snprintf(f->title, sizeof f->title, "%s", name);
                char *site = prop(c, "htmlUrl"), *category = prop(c, "category");
                snprintf(f->site, sizeof f->site, "%s", site ? site : "");
                for (const char *p = folders; *p;) {
                    const char *nl = strchr(p, '\n');
                    size_t len = nl ? (size_t)(nl - p) : strlen(p);
                    add_tag(f->tags, sizeof f->tags, p, len);
                    p += len + (nl ? 1 : 0);
                }
                for (const char *p = category ? category : ""; *p;) {
                    size_t len = strcspn(p, ",");
                    add_tag(f->tags, sizeof f->tags, p, len);
                    p += len + (p[len] ? 1 : 0);
                }
                xmlFree(site);
                xmlFree(category);
            }
        } else if (*name) {
            char inner[1024];
            snprintf(inner, sizeof inner, "%s%s%s", folders, *folders ? "\n" : "", name);
            rc = walk(c, inner, l);
        } else {
            rc = walk(c, folders, l);
        }
        xmlFree(url);
        xmlFree(text);
        xmlFree(title);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int opml_read(const char *text, size_t len, opml_feed **out, size_t *n, char *err, size_t errcap)
{
    *out = NULL;
    *n = 0;
    xmlDocPtr doc = xmlReadMemory(text, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        const xmlError *e = xmlGetLastError();
        snprintf(err, errcap, "ce n'est pas un fichier OPML lisible%s%s", e && e->message ? " : " : "",
                 e && e->message ? e->message : "");
        size_t l = strlen(err);
        while (l && (err[l - 1] == '\n' || err[l - 1] == ' '))
            err[--l] = '\0';
        cn_utf8_scrub(err); /* libxml2 may quote bytes of the file that are not text */
        xmlFreeDoc(doc);
        return -1;
    }
    xmlNodePtr body = NULL;
    for (xmlNodePtr c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "body") == 0)
            body = c;
    if (strcmp((const char *)root->name, "opml") != 0 || !body) {
        snprintf(err, errcap, "ce n'est pas de l'OPML (élément racine <%s>, il faut <opml> avec un <body>)",
                 (const char *)root->name);
        xmlFreeDoc(doc);
        return -1;
    }
    list l = {0};
    int rc = walk(body, "", &l);
    xmlFreeDoc(doc);
    if (rc != 0) {
        free(l.feeds);
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    *out = l.feeds;
    *n = l.n;
    return 0;
}

char *opml_write(const opml_feed *feeds, size_t n, const char *title)
{
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = xmlNewNode(NULL, (const xmlChar *)"opml");
    xmlDocSetRootElement(doc, root);
    xmlNewProp(root, (const xmlChar *)"version", (const xmlChar *)"2.0");
    xmlNodePtr head = xmlNewChild(root, NULL, (const xmlChar *)"head", NULL);
    xmlNewTextChild(head, NULL, (const xmlChar *)"title", (const xmlChar *)title);
    xmlNodePtr body = xmlNewChild(root, NULL, (const xmlChar *)"body", NULL);
    for (size_t i = 0; i < n; i++) {
        const opml_feed *f = &feeds[i];
        xmlNodePtr o = xmlNewChild(body, NULL, (const xmlChar *)"outline", NULL);
        const char *name = f->title[0] ? f->title : f->url;
        xmlNewProp(o, (const xmlChar *)"type", (const xmlChar *)"rss");
        xmlNewProp(o, (const xmlChar *)"text", (const xmlChar *)name);
        xmlNewProp(o, (const xmlChar *)"title", (const xmlChar *)name);
        xmlNewProp(o, (const xmlChar *)"xmlUrl", (const xmlChar *)f->url);
        if (f->site[0])
            xmlNewProp(o, (const xmlChar *)"htmlUrl", (const xmlChar *)f->site);
        if (f->tags[0]) {
            char category[1024];
            snprintf(category, sizeof category, "%s", f->tags);
            for (char *p = category; *p; p++)
                if (*p == '\n')
                    *p = ',';
            xmlNewProp(o, (const xmlChar *)"category", (const xmlChar *)category);
        }
    }
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
    xmlFreeDoc(doc);
    char *out = mem ? strndup((const char *)mem, (size_t)size) : NULL;
    xmlFree(mem);
    return out;
}
