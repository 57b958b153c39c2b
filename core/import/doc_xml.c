/* doc_xml.c: see doc_xml.h. */
#include "doc_xml.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* libxml2's complaints go into the error message, not to the daemon's stderr. */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

void cn_docxml_init(void) { xmlInitParser(); }

xmlDocPtr cn_docxml_parse(const char *text, size_t len, const char *part, char *err, size_t errcap)
{
    if (len > (size_t)INT32_MAX) {
        snprintf(err, errcap, "%s : trop grand", part);
        return NULL;
    }
    xmlSetGenericErrorFunc(NULL, quiet); /* per thread: the parsing may run off the loop */
    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlResetLastError();
    /* No XML_PARSE_NOENT (entities are not expanded), no DTDLOAD, no HUGE. */
    xmlDocPtr doc = xmlReadMemory(text, (int)len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        char msg[120] = "", why[160] = "";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            for (size_t l = strlen(msg); l && (msg[l - 1] == '\n' || msg[l - 1] == ' '); l--)
                msg[l - 1] = '\0'; /* libxml2 ends its messages with a line break */
            snprintf(why, sizeof why, " (ligne %d : %s)", e->line, msg);
        }
        snprintf(err, errcap, "%s n'est pas du XML bien formé%s : le document est endommagé", part, why);
        cn_utf8_scrub(err);
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        snprintf(err, errcap, "%s déclare une DTD (entités, fichiers externes) : refusé, un document de bureau "
                              "n'en a pas", part);
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

bool cn_docxml_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNode *cn_docxml_child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (cn_docxml_is(c, name))
            return c;
    return NULL;
}

const char *cn_docxml_attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n ? n->properties : NULL; a; a = a->next)
        if (strcmp((const char *)a->name, name) == 0 && a->children && a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    return NULL;
}
