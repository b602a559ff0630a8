package io.pgferry.copy;

import io.pgferry.state.StateStore;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the copy has done, in the state store's table_part table: one row per part with its
 * status, rows, bytes and the LSN its snapshot corresponds to. A table counts as copied only
 * when every one of its parts is done; anything less is copied again, whole.
 */
final class CopyLedger {
    static final String PENDING = "pending";
    static final String RUNNING = "running";
    static final String DONE = "done";
    private static final String POST_DATA_PREFIX = "copy.post-data.";

    /** What the ledger knows of one table. */
    record TableState(String schema, String name, int partsTotal, int partsDone, long rows, long bytes, String lsn) {
        boolean complete() {
            return partsTotal > 0 && partsDone == partsTotal;
        }

        String key() {
            return schema + "." + name;
        }
    }

    private final StateStore store;
    private final String runId;

    CopyLedger(StateStore store, String runId) {
        this.store = store;
        this.runId = runId;
    }

    Map<String, TableState> tables() {
        Map<String, TableState> out = new HashMap<>();
        for (TableState t : store.query(
                "SELECT schema_name, table_name, max(parts_total), sum(status = 'done'), sum(rows), sum(bytes),"
                        + " group_concat(DISTINCT lsn) FROM table_part WHERE run_id = ? GROUP BY schema_name, table_name",
                rs -> new TableState(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getInt(3),
                        rs.getInt(4),
                        rs.getLong(5),
                        rs.getLong(6),
                        io.pgferry.pg.Lsns.latest(rs.getString(7))),
                runId)) {
            out.put(t.key(), t);
        }
        return out;
    }

    /** Replaces whatever was recorded for the parts' table with a fresh plan. */
    synchronized void plan(List<TablePart> parts) {
        if (parts.isEmpty()) {
            return;
        }
        SourceTable t = parts.get(0).table();
        store.update(
                "DELETE FROM table_part WHERE run_id = ? AND schema_name = ? AND table_name = ?",
                runId,
                t.schema(),
                t.name());
        for (TablePart p : parts) {
            store.update(
                    "INSERT INTO table_part (run_id, schema_name, table_name, part_no, parts_total, status) VALUES (?,?,?,?,?,?)",
                    runId,
                    t.schema(),
                    t.name(),
                    p.partNo(),
                    p.partsTotal(),
                    PENDING);
        }
    }

    void started(TablePart p) {
        store.update(
                "UPDATE table_part SET status = ?, started_at = ?, rows = 0, bytes = 0 WHERE run_id = ? AND schema_name = ?"
                        + " AND table_name = ? AND part_no = ?",
                RUNNING,
                Instant.now().toString(),
                runId,
                p.table().schema(),
                p.table().name(),
                p.partNo());
    }

    /** Records a part as on the target; called only after the target committed it. */
    void done(TablePart p, long rows, long bytes, String lsn) {
        store.update(
                "UPDATE table_part SET status = ?, finished_at = ?, rows = ?, bytes = ?, lsn = ? WHERE run_id = ?"
                        + " AND schema_name = ? AND table_name = ? AND part_no = ?",
                DONE,
                Instant.now().toString(),
                rows,
                bytes,
                lsn,
                runId,
                p.table().schema(),
                p.table().name(),
                p.partNo());
    }

    boolean postDataDone(String itemId) {
        return store.setting(runId, POST_DATA_PREFIX + itemId).isPresent();
    }

    void postDataDone(List<String> itemIds) {
        for (String id : itemIds) {
            store.putSetting(runId, POST_DATA_PREFIX + id, "done");
        }
    }

    Set<String> completeTables() {
        Set<String> out = new HashSet<>();
        tables().values().stream().filter(TableState::complete).forEach(t -> out.add(t.key()));
        return out;
    }
}
