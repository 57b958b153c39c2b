/* textfile.h: reading a plan file for import. Word and Excel on Windows
 * often save text as Windows-1252 rather than UTF-8: such a file is
 * converted (and the caller told so), so accents survive either way. */
#ifndef CTL_TEXTFILE_H
#define CTL_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Reads path into a new NUL-terminated UTF-8 string (caller frees).
 * *converted is set when the file was Windows-1252. Returns NULL with
 * errno set when the file cannot be read, or with errno EILSEQ when it
 * holds NUL bytes (not a text file). */
char *ctl_read_text(const char *path, size_t *len, bool *converted);

/* The file's bytes as they are (NUL-terminated, caller frees); NULL with errno set. */
char *ctl_read_file(const char *path, size_t *len);
/* Whether data is a document sent as it is (a zip: .docx, .odt…; a PDF; an old .doc). */
bool ctl_is_document(const char *data, size_t len);

#endif
