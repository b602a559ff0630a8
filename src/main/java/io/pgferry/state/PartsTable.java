package io.pgferry.state;

import io.pgferry.pg.Lsns;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Table table_part: the copy's plan and what came of it, one row per part of a table with its
 * status, rows, bytes and the LSN its snapshot corresponds to.
 */
public final class PartsTable {
    /** Where a part is; stored in lower case. */
    public enum Status {
        PENDING,
        RUNNING,
        DONE;

        String text() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Status of(String text) {
            return valueOf(text.toUpperCase(Locale.ROOT));
        }
    }

    /** One part of one table. */
    public record Part(String schema, String table, int partNo) {}

    /**
     * What is recorded of one table's parts, summed over them.
     *
     * @param statuses the distinct statuses of its parts
     * @param lsn      the latest LSN among its parts' snapshots, null before one is done
     */
    public record TableParts(
            String schema,
            String table,
            int partsTotal,
            int partsDone,
            long rows,
            long bytes,
            Set<Status> statuses,
            String lsn) {}

    private final StoreSql sql;

    PartsTable(StoreSql sql) {
        this.sql = sql;
    }

    /** Every table with recorded parts, ordered by schema and name. */
    public List<TableParts> tables(String runId) {
        return sql.query(
                "SELECT schema_name, table_name, max(parts_total), sum(lower(status) = 'done'), sum(rows), sum(bytes),"
                        + " group_concat(DISTINCT lower(status)), group_concat(DISTINCT lsn) FROM table_part"
                        + " WHERE run_id = ? GROUP BY schema_name, table_name ORDER BY schema_name, table_name",
                rs -> new TableParts(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getInt(3),
                        rs.getInt(4),
                        rs.getLong(5),
                        rs.getLong(6),
                        statuses(rs.getString(7)),
                        Lsns.latest(rs.getString(8))),
                runId);
    }

    /** Replaces whatever was recorded for the table with a fresh plan of {@code partsTotal} pending parts. */
    public void plan(String runId, String schema, String table, List<Integer> partNos, int partsTotal) {
        sql.transaction(() -> {
            sql.update(
                    "DELETE FROM table_part WHERE run_id = ? AND schema_name = ? AND table_name = ?",
                    runId,
                    schema,
                    table);
            for (int partNo : partNos) {
                sql.update(
                        "INSERT INTO table_part (run_id, schema_name, table_name, part_no, parts_total, status)"
                                + " VALUES (?,?,?,?,?,?)",
                        runId,
                        schema,
                        table,
                        partNo,
                        partsTotal,
                        Status.PENDING.text());
            }
            return null;
        });
    }

    public void started(String runId, Part p) {
        sql.update(
                "UPDATE table_part SET status = ?, started_at = ?, rows = 0, bytes = 0"
                        + " WHERE run_id = ? AND schema_name = ? AND table_name = ? AND part_no = ?",
                Status.RUNNING.text(),
                sql.now(),
                runId,
                p.schema(),
                p.table(),
                p.partNo());
    }

    /** Records a part as on the target, with the LSN of the snapshot it was copied in. */
    public void done(String runId, Part p, long rows, long bytes, String lsn) {
        sql.update(
                "UPDATE table_part SET status = ?, finished_at = ?, rows = ?, bytes = ?, lsn = ?"
                        + " WHERE run_id = ? AND schema_name = ? AND table_name = ? AND part_no = ?",
                Status.DONE.text(),
                sql.now(),
                rows,
                bytes,
                lsn,
                runId,
                p.schema(),
                p.table(),
                p.partNo());
    }

    private static Set<Status> statuses(String concatenated) {
        Set<Status> out = EnumSet.noneOf(Status.class);
        Arrays.stream(concatenated.split(",")).map(Status::of).forEach(out::add);
        return out;
    }
}
