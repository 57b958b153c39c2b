/* own_command.c: see own_command.h. */
#include "own_command.h"

#include "log.h"
#include "mp.h"

int cn_own_command(cn_core *core, const char *frame, size_t len, void *pub, const char *what, const char *retry,
                   cn_own_result_fn fn, void *data)
{
    cn_reply reply;
    int rc = cn_core_call(core, frame, len, &reply, pub);
    int more = 0;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, reply.buf.data, reply.buf.size, NULL) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *result = cn_mp_get(&u.data, "result"), *m = cn_mp_get(result, "more");
        more = m && m->type == MSGPACK_OBJECT_BOOLEAN && m->via.boolean;
        if (rc == 0 && fn && result)
            fn(result, data);
        if (rc != 0) {
            const msgpack_object *msg = cn_mp_get(cn_mp_get(&u.data, "error"), "message");
            cn_error("%s : %.*s (%s)", what, msg && msg->type == MSGPACK_OBJECT_STR ? (int)msg->via.str.size : 0,
                     msg && msg->type == MSGPACK_OBJECT_STR ? msg->via.str.ptr : "", retry);
        }
    }
    msgpack_unpacked_destroy(&u);
    cn_reply_destroy(&reply);
    return rc != 0 ? -1 : more;
}
