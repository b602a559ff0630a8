package io.pgferry.capture;

import io.pgferry.copy.SnapshotExport;
import io.pgferry.copy.SourceTable;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.PreflightException;
import io.pgferry.schema.TableFilter;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Change capture by triggers, for sources that allow no logical replication (wal_level =
 * replica, no REPLICATION attribute): what method copy calls, in order. Preflight refuses
 * keyless tables and missing privileges before anything exists; install puts the run's schema,
 * logs and triggers on the source before the copy's snapshot; the copy's snapshot is recorded
 * so the apply knows what the copy holds; then {@link TriggerApplier} runs until cutover.
 */
public final class TriggerCapture {

    public static final String TRIGGERS = "triggers";

    private TriggerCapture() {}

    /** Whether run {@code runId} captures changes with triggers. */
    public static boolean isTriggers(StateStore store, String runId) {
        return store.setting(runId, SettingKey.COPY_CAPTURE)
                .map(TRIGGERS::equals)
                .orElse(false);
    }

    /** The filter of a trigger-captured run: the user's, minus the run's own schema (its logs are not data to move). */
    public static TableFilter withoutCaptureSchema(TableFilter filter, String captureSchema) {
        List<String> rules = new ArrayList<>(filter.rules());
        String rule = "exclude schema " + captureSchema;
        if (!rules.contains(rule)) {
            rules.add(rule);
        }
        return TableFilter.fromRules(rules);
    }

    /**
     * Every table keyed, the role allowed to create the schema and to own the triggers: checked
     * before anything is created, with the fix in the message.
     */
    public static List<CapturedTable> preflight(Connection source, List<SourceTable> tables, String captureSchema)
            throws SQLException {
        List<CapturedTable> keyed = TableKeys.require(source, tables, captureSchema);
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_user,"
                        + " has_database_privilege(current_database(), 'CREATE'), current_database()")) {
            rs.next();
            if (!rs.getBoolean(2) && !CaptureRegistry.exists(source, captureSchema)) {
                throw new PreflightException(
                        ErrorCode.PERMISSION_DENIED,
                        "the source role " + rs.getString(1) + " may not create the schema " + captureSchema
                                + " that holds the change logs",
                        "as the database owner run GRANT CREATE ON DATABASE "
                                + io.pgferry.pg.Identifiers.quote(rs.getString(3)) + " TO "
                                + io.pgferry.pg.Identifiers.quote(rs.getString(1))
                                + "; nothing was created on the source");
            }
        }
        List<String> notOwned = new ArrayList<>();
        try (var ps = source.prepareStatement("SELECT c.oid FROM pg_class c WHERE c.oid = ANY (?)"
                + " AND NOT pg_has_role(current_user, c.relowner, 'USAGE')")) {
            ps.setArray(
                    1,
                    source.createArrayOf(
                            "oid", tables.stream().map(SourceTable::oid).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long oid = rs.getLong(1);
                    tables.stream()
                            .filter(t -> t.oid() == oid)
                            .findFirst()
                            .ifPresent(t -> notOwned.add(t.displayName()));
                }
            }
        }
        if (!notOwned.isEmpty()) {
            throw new PreflightException(
                    ErrorCode.PERMISSION_DENIED,
                    notOwned.size() + " table(s) are not owned by the source role,"
                            + " which trigger capture needs to put its triggers on them: "
                            + notOwned.stream().limit(10).collect(Collectors.joining(", ")),
                    "connect as the tables' owner (or a member of the owning role), or leave"
                            + " them out with --exclude-table; nothing was created on the source");
        }
        return keyed;
    }

    /** Creates (or completes) the run's schema, logs and triggers on the source. */
    public static void install(Connector source, List<SourceTable> tables, String captureSchema, Progress progress) {
        try (Connection c = source.open()) {
            List<CapturedTable> keyed = preflight(c, tables, captureSchema);
            new TriggerInstaller(captureSchema).install(c, keyed, progress::warn);
            progress.info("change capture installed on the source: " + keyed.size() + " table(s) logged into schema "
                    + captureSchema);
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    /**
     * Records, once, the first copy snapshot as a pg_snapshot: log rows of transactions it sees
     * are in the copy. A resumed copy's later snapshots see at least as much, so the first one
     * is right for every table (rows a later snapshot also holds are merely applied again).
     */
    public static void recordCopySnapshot(Connector source, SnapshotExport snapshot, StateStore store, String runId) {
        if (store.setting(runId, SettingKey.CAPTURE_COPY_SNAPSHOT).isPresent()) {
            return;
        }
        try (Connection c = source.open()) {
            snapshot.importInto(c);
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_current_snapshot()::text")) {
                rs.next();
                store.putSetting(runId, SettingKey.CAPTURE_COPY_SNAPSHOT, rs.getString(1));
            }
            try (Statement st = c.createStatement()) {
                st.execute("ROLLBACK");
            }
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    /**
     * Drops the run's capture schema on the source, and with it the logs, functions and the
     * triggers calling them. Dropping a trigger locks its table against every access, so a lock
     * that cannot be had at once (a long transaction holds the table) is waited for only
     * briefly and tried again, rather than queueing the application's queries behind it.
     */
    public static void dropSchema(Connection c, String captureSchema) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        try (Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = '" + TriggerInstaller.LOCK_TIMEOUT + "'");
            for (int attempt = 1; ; attempt++) {
                try {
                    st.execute("DROP SCHEMA IF EXISTS " + io.pgferry.pg.Identifiers.quote(captureSchema) + " CASCADE");
                    break;
                } catch (SQLException e) {
                    if (!"55P03".equals(e.getSQLState()) || attempt >= TriggerInstaller.LOCK_ATTEMPTS) {
                        throw e;
                    }
                    if (!autoCommit) {
                        c.rollback();
                    }
                }
            }
            st.execute("RESET lock_timeout");
        }
    }

    /** The WAL position up to which every change is on the target (0/0 before the first drained cycle). */
    public static org.postgresql.replication.LogSequenceNumber appliedLsn(StateStore store, String runId) {
        return store.setting(runId, SettingKey.CAPTURE_APPLIED_LSN)
                .map(org.postgresql.replication.LogSequenceNumber::valueOf)
                .orElse(org.postgresql.replication.LogSequenceNumber.INVALID_LSN);
    }

    /** Applies the logs' changes on the target until cutover stops it. */
    public static void follow(
            Connector source,
            Connector target,
            StateStore store,
            String runId,
            String captureSchema,
            Progress progress) {
        String copySnapshot = store.setting(runId, SettingKey.CAPTURE_COPY_SNAPSHOT)
                .orElseThrow(() -> new PgferryException(
                        ErrorCode.BAD_INPUT,
                        "run " + runId + " has no recorded copy snapshot",
                        "the copy did not start: run the same pgferry migrate command again"));
        new TriggerApplier(source, target, store, runId, captureSchema, copySnapshot, progress).run();
    }
}
