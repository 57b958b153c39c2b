/* jsonmp.h: converts between JSON (jansson) and msgpack, for the plan
 * document, the demo bundle and concertctl's --json output. Strings stay
 * UTF-8 byte for byte; integers stay integers and reals stay reals, so a
 * document survives JSON → msgpack → JSON unchanged. */
#ifndef CN_JSONMP_H
#define CN_JSONMP_H

#include <jansson.h>
#include <msgpack.h>

/* Packs j. Returns 0, or -1 for a JSON value msgpack cannot hold. */
int cn_json_to_mp(msgpack_packer *pk, const json_t *j);

/* A new JSON value for o (caller json_decref()s it), or NULL when o holds
 * something JSON cannot (binary, non-string map keys). */
json_t *cn_mp_to_json(const msgpack_object *o);

#endif
