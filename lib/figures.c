/* figures.c: see figures.h. */
#include "figures.h"

#include <string.h>

void cn_pack_sql_figures(sqlite3 *db, const char *sql, int64_t now_ms, msgpack_packer *pk)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        msgpack_pack_map(pk, 0);
        return;
    }
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, now_ms);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        msgpack_pack_map(pk, 0);
        return;
    }
    int n = sqlite3_column_count(st);
    msgpack_pack_map(pk, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        msgpack_pack_str_with_body(pk, name, strlen(name));
        msgpack_pack_int64(pk, sqlite3_column_int64(st, i));
    }
    sqlite3_finalize(st);
}
