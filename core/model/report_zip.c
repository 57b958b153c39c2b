/* report_zip.c: the zip of a written document (.odt, .docx), built in
 * memory with libzip: parts added in order, then the archive's bytes read
 * back from the in-memory source. */
#include <stdio.h>
#include <stdlib.h>
#include <zip.h>

#include "report_blocks.h"

/* The bytes of the closed archive held by src, appended to out. */
static int read_back(zip_source_t *src, msgpack_sbuffer *out)
{
    int rc = -1;
    zip_stat_t st;
    if (zip_source_open(src) != 0)
        return -1;
    if (zip_source_stat(src, &st) == 0 && (st.valid & ZIP_STAT_SIZE)) {
        char *bytes = malloc(st.size ? st.size : 1);
        if (bytes && zip_source_read(src, bytes, st.size) == (zip_int64_t)st.size) {
            msgpack_sbuffer_write(out, bytes, st.size);
            rc = 0;
        }
        free(bytes);
    }
    zip_source_close(src);
    return rc;
}

int cn_rdoc_zip(const cn_rdoc_part *parts, size_t n, msgpack_sbuffer *out, char *err, size_t errcap)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = NULL;
    int rc = -1;
    if (src) {
        zip_source_keep(src); /* kept past zip_close, to read the archive back */
        za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    }
    if (za) {
        bool ok = true;
        for (size_t i = 0; ok && i < n; i++) {
            zip_source_t *part = zip_source_buffer(za, parts[i].data, parts[i].len, 0);
            zip_int64_t idx = part ? zip_file_add(za, parts[i].name, part, ZIP_FL_ENC_UTF_8) : -1;
            if (idx < 0) {
                zip_source_free(part);
                ok = false;
            } else if (parts[i].stored) {
                zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
            }
        }
        if (ok && zip_close(za) == 0)
            rc = read_back(src, out);
        else
            zip_discard(za);
    }
    if (rc != 0)
        snprintf(err, errcap, "le document n'a pu être écrit : %s", zip_error_strerror(&ze));
    if (src)
        zip_source_free(src);
    zip_error_fini(&ze);
    return rc;
}
