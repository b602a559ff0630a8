package io.pgferry.state;

import io.pgferry.pg.Redaction;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** Tables run and step: which migration, where it is, and each step's outcome. */
final class RunsTable {
    private final StoreSql sql;

    RunsTable(StoreSql sql) {
        this.sql = sql;
    }

    Optional<RunRecord> current() {
        return sql.first(
                "SELECT id, method, source, target, status, phase, created_at, updated_at, last_error"
                        + " FROM run ORDER BY created_at DESC LIMIT 1",
                rs -> new RunRecord(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        RunStatus.of(rs.getString(5)),
                        rs.getString(6),
                        Instant.parse(rs.getString(7)),
                        Instant.parse(rs.getString(8)),
                        rs.getString(9)));
    }

    RunRecord create(String method, String source, String target) {
        String id = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
        String now = sql.now();
        return sql.transaction(() -> {
            sql.update(
                    "INSERT INTO run (id, method, source, target, status, phase, created_at, updated_at)"
                            + " VALUES (?,?,?,?,?,?,?,?)",
                    id,
                    method,
                    Redaction.redact(source),
                    Redaction.redact(target),
                    RunStatus.RUNNING.key(),
                    "preflight",
                    now,
                    now);
            return current().orElseThrow();
        });
    }

    void status(String runId, RunStatus status, String phase, String lastError) {
        sql.update(
                "UPDATE run SET status = ?, phase = coalesce(?, phase), updated_at = ?, last_error = ? WHERE id = ?",
                status.key(),
                phase,
                sql.now(),
                Redaction.redact(lastError),
                runId);
    }

    void phase(String runId, String phase) {
        sql.update("UPDATE run SET phase = ?, updated_at = ? WHERE id = ?", phase, sql.now(), runId);
    }

    StepStatus stepStatus(String runId, String name) {
        return sql.first(
                        "SELECT status FROM step WHERE run_id = ? AND name = ?",
                        rs -> StepStatus.valueOf(rs.getString(1)),
                        runId,
                        name)
                .orElse(StepStatus.PENDING);
    }

    void stepStarted(String runId, String name) {
        sql.update(
                "INSERT INTO step (run_id, name, status, started_at) VALUES (?,?,?,?)"
                        + " ON CONFLICT (run_id, name) DO UPDATE SET status = excluded.status,"
                        + " started_at = excluded.started_at, finished_at = NULL, detail = NULL",
                runId,
                name,
                StepStatus.RUNNING.name(),
                sql.now());
    }

    void stepEnded(String runId, String name, StepStatus status, String detail) {
        sql.update(
                "UPDATE step SET status = ?, finished_at = ?, detail = ? WHERE run_id = ? AND name = ?",
                status.name(),
                sql.now(),
                Redaction.redact(detail),
                runId,
                name);
    }

    List<StepRecord> steps(String runId) {
        return sql.query(
                "SELECT name, status, started_at, finished_at, detail FROM step WHERE run_id = ? ORDER BY started_at",
                rs -> new StepRecord(
                        rs.getString(1),
                        StepStatus.valueOf(rs.getString(2)),
                        rs.getString(3) == null ? null : Instant.parse(rs.getString(3)),
                        rs.getString(4) == null ? null : Instant.parse(rs.getString(4)),
                        rs.getString(5)),
                runId);
    }
}
