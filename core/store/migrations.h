/* migrations.h: the ordered schema migrations (see migrations.c). */
#ifndef CN_MIGRATIONS_H
#define CN_MIGRATIONS_H

/* How many migrations this build has; the latest schema version. */
int cn_migrations_count(void);

/* The SQL that takes a database from version-1 to version (1-based), or NULL. */
const char *cn_migration_sql(int version);

#endif
