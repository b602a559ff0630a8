package io.pgferry.method.copy;

import io.pgferry.copy.SourceTable;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The check behind {@code --data-only}: every table to copy exists on the target with every
 * column the copy writes, and is empty (unless this run already began filling it). Found
 * before anything is written, all at once, rather than as a COPY error an hour in.
 */
final class ExistingTargetTables {
    private static final int NAMED = 5;

    private ExistingTargetTables() {}

    static void check(Connection target, List<SourceTable> tables, boolean resuming) throws SQLException {
        List<String> missing = new ArrayList<>();
        List<String> nonEmpty = new ArrayList<>();
        try (PreparedStatement ps =
                target.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(?)"
                        + " AND attnum > 0 AND NOT attisdropped AND attgenerated = ''")) {
            for (SourceTable t : tables) {
                ps.setString(1, t.qualified());
                Set<String> columns = new HashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        columns.add(rs.getString(1));
                    }
                }
                if (columns.isEmpty()) {
                    missing.add("table " + t.displayName());
                    continue;
                }
                for (String c : t.columns()) {
                    if (!columns.contains(c)) {
                        missing.add("column " + t.displayName() + "." + c);
                    }
                }
                if (!resuming && hasRows(target, t)) {
                    nonEmpty.add(t.displayName());
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    "--data-only: the target lacks " + named(missing),
                    "create the schema on the target first (the same tables and columns as the source), or drop --data-only"
                            + " to let pgferry copy the schema");
        }
        if (!nonEmpty.isEmpty()) {
            throw new PreflightException(
                    ErrorCode.TARGET_NOT_EMPTY,
                    "--data-only: these target tables already hold rows: " + named(nonEmpty),
                    "empty them (TRUNCATE) first: the copy adds every source row, and existing rows would collide or double");
        }
    }

    private static boolean hasRows(Connection target, SourceTable t) throws SQLException {
        try (Statement st = target.createStatement();
                ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM " + t.qualified() + ")")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static String named(List<String> items) {
        return String.join(", ", items.subList(0, Math.min(NAMED, items.size())))
                + (items.size() > NAMED ? " and " + (items.size() - NAMED) + " more" : "");
    }
}
