package io.pgferry.verify;

import io.pgferry.pg.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A table with its primary key columns and their types, and the SQL fragments that range
 * checksums need: the key as a row, predicates for a key range, the row hash.
 */
record KeyedTable(TableRef table, List<String> keyColumns, List<String> keyTypes) {
    /** The hash of one row: a 60-bit slice of md5 of its text, summed per range (order does not matter). */
    static final String ROW_HASH = "('x' || substr(md5(x::text), 1, 15))::bit(60)::bigint";

    boolean hasKey() {
        return !keyColumns.isEmpty();
    }

    static KeyedTable of(Connection c, TableRef t) throws SQLException {
        List<String> cols = new ArrayList<>();
        List<String> types = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod)"
                + " FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) ON true"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY k.ord")) {
            ps.setString(1, t.qualified());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    cols.add(rs.getString(1));
                    types.add(rs.getString(2));
                }
            }
        }
        return new KeyedTable(t, cols, types);
    }

    /** The key columns as a row constructor, e.g. ("order_id", "line_no"). */
    String keyRow() {
        return "("
                + String.join(
                        ", ",
                        keyColumns.stream()
                                .map(k -> "x." + Identifiers.quote(k))
                                .toList()) + ")";
    }

    /** The key as text for reports and boundaries, one column per element. */
    String keyTexts() {
        return String.join(
                ", ",
                keyColumns.stream()
                        .map(k -> "x." + Identifiers.quote(k) + "::text")
                        .toList());
    }

    /** WHERE clause for a range, with one placeholder per bound value. */
    String where(KeyRange r) {
        List<String> parts = new ArrayList<>();
        if (r.from() != null) {
            parts.add(keyRow() + " >= " + placeholders());
        }
        if (r.to() != null) {
            parts.add(keyRow() + " < " + placeholders());
        }
        return parts.isEmpty() ? "" : " WHERE " + String.join(" AND ", parts);
    }

    private String placeholders() {
        List<String> p = new ArrayList<>();
        for (String type : keyTypes) {
            p.add("?::" + type);
        }
        return "(" + String.join(", ", p) + ")";
    }

    int bind(PreparedStatement ps, KeyRange r, int start) throws SQLException {
        int i = start;
        for (List<String> bound : java.util.Arrays.asList(r.from(), r.to())) {
            if (bound != null) {
                for (String v : bound) {
                    ps.setString(i++, v);
                }
            }
        }
        return i;
    }
}
