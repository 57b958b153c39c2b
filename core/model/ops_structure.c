/* ops_structure.c: the plan's structure above its actions: orientations
 * (orientation.*) and objectives (objective.*). Entities are addressed by
 * id or by their number in the plan ("region": "lanaudiere", "number": "3").
 * Deleting one that still has children is refused: move or delete them. */
#include <string.h>

#include "model.h"
#include "mp.h"
#include "text.h"
#include "stmt_cache.h"

/* Applies args.new_number to entity id of table, refusing a number taken. */
static int renumber(cn_req *req, const char *table, int64_t id, int64_t plan)
{
    char num[64], key[160];
    int r = cn_number_arg(req, "new_number", CN_OPTIONAL, num, key);
    if (r <= 0)
        return r;
    int64_t other = cn_entity_by_number(req, table, plan, num);
    if (other < 0)
        return -1;
    if (other && other != id)
        return cn_req_fail(req, "conflict", "new_number", L("le numéro %s est déjà pris dans ce plan",
                                                            "number %s is already taken in this plan"), num);
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE %s SET number = ?, sort_key = ? WHERE id = ?", table);
    sqlite3_stmt *st;
    if (cn_req_prepare(req, sql, &st))
        return -1;
    sqlite3_bind_text(st, 1, num, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, id);
    return cn_req_exec(req, st);
}

static int number_taken(cn_req *req, const char *table, int64_t plan, const char *num)
{
    int64_t other = cn_entity_by_number(req, table, plan, num);
    if (other < 0)
        return -1;
    if (other)
        return cn_req_fail(req, "conflict", "number", L("le numéro %s existe déjà dans ce plan",
                                                        "number %s already exists in this plan"), num);
    return 0;
}

static int pack_list(cn_req *req, const char *sql, int64_t plan, int64_t filter)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, sql, &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    if (filter)
        sqlite3_bind_int64(st, 2, filter);
    else
        sqlite3_bind_null(st, 2);
    return cn_pk_rows(req, cn_req_pk(req), st);
}

/* Emits <what>.deleted with the entity as it was, then deletes it. */
static int delete_entity(cn_req *req, const char *table, const char *type, cn_pack_fn fn, int64_t id,
                         const char *region)
{
    if (cn_emit_entity(req, region, type, fn, id, true))
        return -1;
    char sql[64];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = ?", table);
    sqlite3_stmt *st;
    if (cn_req_prepare(req, sql, &st))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return cn_req_exec(req, st);
}

/* ---- orientations -------------------------------------------------------- */

int cn_orientation_insert(cn_req *req, int64_t plan, const char *region, int64_t *id)
{
    char num[64], key[160];
    const char *statement;
    if (cn_number_arg(req, "number", CN_REQUIRED, num, key) < 0 ||
        cn_arg_str(req, "statement", CN_REQUIRED, &statement) < 0 || number_taken(req, "orientations", plan, num))
        return -1;
    if (!statement || !*statement)
        return cn_req_fail(req, "invalid_argument", "statement", L("l'énoncé ne peut être vide",
                                                                   "the statement cannot be empty"));
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "INSERT INTO orientations(plan, number, sort_key, statement) VALUES (?,?,?,?)", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, num, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_TRANSIENT);
    cn_bind_text(st, 4, statement);
    if (cn_req_exec(req, st))
        return -1;
    *id = sqlite3_last_insert_rowid(req->db);
    return cn_emit_entity(req, region, "orientation.created", cn_pack_orientation, *id, false);
}

static int orientation_create(cn_req *req)
{
    int64_t plan, id;
    const char *region;
    if (cn_plan_arg(req, &plan, &region) || cn_orientation_insert(req, plan, region, &id))
        return -1;
    return cn_pack_orientation(req, cn_req_pk(req), id);
}

static int orientation_get(cn_req *req)
{
    int64_t id, plan;
    const char *region;
    if (cn_entity_arg(req, "orientations", &id, &plan, &region))
        return -1;
    return cn_pack_orientation(req, cn_req_pk(req), id);
}

static int orientation_list(cn_req *req)
{
    int64_t plan;
    const char *region;
    if (cn_plan_arg(req, &plan, &region))
        return -1;
    return pack_list(req,
                     "SELECT o.id, o.number, o.statement,"
                     " (SELECT count(*) FROM objectives WHERE orientation = o.id) AS objectives"
                     " FROM orientations o WHERE o.plan = ?1 AND ?2 IS NULL ORDER BY o.sort_key",
                     plan, 0);
}

static int orientation_update(cn_req *req)
{
    int64_t id, plan;
    const char *region, *statement;
    if (cn_entity_arg(req, "orientations", &id, &plan, &region))
        return -1;
    int r = cn_arg_str(req, "statement", CN_OPTIONAL, &statement);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (!statement || !*statement)
            return cn_req_fail(req, "invalid_argument", "statement", L("l'énoncé ne peut être vide",
                                                                       "the statement cannot be empty"));
        sqlite3_stmt *st;
        if (cn_req_prepare(req, "UPDATE orientations SET statement = ? WHERE id = ?", &st))
            return -1;
        cn_bind_text(st, 1, statement);
        sqlite3_bind_int64(st, 2, id);
        if (cn_req_exec(req, st))
            return -1;
    }
    if (renumber(req, "orientations", id, plan) < 0)
        return -1;
    return cn_emit_entity(req, region, "orientation.updated", cn_pack_orientation, id, true);
}

static int orientation_delete(cn_req *req)
{
    int64_t id, plan;
    const char *region;
    if (cn_entity_arg(req, "orientations", &id, &plan, &region))
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT count(*) FROM objectives WHERE orientation = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    cn_stmt_done(st);
    if (n > 0)
        return cn_req_fail(req, "conflict", "id", L("cette orientation a encore %d objectif(s): déplacez-les ou "
                                                    "supprimez-les d'abord",
                                                    "this orientation still has %d objective(s): move or delete "
                                                    "them first"),
                           n);
    return delete_entity(req, "orientations", "orientation.deleted", cn_pack_orientation, id, region);
}

/* ---- objectives ---------------------------------------------------------- */

/* Resolves args.orientation (a number in plan) to its id; 0 when absent. */
static int orientation_of(cn_req *req, int64_t plan, int64_t *orientation, int *present)
{
    char num[64], key[160];
    int r = cn_number_arg(req, "orientation", CN_OPTIONAL, num, key);
    *present = r;
    *orientation = 0;
    if (r <= 0)
        return r;
    *orientation = cn_entity_by_number(req, "orientations", plan, num);
    if (*orientation < 0)
        return -1;
    if (*orientation == 0)
        return cn_req_fail(req, "not_found", "orientation", L("orientation %s introuvable dans ce plan",
                                                              "orientation %s not found in this plan"), num);
    return 1;
}

int cn_objective_insert(cn_req *req, int64_t plan, const char *region, int64_t parent, int64_t *id)
{
    char num[64], key[160];
    const char *text;
    int present = 0;
    if (!parent && orientation_of(req, plan, &parent, &present) < 0)
        return -1;
    if (cn_number_arg(req, "number", CN_REQUIRED, num, key) < 0 || cn_arg_str(req, "text", CN_REQUIRED, &text) < 0 ||
        number_taken(req, "objectives", plan, num))
        return -1;
    if (!text || !*text)
        return cn_req_fail(req, "invalid_argument", "text", L("le texte ne peut être vide", "the text cannot be empty"));
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "INSERT INTO objectives(plan, orientation, number, sort_key, text, mandates)"
                            " VALUES (?,?,?,?,?,x'90')", &st))
        return -1;
    sqlite3_bind_int64(st, 1, plan);
    if (parent)
        sqlite3_bind_int64(st, 2, parent);
    sqlite3_bind_text(st, 3, num, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, key, -1, SQLITE_TRANSIENT);
    cn_bind_text(st, 5, text);
    if (cn_req_exec(req, st))
        return -1;
    *id = sqlite3_last_insert_rowid(req->db);
    if (cn_store_strlist(req, "objectives", "mandates", "mandates", *id, true))
        return -1;
    return cn_emit_entity(req, region, "objective.created", cn_pack_objective, *id, false);
}

static int objective_create(cn_req *req)
{
    int64_t plan, id;
    const char *region;
    if (cn_plan_arg(req, &plan, &region) || cn_objective_insert(req, plan, region, 0, &id))
        return -1;
    return cn_pack_objective(req, cn_req_pk(req), id);
}

static int objective_get(cn_req *req)
{
    int64_t id, plan;
    const char *region;
    if (cn_entity_arg(req, "objectives", &id, &plan, &region))
        return -1;
    return cn_pack_objective(req, cn_req_pk(req), id);
}

static int objective_list(cn_req *req)
{
    int64_t plan, orientation;
    const char *region;
    int present;
    if (cn_plan_arg(req, &plan, &region) || orientation_of(req, plan, &orientation, &present) < 0)
        return -1;
    return pack_list(req,
                     "SELECT b.id, o.number AS orientation, b.number, b.text, b.mandates,"
                     " (SELECT count(*) FROM actions WHERE objective = b.id) AS actions"
                     " FROM objectives b LEFT JOIN orientations o ON o.id = b.orientation"
                     " WHERE b.plan = ?1 AND (?2 IS NULL OR b.orientation = ?2) ORDER BY b.sort_key",
                     plan, orientation);
}

static int objective_update(cn_req *req)
{
    int64_t id, plan, orientation;
    const char *region, *text;
    int present;
    if (cn_entity_arg(req, "objectives", &id, &plan, &region) || orientation_of(req, plan, &orientation, &present) < 0)
        return -1;
    int r = cn_arg_str(req, "text", CN_OPTIONAL, &text);
    if (r < 0)
        return -1;
    if (r > 0 && (!text || !*text))
        return cn_req_fail(req, "invalid_argument", "text", L("le texte ne peut être vide", "the text cannot be empty"));
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "UPDATE objectives SET text = coalesce(?, text),"
                            " orientation = CASE WHEN ? THEN ? ELSE orientation END WHERE id = ?", &st))
        return -1;
    cn_bind_text(st, 1, text);
    sqlite3_bind_int(st, 2, present > 0);
    sqlite3_bind_int64(st, 3, orientation);
    sqlite3_bind_int64(st, 4, id);
    if (cn_req_exec(req, st) || cn_store_strlist(req, "objectives", "mandates", "mandates", id, false) < 0 || renumber(req, "objectives", id, plan) < 0)
        return -1;
    return cn_emit_entity(req, region, "objective.updated", cn_pack_objective, id, true);
}

static int objective_delete(cn_req *req)
{
    int64_t id, plan;
    const char *region;
    if (cn_entity_arg(req, "objectives", &id, &plan, &region))
        return -1;
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT count(*) FROM actions WHERE objective = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    cn_stmt_done(st);
    if (n > 0)
        return cn_req_fail(req, "conflict", "id", L("cet objectif a encore %d action(s): déplacez-les ou "
                                                    "supprimez-les d'abord",
                                                    "this objective still has %d action(s): move or delete them first"),
                           n);
    return delete_entity(req, "objectives", "objective.deleted", cn_pack_objective, id, region);
}

static const char *const or_create[] = {"region", "plan", "number", "statement", NULL};
static const char *const sel[] = {"region", "plan", "number", "id", NULL};
static const char *const plan_sel[] = {"region", "plan", NULL};
static const char *const or_update[] = {"region", "plan", "number", "id", "statement", "new_number", NULL};
static const char *const ob_create[] = {"region", "plan", "orientation", "number", "text", "mandates", NULL};
static const char *const ob_list[] = {"region", "plan", "orientation", NULL};
static const char *const ob_update[] = {"region", "plan", "number",   "id",         "text",
                                        "orientation", "mandates", "new_number", NULL};

const cn_op cn_structure_ops[] = {
    {"orientation.create", orientation_create, or_create, "ajoute une orientation", "adds an orientation", NULL},
    {"orientation.get", orientation_get, sel, "montre une orientation", "shows an orientation", NULL},
    {"orientation.list", orientation_list, plan_sel, "liste les orientations", "lists the orientations", NULL},
    {"orientation.update", orientation_update, or_update, "modifie une orientation", "updates an orientation", NULL},
    {"orientation.delete", orientation_delete, sel, "supprime une orientation vide", "deletes an empty orientation", NULL},
    {"objective.create", objective_create, ob_create, "ajoute un objectif", "adds an objective", NULL},
    {"objective.get", objective_get, sel, "montre un objectif", "shows an objective", NULL},
    {"objective.list", objective_list, ob_list, "liste les objectifs", "lists the objectives", NULL},
    {"objective.update", objective_update, ob_update, "modifie un objectif", "updates an objective", NULL},
    {"objective.delete", objective_delete, sel, "supprime un objectif sans action", "deletes an objective with no action", NULL},
};
const size_t cn_structure_ops_count = sizeof cn_structure_ops / sizeof cn_structure_ops[0];
