package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes what one run created, on both sides: subscriptions and replication origins on the
 * target, publications and replication slots on the source (with the table-sync slots of its
 * subscriptions), and the write fence. Objects are matched by this run's exact name
 * ({@code pgferry_<run id>}, or that name followed by '_'), so other runs' and other tools'
 * objects stay. Running it again finds nothing and does nothing.
 */
public final class Cleanup {
    private final Connector source;
    private final Connector target;
    private final StateStore store;
    private final RunRecord run;

    public Cleanup(Connector source, Connector target, StateStore store, RunRecord run) {
        this.source = source;
        this.target = target;
        this.store = store;
        this.run = run;
    }

    /** What a cleanup would remove now. */
    public List<CleanupItem> plan() {
        List<CleanupItem> items = new ArrayList<>();
        String name = run.objectName();
        try (Connection t = target.open()) {
            names(t, "SELECT subname FROM pg_subscription WHERE subname = ? OR subname LIKE ?", name)
                    .forEach(n -> items.add(new CleanupItem("target", "subscription", n)));
            names(t, "SELECT roname FROM pg_replication_origin WHERE roname = ? OR roname LIKE ?", name)
                    .forEach(n -> items.add(new CleanupItem("target", "replication origin", n)));
        } catch (SQLException e) {
            throw target.classify(e);
        }
        try (Connection s = source.open()) {
            names(s, "SELECT pubname FROM pg_publication WHERE pubname = ? OR pubname LIKE ?", name)
                    .forEach(n -> items.add(new CleanupItem("source", "publication", n)));
            names(s, "SELECT slot_name FROM pg_replication_slots WHERE slot_name = ? OR slot_name LIKE ?", name)
                    .forEach(n -> items.add(new CleanupItem("source", "replication slot", n)));
        } catch (SQLException e) {
            throw source.classify(e);
        }
        if (new WriteFence(source, store, run.id(), "fence.source").isRaised()) {
            items.add(new CleanupItem("source", "write fence", "default_transaction_read_only"));
        }
        return items;
    }

    /** Removes everything {@link #plan()} finds; returns what was removed. */
    public List<CleanupItem> run() {
        List<CleanupItem> items = plan();
        // first, because the fence also makes this tool's own source sessions read-only
        new WriteFence(source, store, run.id(), "fence.source").lift();
        List<String> syncSlotPrefixes = new ArrayList<>();
        for (CleanupItem item : items) {
            if (item.kind().equals("subscription")) {
                syncSlotPrefixes.add(dropSubscription(item.name()));
            }
        }
        try (Connection s = source.open(); Statement st = s.createStatement()) {
            for (CleanupItem item : items) {
                switch (item.kind()) {
                    case "publication" -> st.execute("DROP PUBLICATION IF EXISTS " + Identifiers.quote(item.name()));
                    case "replication slot" -> dropSlot(s, item.name());
                    default -> { }
                }
            }
            for (String prefix : syncSlotPrefixes) {
                for (String slot : names(s, "SELECT slot_name FROM pg_replication_slots WHERE slot_name = ? OR slot_name LIKE ?", prefix)) {
                    dropSlot(s, slot);
                }
            }
        } catch (SQLException e) {
            throw source.classify(e);
        }
        try (Connection t = target.open();
             PreparedStatement ps = t.prepareStatement("SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = ?")) {
            for (CleanupItem item : items) {
                if (item.kind().equals("replication origin")) {
                    ps.setString(1, item.name());
                    ps.execute();
                }
            }
        } catch (SQLException e) {
            throw target.classify(e);
        }
        items.forEach(i -> store.event(run.id(), "info", "cleanup removed " + i));
        return items;
    }

    /**
     * Detaches the subscription from its slot and drops it, without needing the target to reach
     * the source; the slots are then dropped from here. Returns the prefix of the table-sync
     * slots it may have left on the source (pg_&lt;subscription oid&gt;_sync).
     */
    private String dropSubscription(String name) {
        try (Connection t = target.open(); Statement st = t.createStatement()) {
            long oid;
            try (PreparedStatement ps = t.prepareStatement("SELECT oid FROM pg_subscription WHERE subname = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return "pg_none";
                    }
                    oid = rs.getLong(1);
                }
            }
            String sub = Identifiers.quote(name);
            st.execute("ALTER SUBSCRIPTION " + sub + " DISABLE");
            st.execute("ALTER SUBSCRIPTION " + sub + " SET (slot_name = NONE)");
            st.execute("DROP SUBSCRIPTION " + sub);
            return "pg_" + oid + "_sync";
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }

    /** A slot still held by a walsender (the subscription's worker just stopped) is released first. */
    private static void dropSlot(Connection s, String slot) throws SQLException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (PreparedStatement ps = s.prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return;
                    }
                    int pid = rs.getInt(1);
                    if (rs.wasNull()) {
                        try (PreparedStatement drop = s.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                            drop.setString(1, slot);
                            drop.execute();
                        }
                        return;
                    }
                    try (PreparedStatement kill = s.prepareStatement("SELECT pg_terminate_backend(?)")) {
                        kill.setInt(1, pid);
                        kill.execute();
                    }
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static List<String> names(Connection c, String sql, String name) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            ps.setString(2, name.replace("_", "\\_") + "\\_%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
