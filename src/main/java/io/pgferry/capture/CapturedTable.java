package io.pgferry.capture;

import io.pgferry.pg.Identifiers;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * One source table whose changes the run's triggers log: its key (primary key, or a unique
 * index over NOT NULL columns) and the compact change log in the run's schema that holds, per
 * changed row, the key columns (named k1..kn there, so no key column can collide with the
 * log's own), the writing transaction and an ordering number.
 *
 * @param captureSchema the run's schema on the source, {@code pgferry_<run id>}
 * @param relid         the table's OID when the capture was installed: names the log table and trigger function
 * @param columns       the columns that hold data (generated columns left out: the target computes them)
 */
public record CapturedTable(
        String captureSchema, long relid, String schema, String name, List<String> keyColumns, List<String> columns) {

    public String displayName() {
        return schema + "." + name;
    }

    public String qualified() {
        return Identifiers.qualified(schema, name);
    }

    public String logTable() {
        return Identifiers.qualified(captureSchema, "log_" + relid);
    }

    public String logTableName() {
        return "log_" + relid;
    }

    public String function() {
        return Identifiers.qualified(captureSchema, "capture_" + relid);
    }

    /** The log's key columns: k1, k2, ... */
    public List<String> logKeyColumns() {
        return IntStream.rangeClosed(1, keyColumns.size())
                .mapToObj(i -> "k" + i)
                .toList();
    }

    String keyList() {
        return keyColumns.stream().map(Identifiers::quote).collect(Collectors.joining(", "));
    }

    String logKeyList() {
        return String.join(", ", logKeyColumns());
    }

    String columnList() {
        return columns.stream().map(Identifiers::quote).collect(Collectors.joining(", "));
    }

    /** {@code prefix} key columns, each qualified by {@code alias}. */
    String keyList(String alias) {
        return keyColumns.stream().map(c -> alias + "." + Identifiers.quote(c)).collect(Collectors.joining(", "));
    }
}
