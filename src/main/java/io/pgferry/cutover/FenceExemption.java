package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PreflightException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * Lets the reverse subscription's apply worker write in the fenced old source, and nobody else.
 * A database-level read-only default also applies to logical replication workers; a
 * role-in-database setting outranks it. Set on the user's own role it would unfence every new
 * session of an application using that role, so it goes to a role of the run's own,
 * {@code pgferry_<run id>_apply}, that owns the reverse subscription (its apply worker runs as
 * the owner) and that nothing else uses. The role needs LOGIN (an apply worker logs in as its
 * owner before 17) and is a superuser (before 16 a subscription's owner must be), but has no
 * password, so no client can authenticate as it with a password. Recorded so it is always undone.
 */
public final class FenceExemption {

    private FenceExemption() {}

    /** The role of the run that owns its reverse subscription. */
    public static String roleName(RunRecord run) {
        return run.objectName() + "_apply";
    }

    /** Refuses, before anything is fenced, when the source's role cannot create the apply role. */
    public static void requirePossible(Connector side) {
        try (Connection c = side.open();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
            if (!rs.next() || !rs.getBoolean(1)) {
                throw new PreflightException(
                        ErrorCode.BLOCKER,
                        "--reverse needs a superuser on the " + side.role()
                                + ": the reverse subscription runs as a role of this run,"
                                + " exempt from the fence, that only a superuser can create (role '"
                                + side.spec().user() + "' is not one)",
                        "run cutover --reverse connected to the " + side.role()
                                + " as a superuser, or cut over without --reverse;" + " nothing was fenced");
            }
        } catch (SQLException e) {
            throw side.classify(e);
        }
    }

    /** Creates the run's apply role (once) and exempts it from the database's read-only default. */
    public static String grant(Connector side, StateStore store, RunRecord run) {
        String role = roleName(run);
        store.putSetting(run.id(), SettingKey.FENCE_EXEMPT_ROLE, role);
        try (Connection c = side.open();
                Statement st = c.createStatement()) {
            if (!roleExists(c, role)) {
                st.execute("CREATE ROLE " + Identifiers.quote(role) + " LOGIN SUPERUSER NOINHERIT PASSWORD NULL");
            }
            st.execute(alter(side, role, "SET default_transaction_read_only = off"));
        } catch (SQLException e) {
            throw side.classify(e);
        }
        return role;
    }

    /** Takes the exemption away (the role stays until its subscription is dropped). */
    public static void remove(Connector side, StateStore store, RunRecord run) {
        Optional<String> role = recorded(store, run);
        if (role.isEmpty()) {
            return;
        }
        try (Connection c = side.open();
                Statement st = c.createStatement()) {
            if (roleExists(c, role.get())) {
                st.execute(alter(side, role.get(), "RESET default_transaction_read_only"));
            }
        } catch (SQLException e) {
            throw side.classify(e);
        }
    }

    /** Drops the run's apply role, its settings with it; once its subscription is gone. */
    public static void dropRole(Connector side, StateStore store, RunRecord run) {
        Optional<String> role = recorded(store, run);
        if (role.isEmpty()) {
            return;
        }
        try (Connection c = side.open();
                Statement st = c.createStatement()) {
            st.execute("DROP ROLE IF EXISTS " + Identifiers.quote(role.get()));
            store.putSetting(run.id(), SettingKey.FENCE_EXEMPT_ROLE, "<removed>");
        } catch (SQLException e) {
            throw side.classify(e);
        }
    }

    /** The run's apply role, when one was made and not yet dropped. */
    public static Optional<String> recorded(StateStore store, RunRecord run) {
        return store.setting(run.id(), SettingKey.FENCE_EXEMPT_ROLE).filter(r -> !r.equals("<removed>"));
    }

    private static String alter(Connector side, String role, String change) {
        return "ALTER ROLE " + Identifiers.quote(role) + " IN DATABASE "
                + Identifiers.quote(side.spec().dbname()) + " " + change;
    }

    private static boolean roleExists(Connection c, String role) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
