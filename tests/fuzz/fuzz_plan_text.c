/* fuzz_plan_text.c: the reader of plan texts (tables exported from Word or
 * PDF, numbered lists). Invariants: the document, glossary and report it
 * gives from a UTF-8 text are valid msgpack, valid UTF-8 throughout. */
#include <string.h>

#include <msgpack.h>

#include "fuzz_support.h"
#include "import_text.h"
#include "mp.h"
#include "text.h"

static void check_packed(const msgpack_sbuffer *b, const char *what)
{
    FUZZ_ASSERT(cn_mp_check(b->data, b->size, &cn_mp_stored_limits, true, NULL) == CN_MP_OK, what);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    FUZZ_ASSERT(msgpack_unpack_next(&u, b->data, b->size, NULL) == MSGPACK_UNPACK_SUCCESS, what);
    char path[256];
    if (!cn_mp_utf8_valid(&u.data, path, sizeof path))
        fprintf(stderr, "fuzz: pas de l'UTF-8 valide en %s\n", path);
    FUZZ_ASSERT(cn_mp_utf8_valid(&u.data, path, sizeof path), what);
    msgpack_unpacked_destroy(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The text arrives in a request, whose every string the envelope has
     * checked is UTF-8 without NUL (concertctl converts other encodings). */
    if (!cn_utf8_valid((const char *)data, size))
        return 0;
    cn_import_opts opts = {.today = "2026-12-01"};
    cn_import *im = cn_import_read((const char *)data, size, &opts);
    if (!im)
        return 0;
    msgpack_sbuffer doc, glossary, report;
    msgpack_sbuffer_init(&doc);
    msgpack_sbuffer_init(&glossary);
    msgpack_sbuffer_init(&report);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &doc, msgpack_sbuffer_write);
    cn_import_pack_document(im, &pk);
    msgpack_packer_init(&pk, &glossary, msgpack_sbuffer_write);
    cn_import_pack_glossary(im, &pk);
    msgpack_packer_init(&pk, &report, msgpack_sbuffer_write);
    cn_import_pack_report(im, &pk);
    check_packed(&doc, "le document est du msgpack en UTF-8 valide");
    check_packed(&glossary, "le glossaire est du msgpack en UTF-8 valide");
    check_packed(&report, "le rapport est du msgpack en UTF-8 valide");
    msgpack_sbuffer_destroy(&doc);
    msgpack_sbuffer_destroy(&glossary);
    msgpack_sbuffer_destroy(&report);
    cn_import_free(&im);
    return 0;
}
