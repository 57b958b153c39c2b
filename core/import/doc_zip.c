/* doc_zip.c: see doc_zip.h. */
#include "doc_zip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

struct cn_doczip {
    zip_t *zip;
};

cn_doczip *cn_doczip_open(const void *data, size_t len, char *err, size_t errcap)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    zip_t *zip = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    if (!zip) {
        snprintf(err, errcap, "archive illisible (%s) : le fichier est-il complet ?", zip_error_strerror(&ze));
        if (src)
            zip_source_free(src);
        zip_error_fini(&ze);
        return NULL;
    }
    zip_error_fini(&ze);
    if (zip_get_num_entries(zip, 0) > CN_DOCZIP_ENTRIES_MAX) {
        snprintf(err, errcap, "archive de plus de %d parties : ce n'est pas un document de bureau ordinaire",
                 CN_DOCZIP_ENTRIES_MAX);
        zip_close(zip);
        return NULL;
    }
    cn_doczip *z = calloc(1, sizeof *z);
    if (!z) {
        zip_discard(zip);
        snprintf(err, errcap, "mémoire insuffisante");
        return NULL;
    }
    z->zip = zip;
    return z;
}

void cn_doczip_close(cn_doczip **zp)
{
    if (!*zp)
        return;
    zip_discard((*zp)->zip); /* read-only: nothing to write back */
    free(*zp);
    *zp = NULL;
}

bool cn_doczip_has(cn_doczip *z, const char *name) { return zip_name_locate(z->zip, name, 0) >= 0; }

char *cn_doczip_read(cn_doczip *z, const char *name, size_t max, size_t *len, char *err, size_t errcap)
{
    if (!max)
        max = CN_DOCZIP_PART_MAX;
    zip_int64_t index = zip_name_locate(z->zip, name, 0);
    zip_stat_t st;
    if (index < 0 || zip_stat_index(z->zip, (zip_uint64_t)index, 0, &st) != 0) {
        snprintf(err, errcap, "la partie %s manque : le document est incomplet ou d'un autre genre", name);
        return NULL;
    }
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
        snprintf(err, errcap, "document chiffré (protégé par un mot de passe) : enregistrez-en une copie sans "
                              "mot de passe pour l'importer");
        return NULL;
    }
    /* The size the archive declares may lie: the reading stops at max either way. */
    if ((st.valid & ZIP_STAT_SIZE) && st.size > max) {
        snprintf(err, errcap, "la partie %s ferait %llu Mio une fois décompressée, plus que les %zu Mio permis",
                 name, (unsigned long long)(st.size >> 20), max >> 20);
        return NULL;
    }
    zip_file_t *f = zip_fopen_index(z->zip, (zip_uint64_t)index, 0);
    if (!f) {
        snprintf(err, errcap, "la partie %s ne s'ouvre pas : %s", name, zip_strerror(z->zip));
        return NULL;
    }
    size_t cap = (st.valid & ZIP_STAT_SIZE) && st.size < max ? (size_t)st.size + 1 : 1 << 16, n = 0;
    char *buf = malloc(cap);
    bool ok = buf != NULL;
    while (ok) {
        if (n + 1 >= cap) {
            size_t more = cap * 2 > max + 2 ? max + 2 : cap * 2;
            char *p = more > cap ? realloc(buf, more) : NULL;
            if (!p) {
                snprintf(err, errcap, "mémoire insuffisante");
                ok = false;
                break;
            }
            buf = p;
            cap = more;
        }
        zip_int64_t got = zip_fread(f, buf + n, cap - n - 1);
        if (got < 0) {
            snprintf(err, errcap, "la partie %s est endommagée : %s", name, zip_file_strerror(f));
            ok = false;
        } else if (got == 0) {
            break;
        } else if ((n += (size_t)got) > max) {
            snprintf(err, errcap, "la partie %s dépasse %zu Mio une fois décompressée (une « bombe zip » ?)", name,
                     max >> 20);
            ok = false;
        }
    }
    zip_fclose(f);
    if (!ok) {
        if (!buf)
            snprintf(err, errcap, "mémoire insuffisante");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}
