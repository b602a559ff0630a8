package io.pgferry.state;

import java.util.Arrays;

/**
 * Where a run stands. {@link #key()} is the text the state store keeps and {@code status --json}
 * shows (unchanged, so older work dirs read).
 */
public enum RunStatus {
    /** A command is working on it, or was when it stopped without saying so (a kill). */
    RUNNING("running"),
    /** The method's steps are done (a streaming method keeps streaming until cutover). */
    DONE("done"),
    /** The last command failed; rerunning it continues from the last finished step. */
    FAILED("failed"),
    /** The target took over. */
    CUT_OVER("cut-over"),
    /** The source took over again after a cutover. */
    ROLLED_BACK("rolled-back");

    private final String key;

    RunStatus(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    @Override
    public String toString() {
        return key;
    }

    /** The status whose {@link #key()} is {@code text}. */
    static RunStatus of(String text) {
        return Arrays.stream(values())
                .filter(s -> s.key.equals(text))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the state store holds an unknown run status: " + text));
    }

    /** Whether the application has moved for good: nothing is left to resume. */
    public boolean switchedOver() {
        return this == CUT_OVER || this == ROLLED_BACK;
    }
}
