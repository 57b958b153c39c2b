/* common.c: what every file of the veille uses: the host's API and the
 * plugin's settings, and small helpers for arguments, lists, rows and
 * dates. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "veille.h"

const cd_host_api *api;
int64_t veille_fresh_ms;
int64_t veille_interval_s, veille_backoff_max_s, veille_keep_ms;

/* ---- helpers ---------------------------------------------------------------- */

static void append_term(char *out, size_t cap, const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    size_t used = strlen(out);
    if (!n || used + n + 2 > cap)
        return;
    if (used)
        out[used++] = '\n';
    for (size_t i = 0; i < n; i++)
        out[used++] = p[i] == '\n' || p[i] == '\r' ? ' ' : p[i];
    out[used] = '\0';
}

int list_arg(const msgpack_object *o, char *out, size_t cap)
{
    out[0] = '\0';
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        char number[32];
        snprintf(number, sizeof number, "%llu", (unsigned long long)o->via.u64);
        append_term(out, cap, number, strlen(number));
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_STR) {
        const char *p = o->via.str.ptr, *end = p + o->via.str.size;
        while (p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *stop = comma ? comma : end;
            append_term(out, cap, p, (size_t)(stop - p));
            p = stop + 1;
        }
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return -1;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        char number[32];
        if (e->type == MSGPACK_OBJECT_POSITIVE_INTEGER) { /* an objective's number, as concertctl sends "5" */
            snprintf(number, sizeof number, "%llu", (unsigned long long)e->via.u64);
            append_term(out, cap, number, strlen(number));
        } else if (e->type == MSGPACK_OBJECT_STR)
            append_term(out, cap, e->via.str.ptr, e->via.str.size);
        else
            return -1;
    }
    return 0;
}

char *arg_text(const msgpack_object *o, char *out, size_t cap)
{
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        snprintf(out, cap, "%llu", (unsigned long long)o->via.u64);
        return out;
    }
    return cd_str(o, out, cap);
}

void pk_list(msgpack_packer *pk, const char *joined)
{
    uint32_t n = 0;
    for (const char *p = joined; p && *p; n++) {
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    msgpack_pack_array(pk, n);
    for (const char *p = joined; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        msgpack_pack_str_with_body(pk, p, len);
        p += len + (nl ? 1 : 0);
    }
}

int pack_rows_with(msgpack_packer *pk, sqlite3_stmt *st, row_packer row, void *ctx)
{
    msgpack_sbuffer rows;
    msgpack_sbuffer_init(&rows);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
    uint32_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        row(&rp, st, ctx);
        n++;
    }
    msgpack_pack_array(pk, n);
    int rc = cd_pack_raw(pk, rows.data, rows.size);
    msgpack_sbuffer_destroy(&rows);
    return rc;
}

void iso_time(int64_t ms, char *out, size_t cap)
{
    out[0] = '\0';
    if (!ms)
        return;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* 0 when region exists (asked through the host), else -1 with why in err. */
int call_region(cd_host *h, const char *region, char *err, size_t cap)
{
    static const char *const keys[] = {"id"};
    const char *values[] = {region};
    return cd_call_check(api, h, "region.get", 1, keys, values, err, cap);
}
