package io.pgferry.method.logical;

import io.pgferry.cdc.DdlApply;
import io.pgferry.cdc.DdlCapture;
import io.pgferry.cdc.DdlMessage;
import io.pgferry.cdc.DdlStatement;
import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.method.copy.DdlCaptureSetup;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.OwnSchema;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.TableFilter;
import io.pgferry.state.RunRecord;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Carries schema changes to a native subscription's target (issue #23). A subscription cannot
 * apply DDL: the run's event trigger records each statement on the source in the run's log
 * table (not published) with the WAL position at the time it ran, and this watcher runs each
 * on the target once the subscription has reached that position. That is the right moment: the
 * statement held its lock before the trigger ran, so every transaction that touched its table
 * and committed before it is applied by then, and none after it has been.
 *
 * <p>When the apply worker keeps failing while a statement waits (a row with a column the target
 * lacks, a table it does not have), the first waiting statement is applied at once and the worker
 * retries on its own. After a statement that adds a published table the subscription is
 * refreshed (copy_data: the table sync copies what the table holds by then and catches up).
 *
 * <p>Each statement runs on the target in one transaction with its mark in the run's own table
 * there, so a crash leaves both or neither: a rerun neither repeats nor skips one. Two watchers
 * (follow and cutover) serialize on that table's lock.
 */
public final class SubscriptionDdlWatcher {
    /** The target-side table of the run listing the log rows applied (or passed over). */
    static final String MARK_TABLE = "ddl_applied";

    private record LogRow(long id, LogSequenceNumber lsn, String payload) {}

    private final Connector source;
    private final Connector target;
    private final StateStore store;
    private final RunRecord run;
    private final List<LogicalNames> channels;
    private final int targetMajor;
    private final Progress progress;
    private final DdlApply decisions;
    private final String schema;

    private long lastErrors = -1;
    private String lastCounts;
    private boolean markReady;

    private SubscriptionDdlWatcher(
            Connector source,
            Connector target,
            StateStore store,
            RunRecord run,
            List<LogicalNames> channels,
            int targetMajor,
            Progress progress) {
        this.source = source;
        this.target = target;
        this.store = store;
        this.run = run;
        this.channels = channels;
        this.targetMajor = targetMajor;
        this.progress = progress;
        this.schema = run.objectName();
        boolean[] carries = DdlCaptureSetup.carries(store, run.id());
        this.decisions = new DdlApply(
                new DdlApply.Settings(
                        schema,
                        schema,
                        TableFilter.ALL,
                        DdlCaptureSetup.appliedByHand(store, run.id()),
                        carries[0],
                        carries[1]),
                progress);
    }

    /** The watcher of a logical run that captures schema changes; empty for one that does not. */
    public static Optional<SubscriptionDdlWatcher> of(
            Connector source, Connector target, StateStore store, RunRecord run, int targetMajor, Progress progress) {
        if (!DdlCaptureSetup.mode(store, run.id())
                .map(DdlCapture.Mode::capturing)
                .orElse(false)) {
            return Optional.empty();
        }
        return Optional.of(new SubscriptionDdlWatcher(
                source, target, store, run, LogicalReplication.channels(run, store), targetMajor, progress));
    }

    /**
     * One look: runs on the target every recorded statement the subscription has reached, in
     * order; refreshes the subscription when the source publishes a table it does not have yet.
     * Returns how many statements still wait. A statement that cannot be run throws, naming it.
     */
    public int step() {
        try {
            ensureMarkTable();
            Set<Long> applied = appliedIds();
            List<LogRow> pending = new ArrayList<>();
            for (LogRow r : logRows()) {
                if (!applied.contains(r.id())) {
                    pending.add(r);
                }
            }
            if (!pending.isEmpty()) {
                Optional<LogSequenceNumber> reached = reached();
                boolean failing = workerFailing();
                for (int i = 0; i < pending.size(); i++) {
                    LogRow r = pending.get(i);
                    boolean due = reached.isEmpty() || reached.get().compareTo(r.lsn()) >= 0;
                    if (!due && !(failing && i == 0)) {
                        break;
                    }
                    if (!due) {
                        progress.warn("the subscription's apply worker keeps failing short of the schema change at "
                                + r.lsn().asString() + ": running it now, the worker retries on its own");
                    }
                    apply(r);
                    applied.add(r.id());
                }
                pending.removeIf(r -> applied.contains(r.id()));
            } else {
                workerFailing();
            }
            refreshIfBehind();
            recordCounts(pending.size(), applied.size(), "");
            return pending.size();
        } catch (PgferryException e) {
            store.putSetting(run.id(), SettingKey.DDL_ATTENTION, String.valueOf(e.getMessage()));
            throw e;
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }

    private void apply(LogRow row) throws SQLException {
        DdlMessage ddl = DdlMessage.parse(row.payload());
        DdlStatement statement = decisions.decide(ddl, row.lsn());
        try (Connection t = target.open()) {
            t.setAutoCommit(false);
            try {
                try (Statement st = t.createStatement()) {
                    // a second watcher (follow beside cutover) waits here, then finds the row marked
                    st.execute("LOCK TABLE " + markTable() + " IN SHARE ROW EXCLUSIVE MODE");
                }
                if (marked(t, row.id())) {
                    t.rollback();
                    return;
                }
                if (statement != null) {
                    DdlApply.run(t, statement.statement(), ddl.searchPath());
                    Faults.reach(FaultPoint.LOGICAL_DDL_RUN);
                }
                try (PreparedStatement ps =
                        t.prepareStatement("INSERT INTO " + markTable() + " (id, lsn, ran) VALUES (?, ?::pg_lsn, ?)")) {
                    ps.setLong(1, row.id());
                    ps.setString(2, row.lsn().asString());
                    ps.setBoolean(3, statement != null);
                    ps.executeUpdate();
                }
                t.commit();
            } catch (SQLException e) {
                t.rollback();
                throw statement == null ? e : DdlApply.refusedOrTransient(ddl, row.lsn(), e);
            }
        }
        if (statement != null) {
            progress.info("schema change at " + row.lsn().asString() + " run on the target: "
                    + DdlApply.oneLine(statement.statement()));
        }
    }

    private boolean marked(Connection t, long id) throws SQLException {
        return !ids(t, "SELECT id FROM " + markTable() + " WHERE id = " + id).isEmpty();
    }

    private void ensureMarkTable() throws SQLException {
        if (markReady) {
            return;
        }
        try (Connection t = target.open();
                Statement st = t.createStatement()) {
            OwnSchema.ensure(t, schema);
            st.execute("CREATE TABLE IF NOT EXISTS " + markTable()
                    + " (id bigint PRIMARY KEY, lsn pg_lsn NOT NULL, ran boolean NOT NULL,"
                    + " at timestamptz NOT NULL DEFAULT now())");
        }
        markReady = true;
    }

    private String markTable() {
        return Identifiers.quote(schema) + "." + MARK_TABLE;
    }

    private Set<Long> appliedIds() throws SQLException {
        try (Connection t = target.open()) {
            return ids(t, "SELECT id FROM " + markTable());
        }
    }

    private static Set<Long> ids(Connection c, String sql) throws SQLException {
        Set<Long> out = new HashSet<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    /** The log's rows in WAL order; none when the log is gone (cleaned up). */
    private List<LogRow> logRows() {
        List<LogRow> out = new ArrayList<>();
        try (Connection s = source.open();
                Statement st = s.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass(" + Identifiers.literal(logTable()) + ")")) {
                rs.next();
                if (rs.getString(1) == null) {
                    return out;
                }
            }
            try (ResultSet rs =
                    st.executeQuery("SELECT id, lsn::text, payload FROM " + logTable() + " ORDER BY lsn, id")) {
                while (rs.next()) {
                    out.add(new LogRow(rs.getLong(1), LogSequenceNumber.valueOf(rs.getString(2)), rs.getString(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    private String logTable() {
        return Identifiers.quote(schema) + "." + DdlApply.LOG_TABLE;
    }

    /**
     * How far every subscription of the run has applied (its slot's confirmed_flush_lsn); empty
     * before any exists: a statement then runs at once, the table sync copying rows as they are after it.
     */
    private Optional<LogSequenceNumber> reached() throws SQLException {
        LogSequenceNumber least = null;
        for (LogicalNames names : existingSubscriptions()) {
            LogSequenceNumber confirmed = LogSequenceNumber.INVALID_LSN;
            try (Connection s = source.open();
                    PreparedStatement ps = s.prepareStatement(
                            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, names.slot());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getString(1) != null) {
                        confirmed = LogSequenceNumber.valueOf(rs.getString(1));
                    }
                }
            } catch (SQLException e) {
                throw source.classify(e);
            }
            least = least == null || confirmed.compareTo(least) < 0 ? confirmed : least;
        }
        return Optional.ofNullable(least);
    }

    private List<LogicalNames> existingSubscriptions() throws SQLException {
        List<LogicalNames> out = new ArrayList<>();
        try (Connection t = target.open();
                PreparedStatement ps = t.prepareStatement("SELECT subenabled FROM pg_subscription WHERE subname = ?")) {
            for (LogicalNames names : channels) {
                ps.setString(1, names.subscription());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        out.add(names);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Whether the workers failed since the last look: their error count grew (targets 15 and
     * newer), or an enabled subscription has no apply worker (older ones; it restarts after
     * wal_retrieve_retry_interval).
     */
    private boolean workerFailing() throws SQLException {
        long errors;
        try (Connection t = target.open();
                PreparedStatement ps = t.prepareStatement(
                        targetMajor >= 15
                                ? "SELECT coalesce(sum(apply_error_count + sync_error_count), 0) FROM pg_stat_subscription_stats"
                                        + " WHERE subname = ANY (?)"
                                : "SELECT count(*) FROM pg_subscription s WHERE s.subname = ANY (?) AND s.subenabled AND NOT EXISTS"
                                        + " (SELECT 1 FROM pg_stat_subscription w WHERE w.subid = s.oid AND w.relid IS NULL"
                                        + " AND w.pid IS NOT NULL)")) {
            ps.setArray(
                    1,
                    t.createArrayOf(
                            "text",
                            channels.stream().map(LogicalNames::subscription).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                errors = rs.getLong(1);
            }
        }
        boolean failing;
        if (targetMajor >= 15) {
            failing = lastErrors >= 0 && errors > lastErrors;
            lastErrors = errors;
        } else {
            failing = errors > 0;
        }
        return failing;
    }

    /**
     * Refreshes a subscription whose publication lists a table it does not have yet, once the
     * target has that table (the statement creating it ran): the table sync copies it whole.
     */
    private void refreshIfBehind() throws SQLException {
        for (LogicalNames names : existingSubscriptions()) {
            Set<String> published = new HashSet<>();
            try (Connection s = source.open();
                    PreparedStatement ps = s.prepareStatement("SELECT quote_ident(schemaname) || '.' ||"
                            + " quote_ident(tablename) FROM pg_publication_tables WHERE pubname = ?")) {
                ps.setString(1, names.publication());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        published.add(rs.getString(1));
                    }
                }
            } catch (SQLException e) {
                throw source.classify(e);
            }
            try (Connection t = target.open()) {
                try (PreparedStatement ps = t.prepareStatement("SELECT quote_ident(n.nspname) || '.' ||"
                        + " quote_ident(c.relname), s.subenabled FROM pg_subscription s"
                        + " LEFT JOIN pg_subscription_rel r ON r.srsubid = s.oid LEFT JOIN pg_class c ON c.oid = r.srrelid"
                        + " LEFT JOIN pg_namespace n ON n.oid = c.relnamespace WHERE s.subname = ?")) {
                    ps.setString(1, names.subscription());
                    boolean enabled = true;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            published.remove(rs.getString(1));
                            enabled = rs.getBoolean(2);
                        }
                    }
                    if (published.isEmpty() || !enabled || !allExist(t, published)) {
                        continue;
                    }
                }
                try (Statement st = t.createStatement()) {
                    st.execute("ALTER SUBSCRIPTION " + Identifiers.quote(names.subscription())
                            + " REFRESH PUBLICATION WITH (copy_data = true)");
                }
                progress.info("subscription " + names.subscription() + " refreshed: it now takes "
                        + String.join(", ", published));
            }
        }
    }

    private static boolean allExist(Connection t, Set<String> tables) throws SQLException {
        try (PreparedStatement ps = t.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            for (String name : tables) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private void recordCounts(int pending, int applied, String attention) {
        String counts = pending + " " + applied;
        if (!counts.equals(lastCounts)) {
            store.putSetting(run.id(), SettingKey.DDL_WATCH, counts);
            store.putSetting(run.id(), SettingKey.DDL_ATTENTION, attention);
            lastCounts = counts;
        }
    }
}
