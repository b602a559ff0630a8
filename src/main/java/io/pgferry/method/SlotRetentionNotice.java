package io.pgferry.method;

import io.pgferry.monitor.Units;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.SlotLedger;
import io.pgferry.state.StateStore;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A run that fails while it holds a replication slot leaves the slot retaining WAL on the
 * source, without limit once nothing streams from it: its failure says so, and names the
 * command that removes it, so that an abandoned run cannot quietly fill the source's disk.
 */
public final class SlotRetentionNotice {
    private SlotRetentionNotice() {}

    /** The sentence for the run's slots on the source, when it holds any. */
    public static Optional<String> of(StateStore store, String runId) {
        List<SlotLedger.Entry> held = new SlotLedger(store, runId).held();
        if (held.isEmpty()) {
            return Optional.empty();
        }
        String slots = held.stream()
                .map(e -> e.slot()
                        + (e.retainedBytes() == null
                                ? ""
                                : " (" + Units.bytes(e.retainedBytes()) + " when measured at " + e.updatedAt() + ")"))
                .collect(Collectors.joining(", "));
        return Optional.of(
                "meanwhile replication slot " + slots + " on the source is retaining WAL, more with every write, until"
                        + " this run resumes or pgferry cleanup removes it (pgferry cleanup --dir ... --source ... --target ...)");
    }

    /** The failure, with the notice added to what the user is told to do when the run holds a slot. */
    public static RuntimeException annotate(StateStore store, String runId, RuntimeException failure) {
        Optional<String> notice;
        try {
            notice = of(store, runId);
        } catch (RuntimeException unreadable) {
            return failure; // a broken state store must not hide the failure itself
        }
        if (notice.isEmpty()) {
            return failure;
        }
        if (failure instanceof PgferryException pe) {
            String hint = pe.hint() == null ? notice.get() : pe.hint() + "; " + notice.get();
            PgferryException annotated = new PgferryException(pe.code(), pe.getMessage(), hint, pe.getCause());
            annotated.setStackTrace(pe.getStackTrace());
            return annotated;
        }
        return new PgferryException(
                ErrorCode.FAILED,
                failure.getMessage() + " (" + failure.getClass().getSimpleName() + ")",
                notice.get(),
                failure);
    }
}
