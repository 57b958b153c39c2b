/* ops.c: the core's op table, family by family, in the order node.info
 * and concertctl's help list them. Each family's file keeps its own ops;
 * this file only hands them to the command core, so no family needs to
 * know another. */
#include "model.h"
#include "office.h"

int cn_model_register(cn_core *core)
{
    /* db_only: the everyday edits, whose handlers touch nothing but rows
     * and events (core.h: they run without a savepoint of their own). */
    static const struct {
        const cn_op *ops;
        const size_t *count;
        bool db_only;
    } families[] = {
        {cn_node_ops, &cn_node_ops_count, false},
        {cn_compact_ops, &cn_compact_ops_count, false},
        {cn_region_ops, &cn_region_ops_count, true},
        {cn_archive_ops, &cn_archive_ops_count, false},
        {cn_plan_ops, &cn_plan_ops_count, true},
        {cn_plan_io_ops, &cn_plan_io_ops_count, false},
        {cn_structure_ops, &cn_structure_ops_count, true},
        {cn_action_ops, &cn_action_ops_count, true},
        {cn_indicator_ops, &cn_indicator_ops_count, true},
        {cn_echeance_ops, &cn_echeance_ops_count, false},
        {cn_reminder_ops, &cn_reminder_ops_count, false},
        {cn_mirror_ops, &cn_mirror_ops_count, false},
        {cn_mirror_event_ops, &cn_mirror_event_ops_count, false},
        {cn_overview_ops, &cn_overview_ops_count, false},
        {cn_history_ops, &cn_history_ops_count, false},
        {cn_report_ops, &cn_report_ops_count, false},
    };
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (cn_core_register(core, families[i].ops, *families[i].count) != 0 ||
            (families[i].db_only && cn_core_db_only(core, families[i].ops, *families[i].count) != 0))
            return -1;
    /* The reads a page polls (the web's, a national node's dashboard):
     * read once per change of the database. */
    if (cn_core_cache_op(core, "action.list") || cn_core_cache_op(core, "region.overview"))
        return -1;
    cn_office_init(); /* documents are read on worker threads (plan_office.c) */
    return cn_core_add_preparer(core, &cn_plan_import_preparer);
}
