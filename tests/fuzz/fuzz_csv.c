/* fuzz_csv.c: the CSV reader (a spreadsheet saved as CSV). Invariants:
 * either an error in words (valid UTF-8), or a document and a report
 * that are valid msgpack and valid UTF-8. */
#include <string.h>

#include <msgpack.h>

#include "fuzz_support.h"
#include "import_text.h"
#include "mp.h"
#include "plan_csv.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cn_utf8_valid((const char *)data, size)) /* as the envelope checks every request's text */
        return 0;
    cn_import_opts opts = {.today = "2026-12-01", .title = "Plan"};
    msgpack_sbuffer doc, report;
    msgpack_sbuffer_init(&doc);
    msgpack_sbuffer_init(&report);
    msgpack_packer dpk, rpk;
    msgpack_packer_init(&dpk, &doc, msgpack_sbuffer_write);
    msgpack_packer_init(&rpk, &report, msgpack_sbuffer_write);
    char err[512] = "";
    if (cn_csv_read((const char *)data, size, &opts, &dpk, &rpk, err, sizeof err) != 0) {
        FUZZ_ASSERT(err[0] && cn_utf8_valid(err, strlen(err)), "une erreur en mots");
    } else {
        const msgpack_sbuffer *parts[] = {&doc, &report};
        for (int i = 0; i < 2; i++) {
            FUZZ_ASSERT(cn_mp_check(parts[i]->data, parts[i]->size, &cn_mp_stored_limits, true, NULL) == CN_MP_OK,
                        "du msgpack");
            msgpack_unpacked u;
            msgpack_unpacked_init(&u);
            FUZZ_ASSERT(msgpack_unpack_next(&u, parts[i]->data, parts[i]->size, NULL) == MSGPACK_UNPACK_SUCCESS,
                        "lisible");
            char path[256];
            FUZZ_ASSERT(cn_mp_utf8_valid(&u.data, path, sizeof path), "de l'UTF-8 valide");
            msgpack_unpacked_destroy(&u);
        }
    }
    msgpack_sbuffer_destroy(&doc);
    msgpack_sbuffer_destroy(&report);
    return 0;
}
