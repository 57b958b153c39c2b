/* doc_xml.h: an office document's XML part parsed safely (libxml2: no
 * network, no entity expanded, no DTD loaded, a document that declares
 * one refused, default size limits), and the small helpers the readers
 * share to walk it by local names. */
#ifndef CN_DOC_XML_H
#define CN_DOC_XML_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

/* Readies libxml2 for parsing on worker threads (their state then goes
 * with them): once, from the main thread, before any parse. */
void cn_docxml_init(void);

/* Parses text[0..len) named part; NULL with err set (in French) when it is
 * not well-formed XML or declares a DTD. Free with xmlFreeDoc. */
xmlDocPtr cn_docxml_parse(const char *text, size_t len, const char *part, char *err, size_t errcap);

/* Whether n is an element of that local name. */
bool cn_docxml_is(const xmlNode *n, const char *name);
/* The first child element of that local name, or NULL. */
xmlNode *cn_docxml_child(const xmlNode *n, const char *name);
/* The attribute of that local name (any namespace), or NULL; not copied. */
const char *cn_docxml_attr(const xmlNode *n, const char *name);

#endif
