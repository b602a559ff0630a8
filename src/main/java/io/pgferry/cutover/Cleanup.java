package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.OwnSchema;
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
 * subscriptions), the run's own schemas (state such as the stream's applied position; the
 * schema-change capture's function and log), the capture's event triggers, and the
 * write fence. Objects are matched by this run's exact name
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

    /** What a cleanup would remove now, on both sides (a reverse stream puts a subscription on the source). */
    public List<CleanupItem> plan() {
        List<CleanupItem> items = new ArrayList<>();
        String name = run.objectName();
        for (Connector side : List.of(target, source)) {
            try (Connection c = side.open()) {
                names(c, "SELECT subname FROM pg_subscription WHERE subname = ? OR subname LIKE ?", name)
                        .forEach(n -> items.add(new CleanupItem(side.role(), "subscription", n)));
                names(c, "SELECT pubname FROM pg_publication WHERE pubname = ? OR pubname LIKE ?", name)
                        .forEach(n -> items.add(new CleanupItem(side.role(), "publication", n)));
                names(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name = ? OR slot_name LIKE ?", name)
                        .forEach(n -> items.add(new CleanupItem(side.role(), "replication slot", n)));
                names(c, "SELECT roname FROM pg_replication_origin WHERE roname = ? OR roname LIKE ?", name)
                        .forEach(n -> items.add(new CleanupItem(side.role(), "replication origin", n)));
                // the schema-change capture's event triggers (its function and log are in the run's own schema)
                names(c, "SELECT evtname FROM pg_event_trigger WHERE evtname = ? OR evtname LIKE ?", name)
                        .forEach(n -> items.add(new CleanupItem(side.role(), "event trigger", n)));
                names(c, "SELECT nspname FROM pg_namespace n WHERE (nspname = ? OR nspname LIKE ?) AND NOT " + OwnSchema.notOwn("n.oid"), name)
                        .forEach(n -> items.add(new CleanupItem(side.role(), "schema", n)));
            } catch (SQLException e) {
                throw side.classify(e);
            }
        }
        if (new WriteFence(source, store, run.id(), "fence.source").isRaised()) {
            items.add(new CleanupItem("source", "write fence", "default_transaction_read_only"));
        }
        if (new WriteFence(target, store, run.id(), "fence.target").isRaised()) {
            items.add(new CleanupItem("target", "write fence", "default_transaction_read_only"));
        }
        return items;
    }

    /** Removes everything {@link #plan()} finds; returns what was removed. */
    public List<CleanupItem> run() {
        List<CleanupItem> items = plan();
        new WriteFence(source, store, run.id(), "fence.source").lift();
        new WriteFence(target, store, run.id(), "fence.target").lift();
        FenceExemption.remove(source, store, run);
        List<String> sourceSyncSlots = new ArrayList<>();
        List<String> targetSyncSlots = new ArrayList<>();
        for (CleanupItem item : items) {
            if (item.kind().equals("subscription")) {
                // a subscription's table-sync slots live on its publisher, the other side
                boolean onTarget = item.side().equals("target");
                (onTarget ? sourceSyncSlots : targetSyncSlots).add(dropSubscription(onTarget ? target : source, item.name()));
            }
        }
        dropOnPublisherSide(source, items, sourceSyncSlots);
        dropOnPublisherSide(target, items, targetSyncSlots);
        items.forEach(i -> store.event(run.id(), "info", "cleanup removed " + i));
        return items;
    }

    private void dropOnPublisherSide(Connector side, List<CleanupItem> items, List<String> syncSlotPrefixes) {
        try (Connection c = side.open(); Statement st = c.createStatement();
             PreparedStatement dropOrigin = c.prepareStatement("SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = ?")) {
            for (CleanupItem item : items) {
                if (!item.side().equals(side.role())) {
                    continue;
                }
                switch (item.kind()) {
                    case "publication" -> st.execute("DROP PUBLICATION IF EXISTS " + Identifiers.quote(item.name()));
                    case "event trigger" -> st.execute("DROP EVENT TRIGGER IF EXISTS " + Identifiers.quote(item.name()));
                    case "replication slot" -> dropSlot(c, item.name());
                    case "replication origin" -> {
                        dropOrigin.setString(1, item.name());
                        dropOrigin.execute();
                    }
                    // named after this run and marked as pgferry's: all in it is the run's state
                    case "schema" -> st.execute("DROP SCHEMA IF EXISTS " + Identifiers.quote(item.name()) + " CASCADE");
                    default -> { }
                }
            }
            for (String prefix : syncSlotPrefixes) {
                for (String slot : names(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name = ? OR slot_name LIKE ?", prefix)) {
                    dropSlot(c, slot);
                }
            }
        } catch (SQLException e) {
            throw side.classify(e);
        }
    }

    /**
     * Detaches the subscription from its slot and drops it, without needing the target to reach
     * the source; the slots are then dropped from here. Returns the prefix of the table-sync
     * slots it may have left on the source (pg_&lt;subscription oid&gt;_sync).
     */
    private String dropSubscription(Connector side, String name) {
        try (Connection t = side.open(); Statement st = t.createStatement()) {
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
            throw side.classify(e);
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
