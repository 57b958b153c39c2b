/* region_name.c: a region's name as people know it, for what messages
 * and digests say (notify.h). Its own file: notify.c and digest.c both ask. */
#include <string.h>

#include "notify.h"

void region_name(cd_host *h, const char *region, char *out, size_t cap)
{
    out[0] = '\0';
    msgpack_sbuffer a, r;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&r);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    cd_pack_str(&pk, "id");
    cd_pack_str(&pk, region);
    char err[256];
    if (region[0] && api->call(h, "region.get", a.data, a.size, &r, err, sizeof err) == 0) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, r.data, r.size, NULL) == MSGPACK_UNPACK_SUCCESS)
            cd_str(cd_get(&u.data, "name"), out, cap);
        msgpack_unpacked_destroy(&u);
    }
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&r);
}
