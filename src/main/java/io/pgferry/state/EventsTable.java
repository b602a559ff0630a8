package io.pgferry.state;

import io.pgferry.pg.Redaction;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** Table event: the run's timeline, for status and the dashboard. */
final class EventsTable {
    private final StoreSql sql;

    EventsTable(StoreSql sql) {
        this.sql = sql;
    }

    void add(String runId, String level, String message) {
        sql.update(
                "INSERT INTO event (run_id, at, level, message) VALUES (?,?,?,?)",
                runId,
                sql.now(),
                level,
                Redaction.redact(message));
    }

    /** The last {@code limit} events, oldest first. */
    List<EventRecord> latest(String runId, int limit) {
        List<EventRecord> out = new ArrayList<>(sql.query(
                "SELECT id, at, level, message FROM event WHERE run_id = ? ORDER BY id DESC LIMIT ?",
                rs -> new EventRecord(rs.getLong(1), Instant.parse(rs.getString(2)), rs.getString(3), rs.getString(4)),
                runId,
                limit));
        Collections.reverse(out);
        return out;
    }

    /** Retries: events of level retry, and warnings that announce one ("... retrying in 480 ms"). */
    long retries(String runId) {
        return sql.count(
                "SELECT count(*) FROM event WHERE run_id = ?"
                        + " AND (level = 'retry' OR (level = 'warning' AND message LIKE '%retrying in%'))",
                runId);
    }

    long errors(String runId) {
        return sql.count("SELECT count(*) FROM event WHERE run_id = ? AND level = 'error'", runId);
    }

    Optional<String> lastError(String runId) {
        return sql.first(
                "SELECT message FROM event WHERE run_id = ? AND level = 'error' ORDER BY id DESC LIMIT 1",
                rs -> rs.getString(1),
                runId);
    }
}
