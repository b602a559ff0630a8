package io.pgferry.capture;

import io.pgferry.copy.SourceTable;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which columns identify a row of each table for trigger capture: the primary key, or else the
 * narrowest unique index over NOT NULL columns that is neither partial nor on expressions. A
 * table with neither cannot be captured (a logged change could not say which row it was), so
 * such tables are refused, all named with their fix, before anything is created on the source.
 */
public final class TableKeys {
    private static final String KEYS = "SELECT DISTINCT ON (i.indrelid) i.indrelid,"
            + " ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)"
            + "       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
            + "       WHERE k.ord <= i.indnkeyatts ORDER BY k.ord)::text[]"
            + " FROM pg_index i WHERE i.indrelid = ANY (?) AND i.indisunique AND i.indisvalid AND i.indimmediate"
            + " AND i.indpred IS NULL AND i.indexprs IS NULL"
            + " AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)"
            + "       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
            + "       WHERE k.ord <= i.indnkeyatts AND NOT a.attnotnull)"
            + " ORDER BY i.indrelid, i.indisprimary DESC, i.indnkeyatts, i.indexrelid";

    private TableKeys() {}

    /** Every table with its key; throws a blocker naming every keyless table and its fix. */
    public static List<CapturedTable> require(Connection source, List<SourceTable> tables, String captureSchema)
            throws SQLException {
        Map<Long, List<String>> keys = new HashMap<>();
        try (PreparedStatement ps = source.prepareStatement(KEYS)) {
            ps.setArray(
                    1,
                    source.createArrayOf(
                            "oid", tables.stream().map(SourceTable::oid).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Array cols = rs.getArray(2);
                    keys.put(rs.getLong(1), Arrays.asList((String[]) cols.getArray()));
                }
            }
        }
        List<CapturedTable> out = new ArrayList<>();
        List<SourceTable> keyless = new ArrayList<>();
        for (SourceTable t : tables) {
            List<String> key = keys.get(t.oid());
            if (key == null) {
                keyless.add(t);
            } else {
                out.add(new CapturedTable(captureSchema, t.oid(), t.schema(), t.name(), List.copyOf(key), t.columns()));
            }
        }
        if (!keyless.isEmpty()) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    keyless.size() + " table(s) have no primary key and no unique index over"
                            + " NOT NULL columns, so trigger capture cannot say which row a change touched: "
                            + keyless.stream()
                                    .limit(10)
                                    .map(SourceTable::displayName)
                                    .collect(Collectors.joining(", ")),
                    "add a primary key (e.g. ALTER TABLE " + keyless.get(0).qualified()
                            + " ADD PRIMARY KEY (...)), or leave them out with" + " --exclude-table "
                            + keyless.get(0).displayName() + "; nothing was created on the source");
        }
        return out;
    }
}
