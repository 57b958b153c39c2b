/* db_compact.h: concertctl db compact [--days N] [--dry-run] — the event
 * log's retention on demand (node.compact, called until nothing more can
 * go), and what holds the rest back. */
#ifndef CTL_DB_COMPACT_H
#define CTL_DB_COMPACT_H

#include "client.h"

int ctl_db_compact(const ctl_conn *conn, int argc, char **argv);

#endif
