package io.pgferry.method.logical;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Readies a session to run one statement whose text holds a secret (CREATE SUBSCRIPTION ...
 * CONNECTION with the source password), so the server neither logs nor shows that text.
 *
 * <p>Why this and not a statement without the password: CREATE SUBSCRIPTION with create_slot
 * connects to the source as it runs, so the password must be in its connection string; creating
 * it unconnected and adding the password later with ALTER SUBSCRIPTION ... CONNECTION only moves
 * the secret to another statement's text. A passfile in the connection string is read by the
 * TARGET server's libpq, a path on the target's machine, which pgferry cannot write to for a
 * remote target. So the statement keeps its password and this session turns off every setting
 * that would copy statement text elsewhere. All of them are superuser-only (PGC_SUSET), and
 * they end with the session, which the caller closes after the one statement. The password
 * then rests only in pg_subscription.subconninfo, which only superusers can read.
 */
final class SecretStatement {
    private static final List<String> QUIET = List.of(
            "SET log_statement = 'none'",
            // a failing statement is otherwise logged with it as STATEMENT: ...
            "SET log_min_error_statement = 'panic'",
            "SET log_min_duration_statement = -1",
            "SET log_min_duration_sample = -1",
            "SET log_transaction_sample_rate = 0",
            // pg_stat_activity.query, seen by the same role and pg_read_all_stats members while it runs
            "SET track_activities = off",
            "SET debug_print_parse = off",
            "SET debug_print_rewritten = off",
            "SET debug_print_plan = off");

    private SecretStatement() {}

    /**
     * Turns statement logging and activity tracking off for this session; false when the role
     * may not (not a superuser), and then the session is left as it was.
     */
    static boolean unlogged(Statement st) throws SQLException {
        boolean superuser;
        boolean statementStats;
        try (ResultSet rs =
                st.executeQuery("SELECT rolsuper, current_setting('pg_stat_statements.track_utility', true) IS NOT NULL"
                        + " FROM pg_roles WHERE rolname = current_user")) {
            superuser = rs.next() && rs.getBoolean(1);
            statementStats = superuser && rs.getBoolean(2);
        }
        if (!superuser) {
            return false;
        }
        for (String set : QUIET) {
            st.execute(set);
        }
        if (statementStats) {
            // pg_stat_statements keeps utility statements' text, literal and all
            st.execute("SET pg_stat_statements.track_utility = off");
        }
        return true;
    }
}
