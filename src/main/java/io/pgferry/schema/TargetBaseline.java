package io.pgferry.schema;

import io.pgferry.pg.Connector;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Set;

/**
 * What the target database held before a run touched it, recorded when the run is created
 * (before its preflight, which may fail on a target that is not empty). A rollback drops only
 * what is not in it: whatever was there before the run is the user's.
 */
public final class TargetBaseline {

    private TargetBaseline() {}

    /** Reads the target's objects now. Called before the run exists, so an unreachable target leaves no run behind. */
    public static Set<CatalogObject> read(Connector target) {
        try (Connection c = target.open()) {
            return DatabaseInventory.read(c);
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }

    public static void record(StateStore store, String runId, Set<CatalogObject> objects) {
        store.putSetting(runId, SettingKey.TARGET_BASELINE, DatabaseInventory.encode(objects));
    }

    /** Empty for a run created before pgferry recorded baselines: then nobody knows what the run created. */
    public static Optional<Set<CatalogObject>> recorded(StateStore store, String runId) {
        return store.setting(runId, SettingKey.TARGET_BASELINE).map(DatabaseInventory::decode);
    }
}
