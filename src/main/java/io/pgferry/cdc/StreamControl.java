package io.pgferry.cdc;

import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import io.pgferry.state.StreamProgressTable;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How other pgferry processes see and steer a running change stream, through the state store:
 * the stream's heartbeat (its progress row, refreshed every second) and a stop request that
 * cutover and rollback write and the stream obeys once everything it received is applied.
 */
public final class StreamControl {
    private static final Duration HEARTBEAT = Duration.ofSeconds(5);

    private final StateStore store;
    private final String runId;

    public StreamControl(StateStore store, String runId) {
        this.store = store;
        this.runId = runId;
    }

    /** Asks the stream to stop after applying what it has received. */
    public void requestStop() {
        store.putSetting(runId, SettingKey.STREAM_STOP, Instant.now().toString());
    }

    public void clearStopRequest() {
        store.removeSetting(runId, SettingKey.STREAM_STOP);
    }

    public boolean stopRequested() {
        return store.setting(runId, SettingKey.STREAM_STOP).isPresent();
    }

    public void state(String state) {
        store.putSetting(runId, SettingKey.STREAM_STATE, state);
    }

    /** "streaming", "stopped", "failed: ..." or empty before the first start. */
    public Optional<String> state() {
        return store.setting(runId, SettingKey.STREAM_STATE);
    }

    /** Whether a stream process refreshed its progress within the last few seconds. */
    public boolean alive() {
        return store.streamProgress()
                        .of(runId)
                        .map(StreamProgressTable.Recorded::updatedAt)
                        .map(at -> at.isAfter(Instant.now().minus(HEARTBEAT)))
                        .orElse(false)
                && state().map(s -> s.equals("streaming")).orElse(false);
    }
}
