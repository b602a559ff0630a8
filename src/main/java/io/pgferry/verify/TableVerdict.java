package io.pgferry.verify;

import java.util.List;

/**
 * What verify found for one table. Rows are -1 on a side that lacks the table. The checksum is
 * null when not computed; {@code differences} names the keys that differ (up to the report's
 * limit) for tables with a primary key.
 */
public record TableVerdict(
        String table,
        long sourceRows,
        long targetRows,
        Boolean checksumsEqual,
        List<KeyDifference> differences,
        boolean differencesTruncated) {
    public boolean ok() {
        return sourceRows == targetRows && (checksumsEqual == null || checksumsEqual);
    }
}
