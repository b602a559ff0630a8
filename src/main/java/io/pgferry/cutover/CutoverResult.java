package io.pgferry.cutover;

import io.pgferry.monitor.Units;
import java.time.Duration;
import org.postgresql.replication.LogSequenceNumber;

/** What a finished cutover reports: where the source stopped, how long writes were fenced, what was checked. */
public record CutoverResult(
        LogSequenceNumber fenceLsn,
        Duration writeDowntime,
        int sequencesSynced,
        String verification,
        CutoverOptions.FenceMode fence) {

    public String render(String targetDescription) {
        return "\nCutover complete\n"
                + "  source stopped at " + fenceLsn.asString() + "; everything up to it is on the target\n"
                + (fence == CutoverOptions.FenceMode.READ_ONLY
                        ? "  writes were fenced for " + Units.duration(writeDowntime) + "\n"
                        : "  no fence (application already stopped)\n")
                + "  " + sequencesSynced + " sequence(s) set from the source\n"
                + "  " + verification + "\n"
                + "Next:\n"
                + "  - point the application at " + targetDescription + "\n"
                + "  - the source stays read-only for new sessions; run pgferry cleanup when you no longer need a way back"
                + " (it keeps the source read-only unless --unfence-source)\n";
    }
}
