/* office.c: see office.h. */
#include "office.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_docx.h"
#include "doc_odt.h"
#include "doc_pdf.h"
#include "doc_sheet.h"
#include "doc_xml.h"
#include "doc_zip.h"

void cn_office_init(void) { cn_docxml_init(); }

static bool starts(const void *data, size_t len, const char *magic, size_t n)
{
    return len >= n && memcmp(data, magic, n) == 0;
}

/* An OpenDocument's declared type (its "mimetype" part), or "" */
static void odf_mimetype(cn_doczip *z, char *out, size_t cap)
{
    char err[200];
    size_t n;
    char *m = cn_doczip_has(z, "mimetype") ? cn_doczip_read(z, "mimetype", 256, &n, err, sizeof err) : NULL;
    snprintf(out, cap, "%s", m ? m : "");
    free(m);
}

/* Whether an OpenDocument's parts are encrypted (its manifest says so). */
static bool odf_encrypted(cn_doczip *z)
{
    char err[200];
    size_t n;
    char *m = cn_doczip_has(z, "META-INF/manifest.xml")
                  ? cn_doczip_read(z, "META-INF/manifest.xml", 1 << 20, &n, err, sizeof err)
                  : NULL;
    bool yes = m && strstr(m, "encryption-data");
    free(m);
    return yes;
}

const char *cn_office_kind(const void *data, size_t len, char *err, size_t errcap)
{
    if (starts(data, len, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)) {
        snprintf(err, errcap, "document Word d'ancien format (.doc) ou document chiffré par mot de passe : "
                              "enregistrez-le en .docx (sans mot de passe) pour l'importer");
        return NULL;
    }
    if (starts(data, len, "%PDF-", 5))
        return "pdf";
    if (!starts(data, len, "PK\x03\x04", 4)) {
        snprintf(err, errcap, "ni un document Word (.docx) ou LibreOffice (.odt), ni un classeur Excel (.xlsx) ou "
                              "LibreOffice (.ods), ni un PDF");
        return NULL;
    }
    cn_doczip *z = cn_doczip_open(data, len, err, errcap);
    if (!z)
        return NULL;
    const char *kind = NULL;
    char mime[128];
    odf_mimetype(z, mime, sizeof mime);
    if (cn_doczip_has(z, "word/document.xml")) {
        kind = "docx";
    } else if (strcmp(mime, "application/vnd.oasis.opendocument.text") == 0) {
        if (odf_encrypted(z))
            snprintf(err, errcap, "document LibreOffice chiffré (protégé par un mot de passe) : enregistrez-en une "
                                  "copie sans mot de passe pour l'importer");
        else
            kind = "odt";
    } else if (cn_doczip_has(z, "xl/workbook.xml")) {
        kind = "xlsx";
    } else if (strcmp(mime, "application/vnd.oasis.opendocument.spreadsheet") == 0) {
        if (odf_encrypted(z))
            snprintf(err, errcap, "classeur LibreOffice chiffré (protégé par un mot de passe) : enregistrez-en une "
                                  "copie sans mot de passe pour l'importer");
        else
            kind = "ods";
    } else {
        snprintf(err, errcap, "une archive zip qui n'est ni un document Word ou LibreOffice, ni un classeur Excel ou "
                              "LibreOffice");
    }
    cn_doczip_close(&z);
    return kind;
}

int cn_office_read(const void *data, size_t len, const char *sheet, cn_docout *out, const char **kind, char *err,
                   size_t errcap)
{
    *kind = cn_office_kind(data, len, err, errcap);
    if (!*kind)
        return -1;
    if (strcmp(*kind, "pdf") == 0)
        return cn_pdf_read(data, len, out, err, errcap);
    if (strcmp(*kind, "xlsx") == 0)
        return cn_xlsx_read(data, len, sheet, out, err, errcap);
    if (strcmp(*kind, "ods") == 0)
        return cn_ods_read(data, len, sheet, out, err, errcap);
    return strcmp(*kind, "docx") == 0 ? cn_docx_read(data, len, out, err, errcap)
                                       : cn_odt_read(data, len, out, err, errcap);
}

bool cn_office_is_sheet(const char *kind) { return strcmp(kind, "xlsx") == 0 || strcmp(kind, "ods") == 0; }
