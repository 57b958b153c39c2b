/* doc_odt.h: an OpenDocument text (.odt) read into plan text (doc_out.h). */
#ifndef CN_DOC_ODT_H
#define CN_DOC_ODT_H

#include <stddef.h>

#include "doc_out.h"

/* Reads the .odt data[0..len) into out. 0, or -1 with err set in French. */
int cn_odt_read(const void *data, size_t len, cn_docout *out, char *err, size_t errcap);

/* The same from its XML parts (the fuzzer's way in): content.xml, and styles.xml or NULL. */
int cn_odt_read_parts(const char *content, size_t n, const char *styles_xml, size_t styles_n, cn_docout *out,
                      char *err, size_t errcap);

#endif
