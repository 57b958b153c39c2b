/* ops_region.c: region.create, region.get, region.list, region.update.
 * A region is a table de concertation (local, regional) or a national
 * network, named by a slug such as "lanaudiere". */
#include <ctype.h>
#include <string.h>

#include "model.h"
#include "mp.h"
#include "reminders.h"
#include "fold.h"
#include "text.h"
#include "stmt_cache.h"

static const char *const kinds[] = {"local", "regional", "national", NULL};

static bool slug_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 48 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return false;
    return true;
}

/* Replaces the territories with args.territories: a list of names, or of
 * maps {name, kind}. */
static int store_territories(cn_req *req, const char *region)
{
    const msgpack_object *list;
    int r = cn_arg_array(req, "territories", CN_OPTIONAL, &list);
    if (r <= 0)
        return r;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "DELETE FROM territories WHERE region = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    if (cn_req_exec(req, st))
        return -1;
    for (uint32_t i = 0; list && i < list->via.array.size; i++) {
        const msgpack_object *t = &list->via.array.ptr[i];
        const msgpack_object *name = t, *kind = NULL;
        if (t->type == MSGPACK_OBJECT_MAP) {
            static const char *const keys[] = {"name", "kind", NULL};
            char path[32];
            snprintf(path, sizeof path, "territories[%u]", i);
            if (cn_map_keys(req, t, path, keys))
                return -1;
            name = cn_mp_get(t, "name");
            kind = cn_mp_get(t, "kind");
        }
        if (!name || name->type != MSGPACK_OBJECT_STR || name->via.str.size == 0 ||
            (kind && kind->type != MSGPACK_OBJECT_STR && kind->type != MSGPACK_OBJECT_NIL))
            return cn_req_fail(req, "bad_request", "territories",
                               L("territories: une liste de noms ou de maps {name, kind}",
                                 "territories: a list of names or of maps {name, kind}"));
        if (cn_req_prepare(req, "INSERT INTO territories(region, position, name, kind) VALUES (?,?,?,coalesce(?,'MRC'))",
                           &st))
            return -1;
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)i);
        sqlite3_bind_text(st, 3, name->via.str.ptr, (int)name->via.str.size, SQLITE_STATIC);
        if (kind && kind->type == MSGPACK_OBJECT_STR)
            sqlite3_bind_text(st, 4, kind->via.str.ptr, (int)kind->via.str.size, SQLITE_STATIC);
        if (cn_req_exec(req, st))
            return -1;
    }
    return 1;
}

/* Merges args.glossary ({term: definition} or [{term, definition}]) in. */
static int store_glossary(cn_req *req, const char *region)
{
    const msgpack_object *g = cn_mp_get(req->args, "glossary");
    if (!g || g->type == MSGPACK_OBJECT_NIL)
        return 0;
    uint32_t n = g->type == MSGPACK_OBJECT_MAP ? g->via.map.size : g->type == MSGPACK_OBJECT_ARRAY ? g->via.array.size : 0;
    if (g->type != MSGPACK_OBJECT_MAP && g->type != MSGPACK_OBJECT_ARRAY)
        return cn_req_fail(req, "bad_request", "glossary", L("glossary: une map {sigle: définition}",
                                                             "glossary: a map {acronym: definition}"));
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *term, *def;
        if (g->type == MSGPACK_OBJECT_MAP) {
            term = &g->via.map.ptr[i].key;
            def = &g->via.map.ptr[i].val;
        } else {
            term = cn_mp_get(&g->via.array.ptr[i], "term");
            def = cn_mp_get(&g->via.array.ptr[i], "definition");
        }
        if (!term || !def || term->type != MSGPACK_OBJECT_STR || def->type != MSGPACK_OBJECT_STR)
            return cn_req_fail(req, "bad_request", "glossary", L("glossary: sigles et définitions sont des chaînes",
                                                                 "glossary: terms and definitions are strings"));
        sqlite3_stmt *st;
        if (cn_req_prepare(req, "INSERT OR REPLACE INTO glossary(region, term, definition) VALUES (?,?,?)", &st))
            return -1;
        sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, term->via.str.ptr, (int)term->via.str.size, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, def->via.str.ptr, (int)def->via.str.size, SQLITE_STATIC);
        if (cn_req_exec(req, st))
            return -1;
    }
    return 1;
}

static int emit_region(cn_req *req, const char *slug, const char *type)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    int rc = cn_pack_region(req, &pk, slug);
    if (rc == 0)
        rc = cn_emit_buf(req, slug, type, &buf);
    if (rc == 0)
        cn_pk_raw(cn_req_pk(req), buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static int region_create(cn_req *req)
{
    const char *id, *name, *org, *kind;
    bool demo = false;
    if (cn_arg_str(req, "id", CN_REQUIRED, &id) < 0 || cn_arg_str(req, "name", CN_REQUIRED, &name) < 0 ||
        cn_arg_str(req, "organisation", CN_OPTIONAL, &org) < 0 || cn_arg_enum(req, "kind", CN_OPTIONAL, kinds, &kind) < 0 ||
        cn_arg_bool(req, "demo", CN_OPTIONAL, &demo) < 0)
        return -1;
    if (!id || !slug_valid(id))
        return cn_req_fail(req, "invalid_argument", "id",
                           L("id: lettres minuscules sans accents, chiffres et tirets, 48 au plus (ex.: lanaudiere)",
                             "id: lower-case unaccented letters, digits and dashes, at most 48 (e.g. lanaudiere)"));
    if (!name || !*name)
        return cn_req_fail(req, "invalid_argument", "name", L("le nom ne peut être vide", "the name cannot be empty"));
    char key[512];
    cn_fold(name, key, sizeof key);
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT id FROM regions WHERE id = ? OR name_key = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    bool taken = sqlite3_step(st) == SQLITE_ROW;
    cn_stmt_done(st);
    if (taken)
        return cn_req_fail(req, "conflict", "id", L("une région porte déjà cet id ou ce nom: %s",
                                                    "a region already has this id or name: %s"), id);
    int64_t now = cn_now_ms();
    if (cn_req_prepare(req, "INSERT INTO regions(id, name, name_key, organisation, kind, origin, created_ms, updated_ms,"
                            " demo) VALUES (?,?,?,?,?,?,?,?,?)", &st))
        return -1;
    cn_bind_text(st, 1, id);
    cn_bind_text(st, 2, name);
    cn_bind_text(st, 3, key);
    cn_bind_text(st, 4, org);
    cn_bind_text(st, 5, kind ? kind : "regional");
    cn_bind_text(st, 6, cn_core_config(req->core)->node_id);
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_int64(st, 8, now);
    sqlite3_bind_int(st, 9, demo);
    if (cn_req_exec(req, st) || store_territories(req, id) < 0 || store_glossary(req, id) < 0 ||
        cn_reminders_settings_arg(req, id) < 0)
        return -1;
    return emit_region(req, id, "region.created");
}

static int region_get(cn_req *req)
{
    const char *slug;
    if (cn_region_arg(req, "id", CN_REQUIRED, &slug) < 0)
        return -1;
    return cn_pack_region(req, cn_req_pk(req), slug);
}

static int region_list(cn_req *req)
{
    bool archived = false;
    if (cn_arg_bool(req, "archived", CN_OPTIONAL, &archived) < 0)
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req,
                       "SELECT r.id, r.name, r.organisation, r.kind, r.origin, r.demo, r.archived_ms AS archived,"
                       " (SELECT count(*) FROM territories WHERE region = r.id) AS territories,"
                       " (SELECT count(*) FROM plans WHERE region = r.id AND status = 'active') AS active_plans"
                       " FROM regions r WHERE ? OR r.archived_ms IS NULL ORDER BY r.name_key",
                       &st))
        return -1;
    sqlite3_bind_int(st, 1, archived);
    return cn_pk_rows(req, cn_req_pk(req), st);
}

static int region_update(cn_req *req)
{
    const char *slug, *name, *org, *kind;
    if (cn_region_arg(req, "id", CN_REQUIRED, &slug) < 0)
        return -1;
    int has_name = cn_arg_str(req, "name", CN_OPTIONAL, &name);
    int has_org = cn_arg_str(req, "organisation", CN_OPTIONAL, &org);
    int has_kind = cn_arg_enum(req, "kind", CN_OPTIONAL, kinds, &kind);
    if (has_name < 0 || has_org < 0 || has_kind < 0)
        return -1;
    if (has_name && (!name || !*name))
        return cn_req_fail(req, "invalid_argument", "name", L("le nom ne peut être vide", "the name cannot be empty"));
    if (has_kind && !kind)
        return cn_req_fail(req, "invalid_argument", "kind", L("kind ne peut être nul", "kind cannot be null"));
    sqlite3_stmt *st;
    if (has_name) {
        char key[512];
        cn_fold(name, key, sizeof key);
        if (cn_req_prepare(req, "SELECT 1 FROM regions WHERE name_key = ? AND id <> ?", &st))
            return -1;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, slug, -1, SQLITE_STATIC);
        bool taken = sqlite3_step(st) == SQLITE_ROW;
        cn_stmt_done(st);
        if (taken)
            return cn_req_fail(req, "conflict", "name", L("une autre région porte déjà ce nom: %s",
                                                          "another region already has this name: %s"), name);
        if (cn_req_prepare(req, "UPDATE regions SET name = ?, name_key = ? WHERE id = ?", &st))
            return -1;
        cn_bind_text(st, 1, name);
        cn_bind_text(st, 2, key);
        cn_bind_text(st, 3, slug);
        if (cn_req_exec(req, st))
            return -1;
    }
    if (has_org || has_kind) {
        if (cn_req_prepare(req, "UPDATE regions SET organisation = CASE WHEN ?1 THEN ?2 ELSE organisation END,"
                                " kind = coalesce(?3, kind) WHERE id = ?4", &st))
            return -1;
        sqlite3_bind_int(st, 1, has_org > 0);
        cn_bind_text(st, 2, org);
        cn_bind_text(st, 3, kind);
        cn_bind_text(st, 4, slug);
        if (cn_req_exec(req, st))
            return -1;
    }
    if (store_territories(req, slug) < 0 || store_glossary(req, slug) < 0)
        return -1;
    int reminders = cn_reminders_settings_arg(req, slug);
    if (reminders < 0 || (reminders > 0 && cn_reminders_arm_region(req, slug)))
        return -1;
    if (cn_req_prepare(req, "UPDATE regions SET updated_ms = ? WHERE id = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, cn_now_ms());
    cn_bind_text(st, 2, slug);
    if (cn_req_exec(req, st))
        return -1;
    return emit_region(req, slug, "region.updated");
}

static const char *const create_args[] = {"id",       "name",      "organisation", "kind", "territories",
                                          "glossary", "reminders", "demo",         NULL};
static const char *const update_args[] = {"id",       "name",     "organisation", "kind", "territories",
                                          "glossary", "reminders", NULL};
static const char *const id_args[] = {"id", NULL};
static const char *const list_args[] = {"archived", NULL};

const cn_op cn_region_ops[] = {
    {"region.create", region_create, create_args, "crée une région", "creates a region", NULL},
    {"region.get", region_get, id_args, "montre une région", "shows a region", NULL},
    {"region.list", region_list, list_args, "liste les régions", "lists the regions", NULL},
    {"region.update", region_update, update_args, "modifie une région", "updates a region", NULL},
};
const size_t cn_region_ops_count = sizeof cn_region_ops / sizeof cn_region_ops[0];
