package io.pgferry.method.copy;

import io.pgferry.capture.CaptureDrift;
import io.pgferry.capture.TriggerCapture;
import io.pgferry.copy.SnapshotCopy;
import io.pgferry.cutover.ReplicationLink;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Method copy's trigger capture as cutover sees it: alive while its apply loop refreshes its
 * progress; lagging by the age of the oldest change-log row not yet applied; applied up to the
 * WAL position the loop last proved drained (see io.pgferry.capture.ApplyPosition); stopped, like
 * the slot stream, by a request in the state store. Before the fence, the source's catalog is
 * compared with the captured definitions: DDL made during the migration refuses the cutover.
 */
public final class TriggerLink implements ReplicationLink {
    private final Connector source;
    private final StateStore store;
    private final RunRecord run;

    public TriggerLink(Connector source, StateStore store, RunRecord run) {
        this.source = source;
        this.store = store;
        this.run = run;
    }

    /** As the slot stream's (heartbeat and the recorded lag), after the drift check. */
    @Override
    public Health health() {
        refuseOnDrift();
        return new StreamLink(source, store, run).health();
    }

    private void refuseOnDrift() {
        List<String> drift;
        try (Connection c = source.open()) {
            drift = CaptureDrift.find(
                    c, run.objectName(), SnapshotCopy.currentTables(source, CopyAndStream.filterOf(store, run)));
        } catch (SQLException e) {
            throw source.classify(e);
        }
        if (!drift.isEmpty()) {
            throw new PgferryException(
                    ErrorCode.BLOCKER,
                    "the source's schema changed since trigger capture started, and triggers" + " carry no DDL: "
                            + String.join("; ", drift),
                    "revert those changes on the source, or make the target match"
                            + " by hand and migrate the affected tables again (a new run into an empty target is the safe way); nothing was fenced");
        }
    }

    @Override
    public LogSequenceNumber appliedLsn() {
        return TriggerCapture.appliedLsn(store, run.id());
    }

    @Override
    public void stop() {
        new StreamLink(source, store, run).stop();
    }
}
