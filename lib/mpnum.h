/* mpnum.h: a msgpack number (either integer kind, or a float) as a double,
 * 0 for anything else or NULL: how the figures of node.status are read
 * (concertctl status, /metrics, the web's pages). */
#ifndef CN_MPNUM_H
#define CN_MPNUM_H

#include <msgpack.h>

static inline double cn_mp_number(const msgpack_object *o)
{
    if (!o)
        return 0;
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return (double)o->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return (double)o->via.i64;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return o->via.f64;
    case MSGPACK_OBJECT_BOOLEAN: return o->via.boolean;
    default: return 0;
    }
}

#endif
