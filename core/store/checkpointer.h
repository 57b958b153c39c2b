/* checkpointer.h: the WAL copied back into the database on a thread of
 * its own rather than inside a COMMIT on the loop.
 *
 * SQLite checkpoints when a COMMIT leaves 1000 frames or more in the WAL:
 * it flushes the WAL, copies the latest version of each page into the
 * database file and flushes that — some 3.5 ms during which the loop
 * serves nothing (9 % of its time with 100 requests in flight). With this,
 * the connection's WAL hook asks a thread instead, which checkpoints
 * (PASSIVE, as SQLite's own does) through a connection of its own while
 * the loop goes on committing. The WAL can start over from its beginning
 * only once every frame in it is copied, which the thread cannot reach
 * while the loop commits: so once the WAL holds 10 000 frames and the
 * thread has left little, the connection copies the rest itself at its
 * next COMMIT (a short checkpoint of SQLite's own). If the thread falls far behind (the
 * connection then waits for its copy) or fails (logged), the connection
 * checkpoints as SQLite would, and the WAL stays bounded. Durability is
 * SQLite's: a checkpoint, from either connection, flushes the WAL before
 * it copies and the database after. */
#ifndef CN_CHECKPOINTER_H
#define CN_CHECKPOINTER_H

#include <sqlite3.h>

typedef struct cn_checkpointer cn_checkpointer;

/* For db (in WAL mode, on a file): its own connection opened, its thread
 * started, db's WAL hook set (SQLite's automatic checkpoint replaced).
 * NULL when it cannot be (db then as it was). Not for a connection used
 * by more than one thread: the hook runs on the one that commits. */
cn_checkpointer *cn_checkpointer_new(sqlite3 *db);

/* How many frames the thread has copied so far (its checkpoints' count,
 * which includes frames a later copy found already done). */
long cn_checkpointer_copied(cn_checkpointer *c);

/* Waits for a checkpoint in flight, stops the thread, closes its
 * connection, gives db SQLite's automatic checkpoint back. Nulls *cp;
 * safe on NULL. Before db is closed. */
void cn_checkpointer_destroy(cn_checkpointer **cp);

#endif
