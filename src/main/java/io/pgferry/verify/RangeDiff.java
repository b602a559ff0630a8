package io.pgferry.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Compares one keyed table on two servers by key ranges: count and hash sum per range,
 * computed on each server at the same time; a range that differs is split by the keys of the
 * side with more rows in it, until it is small enough to compare row by row and name the keys.
 */
final class RangeDiff {
    private static final int FAN_OUT = 16;
    private static final long LEAF_ROWS = 2000;

    private record Summary(long rows, java.math.BigDecimal sum) {}

    private final KeyedTable table;
    private final Connection source;
    private final Connection target;
    private final int limit;
    private final List<KeyDifference> found = new ArrayList<>();
    private boolean truncated;

    RangeDiff(KeyedTable table, Connection source, Connection target, int limit) {
        this.table = table;
        this.source = source;
        this.target = target;
        this.limit = limit;
    }

    /** Whether the whole table is equal; differences are collected meanwhile. */
    boolean compare() throws SQLException {
        return diff(KeyRange.ALL);
    }

    List<KeyDifference> differences() {
        return found;
    }

    boolean truncated() {
        return truncated;
    }

    private boolean diff(KeyRange range) throws SQLException {
        Both<Summary> both = onBoth(c -> summary(c, range));
        if (both.source().equals(both.target())) {
            return true;
        }
        if (found.size() >= limit) {
            truncated = true;
            return false;
        }
        long rows = Math.max(both.source().rows(), both.target().rows());
        if (rows <= LEAF_ROWS) {
            compareRows(range);
            return false;
        }
        Connection splitter = both.source().rows() >= both.target().rows() ? source : target;
        List<List<String>> bounds = boundaries(splitter, range, rows);
        List<String> lo = range.from();
        for (List<String> b : bounds) {
            diff(new KeyRange(lo, b));
            lo = b;
        }
        diff(new KeyRange(lo, range.to()));
        return false;
    }

    private interface OnServer<T> {
        T run(Connection c) throws SQLException;
    }

    /** The same query's answer from each server. */
    private record Both<T>(T source, T target) {}

    private <T> Both<T> onBoth(OnServer<T> work) throws SQLException {
        CompletableFuture<T> a = CompletableFuture.supplyAsync(() -> unchecked(work, source));
        CompletableFuture<T> b = CompletableFuture.supplyAsync(() -> unchecked(work, target));
        try {
            return new Both<>(a.join(), b.join());
        } catch (CompletionException e) {
            if (e.getCause() instanceof UncheckedSql u) {
                throw u.sql;
            }
            throw e;
        }
    }

    private static final class UncheckedSql extends RuntimeException {

        private static final long serialVersionUID = 1L;

        final SQLException sql;

        UncheckedSql(SQLException sql) {
            super(sql);
            this.sql = sql;
        }
    }

    private static <T> T unchecked(OnServer<T> work, Connection c) {
        try {
            return work.run(c);
        } catch (SQLException e) {
            throw new UncheckedSql(e);
        }
    }

    private Summary summary(Connection c, KeyRange range) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*), coalesce(sum(" + KeyedTable.ROW_HASH
                + "), 0) FROM ONLY " + table.table().qualified() + " x" + table.where(range))) {
            table.bind(ps, range, 1);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Summary(rs.getLong(1), rs.getBigDecimal(2));
            }
        }
    }

    /** FAN_OUT - 1 keys splitting the range into parts of about equal row counts. */
    private List<List<String>> boundaries(Connection c, KeyRange range, long rows) throws SQLException {
        long step = Math.max(1, rows / FAN_OUT);
        String sql = "SELECT * FROM (SELECT " + table.keyTexts() + ", row_number() OVER (ORDER BY " + table.keyRow()
                + ") AS rn__" + " FROM ONLY " + table.table().qualified() + " x" + table.where(range)
                + ") s WHERE rn__ % " + step + " = 0 AND rn__ > 1";
        List<List<String>> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            table.bind(ps, range, 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> key = new ArrayList<>();
                    for (int i = 1; i <= table.keyColumns().size(); i++) {
                        key.add(rs.getString(i));
                    }
                    out.add(key);
                }
            }
        }
        return out;
    }

    private void compareRows(KeyRange range) throws SQLException {
        Both<Map<String, Long>> rows = onBoth(c -> rowHashes(c, range));
        for (Map.Entry<String, Long> e : rows.source().entrySet()) {
            Long other = rows.target().get(e.getKey());
            if (other == null) {
                add(e.getKey(), KeyDifference.Kind.MISSING_ON_TARGET);
            } else if (!other.equals(e.getValue())) {
                add(e.getKey(), KeyDifference.Kind.CHANGED);
            }
        }
        for (String key : rows.target().keySet()) {
            if (!rows.source().containsKey(key)) {
                add(key, KeyDifference.Kind.EXTRA_ON_TARGET);
            }
        }
    }

    private void add(String key, KeyDifference.Kind kind) {
        if (found.size() < limit) {
            found.add(new KeyDifference(key, kind));
        } else {
            truncated = true;
        }
    }

    private Map<String, Long> rowHashes(Connection c, KeyRange range) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + table.keyTexts() + ", " + KeyedTable.ROW_HASH
                + " FROM ONLY " + table.table().qualified() + " x" + table.where(range))) {
            table.bind(ps, range, 1);
            try (ResultSet rs = ps.executeQuery()) {
                int n = table.keyColumns().size();
                while (rs.next()) {
                    StringBuilder key = new StringBuilder();
                    for (int i = 1; i <= n; i++) {
                        key.append(i > 1 ? ", " : "")
                                .append(table.keyColumns().get(i - 1))
                                .append('=')
                                .append(rs.getString(i));
                    }
                    out.put(key.toString(), rs.getLong(n + 1));
                }
            }
        }
        return out;
    }
}
