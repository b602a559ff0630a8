package io.pgferry.copy;

import io.pgferry.pg.Identifiers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits tables larger than a threshold into parts that workers copy concurrently, so the end
 * of a copy is not one big table on one core.
 *
 * <p>Heap-block (ctid) ranges are the default: every table has them and, from PostgreSQL 14,
 * a TID range scan reads only its blocks. On 13 a ctid range is a full scan per part, so there
 * an integer primary key's value range is used instead, and a table without one is copied whole.
 */
final class PartPlanner {
    /** More parts than workers only adds overhead; a few more than one per worker evens out the tail. */
    private static final int MAX_PARTS = 64;

    private final long thresholdBytes;
    private final int sourceMajor;

    PartPlanner(long thresholdBytes, int sourceMajor) {
        this.thresholdBytes = thresholdBytes;
        this.sourceMajor = sourceMajor;
    }

    /** Plans one table; {@code snapshotSession} sees the copy's snapshot, for key ranges. */
    List<TablePart> plan(SourceTable t, Connection snapshotSession) throws SQLException {
        int parts =
                thresholdBytes <= 0 ? 1 : (int) Math.min(MAX_PARTS, (t.bytes() + thresholdBytes - 1) / thresholdBytes);
        if (parts <= 1) {
            return List.of(new TablePart(t, 1, 1, "", t.bytes()));
        }
        if (sourceMajor >= 14 && t.pages() >= parts) {
            return ctidRanges(t, parts);
        }
        if (t.intKey().isPresent()) {
            List<TablePart> byKey = keyRanges(t, parts, snapshotSession);
            if (!byKey.isEmpty()) {
                return byKey;
            }
        }
        return List.of(new TablePart(t, 1, 1, "", t.bytes()));
    }

    static List<TablePart> ctidRanges(SourceTable t, int parts) {
        List<TablePart> out = new ArrayList<>();
        long step = (t.pages() + parts - 1) / parts;
        for (int i = 0; i < parts; i++) {
            long from = i * step;
            long to = from + step;
            // the last part is open-ended: blocks added after the size was read hold no rows the snapshot sees,
            // but an open end costs nothing and can never drop one
            String where = i == 0
                    ? "ctid < '(" + to + ",0)'::tid"
                    : i == parts - 1
                            ? "ctid >= '(" + from + ",0)'::tid"
                            : "ctid >= '(" + from + ",0)'::tid AND ctid < '(" + to + ",0)'::tid";
            out.add(new TablePart(t, i + 1, parts, where, t.bytes() / parts));
        }
        return out;
    }

    private static List<TablePart> keyRanges(SourceTable t, int parts, Connection c) throws SQLException {
        String key = Identifiers.quote(t.intKey().orElseThrow());
        long min;
        long max;
        try (Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT min(" + key + "), max(" + key + ") FROM ONLY " + t.qualified())) {
            rs.next();
            min = rs.getLong(1);
            if (rs.wasNull()) {
                return List.of();
            }
            max = rs.getLong(2);
        }
        List<Long> bounds = keyBounds(min, max, parts);
        if (bounds.isEmpty()) {
            return List.of();
        }
        List<TablePart> out = new ArrayList<>();
        int total = bounds.size() + 1;
        for (int i = 0; i < total; i++) {
            String where = i == 0
                    ? key + " < " + bounds.get(0)
                    : i == total - 1
                            ? key + " >= " + bounds.get(i - 1)
                            : key + " >= " + bounds.get(i - 1) + " AND " + key + " < " + bounds.get(i);
            out.add(new TablePart(t, i + 1, total, where, t.bytes() / total));
        }
        return out;
    }

    /** The inner boundaries splitting [min, max] into up to {@code parts} ranges of equal width; overflow-safe. */
    static List<Long> keyBounds(long min, long max, int parts) {
        java.math.BigInteger lo = java.math.BigInteger.valueOf(min);
        java.math.BigInteger width =
                java.math.BigInteger.valueOf(max).subtract(lo).add(java.math.BigInteger.ONE);
        List<Long> out = new ArrayList<>();
        for (int i = 1; i < parts; i++) {
            long b = lo.add(width.multiply(java.math.BigInteger.valueOf(i)).divide(java.math.BigInteger.valueOf(parts)))
                    .longValue();
            if (b > min && (out.isEmpty() || b > out.get(out.size() - 1))) {
                out.add(b);
            }
        }
        return out;
    }
}
