/* doc_pdf.h: a plan's PDF (with a text layer) read into plan text (doc_out.h). */
#ifndef CN_DOC_PDF_H
#define CN_DOC_PDF_H

#include <stddef.h>

#include "doc_out.h"

/* Reads the PDF data[0..len) into out (each line placed "page N"). 0, or -1
 * with err (French): protected by a password, damaged, more than 500 pages,
 * or without text (a scan). */
int cn_pdf_read(const void *data, size_t len, cn_docout *out, char *err, size_t errcap);

#endif
