package io.pgferry.cdc;

import io.pgferry.state.StateStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How other pgferry processes see and steer a running change stream, through the state store:
 * the stream's heartbeat (its progress row, refreshed every second) and a stop request that
 * cutover and rollback write and the stream obeys once everything it received is applied.
 */
public final class StreamControl {
    static final String STOP_SETTING = "stream.stop";
    static final String STATE_SETTING = "stream.state";
    private static final Duration HEARTBEAT = Duration.ofSeconds(5);

    private final StateStore store;
    private final String runId;

    public StreamControl(StateStore store, String runId) {
        this.store = store;
        this.runId = runId;
    }

    /** Asks the stream to stop after applying what it has received. */
    public void requestStop() {
        store.putSetting(runId, STOP_SETTING, Instant.now().toString());
    }

    public void clearStopRequest() {
        store.update("DELETE FROM setting WHERE run_id = ? AND key = ?", runId, STOP_SETTING);
    }

    public boolean stopRequested() {
        return store.setting(runId, STOP_SETTING).isPresent();
    }

    public void state(String state) {
        store.putSetting(runId, STATE_SETTING, state);
    }

    /** "streaming", "stopped", "failed: ..." or empty before the first start. */
    public Optional<String> state() {
        return store.setting(runId, STATE_SETTING);
    }

    /** Whether a stream process refreshed its progress within the last few seconds. */
    public boolean alive() {
        return store
                        .query("SELECT updated_at FROM cdc_progress WHERE run_id = ?", rs -> rs.getString(1), runId)
                        .stream()
                        .findFirst()
                        .filter(s -> s != null)
                        .map(s -> Instant.parse(s).isAfter(Instant.now().minus(HEARTBEAT)))
                        .orElse(false)
                && state().map(s -> s.equals("streaming")).orElse(false);
    }
}
