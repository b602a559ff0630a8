package io.pgferry.assess;

import io.pgferry.monitor.Units;
import io.pgferry.state.MethodKind;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Picks a method from size, majors, logical readiness and the downtime the user allows.
 *
 * <p>Estimates: a dump-and-restore moves the data twice and rebuilds indexes, so its duration
 * (all of it downtime) is taken as 2.5 x size / measured read rate; streaming methods copy
 * while the application runs, so their downtime is the cutover, about a minute.
 */
public final class MethodAdvisor {
    static final long DUMP_LIMIT = 20L << 30;
    static final long LOGICAL_LIMIT = 150L << 30;
    private static final Duration STREAMING_DOWNTIME = Duration.ofMinutes(1);

    private MethodAdvisor() {}

    /**
     * @param noLogical why the source allows no logical replication (e.g. "wal_level is not logical"), or empty when it does
     */
    public static Recommendation recommend(
            long sizeBytes,
            int sourceMajor,
            Integer targetMajor,
            Optional<String> noLogical,
            long bytesPerSecond,
            Optional<Duration> maxDowntime) {
        long rate = bytesPerSecond > 0 ? bytesPerSecond : 50L << 20;
        Duration dump = Duration.ofSeconds((long) Math.ceil(2.5 * sizeBytes / rate));
        Duration copyTime = Duration.ofSeconds((long) Math.ceil(1.5 * sizeBytes / rate));
        Map<MethodKind, String> estimates = new EnumMap<>(MethodKind.class);
        estimates.put(MethodKind.DUMP, Units.duration(dump) + " total, all of it downtime");
        estimates.put(
                MethodKind.LOGICAL,
                "initial sync about " + Units.duration(copyTime) + " while the application runs; downtime about "
                        + Units.duration(STREAMING_DOWNTIME));
        estimates.put(
                MethodKind.COPY,
                "copy about " + Units.duration(copyTime) + " while the application runs; downtime about "
                        + Units.duration(STREAMING_DOWNTIME)
                        + (noLogical.isPresent() ? " (with --capture triggers)" : ""));
        boolean crossMajor = targetMajor != null && targetMajor > sourceMajor;
        boolean dumpFits = maxDowntime.map(max -> dump.compareTo(max) <= 0).orElse(true);
        MethodKind ideal;
        String reason;
        if (sizeBytes < DUMP_LIMIT && dumpFits) {
            ideal = MethodKind.DUMP;
            reason = Units.bytes(sizeBytes) + " is under 20 GB and a dump's downtime (" + Units.duration(dump)
                    + ") is acceptable";
        } else if (noLogical.isPresent()) {
            // a dump would take too long (or too much downtime), and no slot can be made: row triggers capture the
            // changes
            ideal = MethodKind.COPY;
            reason = noLogical.get() + ", so no logical replication; a dump's downtime would be about "
                    + Units.duration(dump)
                    + (dumpFits ? "" : ", more than the " + Units.duration(maxDowntime.get()) + " allowed")
                    + ". Use method copy with --capture triggers: parallel copy, changes logged by row triggers, minutes of downtime"
                    + " (every table needs a primary key or a unique NOT NULL index; the role must own the tables)";
        } else if (sizeBytes >= LOGICAL_LIMIT || crossMajor) {
            ideal = MethodKind.COPY;
            reason = (crossMajor ? "a major upgrade" : Units.bytes(sizeBytes) + " is over 150 GB")
                    + " with short downtime: parallel copy + change data capture";
        } else {
            ideal = MethodKind.LOGICAL;
            reason = Units.bytes(sizeBytes) + " with short downtime on the same major: native logical replication";
        }
        return new Recommendation(ideal, reason, estimates, true);
    }
}
