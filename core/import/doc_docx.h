/* doc_docx.h: a Word document (.docx) read into plan text (doc_out.h). */
#ifndef CN_DOC_DOCX_H
#define CN_DOC_DOCX_H

#include <stddef.h>

#include "doc_out.h"

/* Reads the .docx data[0..len) into out. 0, or -1 with err set in French. */
int cn_docx_read(const void *data, size_t len, cn_docout *out, char *err, size_t errcap);

/* The same from its XML parts (the fuzzer's way in): word/document.xml,
 * and word/numbering.xml and word/styles.xml or NULL. */
int cn_docx_read_parts(const char *document, size_t len, const char *numbering_xml, size_t numbering_len,
                       const char *styles_xml, size_t styles_len, cn_docout *out, char *err, size_t errcap);

#endif
