package io.pgferry.copy;

import io.pgferry.state.PartsTable;
import io.pgferry.state.StateStore;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the copy has done, as the state store's parts table records it: one entry per part with
 * its status, rows, bytes and the LSN its snapshot corresponds to. A table counts as copied only
 * when every one of its parts is done; anything less is copied again, whole.
 */
final class CopyLedger {
    /** What the ledger knows of one table. */
    record TableState(String schema, String name, int partsTotal, int partsDone, long rows, long bytes, String lsn) {
        boolean complete() {
            return partsTotal > 0 && partsDone == partsTotal;
        }

        String key() {
            return schema + "." + name;
        }
    }

    private final StateStore store;
    private final String runId;

    CopyLedger(StateStore store, String runId) {
        this.store = store;
        this.runId = runId;
    }

    Map<String, TableState> tables() {
        Map<String, TableState> out = new HashMap<>();
        for (PartsTable.TableParts t : store.parts().tables(runId)) {
            TableState state =
                    new TableState(t.schema(), t.table(), t.partsTotal(), t.partsDone(), t.rows(), t.bytes(), t.lsn());
            out.put(state.key(), state);
        }
        return out;
    }

    /** Replaces whatever was recorded for the parts' table with a fresh plan. */
    void plan(List<TablePart> parts) {
        if (parts.isEmpty()) {
            return;
        }
        SourceTable t = parts.get(0).table();
        store.parts()
                .plan(
                        runId,
                        t.schema(),
                        t.name(),
                        parts.stream().map(TablePart::partNo).toList(),
                        parts.get(0).partsTotal());
    }

    void started(TablePart p) {
        store.parts().started(runId, ref(p));
    }

    /** Records a part as on the target; called only after the target committed it. */
    void done(TablePart p, long rows, long bytes, String lsn) {
        store.parts().done(runId, ref(p), rows, bytes, lsn);
    }

    boolean postDataDone(String itemId) {
        return store.postDataDone(runId, itemId);
    }

    void postDataDone(List<String> itemIds) {
        store.markPostDataDone(runId, itemIds);
    }

    Set<String> completeTables() {
        Set<String> out = new HashSet<>();
        tables().values().stream().filter(TableState::complete).forEach(t -> out.add(t.key()));
        return out;
    }

    private static PartsTable.Part ref(TablePart p) {
        return new PartsTable.Part(p.table().schema(), p.table().name(), p.partNo());
    }
}
