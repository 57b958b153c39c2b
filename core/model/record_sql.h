/* record_sql.h: the statements of one indicator.record (ops_indicator.c),
 * named here so that tools/bench/rows.c times the very same SQL. */
#ifndef CN_RECORD_SQL_H
#define CN_RECORD_SQL_H

/* What indicator.record needs of the indicator before it writes, read in
 * one query (?1: its id): its columns as cn_pack_indicator packs them (the
 * first nine; the latest measurement, which this record changes, comes
 * after), its region's holder and whether that region is archived. */
#define CN_RECORD_CONTEXT_SQL                                                                                      \
    "SELECT i.id, i.plan, p.region, a.number AS action, i.name, i.unit, i.target, i.target_date, i.baseline,"     \
    " r.origin, r.archived_ms IS NOT NULL"                                                                         \
    " FROM indicators i JOIN plans p ON p.id = i.plan JOIN regions r ON r.id = p.region"                          \
    " LEFT JOIN actions a ON a.id = i.action"                                                                      \
    " WHERE i.id = ?"

/* The measurement: indicator, date, value, note, created_ms. */
#define CN_MEASUREMENT_INSERT_SQL                                                                                  \
    "INSERT INTO measurements(indicator, date, value, note, created_ms) VALUES (?,?,?,?,?)"

/* A measurement of the indicator (?1) dated after the one just stored (?2),
 * the newest: the latest, if any. */
#define CN_LATER_MEASUREMENT_SQL                                                                                   \
    "SELECT value, date FROM measurements WHERE indicator = ?1 AND date > ?2 ORDER BY date DESC, id DESC LIMIT 1"

#endif
