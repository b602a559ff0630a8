package io.pgferry.pg;

import java.util.Arrays;
import java.util.Comparator;
import org.postgresql.replication.LogSequenceNumber;

/** LSNs kept as text (the state store's SQLite has no LSN type) compared as LSNs: as text, 9/0 would pass 10/0. */
public final class Lsns {
    private Lsns() {}

    /** The latest of comma-separated LSNs (SQLite's group_concat), or null when there are none. */
    public static String latest(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isEmpty()) {
            return null;
        }
        return Arrays.stream(commaSeparated.split(","))
                .map(LogSequenceNumber::valueOf)
                .max(Comparator.naturalOrder())
                .map(LogSequenceNumber::asString)
                .orElse(null);
    }
}
