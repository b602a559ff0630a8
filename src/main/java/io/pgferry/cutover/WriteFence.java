package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.PgferrySessions;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

/**
 * Stops application writes to one database for a cutover: new sessions default to read-only
 * transactions ({@code ALTER DATABASE ... SET default_transaction_read_only = on}) and client
 * sessions already connected are ended so they reconnect under that default. pgferry's own
 * sessions ({@link PgferrySessions}, known by PID, not by an application_name anyone can set)
 * and walsenders are spared.
 *
 * <p>It is a soft fence: a client that explicitly starts a READ WRITE transaction is not
 * stopped. It is what ALTER DATABASE can do without taking roles away from the application.
 * The previous database setting is recorded in the state store before anything changes, so
 * a crashed cutover, rollback or cleanup can always lift exactly this fence.
 */
public final class WriteFence {
    private static final String SETTING = "default_transaction_read_only";

    private final Connector side;
    private final StateStore store;
    private final String runId;
    private final SettingKey stateKey;

    /** @param stateKey where the fence is recorded, e.g. {@link SettingKey#FENCE_SOURCE} */
    public WriteFence(Connector side, StateStore store, String runId, SettingKey stateKey) {
        this.side = side;
        this.store = store;
        this.runId = runId;
        this.stateKey = stateKey;
    }

    /** Raises the fence; returns how many sessions were ended. Raising twice is harmless. */
    public int raise() {
        try (Connection c = side.open()) {
            String db = currentDatabase(c);
            // a fence lifted by a failed attempt is raised afresh by the retry, and must be recorded again to be lifted
            // again
            if (!isRaised()) {
                store.putSetting(runId, stateKey, previousValue(c).orElse("<unset>"));
            }
            try (Statement st = c.createStatement()) {
                st.execute("ALTER DATABASE " + Identifiers.quote(db) + " SET " + SETTING + " = on");
            }
            int ended = endOtherClientSessions(c, PgferrySessions.of(store, runId, side.role()));
            store.event(
                    runId,
                    "info",
                    "write fence raised on " + side.role() + " database " + db + "; " + ended
                            + " client session(s) ended");
            return ended;
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new PgferryException(
                        ErrorCode.PERMISSION_DENIED,
                        "cannot fence writes on the " + side.role() + ": role '"
                                + side.spec().user() + "' may not ALTER DATABASE or end other sessions",
                        "connect as the database owner (with pg_signal_backend), or stop the application yourself and use --fence none");
            }
            throw side.classify(e);
        }
    }

    /** Lifts the fence this run raised, restoring the database's previous setting. No-op when none is recorded. */
    public boolean lift() {
        Optional<String> previous = store.setting(runId, stateKey);
        if (previous.isEmpty() || previous.get().equals("<lifted>")) {
            return false;
        }
        try (Connection c = side.open();
                Statement st = c.createStatement()) {
            st.execute(liftStatement(currentDatabase(c), previous.get()));
            store.putSetting(runId, stateKey, "<lifted>");
            store.event(runId, "info", "write fence lifted on " + side.role());
            return true;
        } catch (SQLException e) {
            throw side.classify(e);
        }
    }

    /** The statement that lifts this run's fence by hand, for a user to run when pgferry could not. */
    public String liftSql() {
        return liftStatement(
                        side.spec().dbname(), store.setting(runId, stateKey).orElse("<unset>")) + ";";
    }

    /** What was the database's setting before the fence comes back; no setting at all is reset. */
    private static String liftStatement(String db, String previous) {
        return previous.equals("<unset>") || previous.equals("<lifted>")
                ? "ALTER DATABASE " + Identifiers.quote(db) + " RESET " + SETTING
                : "ALTER DATABASE " + Identifiers.quote(db) + " SET " + SETTING + " = " + Identifiers.literal(previous);
    }

    /** Whether this run's fence is up, according to the state store. */
    public boolean isRaised() {
        return store.setting(runId, stateKey).filter(v -> !v.equals("<lifted>")).isPresent();
    }

    private static String currentDatabase(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_database()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The database-level value of the setting before pgferry touched it, if one was set. */
    private static Optional<String> previousValue(Connection c) throws SQLException {
        String sql = "SELECT split_part(cfg, '=', 2) FROM pg_db_role_setting s, unnest(s.setconfig) cfg"
                + " WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
                + " AND s.setrole = 0 AND cfg LIKE '" + SETTING + "=%'";
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
    }

    /**
     * Ends client sessions of this database other than pgferry's own (this one, and those the
     * state store knows by PID and start time), so that none keeps writing under the old default.
     * Idle ones are ended too: an idle session may write a second later.
     */
    private static int endOtherClientSessions(Connection c, List<String> spared) throws SQLException {
        String sql = "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                + " AND NOT (" + PgferrySessions.ACTIVITY_ID + " = ANY (?))";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", spared.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
