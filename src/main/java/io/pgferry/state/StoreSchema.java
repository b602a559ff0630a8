package io.pgferry.state;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The state store's schema as numbered migrations. {@code meta} holds the version the store is
 * at and which pgferry wrote it; opening applies the steps above that version in order, all in
 * one transaction, and refuses a store from a newer pgferry rather than guess at its tables.
 */
final class StoreSchema {
    /** One step from version {@code version - 1} to {@code version}. */
    private record Migration(int version, String what, List<String> statements) {}

    private static final List<Migration> MIGRATIONS = List.of(
            new Migration(
                    1,
                    "runs, steps, table parts, change-stream progress, phases, events, settings, slots",
                    List.of(
                            "CREATE TABLE IF NOT EXISTS run (id TEXT PRIMARY KEY, method TEXT NOT NULL, source TEXT NOT NULL,"
                                    + " target TEXT NOT NULL, status TEXT NOT NULL, phase TEXT, created_at TEXT NOT NULL,"
                                    + " updated_at TEXT NOT NULL, last_error TEXT)",
                            "CREATE TABLE IF NOT EXISTS step (run_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,"
                                    + " started_at TEXT, finished_at TEXT, detail TEXT, PRIMARY KEY (run_id, name))",
                            "CREATE TABLE IF NOT EXISTS table_part (run_id TEXT NOT NULL, schema_name TEXT NOT NULL,"
                                    + " table_name TEXT NOT NULL, part_no INTEGER NOT NULL, parts_total INTEGER NOT NULL,"
                                    + " status TEXT NOT NULL, rows INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
                                    + " lsn TEXT, started_at TEXT, finished_at TEXT,"
                                    + " PRIMARY KEY (run_id, schema_name, table_name, part_no))",
                            "CREATE TABLE IF NOT EXISTS cdc_progress (run_id TEXT PRIMARY KEY, received_lsn TEXT,"
                                    + " applied_lsn TEXT, source_lsn TEXT, lag_bytes INTEGER, lag_seconds REAL,"
                                    + " applied_xacts INTEGER NOT NULL DEFAULT 0, updated_at TEXT)",
                            "CREATE TABLE IF NOT EXISTS progress (run_id TEXT NOT NULL, phase TEXT NOT NULL, done INTEGER NOT NULL,"
                                    + " total INTEGER NOT NULL, unit TEXT NOT NULL, bytes_done INTEGER NOT NULL DEFAULT 0,"
                                    + " bytes_total INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,"
                                    + " PRIMARY KEY (run_id, phase))",
                            "CREATE TABLE IF NOT EXISTS event (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT,"
                                    + " at TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL)",
                            "CREATE TABLE IF NOT EXISTS setting (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
                                    + " PRIMARY KEY (run_id, key))",
                            "CREATE TABLE IF NOT EXISTS slot_wal (run_id TEXT NOT NULL, slot_name TEXT NOT NULL,"
                                    + " retained_bytes INTEGER, wal_status TEXT, safe_wal_size INTEGER, limit_bytes INTEGER,"
                                    + " dropped INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,"
                                    + " PRIMARY KEY (run_id, slot_name))")),
            // Version 1 stores got this table only once the monitor first wrote a sample, so a
            // store at version 1 may lack it: it is a step of its own, not part of version 1.
            new Migration(
                    2,
                    "progress samples for the dashboard's history",
                    List.of(
                            "CREATE TABLE IF NOT EXISTS progress_sample (run_id TEXT NOT NULL, at TEXT NOT NULL,"
                                    + " phase TEXT NOT NULL, done INTEGER NOT NULL, bytes_done INTEGER NOT NULL,"
                                    + " lag_bytes INTEGER, lag_seconds REAL)",
                            "CREATE INDEX IF NOT EXISTS progress_sample_run_at ON progress_sample (run_id, at)")));

    /** The newest schema this pgferry knows. */
    static final int VERSION = MIGRATIONS.get(MIGRATIONS.size() - 1).version();

    private static final String VERSION_KEY = "schema_version";
    private static final String WRITTEN_BY_KEY = "written_by";

    private StoreSchema() {}

    /** Brings the store to {@link #VERSION}; fails, changing nothing, on a store from a newer pgferry. */
    static void migrate(StoreSql sql) {
        sql.locked(() -> {
            if (refuseNewer(sql) == VERSION) {
                return null; // the common case takes no write lock, so status may open a store in use
            }
            try (Statement st = sql.connection().createStatement()) {
                // IMMEDIATE: two processes upgrading one store at once take turns instead of failing
                st.execute("BEGIN IMMEDIATE");
                try {
                    int at = refuseNewer(sql);
                    if (at < VERSION) {
                        // not a step: a store from before the version row has its tables but no meta
                        st.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)");
                        for (Migration m : MIGRATIONS) {
                            if (m.version() > at) {
                                for (String statement : m.statements()) {
                                    st.execute(statement);
                                }
                            }
                        }
                        putMeta(sql, VERSION_KEY, Integer.toString(VERSION));
                        putMeta(sql, WRITTEN_BY_KEY, pgferryVersion());
                    }
                    st.execute("COMMIT");
                } catch (SQLException | RuntimeException e) {
                    st.execute("ROLLBACK");
                    throw e;
                }
            }
            return null;
        });
    }

    /** The store's version, unless it is newer than this pgferry knows. */
    private static int refuseNewer(StoreSql sql) throws SQLException {
        int at = version(sql);
        if (at > VERSION) {
            String writer = sql.first("SELECT value FROM meta WHERE key = ?", rs -> rs.getString(1), WRITTEN_BY_KEY)
                    .orElse("a newer version");
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "the state store in " + sql.dir() + " was written by pgferry " + writer + " (state version " + at
                            + "); this pgferry (" + pgferryVersion() + ") reads state versions up to " + VERSION,
                    "use pgferry " + writer + " or newer with this work dir, or pass another --dir");
        }
        return at;
    }

    private static void putMeta(StoreSql sql, String key, String value) {
        sql.update(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value);
    }

    /**
     * The store's version: 0 for a new file; 1 for a store from before the version row (its
     * tables are version 1's); otherwise what {@code meta} says.
     */
    static int version(StoreSql sql) throws SQLException {
        if (!tableExists(sql, "meta")) {
            return tableExists(sql, "run") ? 1 : 0;
        }
        return sql.first("SELECT value FROM meta WHERE key = ?", rs -> rs.getString(1), VERSION_KEY)
                .map(Integer::parseInt)
                .orElse(tableExists(sql, "run") ? 1 : 0);
    }

    private static boolean tableExists(StoreSql sql, String table) {
        return sql.count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table) > 0;
    }

    /** This pgferry's version as its jar says, {@code dev} when run from classes. */
    static String pgferryVersion() {
        String v = StoreSchema.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
