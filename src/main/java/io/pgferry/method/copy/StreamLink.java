package io.pgferry.method.copy;

import io.pgferry.cdc.StreamControl;
import io.pgferry.cutover.ReplicationLink;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Method copy's change stream as cutover sees it: alive when its process refreshed its
 * progress in the last seconds; applied up to the slot's confirmed position, which the stream
 * moves only over what the target has flushed (or, when idle, over WAL that held nothing to
 * apply); stopped by a request in the state store that the stream obeys.
 */
public final class StreamLink implements ReplicationLink {
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);

    private final Connector source;
    private final StateStore store;
    private final RunRecord run;
    private final StreamControl control;

    public StreamLink(Connector source, StateStore store, RunRecord run) {
        this.source = source;
        this.store = store;
        this.run = run;
        this.control = new StreamControl(store, run.id());
    }

    @Override
    public Health health() {
        if (!control.alive()) {
            String state = control.state().orElse("never started");
            return new Health(
                    false,
                    0,
                    0,
                    "the change stream is not running (" + state + "): start it with pgferry follow --dir "
                            + store.dir() + ", or rerun pgferry migrate");
        }
        return store.streamProgress()
                .of(run.id())
                .map(p -> new Health(true, p.lagBytes(), p.lagSeconds(), null))
                .orElseThrow();
    }

    @Override
    public LogSequenceNumber appliedLsn() {
        try (Connection c = source.open();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = "
                                + Identifiers.literal(run.objectName()))) {
            if (!rs.next()) {
                throw new PgferryException(
                        ErrorCode.FAILED,
                        "the replication slot " + run.objectName() + " is gone from the source",
                        "the change stream cannot continue; the target misses changes since it vanished: migrate again into an empty target");
            }
            return LogSequenceNumber.valueOf(rs.getString(1));
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    /** Stops the change stream of a copy run if one is running; nothing for other methods. */
    public static void stopIfRunning(StateStore store, RunRecord run) {
        if (MethodKind.of(run) == MethodKind.COPY && new StreamControl(store, run.id()).alive()) {
            new StreamLink(null, store, run).stop();
        }
    }

    /** Asks the stream to stop and waits until it has (or until it is no longer alive). */
    @Override
    public void stop() {
        control.requestStop();
        Instant deadline = Instant.now().plus(STOP_WAIT);
        while (control.alive() && Instant.now().isBefore(deadline)) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (control.alive()) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "the change stream did not stop within " + STOP_WAIT.toSeconds() + " s",
                    "see the pgferry migrate/follow process's output; run cutover again");
        }
    }
}
