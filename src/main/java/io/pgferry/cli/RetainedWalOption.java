package io.pgferry.cli;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import picocli.CommandLine.Option;

/** The limit on the WAL a run's slot may retain on the source, for the commands that stream. */
public final class RetainedWalOption {
    @Option(
            names = "--max-retained-wal",
            paramLabel = "SIZE",
            converter = SizeConverter.class,
            description =
                    "copy: when the run's replication slot retains this much WAL on the source (e.g. 20GB), stop streaming and"
                            + " drop the slot so the source's disk cannot fill; the copy must then be redone. A warning comes at half."
                            + " Default 50GB; 0 turns the limit off. Kept by the run until given again.")
    Long maxRetainedWal;

    /** Records the limit for the run when it was given (a resumed run keeps the one it had). */
    void applyTo(StateStore store, String runId) {
        if (maxRetainedWal == null) {
            return;
        }
        if (maxRetainedWal < 0) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT, "--max-retained-wal cannot be negative", "use 0 to turn the limit off");
        }
        store.putSetting(runId, SettingKey.WAL_MAX_RETAINED_BYTES, Long.toString(maxRetainedWal));
    }
}
