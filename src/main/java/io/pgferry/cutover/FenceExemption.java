package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Lets pgferry's own role write in a fenced database. A database-level read-only default also
 * applies to logical replication workers; a role-in-database setting outranks it, so a reverse
 * subscription's apply worker, running as this role, can write. Recorded so it is always undone.
 */
public final class FenceExemption {
    private static final String KEY = "fence.exempt_role";

    private FenceExemption() {
    }

    public static void grant(Connector side, StateStore store, RunRecord run) {
        String role = side.spec().user();
        store.putSetting(run.id(), KEY, role);
        alter(side, role, "SET default_transaction_read_only = off");
    }

    public static void remove(Connector side, StateStore store, RunRecord run) {
        String role = store.setting(run.id(), KEY).orElse(null);
        if (role == null || role.equals("<removed>")) {
            return;
        }
        alter(side, role, "RESET default_transaction_read_only");
        store.putSetting(run.id(), KEY, "<removed>");
    }

    private static void alter(Connector side, String role, String change) {
        try (Connection c = side.open(); Statement st = c.createStatement()) {
            st.execute("ALTER ROLE " + Identifiers.quote(role) + " IN DATABASE " + Identifiers.quote(side.spec().dbname()) + " " + change);
        } catch (SQLException e) {
            throw side.classify(e);
        }
    }
}
