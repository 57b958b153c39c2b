/* ops_archive.c: region.delete and region.restore. A table that stops is
 * archived, not erased: its region stays with its plans and history, read
 * only (cn_req_emit refuses every change), out of region.list and of the
 * reminders, until region.restore. Erasing for real (`purge`) removes the
 * region, its plans, the plugins' rows about it and the data of its events
 * on this node; the log keeps each event's number, type and time, so the
 * sequence peers follow has no hole. */
#include <stdio.h>
#include <string.h>

#include "evlog.h"
#include "model.h"
#include "mp.h"
#include "reminders.h"
#include "text.h"
#include "stmt_cache.h"

/* Region slug as a region event's data ({id, name}). */
static int emit_about(cn_req *req, const char *slug, const char *name, const char *type)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    cn_pk_kstr(&pk, "id", slug);
    cn_pk_kstr(&pk, "name", name);
    int rc = cn_emit_buf(req, slug, type, &buf);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static int exec_on(cn_req *req, const char *sql, const char *slug)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, sql, &st))
        return -1;
    sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
    return cn_req_exec(req, st);
}

/* Every row about slug: its plans (and, by their foreign keys, all in
 * them), then each table's rows whose `region` column names it (the
 * core's and the plugins' alike), the region itself, and its events' data. */
static int purge(cn_req *req, const char *slug)
{
    if (exec_on(req, "DELETE FROM plans WHERE region = ?", slug))
        return -1;
    sqlite3_stmt *tables;
    if (cn_req_prepare(req,
                       "SELECT m.name FROM sqlite_schema m JOIN pragma_table_info(m.name) c"
                       " WHERE m.type = 'table' AND c.name = 'region'"
                       " AND m.name NOT IN ('own_events', 'peer_events', 'regions', 'plans')"
                       " ORDER BY m.name",
                       &tables))
        return -1;
    int rc = 0;
    while (rc == 0 && sqlite3_step(tables) == SQLITE_ROW) {
        char sql[200];
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE region = ?", (const char *)sqlite3_column_text(tables, 0));
        rc = exec_on(req, sql, slug);
    }
    cn_stmt_done(tables);
    if (rc || exec_on(req, "DELETE FROM regions WHERE id = ?", slug))
        return -1;
    /* x'80' is an empty msgpack map: the event stays a well-formed event. */
    if (exec_on(req, "UPDATE own_events SET data = x'80', actor = NULL WHERE region = ?", slug))
        return -1;
    return exec_on(req, "UPDATE peer_events SET data = x'80', actor = NULL WHERE region = ?", slug);
}

static int region_delete(cn_req *req)
{
    const char *slug;
    bool wipe = false;
    if (cn_region_arg(req, "id", CN_REQUIRED, &slug) < 0 || cn_arg_bool(req, "purge", CN_OPTIONAL, &wipe) < 0)
        return -1;
    char owner[64];
    /* A copy goes only as its owner's region did (the federation, mirroring). */
    bool copy = cn_core_region_owner(req->core, slug, owner, sizeof owner) == CN_REGION_COPY;
    if (copy && !(wipe && cn_core_mirroring(req->core)))
        return cn_req_fail_copy(req, slug, owner);
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT name, archived_ms FROM regions WHERE id = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
    const char *name = sqlite3_step(st) == SQLITE_ROW ? cn_req_column(req, st, 0) : slug;
    bool archived = sqlite3_column_type(st, 1) != SQLITE_NULL;
    cn_stmt_done(st);
    if (wipe) {
        if (purge(req, slug) || emit_about(req, slug, name, "region.purged"))
            return -1;
    } else {
        if (archived)
            return cn_req_fail(req, "conflict", "id",
                               L("la région %s est déjà archivée ; l'effacer pour de bon : purge (concertctl region "
                                 "delete %s --purge)",
                                 "region %s is archived already; to erase it for good: purge (concertctl region "
                                 "delete %s --purge)"),
                               slug, slug);
        /* The event first: once archived, the region takes none. */
        if (emit_about(req, slug, name, "region.archived") ||
            exec_on(req, "DELETE FROM reminders WHERE state = 'pending' AND action IN (SELECT a.id FROM actions a"
                         " JOIN plans p ON p.id = a.plan WHERE p.region = ?)", slug))
            return -1;
        if (cn_req_prepare(req, "UPDATE regions SET archived_ms = ? WHERE id = ?", &st))
            return -1;
        sqlite3_bind_int64(st, 1, cn_now_ms());
        sqlite3_bind_text(st, 2, slug, -1, SQLITE_STATIC);
        if (cn_req_exec(req, st))
            return -1;
    }
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 3);
    cn_pk_kstr(pk, "id", slug);
    cn_pk_kstr(pk, "name", name);
    cn_pk_kstr(pk, "done", wipe ? "purged" : "archived");
    return 0;
}

static int region_restore(cn_req *req)
{
    const char *slug;
    if (cn_region_arg(req, "id", CN_REQUIRED, &slug) < 0)
        return -1;
    char owner[64];
    if (cn_core_region_owner(req->core, slug, owner, sizeof owner) == CN_REGION_COPY)
        return cn_req_fail_copy(req, slug, owner);
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT name FROM regions WHERE id = ? AND archived_ms IS NOT NULL", &st))
        return -1;
    sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
    const char *name = sqlite3_step(st) == SQLITE_ROW ? cn_req_column(req, st, 0) : NULL;
    cn_stmt_done(st);
    if (!name)
        return cn_req_fail(req, "conflict", "id", L("la région %s n'est pas archivée", "region %s is not archived"), slug);
    if (exec_on(req, "UPDATE regions SET archived_ms = NULL WHERE id = ?", slug) ||
        emit_about(req, slug, name, "region.restored") || cn_reminders_arm_region(req, slug))
        return -1;
    return cn_pack_region(req, cn_req_pk(req), slug);
}

static const char *const delete_args[] = {"id", "purge", NULL};
static const char *const restore_args[] = {"id", NULL};

const cn_op cn_archive_ops[] = {
    {"region.delete", region_delete, delete_args,
     "archive une région (en lecture seule, hors des listes et des rappels) ; purge : l'efface pour de bon",
     "archives a region (read-only, out of lists and reminders); purge: erases it for good", NULL},
    {"region.restore", region_restore, restore_args, "rouvre une région archivée", "reopens an archived region", NULL},
};
const size_t cn_archive_ops_count = sizeof cn_archive_ops / sizeof cn_archive_ops[0];
