/* db_backup.h: concertctl backup FILE (a hot copy of the daemon's database,
 * written and checked here) and concertctl db check (the daemon checks its
 * whole database without stopping). */
#ifndef CTL_DB_BACKUP_H
#define CTL_DB_BACKUP_H

#include "client.h"

int ctl_backup(const ctl_conn *conn, int argc, char **argv);
int ctl_db_check(const ctl_conn *conn, int argc, char **argv);

#endif
