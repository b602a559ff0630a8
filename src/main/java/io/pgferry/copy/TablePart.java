package io.pgferry.copy;

import java.util.ArrayList;
import java.util.List;

/**
 * One slice of a table that a worker copies on its own: the whole table, a range of heap
 * blocks (ctid), or a range of an integer primary key. Parts of one table always come from
 * one snapshot, so together they hold every row exactly once.
 *
 * @param partNo     1-based
 * @param predicate  the WHERE clause selecting this part, empty for a whole table
 * @param estimatedBytes share of the table's size, for progress and largest-first ordering
 */
public record TablePart(SourceTable table, int partNo, int partsTotal, String predicate, long estimatedBytes) {

    public boolean wholeTable() {
        return partsTotal == 1;
    }

    /** The COPY statement reading this part from the source, in binary or text format. */
    public String copyOutSql(boolean binary) {
        String format = binary ? " WITH (FORMAT binary)" : "";
        if (predicate.isEmpty()) {
            return "COPY " + table.qualified() + table.columnList() + " TO STDOUT" + format;
        }
        return "COPY (SELECT " + table.selectList() + " FROM ONLY " + table.qualified() + " WHERE " + predicate
                + ") TO STDOUT" + format;
    }

    /** The COPY statement writing into the target; FREEZE only when the same transaction emptied the table. */
    public String copyInSql(boolean binary, boolean freeze) {
        List<String> options = new ArrayList<>();
        if (binary) {
            options.add("FORMAT binary");
        }
        if (freeze) {
            options.add("FREEZE");
        }
        return "COPY " + table.qualified() + table.columnList() + " FROM STDIN"
                + (options.isEmpty() ? "" : " WITH (" + String.join(", ", options) + ")");
    }

    public String label() {
        return wholeTable() ? table.displayName() : table.displayName() + " part " + partNo + "/" + partsTotal;
    }
}
