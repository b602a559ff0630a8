package io.pgferry.state;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The work dir's memory: one migration run, its steps, table parts, change-stream progress and
 * an event timeline, in a SQLite file ({@code state.db}, WAL mode). Everything written here is
 * redacted first; connection details are kept without their secret.
 *
 * <p>The store owns its schema ({@link StoreSchema}) and every statement run against it: callers
 * say what they record through typed methods, here or on the tables it hands out
 * ({@link #parts()}, {@link #streamProgress()}, {@link #history()}, {@link SlotLedger}). One
 * writer: the tables share one connection and one lock, so worker threads may report
 * concurrently.
 */
public final class StateStore implements AutoCloseable {
    public static final String FILE_NAME = "state.db";

    private final StoreSql sql;
    private final RunsTable runs;
    private final PhaseProgressTable phases;
    private final EventsTable events;
    private final Settings settings;
    private final PartsTable parts;
    private final StreamProgressTable streamProgress;
    private final HistoryTable history;

    private StateStore(StoreSql sql) {
        this.sql = sql;
        this.runs = new RunsTable(sql);
        this.phases = new PhaseProgressTable(sql);
        this.events = new EventsTable(sql);
        this.settings = new Settings(sql);
        this.parts = new PartsTable(sql);
        this.streamProgress = new StreamProgressTable(sql);
        this.history = new HistoryTable(sql);
    }

    /**
     * Opens (creating when needed) the store in {@code dir}, bringing an older store's schema up
     * to date; a store written by a newer pgferry is refused.
     */
    public static StateStore open(Path dir) {
        return open(dir, Clock.systemUTC());
    }

    /** Opens the store stamping its rows with {@code clock}'s time (tests move it by hand). */
    public static StateStore open(Path dir, Clock clock) {
        try {
            // dumps, logs and the state store describe the databases: private to this user
            Directories.createPrivate(dir);
            Directories.createPrivateFile(dir.resolve(FILE_NAME));
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "cannot create the work dir " + dir + ": " + e.getMessage(),
                    "choose a writable directory with --dir");
        }
        Connection c;
        try {
            c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(FILE_NAME));
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=NORMAL");
                st.execute("PRAGMA busy_timeout=10000");
            }
        } catch (SQLException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot open the state store in " + dir + ": " + e.getMessage(),
                    "check that " + dir.resolve(FILE_NAME) + " is a pgferry state file and is writable",
                    e);
        }
        StoreSql sql = new StoreSql(dir, c, clock);
        try {
            StoreSchema.migrate(sql);
        } catch (RuntimeException e) {
            sql.close();
            throw e;
        }
        return new StateStore(sql);
    }

    /** Opens an existing store, failing clearly when the directory holds none. */
    public static StateStore openExisting(Path dir) {
        if (!Files.isRegularFile(dir.resolve(FILE_NAME))) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "no pgferry state in " + dir.toAbsolutePath(),
                    "pass the --dir of a migration (the default is ./pgferry-work)");
        }
        return open(dir);
    }

    public Path dir() {
        return sql.dir();
    }

    // ---- runs

    public Optional<RunRecord> currentRun() {
        return runs.current();
    }

    /** Creates a run; {@code source} and {@code target} are the redacted descriptions of the two databases. */
    public RunRecord createRun(String method, String source, String target) {
        return runs.create(method, source, target);
    }

    public void setRunStatus(String runId, RunStatus status, String phase, String lastError) {
        runs.status(runId, status, phase, lastError);
    }

    public void setPhase(String runId, String phase) {
        runs.phase(runId, phase);
    }

    // ---- steps

    public StepStatus stepStatus(String runId, String name) {
        return runs.stepStatus(runId, name);
    }

    public void startStep(String runId, String name) {
        sql.transaction(() -> {
            runs.stepStarted(runId, name);
            runs.phase(runId, name);
            events.add(runId, "info", "step " + name + " started");
            return null;
        });
    }

    public void finishStep(String runId, String name, String detail) {
        sql.transaction(() -> {
            runs.stepEnded(runId, name, StepStatus.DONE, detail);
            events.add(runId, "info", "step " + name + " done" + (detail == null ? "" : ": " + detail));
            return null;
        });
    }

    public void failStep(String runId, String name, String error) {
        sql.transaction(() -> {
            runs.stepEnded(runId, name, StepStatus.FAILED, error);
            events.add(runId, "error", "step " + name + " failed: " + error);
            return null;
        });
    }

    public List<StepRecord> steps(String runId) {
        return runs.steps(runId);
    }

    // ---- phase progress

    public void progress(
            String runId, String phase, long done, long total, String unit, long bytesDone, long bytesTotal) {
        phases.record(runId, phase, done, total, unit, bytesDone, bytesTotal);
    }

    public List<ProgressRecord> progress(String runId) {
        return phases.all(runId);
    }

    // ---- settings

    public void putSetting(String runId, SettingKey key, String value) {
        settings.put(runId, key, value);
    }

    public Optional<String> setting(String runId, SettingKey key) {
        return settings.get(runId, key);
    }

    public void removeSetting(String runId, SettingKey key) {
        settings.remove(runId, key);
    }

    /** Whether the copy's post-data item (an index, a constraint, an ANALYZE...) is recorded as built. */
    public boolean postDataDone(String runId, String itemId) {
        return settings.postDataDone(runId, itemId);
    }

    public void markPostDataDone(String runId, List<String> itemIds) {
        settings.postDataDone(runId, itemIds);
    }

    /** How many post-data items whose id ends in {@code :kind} (e.g. {@code index}) are recorded as built. */
    public long postDataDoneOfKind(String runId, String kind) {
        return settings.postDataDoneOfKind(runId, kind);
    }

    // ---- events

    public void event(String runId, String level, String message) {
        events.add(runId, level, message);
    }

    /** The last {@code limit} events, oldest first. */
    public List<EventRecord> events(String runId, int limit) {
        return events.latest(runId, limit);
    }

    /** Events that record a retry: level retry, and warnings saying "retrying in". */
    public long retryCount(String runId) {
        return events.retries(runId);
    }

    public long errorCount(String runId) {
        return events.errors(runId);
    }

    public Optional<String> lastErrorEvent(String runId) {
        return events.lastError(runId);
    }

    // ---- the tables other layers record into

    /** The copy's table parts. */
    public PartsTable parts() {
        return parts;
    }

    /** The change stream's position, lag and heartbeat. */
    public StreamProgressTable streamProgress() {
        return streamProgress;
    }

    /** Progress samples over time, for the dashboard. */
    public HistoryTable history() {
        return history;
    }

    StoreSql sql() {
        return sql;
    }

    @Override
    public void close() {
        sql.close();
    }
}
