package io.pgferry.method.copy;

import io.pgferry.capture.TriggerCapture;
import java.util.Arrays;
import java.util.Optional;

/**
 * Where method copy's changes after the snapshot come from. {@link #key()} is the --capture
 * value, also what the run records.
 */
public enum ChangeCapture {
    /** A logical slot read with pgoutput: needs wal_level = logical and the REPLICATION attribute. */
    LOGICAL("logical"),
    /** Row triggers writing changed keys into change logs of the run: for sources that allow no logical replication. */
    TRIGGERS(TriggerCapture.TRIGGERS);

    private final String key;

    ChangeCapture(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    /** The capture whose {@link #key()} is {@code text}; empty for any other text. */
    public static Optional<ChangeCapture> of(String text) {
        return Arrays.stream(values()).filter(c -> c.key.equals(text)).findFirst();
    }
}
