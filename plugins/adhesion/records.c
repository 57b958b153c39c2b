/* records.c: what the plugin writes beside the applications: the member
 * count measured on the plan's indicators after every change (the
 * "Nombre de membres" indicator found by name unless the policy names one,
 * and each category's), and the journal of who exported or erased personal
 * data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adhesion.h"
#include "fold.h"

int journal_add(cd_host *h, const char *region, const char *what, int64_t application, const char *detail)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "INSERT INTO adhesion_journal(region, at_ms, what, application, detail)"
                           " VALUES (?,?,?,nullif(?,0),?)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, api->now_ms(h));
    sqlite3_bind_text(st, 3, what, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, application);
    sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    api->log(h, CD_LOG_INFO, "adhésions %s : %s%s%s", region, what, detail ? " — " : "", detail ? detail : "");
    return rc;
}

/* ---- the count on the plan's indicator ------------------------------------------ */

/* The indicator of region's plan named like "Nombre de membres", 0 if none. */
static int64_t indicator_by_name(cd_host *h, const char *region)
{
    static const char *const keys[] = {"region"};
    msgpack_sbuffer a, out;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    cd_pack_str(&pk, keys[0]);
    cd_pack_str(&pk, region);
    char err[256];
    int64_t id = 0;
    if (api->call(h, "indicator.list", a.data, a.size, &out, err, sizeof err) == 0) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, out.data, out.size, NULL) == MSGPACK_UNPACK_SUCCESS &&
            u.data.type == MSGPACK_OBJECT_ARRAY)
            for (uint32_t i = 0; i < u.data.via.array.size && !id; i++) {
                char name[512];
                cd_str(cd_get(&u.data.via.array.ptr[i], "name"), name, sizeof name);
                char *f = cn_fold_words(name);
                if (f && cn_fold_has(f, "nombre de membres"))
                    id = cd_int(cd_get(&u.data.via.array.ptr[i], "id"), 0);
                free(f);
            }
        msgpack_unpacked_destroy(&u);
    }
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&out);
    return id;
}

/* The indicator's latest measure: 1 when there is one (in *value), 0 when
 * none, -1 when it cannot be read. */
static int latest(cd_host *h, int64_t indicator, double *value)
{
    msgpack_sbuffer a, out;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    cd_pack_str(&pk, "id");
    msgpack_pack_int64(&pk, indicator);
    char err[256];
    int rc = -1;
    if (api->call(h, "indicator.history", a.data, a.size, &out, err, sizeof err) == 0) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, out.data, out.size, NULL) == MSGPACK_UNPACK_SUCCESS) {
            const msgpack_object *v = cd_get(&u.data, "latest");
            rc = 0;
            if (v && (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32)) {
                *value = v->via.f64;
                rc = 1;
            } else if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                *value = (double)v->via.u64;
                rc = 1;
            }
        }
        msgpack_unpacked_destroy(&u);
    }
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

/* A new measure only when the count changed: the same count recorded
 * again (a policy saved twice, a decision that moves no one) adds nothing. */
static int record(cd_host *h, int64_t indicator, int64_t value, const char *note)
{
    double was;
    if (latest(h, indicator, &was) == 1 && was == (double)value)
        return 0;
    char err[512];
    int rc = cd_indicator_record(api, h, indicator, value, NULL, note, err, sizeof err);
    if (rc != 0)
        api->log(h, CD_LOG_ERROR, "indicateur %lld non mis à jour : %s", (long long)indicator, err);
    return rc;
}

int count_changed(cd_host *h, const char *region, const char *why)
{
    policy p;
    if (policy_get(h, region, &p) <= 0)
        return 0;
    int64_t indicator = p.indicator ? p.indicator : indicator_by_name(h, region);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT c.id, c.name, c.indicator, (SELECT count(*) FROM adhesion_applications a"
                           "  WHERE a.region = c.region AND a.category = c.id AND a.state = 'member')"
                           " FROM adhesion_categories c WHERE c.region = ? ORDER BY c.position",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int64_t total = 0;
    int rc = 0;
    char note[512];
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(st, 3);
        total += n;
        if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
            snprintf(note, sizeof note, "Adhésions, %s : %lld membre(s) (%s)", (const char *)sqlite3_column_text(st, 1),
                     (long long)n, why);
            rc = record(h, sqlite3_column_int64(st, 2), n, note);
        }
    }
    sqlite3_finalize(st);
    if (rc == 0 && indicator) {
        snprintf(note, sizeof note, "Adhésions : %lld membre(s) (%s)", (long long)total, why);
        rc = record(h, indicator, total, note);
    }
    return rc;
}
