/* common.c: what every file of the web plugin uses: the host's API, and
 * calling an op with string arguments. */
#include <stdio.h>
#include <string.h>

#include "web.h"

const cd_host_api *api;

int web_call(web_req *rq, const char *op, size_t n, const char *const *keys, const char *const *values,
             web_result *res, char *code, size_t codecap, char *err, size_t errcap)
{
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_sbuffer_init(&res->raw);
    msgpack_unpacked_init(&res->u);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    size_t given = 0;
    for (size_t i = 0; i < n; i++)
        given += values[i] != NULL;
    msgpack_pack_map(&pk, given);
    for (size_t i = 0; i < n; i++)
        if (values[i]) {
            cd_pack_str(&pk, keys[i]);
            cd_pack_str(&pk, values[i]);
        }
    char why[512] = "";
    int rc = api->call(rq->h, op, args.data, args.size, &res->raw, why, sizeof why);
    if (rc == 0 && msgpack_unpack_next(&res->u, res->raw.data, res->raw.size, NULL) != MSGPACK_UNPACK_SUCCESS)
        rc = -1, snprintf(why, sizeof why, "internal: %s", op);
    if (rc != 0) {
        /* "code: message" from the host. */
        const char *colon = strstr(why, ": ");
        snprintf(code, codecap, "%.*s", colon ? (int)(colon - why) : 8, colon ? why : "internal");
        snprintf(err, errcap, "%s", colon ? colon + 2 : why);
    }
    msgpack_sbuffer_destroy(&args);
    return rc;
}

void web_result_free(web_result *res)
{
    msgpack_unpacked_destroy(&res->u);
    msgpack_sbuffer_destroy(&res->raw);
}
