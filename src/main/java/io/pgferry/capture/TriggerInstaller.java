package io.pgferry.capture;

import io.pgferry.pg.Identifiers;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Creates the run's capture on the source: schema {@code pgferry_<run id>}, its registry, and
 * per table a change log, a trigger function and two triggers (AFTER INSERT/UPDATE/DELETE for
 * each row; AFTER TRUNCATE for the statement). Everything is created if missing or replaced, so
 * a rerun after a crash halfway through simply finishes the job.
 *
 * <p>Each table gets its triggers in a transaction of its own: CREATE TRIGGER takes a lock that
 * waits for the table's open writers and holds off new ones, so holding every table's lock until
 * the last one is done would stall the application. Per table this is enough, because the
 * copy's snapshot is taken only after every table's trigger is committed: a write either
 * committed before its table's trigger existed (and the snapshot sees it) or fires the trigger.
 * A lock that cannot be had within {@link #LOCK_TIMEOUT} (a long transaction holds the table) is
 * retried a few times rather than queueing every writer behind it.
 *
 * <p>The triggers are ENABLE ALWAYS, so they fire also for sessions in replica mode (such as
 * another tool's apply worker writing to the source).
 */
final class TriggerInstaller {
    static final String LOCK_TIMEOUT = "5s";
    static final int LOCK_ATTEMPTS = 12;

    private final String captureSchema;
    private final String triggerPrefix;

    /** @param captureSchema also the prefix of the triggers' names, so they are recognisably this run's */
    TriggerInstaller(String captureSchema) {
        this.captureSchema = captureSchema;
        this.triggerPrefix = captureSchema;
    }

    String rowTrigger() {
        return triggerPrefix + "_capture";
    }

    String truncateTrigger() {
        return triggerPrefix + "_truncate";
    }

    void install(Connection c, List<CapturedTable> tables, Consumer<String> log) throws SQLException {
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(captureSchema));
            CaptureRegistry.create(st, captureSchema);
            st.execute("SET lock_timeout = '" + LOCK_TIMEOUT + "'");
        }
        for (CapturedTable t : tables) {
            installWithRetry(c, t, log);
        }
        try (Statement st = c.createStatement()) {
            st.execute("RESET lock_timeout");
        }
    }

    private void installWithRetry(Connection c, CapturedTable t, Consumer<String> log) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            c.setAutoCommit(false);
            try {
                installOne(c, t);
                c.commit();
                return;
            } catch (SQLException e) {
                c.rollback();
                // 55P03: lock_not_available, the lock timeout
                if (!"55P03".equals(e.getSQLState()) || attempt >= LOCK_ATTEMPTS) {
                    throw e;
                }
                log.accept("table " + t.displayName() + " is locked by a long transaction; trying again (" + attempt
                        + "/" + LOCK_ATTEMPTS + ")");
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private void installOne(Connection c, CapturedTable t) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(logTableDdl(c, t));
            st.execute(functionDdl(t));
            String table = t.qualified();
            st.execute("DROP TRIGGER IF EXISTS " + Identifiers.quote(rowTrigger()) + " ON " + table);
            st.execute("DROP TRIGGER IF EXISTS " + Identifiers.quote(truncateTrigger()) + " ON " + table);
            st.execute("CREATE TRIGGER " + Identifiers.quote(rowTrigger()) + " AFTER INSERT OR UPDATE OR DELETE ON "
                    + table + " FOR EACH ROW EXECUTE FUNCTION " + t.function() + "()");
            st.execute("CREATE TRIGGER " + Identifiers.quote(truncateTrigger()) + " AFTER TRUNCATE ON " + table
                    + " FOR EACH STATEMENT EXECUTE FUNCTION " + t.function() + "()");
            st.execute("ALTER TABLE " + table + " ENABLE ALWAYS TRIGGER " + Identifiers.quote(rowTrigger()));
            st.execute("ALTER TABLE " + table + " ENABLE ALWAYS TRIGGER " + Identifiers.quote(truncateTrigger()));
        }
        CaptureRegistry.record(c, t);
    }

    /**
     * The log: an ordering number, the writing transaction's id (8 bytes, epoch included, so it
     * compares with pg_snapshot values), when it was written (for the backlog's age), whether
     * it marks a TRUNCATE, and the key columns with the table's own types.
     */
    private static String logTableDdl(Connection c, CapturedTable t) throws SQLException {
        StringBuilder keys = new StringBuilder();
        try (var ps = c.prepareStatement(
                "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = ?"
                        + " AND a.attname = ?")) {
            for (int i = 0; i < t.keyColumns().size(); i++) {
                ps.setLong(1, t.relid());
                ps.setString(2, t.keyColumns().get(i));
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    keys.append(", k").append(i + 1).append(' ').append(rs.getString(1));
                }
            }
        }
        return "CREATE TABLE IF NOT EXISTS " + t.logTable() + " (seq bigserial PRIMARY KEY,"
                + " xid xid8 NOT NULL DEFAULT pg_current_xact_id(), at timestamptz NOT NULL DEFAULT now(),"
                + " truncated boolean NOT NULL DEFAULT false" + keys + ")";
    }

    /** One function per table, with the key columns written out: no dynamic SQL on the application's write path. */
    private static String functionDdl(CapturedTable t) {
        String newKey =
                t.keyColumns().stream().map(k -> "NEW." + Identifiers.quote(k)).collect(Collectors.joining(", "));
        String oldKey =
                t.keyColumns().stream().map(k -> "OLD." + Identifiers.quote(k)).collect(Collectors.joining(", "));
        String insert = "INSERT INTO " + t.logTable() + " (" + t.logKeyList() + ") VALUES ";
        return "CREATE OR REPLACE FUNCTION " + t.function() + "() RETURNS trigger LANGUAGE plpgsql AS $pgferry$\n"
                + "BEGIN\n"
                + "  IF TG_OP = 'TRUNCATE' THEN\n"
                + "    INSERT INTO " + t.logTable() + " (truncated) VALUES (true);\n"
                + "  ELSIF TG_OP = 'INSERT' THEN\n"
                + "    " + insert + "(" + newKey + ");\n"
                + "  ELSIF TG_OP = 'DELETE' THEN\n"
                + "    " + insert + "(" + oldKey + ");\n"
                + "  ELSE\n"
                + "    " + insert + "(" + newKey + ");\n"
                + "    IF ROW(" + oldKey + ") IS DISTINCT FROM ROW(" + newKey + ") THEN\n"
                + "      " + insert + "(" + oldKey + ");\n"
                + "    END IF;\n"
                + "  END IF;\n"
                + "  RETURN NULL;\n"
                + "END\n$pgferry$";
    }
}
