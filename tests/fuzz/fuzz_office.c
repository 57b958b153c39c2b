/* fuzz_office.c: a table's document as it is (.docx, .odt). The first
 * byte says what the rest is: 0 a whole file (zip layer, kind by content),
 * 1 Word's word/document.xml, 2 LibreOffice's content.xml (the XML
 * readers themselves, which a mutated zip rarely reaches). Invariants:
 * read, or refused with an error in words (valid UTF-8); what is read is
 * plan text in valid UTF-8, with no NUL, and a place for every line whose
 * place the reader knows is valid UTF-8 too; it then reads as a plan. */
#include <string.h>

#include "doc_docx.h"
#include "doc_odt.h"
#include "doc_out.h"
#include "fuzz_support.h"
#include "import_text.h"
#include "office.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;
    /* Not PDFs: poppler is a world of its own, fuzzed by its own project (OSS-Fuzz); a
     * crash in it would not be ours to fix here. The layout code over its words is
     * covered by the fixtures' tests. */
    if (data[0] % 3 == 0 && n >= 5 && memcmp(rest, "%PDF-", 5) == 0)
        return 0;
    cn_docout *out = cn_docout_new();
    FUZZ_ASSERT(out != NULL, "de la mémoire");
    char err[600] = "";
    const char *kind = NULL;
    int rc = data[0] % 3 == 0   ? cn_office_read(rest, n, NULL, out, &kind, err, sizeof err)
             : data[0] % 3 == 1 ? cn_docx_read_parts(rest, n, NULL, 0, NULL, 0, out, err, sizeof err)
                                : cn_odt_read_parts(rest, n, NULL, 0, out, err, sizeof err);
    if (rc != 0) {
        FUZZ_ASSERT(err[0] && cn_utf8_valid(err, strlen(err)), "une erreur en mots");
    } else {
        size_t len;
        const char *text = cn_docout_text(out, &len);
        FUZZ_ASSERT(strlen(text) == len && cn_utf8_valid(text, len), "du texte UTF-8 sans NUL");
        for (size_t line = 1; line <= cn_docout_lines(out); line++) {
            const char *place = cn_docout_place(out, line);
            FUZZ_ASSERT(!place || cn_utf8_valid(place, strlen(place)), "une place en UTF-8");
        }
        cn_import_opts opts = {.today = "2026-12-01"};
        cn_import *im = cn_import_read(text, len, &opts);
        FUZZ_ASSERT(im != NULL, "lu comme un plan");
        cn_import_free(&im);
    }
    cn_docout_free(&out);
    return 0;
}
