package io.pgferry.assess;

import java.sql.SQLException;
import java.util.List;

/** One theme of the assessment, reading catalogs and settings; never changes anything. */
interface Check {
    /** A short name, used in "unknown" findings when the check lacks a privilege. */
    String name();

    /** The privilege the check needs beyond reading catalogs, named when it is missing. */
    default String privilegeNeeded() {
        return "pg_read_all_settings and pg_read_all_stats";
    }

    void run(AssessContext ctx, List<Finding> out) throws SQLException;
}
