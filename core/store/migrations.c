/* migrations.c: the schema of the plan model and the event log, as an
 * ordered list of migrations. A database records the last one applied in
 * PRAGMA user_version; opening it applies the rest, so an older database
 * is upgraded in place. Never edit a released migration: add one. */
#include "migrations.h"

#include <stddef.h>

static const char *const migrations[] = {
    /* 1: the plan model and the event log. */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE regions("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  name_key TEXT NOT NULL,"           /* name with accents and case folded */
    "  organisation TEXT,"
    "  kind TEXT NOT NULL CHECK(kind IN ('local','regional','national')),"
    "  origin TEXT NOT NULL,"             /* node that owns the region */
    "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE TABLE territories("
    "  region TEXT NOT NULL REFERENCES regions(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL, name TEXT NOT NULL,"
    "  PRIMARY KEY(region, position));"
    "CREATE TABLE plans("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL REFERENCES regions(id),"
    "  title TEXT NOT NULL, period TEXT, start_date TEXT, end_date TEXT, adopted_on TEXT,"
    "  mission TEXT,"
    "  status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active','archived')),"
    "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE INDEX plans_region ON plans(region, status);"
    "CREATE TABLE mandates("
    "  plan INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL, number TEXT NOT NULL, text TEXT NOT NULL,"
    "  PRIMARY KEY(plan, position));"
    "CREATE TABLE orientations("
    "  id INTEGER PRIMARY KEY,"
    "  plan INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,"
    "  number TEXT NOT NULL, sort_key TEXT NOT NULL, statement TEXT NOT NULL,"
    "  UNIQUE(plan, number));"
    "CREATE TABLE objectives("
    "  id INTEGER PRIMARY KEY,"
    "  plan INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,"
    "  orientation INTEGER REFERENCES orientations(id),"
    "  number TEXT NOT NULL, sort_key TEXT NOT NULL, text TEXT NOT NULL,"
    "  mandates BLOB NOT NULL,"            /* msgpack array of mandate numbers */
    "  UNIQUE(plan, number));"
    "CREATE INDEX objectives_orientation ON objectives(orientation);"
    "CREATE TABLE actions("
    "  id INTEGER PRIMARY KEY,"
    "  plan INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,"
    "  objective INTEGER NOT NULL REFERENCES objectives(id),"
    "  number TEXT NOT NULL, sort_key TEXT NOT NULL, text TEXT NOT NULL,"
    "  priority TEXT,"
    "  targets BLOB NOT NULL,"             /* msgpack array of strings */
    "  schedule TEXT,"                     /* the échéance as the plan words it */
    "  expected_result TEXT, responsible TEXT,"
    "  status TEXT NOT NULL DEFAULT 'planned' CHECK(status IN"
    "    ('planned','in_progress','done','ongoing','postponed','cancelled')),"
    "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
    "  UNIQUE(plan, number));"
    "CREATE INDEX actions_objective ON actions(objective);"
    "CREATE TABLE action_windows("
    "  action INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK(kind IN ('dated','ongoing','on_demand','unknown')),"
    "  start_date TEXT, end_date TEXT,"
    "  PRIMARY KEY(action, position));"
    "CREATE INDEX action_windows_end ON action_windows(end_date) WHERE kind = 'dated';"
    "CREATE TABLE action_notes("
    "  id INTEGER PRIMARY KEY,"
    "  action INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,"
    "  date TEXT NOT NULL, text TEXT NOT NULL,"
    "  status_from TEXT, status_to TEXT, created_ms INTEGER NOT NULL);"
    "CREATE INDEX action_notes_action ON action_notes(action);"
    "CREATE TABLE indicators("
    "  id INTEGER PRIMARY KEY,"
    "  plan INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,"
    "  action INTEGER REFERENCES actions(id) ON DELETE SET NULL,"
    "  name TEXT NOT NULL, unit TEXT, target REAL, target_date TEXT, baseline REAL,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE INDEX indicators_plan ON indicators(plan);"
    "CREATE TABLE measurements("
    "  id INTEGER PRIMARY KEY,"
    "  indicator INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,"
    "  date TEXT NOT NULL, value REAL NOT NULL, note TEXT, created_ms INTEGER NOT NULL);"
    "CREATE INDEX measurements_indicator ON measurements(indicator, date);"
    "CREATE TABLE events("
    "  origin TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  ts_ms INTEGER NOT NULL, region TEXT NOT NULL, type TEXT NOT NULL,"
    "  data BLOB NOT NULL,"                /* msgpack map */
    "  PRIMARY KEY(origin, seq)) WITHOUT ROWID;",

    /* 2: the region's glossary of acronyms (plans end with one), and a kind
     * for territories (MRC, ville, agglomération…). */
    "CREATE TABLE glossary("
    "  region TEXT NOT NULL REFERENCES regions(id) ON DELETE CASCADE,"
    "  term TEXT NOT NULL, definition TEXT NOT NULL,"
    "  PRIMARY KEY(region, term));"
    "ALTER TABLE territories ADD COLUMN kind TEXT NOT NULL DEFAULT 'MRC';",

    /* 3: what the plugin host keeps per plugin: the version of the plugin's
     * own schema, and how far in the event log it has been delivered. */
    "CREATE TABLE plugin_state("
    "  plugin TEXT PRIMARY KEY,"
    "  schema_version INTEGER NOT NULL DEFAULT 0,"
    "  cursor_seq INTEGER);",

    /* 4: reminders before échéances. Each region's horizons (days before a
     * window ends; a reminder the day after it ended; a follow-up every N
     * days for undated windows, 0 = none), and one row per (action, window
     * end, horizon) that fires once: pending → sent or skipped. Horizon -1
     * is "overdue", -2 a follow-up. Existing actions are armed here. */
    "ALTER TABLE regions ADD COLUMN reminder_days TEXT NOT NULL DEFAULT '30,7,1';"
    "ALTER TABLE regions ADD COLUMN reminder_overdue INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE regions ADD COLUMN reminder_undated_days INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE reminders("
    "  action INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,"
    "  window_end TEXT NOT NULL, window_start TEXT, window_kind TEXT NOT NULL,"
    "  horizon INTEGER NOT NULL,"
    "  due_on TEXT NOT NULL, created_on TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending',"
    "  fired_ms INTEGER,"
    "  PRIMARY KEY(action, window_end, horizon)) WITHOUT ROWID;"
    "CREATE INDEX reminders_due ON reminders(due_on) WHERE state = 'pending';"
    "INSERT OR IGNORE INTO reminders(action, window_end, window_start, window_kind, horizon, due_on, created_on, state)"
    "  SELECT w.action, w.end_date, w.start_date, 'dated', h.d,"
    "    date(w.end_date, printf('%+d days', CASE WHEN h.d < 0 THEN 1 ELSE -h.d END)), date('now', 'localtime'),"
    "    CASE WHEN date(w.end_date, printf('%+d days', CASE WHEN h.d < 0 THEN 1 ELSE -h.d END))"
    "      < date('now', 'localtime') THEN 'skipped' ELSE 'pending' END"
    "  FROM action_windows w JOIN actions a ON a.id = w.action JOIN plans p ON p.id = a.plan,"
    "    (SELECT 30 AS d UNION ALL SELECT 7 UNION ALL SELECT 1 UNION ALL SELECT -1) h"
    "  WHERE w.kind = 'dated' AND w.end_date IS NOT NULL AND a.status NOT IN ('done', 'cancelled')"
    "    AND p.status = 'active';",

    /* 5: the regions this node holds a read-only copy of (federation): who
     * owns each, which peer it came through, and the owner's event its copy
     * is as of. */
    "CREATE TABLE mirrors("
    "  region TEXT PRIMARY KEY,"
    "  origin TEXT NOT NULL,"
    "  peer TEXT NOT NULL,"
    "  snapshot_seq INTEGER NOT NULL DEFAULT 0,"
    "  snapshot_ms INTEGER);"
    "CREATE INDEX events_region ON events(region, ts_ms);",

    /* 6: who made each change: the request's actor (concertctl's user, a
     * web account, a plugin) with its events, and the author of a note. */
    ("ALTER TABLE events ADD COLUMN actor TEXT;"
     "ALTER TABLE action_notes ADD COLUMN author TEXT;"),

    /* 7: a region loaded as the demo (concertd --demo), shown as such, and
     * told apart from a real table's region of the same id. */
    "ALTER TABLE regions ADD COLUMN demo BOOLEAN NOT NULL DEFAULT 0;",

    /* 8: a region archived (region.delete): kept, read-only, out of the
     * lists and the reminders, until region.restore. */
    "ALTER TABLE regions ADD COLUMN archived_ms INTEGER;",

    /* 9: the event log's retention ([storage] keep_events_days). Per origin,
     * how far old events were removed (events.since says so to whoever asks
     * from before); per declared peer and origin, the newest event it said
     * it holds (events.origins' `have`): never removed before it has it. */
    "CREATE TABLE events_compacted("
    "  origin TEXT PRIMARY KEY, through_seq INTEGER NOT NULL, through_ts_ms INTEGER NOT NULL,"
    "  removed INTEGER NOT NULL, at_ms INTEGER NOT NULL);"
    "CREATE TABLE peer_confirmed("
    "  peer TEXT NOT NULL, origin TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(peer, origin)) WITHOUT ROWID;",

    /* 10: a plan's actions read in the plan's order straight from an index
     * (action.list, the plan's export and report), not sorted per request;
     * a region's adhesion events (its member count, region.overview) found
     * without going over all its events: a partial index, kept only for
     * those rare events, so the hot path's inserts do not pay for it. */
    "CREATE INDEX actions_plan_order ON actions(plan, sort_key, id);"
    "CREATE INDEX events_adhesion ON events(region, ts_ms) WHERE type GLOB 'adhesion.*';",

    /* 11: a copy kept up to date by its owner's events (region.mirror_event)
     * instead of a new snapshot after each: which of the copy's rows is which
     * of the owner's (a copy's ids are its own), as the last snapshot said.
     * kind: plan, orientation, objective, action or indicator. */
    "CREATE TABLE copy_ids("
    "  region TEXT NOT NULL, kind TEXT NOT NULL, origin_id INTEGER NOT NULL, id INTEGER NOT NULL,"
    "  PRIMARY KEY(region, kind, origin_id)) WITHOUT ROWID;",

    /* 12: this node's own events apart from its peers', keyed by seq alone:
     * a rowid table, each new event appended at the end of one b-tree
     * instead of placed in a key of (origin, seq) (tools/PERFORMANCE.md,
     * sixteenth part). The peers' keep their key. `events` is now a view of
     * both, read as the table was; writes go to the table they are for.
     * Whose the own events are is meta's 'node': the daemon moves them in
     * when it opens the log (cn_evlog_new), here and after a change of id. */
    "ALTER TABLE events RENAME TO peer_events;"
    "DROP INDEX events_region;"
    "DROP INDEX events_adhesion;"
    "CREATE INDEX peer_events_region ON peer_events(region, ts_ms);"
    "CREATE INDEX peer_events_adhesion ON peer_events(region, ts_ms) WHERE type GLOB 'adhesion.*';"
    "CREATE TABLE own_events("
    "  seq INTEGER PRIMARY KEY,"
    "  ts_ms INTEGER NOT NULL, region TEXT NOT NULL, type TEXT NOT NULL,"
    "  data BLOB NOT NULL, actor TEXT);"
    "CREATE INDEX own_events_region ON own_events(region, ts_ms);"
    "CREATE INDEX own_events_adhesion ON own_events(region, ts_ms) WHERE type GLOB 'adhesion.*';"
    /* meta's key is unique: the planner knows the join gives one node, and
     * reads own_events in its own order (seq, or an index) under it. */
    "CREATE VIEW events AS"
    "  SELECT m.value AS origin, e.seq, e.ts_ms, e.region, e.type, e.data, e.actor"
    "  FROM meta m CROSS JOIN own_events e WHERE m.key = 'node'"
    "  UNION ALL SELECT origin, seq, ts_ms, region, type, data, actor FROM peer_events;",
};

int cn_migrations_count(void) { return (int)(sizeof migrations / sizeof migrations[0]); }

const char *cn_migration_sql(int version)
{
    if (version < 1 || version > cn_migrations_count())
        return NULL;
    return migrations[version - 1];
}
