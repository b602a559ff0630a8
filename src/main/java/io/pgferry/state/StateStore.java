package io.pgferry.state;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Redaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The work dir's memory: one migration run, its steps, table parts, change-stream progress and
 * an event timeline, in a SQLite file ({@code state.db}, WAL mode). Everything written here is
 * redacted first; connection details are kept without their secret.
 *
 * <p>One writer: every method is synchronized, so worker threads may report concurrently.
 */
public final class StateStore implements AutoCloseable {
    public static final String FILE_NAME = "state.db";
    private static final int SCHEMA_VERSION = 1;

    private final Path dir;
    private final Connection db;

    private StateStore(Path dir, Connection db) {
        this.dir = dir;
        this.db = db;
    }

    /** Opens (creating when needed) the store in {@code dir}. */
    public static StateStore open(Path dir) {
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
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(FILE_NAME));
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=NORMAL");
                st.execute("PRAGMA busy_timeout=10000");
            }
            StateStore store = new StateStore(dir, c);
            store.migrate();
            return store;
        } catch (SQLException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot open the state store in " + dir + ": " + e.getMessage(),
                    "check that " + dir.resolve(FILE_NAME) + " is a pgferry state file and is writable",
                    e);
        }
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
        return dir;
    }

    private void migrate() throws SQLException {
        try (Statement st = db.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)");
            st.execute(
                    "CREATE TABLE IF NOT EXISTS run (id TEXT PRIMARY KEY, method TEXT NOT NULL, source TEXT NOT NULL,"
                            + " target TEXT NOT NULL, status TEXT NOT NULL, phase TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
                            + " last_error TEXT)");
            st.execute(
                    "CREATE TABLE IF NOT EXISTS step (run_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,"
                            + " started_at TEXT, finished_at TEXT, detail TEXT, PRIMARY KEY (run_id, name))");
            st.execute("CREATE TABLE IF NOT EXISTS table_part (run_id TEXT NOT NULL, schema_name TEXT NOT NULL,"
                    + " table_name TEXT NOT NULL, part_no INTEGER NOT NULL, parts_total INTEGER NOT NULL, status TEXT NOT NULL,"
                    + " rows INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0, lsn TEXT, started_at TEXT, finished_at TEXT,"
                    + " PRIMARY KEY (run_id, schema_name, table_name, part_no))");
            st.execute(
                    "CREATE TABLE IF NOT EXISTS cdc_progress (run_id TEXT PRIMARY KEY, received_lsn TEXT, applied_lsn TEXT,"
                            + " source_lsn TEXT, lag_bytes INTEGER, lag_seconds REAL, applied_xacts INTEGER NOT NULL DEFAULT 0, updated_at TEXT)");
            st.execute(
                    "CREATE TABLE IF NOT EXISTS progress (run_id TEXT NOT NULL, phase TEXT NOT NULL, done INTEGER NOT NULL,"
                            + " total INTEGER NOT NULL, unit TEXT NOT NULL, bytes_done INTEGER NOT NULL DEFAULT 0,"
                            + " bytes_total INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, PRIMARY KEY (run_id, phase))");
            st.execute(
                    "CREATE TABLE IF NOT EXISTS event (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, at TEXT NOT NULL,"
                            + " level TEXT NOT NULL, message TEXT NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS setting (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
                    + " PRIMARY KEY (run_id, key))");
            st.execute(
                    "CREATE TABLE IF NOT EXISTS slot_wal (run_id TEXT NOT NULL, slot_name TEXT NOT NULL, retained_bytes INTEGER,"
                            + " wal_status TEXT, safe_wal_size INTEGER, limit_bytes INTEGER, dropped INTEGER NOT NULL DEFAULT 0,"
                            + " updated_at TEXT NOT NULL, PRIMARY KEY (run_id, slot_name))");
            st.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '" + SCHEMA_VERSION + "')");
        }
    }

    // ---- runs

    public synchronized Optional<RunRecord> currentRun() {
        try (Statement st = db.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT id, method, source, target, status, phase, created_at, updated_at, last_error"
                                + " FROM run ORDER BY created_at DESC LIMIT 1")) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new RunRecord(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getString(6),
                    Instant.parse(rs.getString(7)),
                    Instant.parse(rs.getString(8)),
                    rs.getString(9)));
        } catch (SQLException e) {
            throw storeError(e);
        }
    }

    /** Creates a run; {@code source} and {@code target} are the redacted descriptions of the two databases. */
    public synchronized RunRecord createRun(String method, String source, String target) {
        String id = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
        String now = Instant.now().toString();
        update(
                "INSERT INTO run (id, method, source, target, status, phase, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                id,
                method,
                Redaction.redact(source),
                Redaction.redact(target),
                RunRecord.STATUS_RUNNING,
                "preflight",
                now,
                now);
        return currentRun().orElseThrow();
    }

    public synchronized void setRunStatus(String runId, String status, String phase, String lastError) {
        update(
                "UPDATE run SET status = ?, phase = coalesce(?, phase), updated_at = ?, last_error = ? WHERE id = ?",
                status,
                phase,
                Instant.now().toString(),
                Redaction.redact(lastError),
                runId);
    }

    public synchronized void setPhase(String runId, String phase) {
        update(
                "UPDATE run SET phase = ?, updated_at = ? WHERE id = ?",
                phase,
                Instant.now().toString(),
                runId);
    }

    // ---- steps

    public synchronized StepStatus stepStatus(String runId, String name) {
        try (PreparedStatement ps = db.prepareStatement("SELECT status FROM step WHERE run_id = ? AND name = ?")) {
            ps.setString(1, runId);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? StepStatus.valueOf(rs.getString(1)) : StepStatus.PENDING;
            }
        } catch (SQLException e) {
            throw storeError(e);
        }
    }

    public synchronized void startStep(String runId, String name) {
        update(
                "INSERT INTO step (run_id, name, status, started_at) VALUES (?,?,?,?)"
                        + " ON CONFLICT (run_id, name) DO UPDATE SET status = excluded.status, started_at = excluded.started_at,"
                        + " finished_at = NULL, detail = NULL",
                runId,
                name,
                StepStatus.RUNNING.name(),
                Instant.now().toString());
        setPhase(runId, name);
        event(runId, "info", "step " + name + " started");
    }

    public synchronized void finishStep(String runId, String name, String detail) {
        update(
                "UPDATE step SET status = ?, finished_at = ?, detail = ? WHERE run_id = ? AND name = ?",
                StepStatus.DONE.name(),
                Instant.now().toString(),
                Redaction.redact(detail),
                runId,
                name);
        event(runId, "info", "step " + name + " done" + (detail == null ? "" : ": " + detail));
    }

    public synchronized void failStep(String runId, String name, String error) {
        update(
                "UPDATE step SET status = ?, finished_at = ?, detail = ? WHERE run_id = ? AND name = ?",
                StepStatus.FAILED.name(),
                Instant.now().toString(),
                Redaction.redact(error),
                runId,
                name);
        event(runId, "error", "step " + name + " failed: " + error);
    }

    public synchronized List<StepRecord> steps(String runId) {
        List<StepRecord> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT name, status, started_at, finished_at, detail FROM step WHERE run_id = ? ORDER BY started_at")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new StepRecord(
                            rs.getString(1),
                            StepStatus.valueOf(rs.getString(2)),
                            rs.getString(3) == null ? null : Instant.parse(rs.getString(3)),
                            rs.getString(4) == null ? null : Instant.parse(rs.getString(4)),
                            rs.getString(5)));
                }
            }
        } catch (SQLException e) {
            throw storeError(e);
        }
        return out;
    }

    // ---- progress, settings and events

    public synchronized void progress(
            String runId, String phase, long done, long total, String unit, long bytesDone, long bytesTotal) {
        update(
                "INSERT INTO progress (run_id, phase, done, total, unit, bytes_done, bytes_total, updated_at) VALUES (?,?,?,?,?,?,?,?)"
                        + " ON CONFLICT (run_id, phase) DO UPDATE SET done = excluded.done, total = excluded.total,"
                        + " unit = excluded.unit, bytes_done = excluded.bytes_done, bytes_total = excluded.bytes_total,"
                        + " updated_at = excluded.updated_at",
                runId,
                phase,
                done,
                total,
                unit,
                bytesDone,
                bytesTotal,
                Instant.now().toString());
    }

    public synchronized List<ProgressRecord> progress(String runId) {
        List<ProgressRecord> out = new ArrayList<>();
        try (PreparedStatement ps =
                db.prepareStatement("SELECT phase, done, total, unit, bytes_done, bytes_total, updated_at"
                        + " FROM progress WHERE run_id = ? ORDER BY updated_at")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ProgressRecord(
                            rs.getString(1),
                            rs.getLong(2),
                            rs.getLong(3),
                            rs.getString(4),
                            rs.getLong(5),
                            rs.getLong(6),
                            Instant.parse(rs.getString(7))));
                }
            }
        } catch (SQLException e) {
            throw storeError(e);
        }
        return out;
    }

    public synchronized void putSetting(String runId, String key, String value) {
        update(
                "INSERT INTO setting (run_id, key, value) VALUES (?,?,?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                runId,
                key,
                Redaction.redact(value));
    }

    public synchronized Optional<String> setting(String runId, String key) {
        try (PreparedStatement ps = db.prepareStatement("SELECT value FROM setting WHERE run_id = ? AND key = ?")) {
            ps.setString(1, runId);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw storeError(e);
        }
    }

    public synchronized void event(String runId, String level, String message) {
        update(
                "INSERT INTO event (run_id, at, level, message) VALUES (?,?,?,?)",
                runId,
                Instant.now().toString(),
                level,
                Redaction.redact(message));
    }

    public synchronized List<EventRecord> events(String runId, int limit) {
        List<EventRecord> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT id, at, level, message FROM event WHERE run_id = ? ORDER BY id DESC LIMIT ?")) {
            ps.setString(1, runId);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new EventRecord(
                            rs.getLong(1), Instant.parse(rs.getString(2)), rs.getString(3), rs.getString(4)));
                }
            }
        } catch (SQLException e) {
            throw storeError(e);
        }
        java.util.Collections.reverse(out);
        return out;
    }

    /** Raw access for the layers that own their own tables (table_part, cdc_progress). */
    public synchronized void update(String sql, Object... args) {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw storeError(e);
        }
    }

    /** Runs a query and maps each row; for the layers that own their own tables. */
    public synchronized <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        List<T> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(mapper.map(rs));
                }
            }
        } catch (SQLException e) {
            throw storeError(e);
        }
        return out;
    }

    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private PgferryException storeError(SQLException e) {
        return new PgferryException(
                ErrorCode.FAILED,
                "state store error in " + dir + ": " + e.getMessage(),
                "the work dir may be in use by another pgferry process, or its disk is full",
                e);
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing a SQLite file cannot lose committed state
        }
    }
}
