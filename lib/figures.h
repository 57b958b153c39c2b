/* figures.h: a plugin's figures for node.status (concertd/plugin.h,
 * set_status) from one SQL row: each column's name is a figure's name,
 * its value an integer. */
#ifndef CN_FIGURES_H
#define CN_FIGURES_H

#include <msgpack.h>
#include <sqlite3.h>
#include <stdint.h>

/* Runs sql (one row; ?1 is now_ms) on db and packs {column: value…}; an
 * empty map when it fails. */
void cn_pack_sql_figures(sqlite3 *db, const char *sql, int64_t now_ms, msgpack_packer *pk);

#endif
