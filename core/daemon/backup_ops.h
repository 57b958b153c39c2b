/* backup_ops.h: node.backup, node.backup_status and node.backup_read — a
 * consistent copy of the database taken off the loop while commands keep
 * arriving, then read by the client in pieces (concertctl backup FILE). */
#ifndef CN_BACKUP_OPS_H
#define CN_BACKUP_OPS_H

#include <uv.h>

#include "core.h"

typedef struct cn_backup_ops cn_backup_ops;

/* Registers the ops; the copies are of data_dir's database. NULL on failure. */
cn_backup_ops *cn_backup_ops_new(uv_loop_t *loop, cn_core *core, const char *data_dir);
/* Unregisters; a copy being taken finishes on its worker and is dropped. */
void cn_backup_ops_destroy(cn_backup_ops **ops);

#endif
