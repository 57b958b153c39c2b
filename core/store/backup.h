/* backup.h: a consistent copy of the live database while commands keep
 * arriving (SQLite's online backup API, from a connection of its own: in WAL
 * mode the daemon's writes go on meanwhile), and a node brought back from
 * such a copy. Every table is in the one database: the plan model, the event
 * log, the plugins' own tables; what the plugins publish (calendars, veille
 * feeds) is made from them again. */
#ifndef CN_BACKUP_H
#define CN_BACKUP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    unsigned char *bytes; /* the database file, self-contained (no WAL); cn_backup_free() */
    size_t size;
    int64_t events;       /* rows of the event log, and this node's last seq in it */
    int64_t last_seq;
    int schema;
} cn_backup;

/* Copies data_dir/concertd.db into memory and checks the copy
 * (integrity_check). Blocking: run it off the loop. node_id names this
 * node's events (for last_seq). Returns 0, or -1 with why in err. */
int cn_backup_take(const char *data_dir, const char *node_id, cn_backup *out, char *err, size_t errcap);

/* Frees what cn_backup_take gave (bytes); safe twice. */
void cn_backup_free(cn_backup *b);

/* What a backup file holds, checked (integrity_check, a concertd database):
 * its schema, events and last seq of node_id. Returns 0 or -1 with why. */
int cn_backup_inspect(const char *file, const char *node_id, cn_backup *out, char *err, size_t errcap);

/* Brings data_dir back to the backup in file: the lock is taken (no daemon
 * may run on it), the file checked, the current database kept aside as
 * concertd.db.avant-restauration-DATE (nothing is deleted), the backup
 * copied in. The next start migrates it if it is older. Writes in said what
 * was done. Returns 0, or -1 with why in err. */
int cn_backup_restore(const char *data_dir, const char *node_id, const char *file, char *said, size_t saidcap,
                      char *err, size_t errcap);

#endif
