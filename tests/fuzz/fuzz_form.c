/* fuzz_form.c: the membership form as people write it ("Organisme : …",
 * a line without a name continuing the previous value), read by the
 * adhesion plugin. Invariants: every field is valid UTF-8 that fits its
 * buffer (a text too long is flagged, to be refused, never cut inside a
 * character). */
#include <string.h>

#include "adhesion.h"
#include "fuzz_support.h"
#include "text.h"

/* read_form calls neither: check_form, beside it in form.c, does. */
const cd_host_api *api;
int category_get(cd_host *h, const char *region, const char *id, char *name, size_t cap, char *decision, size_t dcap)
{
    (void)h, (void)region, (void)id, (void)name, (void)cap, (void)decision, (void)dcap;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cn_utf8_valid((const char *)data, size)) /* as the envelope checks every request's text */
        return 0;
    msgpack_object_kv kv = {.key = {.type = MSGPACK_OBJECT_STR, .via.str = {4, "form"}},
                            .val = {.type = MSGPACK_OBJECT_STR, .via.str = {(uint32_t)size, (const char *)data}}};
    msgpack_object args = {.type = MSGPACK_OBJECT_MAP, .via.map = {1, &kv}};
    form f;
    read_form(&args, &f);
    for (int i = 0; FIELDS[i]; i++) {
        size_t cap = 0;
        const char *v = field_of(&f, i, &cap);
        size_t n = strnlen(v, cap);
        FUZZ_ASSERT(n < cap, "le champ tient dans son tampon");
        FUZZ_ASSERT(cn_utf8_valid(v, n), "d'un texte UTF-8, des champs UTF-8");
    }
    FUZZ_ASSERT(f.too_long >= -1 && (f.too_long < 0 || FIELDS[f.too_long]), "too_long nomme un champ");
    return 0;
}
