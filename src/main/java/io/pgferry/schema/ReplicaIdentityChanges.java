package io.pgferry.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.pg.Identifiers;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The source tables a run gave REPLICA IDENTITY FULL (--set-replica-identity-full), each with
 * the identity it had, so that cleanup can give it back: FULL logs every column of every
 * updated or deleted row in the source's WAL for as long as it stays. Each change is recorded
 * before the ALTER runs, so a crash in between leaves a record whose table is simply not FULL,
 * and such a table is left alone; so is one whose identity someone changed since.
 */
public final class ReplicaIdentityChanges {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** One table pgferry changed, and the identity to give back: 'd' (DEFAULT) or 'n' (NOTHING). */
    public record Change(String schema, String table, char former) {
        public String displayName() {
            return schema + "." + table;
        }

        String restoreStatement() {
            return "ALTER TABLE " + Identifiers.qualified(schema, table) + " REPLICA IDENTITY "
                    + (former == 'n' ? "NOTHING" : "DEFAULT");
        }

        public String formerName() {
            return former == 'n' ? "NOTHING" : "DEFAULT";
        }
    }

    private final StateStore store;
    private final String runId;

    public ReplicaIdentityChanges(StateStore store, String runId) {
        this.store = store;
        this.runId = runId;
    }

    /** Records the table's identity, then sets FULL (the record first: see the class comment). */
    public void setFull(Statement source, ReplicaIdentity.Keyless table) throws SQLException {
        List<Change> changes = new ArrayList<>(recorded());
        if (changes.stream()
                .noneMatch(c -> c.schema().equals(table.schema()) && c.table().equals(table.table()))) {
            changes.add(new Change(table.schema(), table.table(), table.identity()));
            save(changes);
        }
        source.execute(table.fix());
    }

    /** The recorded tables that are FULL now: what a cleanup would give back. */
    public List<Change> restorable(Connection source) throws SQLException {
        List<Change> out = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT c.relreplident FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            for (Change change : recorded()) {
                ps.setString(1, change.schema());
                ps.setString(2, change.table());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && "f".equals(rs.getString(1))) {
                        out.add(change);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Gives each table still FULL its former identity and forgets the record; returns the tables
     * given back. Runs after the run's publication is gone: NOTHING on a published table would
     * make its UPDATEs and DELETEs fail.
     */
    public List<Change> restore(Connection source) throws SQLException {
        List<Change> restorable = restorable(source);
        try (Statement st = source.createStatement()) {
            for (Change change : restorable) {
                st.execute(change.restoreStatement());
            }
        }
        save(List.of());
        return restorable;
    }

    List<Change> recorded() {
        return store.setting(runId, SettingKey.REPLICA_IDENTITY_CHANGES)
                .filter(s -> !s.isBlank())
                .map(s -> {
                    try {
                        return JSON.readValue(s, new TypeReference<List<Change>>() {});
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException(
                                "unreadable " + SettingKey.REPLICA_IDENTITY_CHANGES.text() + " in the state store", e);
                    }
                })
                .orElse(List.of());
    }

    private void save(List<Change> changes) {
        try {
            store.putSetting(runId, SettingKey.REPLICA_IDENTITY_CHANGES, JSON.writeValueAsString(changes));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
