package io.pgferry.cdc;

import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Retry;
import io.pgferry.schema.TableFilter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The change stream's side of schema-change capture (issue #23): recognizes the schema changes
 * the run's event trigger recorded on the source (a logical message with the run's prefix, or,
 * from a source without messages in pgoutput, a row of the run's published log table), and runs
 * each on the target where it sits in the stream, inside the target transaction that holds the
 * rows around it.
 *
 * <p>A change the filter leaves out entirely (it touched only tables that are not moved) is not
 * run, and said so; one the target cannot run, or that the filter makes ambiguous, stops the
 * stream with the statement, its LSN and what to do. Nothing is skipped silently.
 */
public final class DdlApply {
    /**
     * How a run captures schema changes.
     *
     * @param prefix        the logical message prefix of the run
     * @param logSchema     the schema of the run's log table when changes are rows of it; null with messages
     * @param appliedByHand positions of changes the user made on the target by hand: passed over
     * @param owners        the run carries owners (--keep-owner): ALTER ... OWNER TO is run, else passed over
     * @param privileges    the run carries privileges (--keep-acl): GRANT and REVOKE are run, else passed over
     */
    public record Settings(
            String prefix,
            String logSchema,
            TableFilter filter,
            Set<LogSequenceNumber> appliedByHand,
            boolean owners,
            boolean privileges) {
        public static final Settings NONE = new Settings(null, null, TableFilter.ALL, Set.of(), false, false);

        public Settings {
            appliedByHand = Set.copyOf(appliedByHand);
        }

        public boolean enabled() {
            return prefix != null;
        }

        /** Whether the slot must send logical messages (pgoutput's messages option, sources 14 and newer). */
        public boolean messages() {
            return prefix != null && logSchema == null;
        }
    }

    /** Work on the target's apply session. */
    @FunctionalInterface
    interface TargetWork {
        void run(Connection target) throws SQLException;
    }

    /** The log table's name in its schema, and the column holding the payload. */
    public static final String LOG_TABLE = "ddl_log";

    private static final String PAYLOAD_COLUMN = "payload";

    /** Recognizes nothing: every message goes to the applier. */
    static final DdlApply NONE = new DdlApply(Settings.NONE, null);

    private final Settings settings;
    private final Progress progress;
    /** Per relation oid of the run's log table, the column index of the payload. */
    private final Map<Long, Integer> logColumns = new HashMap<>();

    private long replayed;

    public DdlApply(Settings settings, Progress progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /** Schema changes run on the target in this session. */
    public long replayed() {
        return replayed;
    }

    /**
     * Takes the message if it is a recorded schema change (true) and runs it through {@code applier};
     * false for every other message, which the applier takes as before.
     */
    boolean handle(PgOutputMessage msg, LogSequenceNumber at, ChangeApplier applier) throws SQLException {
        if (!settings.enabled()) {
            return false;
        }
        if (msg instanceof PgOutputMessage.Relation r) {
            noteRelation(r);
            return false;
        }
        if (msg instanceof PgOutputMessage.Message m
                && m.transactional()
                && settings.prefix().equals(m.prefix())) {
            apply(DdlMessage.parse(m.contentText()), m.lsn(), applier);
            return true;
        }
        if (msg instanceof PgOutputMessage.Insert i && logColumns.containsKey(i.relOid())) {
            TupleData.Value v = i.newTuple().get(logColumns.get(i.relOid()));
            if (!(v instanceof TupleData.Text t)) {
                throw new PgferryException(
                        ErrorCode.FAILED,
                        "a row of the schema change log at " + at.asString() + " has no payload",
                        "report this as a bug");
            }
            apply(DdlMessage.parse(t.text()), at, applier);
            return true;
        }
        // the log table's own updates and deletes (cleanup, a user's hands) mean nothing to the target
        return msg instanceof PgOutputMessage.Update u && logColumns.containsKey(u.relOid())
                || msg instanceof PgOutputMessage.Delete d && logColumns.containsKey(d.relOid());
    }

    private void noteRelation(PgOutputMessage.Relation r) {
        if (settings.logSchema() == null
                || !settings.logSchema().equals(r.namespace())
                || !LOG_TABLE.equals(r.name())) {
            return;
        }
        for (int c = 0; c < r.columns().size(); c++) {
            if (r.columns().get(c).name().equals(PAYLOAD_COLUMN)) {
                logColumns.put(r.oid(), c);
            }
        }
    }

    /**
     * What to do with one recorded schema change: the statement to run on the target, or null when
     * there is nothing to run (said so through the progress); throws, naming the statement, its
     * LSN and what to do, when it cannot be replayed.
     */
    public DdlStatement decide(DdlMessage ddl, LogSequenceNumber at) {
        if (settings.appliedByHand().contains(at)) {
            progress.info("schema change at " + at.asString() + " passed over: made on the target by hand ("
                    + oneLine(ddl.query()) + ")");
            return null;
        }
        if (ddl.failed()) {
            throw stop(ddl, at, "the source's event trigger could not record it: " + ddl.error());
        }
        List<DdlMessage.Touched> tables =
                ddl.objects().stream().filter(DdlMessage.Touched::onTable).toList();
        long moved = tables.stream()
                .filter(t -> settings.filter().includes(t.tableSchema(), t.table()))
                .count();
        if (!tables.isEmpty() && moved == 0) {
            progress.info("schema change at " + at.asString()
                    + " not run on the target: it touches only tables the filter leaves out (" + oneLine(ddl.query())
                    + ")");
            return null;
        }
        if (moved > 0 && moved < tables.size()) {
            throw stop(ddl, at, "it touches tables the filter moves and tables it leaves out");
        }
        if (DdlStatement.changesNothing(ddl.query())) {
            return null;
        }
        DdlStatement statement = DdlStatement.of(ddl.query());
        if (statement.refusedToReplay()) {
            throw stop(ddl, at, statement.refusal());
        }
        DdlStatement.Kind kind = statement.kind();
        if (kind == DdlStatement.Kind.OWNER && !settings.owners()
                || kind == DdlStatement.Kind.PRIVILEGES && !settings.privileges()) {
            progress.info("schema change at " + at.asString() + " not run on the target: the run carries no "
                    + (kind == DdlStatement.Kind.OWNER ? "owners (--keep-owner)" : "privileges (--keep-acl)") + " ("
                    + oneLine(ddl.query()) + ")");
            return null;
        }
        return statement;
    }

    /** The stop for a statement the target refused (a transient error is thrown as it is, to be retried). */
    public static SQLException refusedOrTransient(DdlMessage ddl, LogSequenceNumber at, SQLException e) {
        if (Retry.isTransient(e)) {
            return e;
        }
        throw stop(ddl, at, "the target refused it: " + e.getMessage() + " (SQLSTATE " + e.getSQLState() + ")");
    }

    private void apply(DdlMessage ddl, LogSequenceNumber at, ChangeApplier applier) throws SQLException {
        DdlStatement statement = decide(ddl, at);
        if (statement == null) {
            return;
        }
        try {
            if (applier.executeDdl(c -> run(c, statement.statement(), ddl.searchPath()))) {
                replayed++;
                Faults.reach(FaultPoint.APPLY_DDL_RUN);
                progress.info(
                        "schema change at " + at.asString() + " run on the target: " + oneLine(statement.statement()));
            }
        } catch (SQLException e) {
            throw refusedOrTransient(ddl, at, e);
        }
    }

    /** Runs the statement under the search_path it ran under on the source, then puts the session's back. */
    public static void run(Connection target, String statement, String searchPath) throws SQLException {
        String before;
        try (Statement st = target.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_setting('search_path')")) {
            rs.next();
            before = rs.getString(1);
        }
        setSearchPath(target, searchPath == null ? before : searchPath);
        try (Statement st = target.createStatement()) {
            st.execute(statement);
        }
        setSearchPath(target, before);
    }

    private static void setSearchPath(Connection target, String path) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT set_config('search_path', ?, true)")) {
            ps.setString(1, path);
            ps.executeQuery().close();
        }
    }

    private static PgferryException stop(DdlMessage ddl, LogSequenceNumber at, String why) {
        return new PgferryException(
                ErrorCode.FAILED,
                "the change stream stopped at a schema change it cannot run on the target (LSN " + at.asString() + "): "
                        + why + "; statement: " + oneLine(ddl.query()),
                "make the change on the target by hand (or decide it needs none), then run pgferry follow with the run's --dir,"
                        + " --source and --target and --ddl-applied-by-hand " + at.asString()
                        + ": the stream goes on after it");
    }

    public static String oneLine(String sql) {
        if (sql == null) {
            return "(none)";
        }
        String s = sql.strip().replaceAll("\\s+", " ");
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
