package io.pgferry.cutover;

import io.pgferry.cdc.SlotDrop;
import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.OwnSchema;
import io.pgferry.schema.ReplicaIdentityChanges;
import io.pgferry.state.RunRecord;
import io.pgferry.state.SettingKey;
import io.pgferry.state.SlotLedger;
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
 * schema-change capture's function and log), trigger capture's schema on the source (its logs,
 * functions and the triggers calling them), the schema-change capture's event triggers, the
 * write fences (the source's after a cutover only when asked) and the reverse stream's apply
 * role. Objects are matched by this run's exact name
 * ({@code pgferry_<run id>}, or that name followed by '_'), so other runs' and other tools'
 * objects stay. Running it again finds nothing and does nothing.
 */
public final class Cleanup {
    /** A pattern no slot name matches. */
    private static final String NO_SLOT = "^$";

    private final Connector source;
    private final Connector target;
    private final StateStore store;
    private final RunRecord run;

    private final boolean unfenceSource;

    public Cleanup(Connector source, Connector target, StateStore store, RunRecord run) {
        this(source, target, store, run, false);
    }

    /** @param unfenceSource lift the source's fence even after a cutover (by default the old source stays read-only) */
    public Cleanup(Connector source, Connector target, StateStore store, RunRecord run, boolean unfenceSource) {
        this.source = source;
        this.target = target;
        this.store = store;
        this.run = run;
        this.unfenceSource = unfenceSource;
    }

    /**
     * After a cutover the old source keeps its fence: a stray application instance still pointed
     * at it would otherwise write there unnoticed. Before a cutover (or after switching back)
     * the source is the live database and its fence, if any, is a leftover to lift.
     */
    public boolean keepsSourceFence() {
        return !unfenceSource
                && store.setting(run.id(), SettingKey.CUTOVER_DONE_AT).isPresent()
                && new WriteFence(source, store, run.id(), SettingKey.FENCE_SOURCE).isRaised();
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
                names(
                                c,
                                "SELECT nspname FROM pg_namespace n WHERE (nspname = ? OR nspname LIKE ?) AND NOT "
                                        + OwnSchema.notOwn("n.oid"),
                                name)
                        .forEach(n -> items.add(new CleanupItem(side.role(), "schema", n)));
            } catch (SQLException e) {
                throw side.classify(e);
            }
        }
        try (Connection c = source.open()) {
            new ReplicaIdentityChanges(store, run.id())
                    .restorable(c)
                    .forEach(t -> items.add(new CleanupItem(
                            "source",
                            "replica identity",
                            t.displayName() + " (FULL, back to " + t.formerName() + ")")));
        } catch (SQLException e) {
            throw source.classify(e);
        }
        FenceExemption.recorded(store, run).ifPresent(role -> items.add(new CleanupItem("source", "role", role)));
        // trigger capture's schema (unmarked; a marked one is listed above): its change logs and functions; dropping it
        // drops
        // the triggers that call them
        try (Connection c = source.open();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT nspname FROM pg_namespace n WHERE nspname = ? AND " + OwnSchema.notOwn("n.oid"))) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    items.add(new CleanupItem(source.role(), "capture schema", rs.getString(1)));
                }
            }
        } catch (SQLException e) {
            throw source.classify(e);
        }
        if (new WriteFence(source, store, run.id(), SettingKey.FENCE_SOURCE).isRaised() && !keepsSourceFence()) {
            items.add(new CleanupItem("source", "write fence", "default_transaction_read_only"));
        }
        if (new WriteFence(target, store, run.id(), SettingKey.FENCE_TARGET).isRaised()) {
            items.add(new CleanupItem("target", "write fence", "default_transaction_read_only"));
        }
        return items;
    }

    /** Removes everything {@link #plan()} finds; returns what was removed. */
    public List<CleanupItem> run() {
        List<CleanupItem> items = plan();
        if (!keepsSourceFence()) {
            new WriteFence(source, store, run.id(), SettingKey.FENCE_SOURCE).lift();
        }
        new WriteFence(target, store, run.id(), SettingKey.FENCE_TARGET).lift();
        FenceExemption.remove(source, store, run);
        List<String> sourceSyncSlots = new ArrayList<>();
        List<String> targetSyncSlots = new ArrayList<>();
        for (CleanupItem item : items) {
            if (item.kind().equals("subscription")) {
                // a subscription's table-sync slots live on its publisher, the other side
                boolean onTarget = item.side().equals("target");
                (onTarget ? sourceSyncSlots : targetSyncSlots)
                        .add(dropSubscription(onTarget ? target : source, item.name()));
            }
        }
        // the apply role owned the reverse subscription, gone now
        FenceExemption.dropRole(source, store, run);
        dropOnPublisherSide(source, items, sourceSyncSlots);
        dropOnPublisherSide(target, items, targetSyncSlots);
        new SlotLedger(store, run.id()).removedAll();
        // only now: the run's publication, which a table with REPLICA IDENTITY NOTHING would break, is gone
        try (Connection c = source.open()) {
            new ReplicaIdentityChanges(store, run.id()).restore(c);
        } catch (SQLException e) {
            throw source.classify(e);
        }
        items.forEach(i -> store.event(run.id(), "info", "cleanup removed " + i));
        return items;
    }

    private void dropOnPublisherSide(Connector side, List<CleanupItem> items, List<String> syncSlotPatterns) {
        try (Connection c = side.open();
                Statement st = c.createStatement();
                PreparedStatement dropOrigin = c.prepareStatement(
                        "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = ?")) {
            for (CleanupItem item : items) {
                if (!item.side().equals(side.role())) {
                    continue;
                }
                switch (item.kind()) {
                    case "publication" -> st.execute("DROP PUBLICATION IF EXISTS " + Identifiers.quote(item.name()));
                    case "capture schema" -> io.pgferry.capture.TriggerCapture.dropSchema(c, item.name());
                    case "event trigger" ->
                        st.execute("DROP EVENT TRIGGER IF EXISTS " + Identifiers.quote(item.name()));
                    case "replication slot" -> SlotDrop.drop(c, item.name());
                    case "replication origin" -> {
                        dropOrigin.setString(1, item.name());
                        dropOrigin.execute();
                    }
                    // named after this run and marked as pgferry's: all in it is the run's state
                    case "schema" -> st.execute("DROP SCHEMA IF EXISTS " + Identifiers.quote(item.name()) + " CASCADE");
                    default -> {}
                }
            }
            for (String pattern : syncSlotPatterns) {
                List<String> slots = new ArrayList<>();
                try (PreparedStatement ps =
                        c.prepareStatement("SELECT slot_name FROM pg_replication_slots WHERE slot_name ~ ?")) {
                    ps.setString(1, pattern);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            slots.add(rs.getString(1));
                        }
                    }
                }
                for (String slot : slots) {
                    SlotDrop.drop(c, slot);
                }
            }
        } catch (SQLException e) {
            throw side.classify(e);
        }
    }

    /**
     * Detaches the subscription from its slot and drops it, without needing the target to reach
     * the source; the slots are then dropped from here. Returns a pattern of the table-sync slots
     * it may have left on the publisher: pg_&lt;subscription oid&gt;_sync_&lt;table oid&gt;_&lt;the
     * subscriber's system identifier&gt; (PostgreSQL 14+; 13's were temporary). The oid alone
     * could name another subscriber's subscription, so the identifier is part of the match.
     */
    private String dropSubscription(Connector side, String name) {
        try (Connection t = side.open();
                Statement st = t.createStatement()) {
            long oid;
            try (PreparedStatement ps = t.prepareStatement("SELECT oid FROM pg_subscription WHERE subname = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return NO_SLOT;
                    }
                    oid = rs.getLong(1);
                }
            }
            String systemId = systemIdentifier(t);
            String sub = Identifiers.quote(name);
            st.execute("ALTER SUBSCRIPTION " + sub + " DISABLE");
            st.execute("ALTER SUBSCRIPTION " + sub + " SET (slot_name = NONE)");
            st.execute("DROP SUBSCRIPTION " + sub);
            return systemId == null ? NO_SLOT : "^pg_" + oid + "_sync_[0-9]+_" + systemId + "$";
        } catch (SQLException e) {
            throw side.classify(e);
        }
    }

    /** The server's system identifier, or null when the role may not read it (its table-sync slots are then left). */
    private static String systemIdentifier(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                return null;
            }
            throw e;
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
