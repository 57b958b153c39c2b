/* doc_zip.h: the parts of an office document (a zip: .docx, .odt, .xlsx,
 * .ods) read from memory with libzip, within limits: a part that inflates
 * past its limit (a zip bomb), an encrypted part, too many parts, or a
 * damaged archive is refused in words, never read whole. */
#ifndef CN_DOC_ZIP_H
#define CN_DOC_ZIP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cn_doczip cn_doczip;

/* The most a part may inflate to, and how many entries an archive may have. */
#define CN_DOCZIP_PART_MAX (64u << 20)
#define CN_DOCZIP_ENTRIES_MAX 10000

/* Opens data[0..len) (kept by the caller while the archive is open).
 * NULL with err set when it is not a zip that can be read. */
cn_doczip *cn_doczip_open(const void *data, size_t len, char *err, size_t errcap);
void cn_doczip_close(cn_doczip **z);

/* Whether the archive holds a part of that name. */
bool cn_doczip_has(cn_doczip *z, const char *name);

/* The part's bytes, NUL-terminated (caller frees), at most max bytes
 * (CN_DOCZIP_PART_MAX when 0). NULL with err set when it is missing,
 * encrypted, larger than max once inflated, or damaged. */
char *cn_doczip_read(cn_doczip *z, const char *name, size_t max, size_t *len, char *err, size_t errcap);

#endif
