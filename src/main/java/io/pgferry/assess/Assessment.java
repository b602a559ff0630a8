package io.pgferry.assess;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ServerInfo;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs every check against the source (and the target when given) with read-only queries and
 * recommends a method. A check that lacks a privilege becomes an "unknown" finding naming the
 * privilege, never a crash.
 */
public final class Assessment {
    private static final List<Check> CHECKS = List.of(
            new VersionCheck(),
            new SizeCheck(),
            new ExtensionCheck(),
            new EnhancementsCheck(),
            new LogicalReadinessCheck(),
            new TableFeaturesCheck(),
            new EncodingCheck(),
            new TargetCheck());

    private Assessment() {}

    public static Report run(Connector source, Connector target, Optional<Duration> maxDowntime) {
        try (Connection s = source.open();
                Connection t = target == null ? null : target.open()) {
            s.setReadOnly(true);
            AssessContext ctx = new AssessContext(s, ServerInfo.read(s), t, t == null ? null : ServerInfo.read(t));
            List<Finding> findings = new ArrayList<>();
            for (Check check : CHECKS) {
                runGuarded(check, ctx, findings);
            }
            long rate = sampleRate(s, findings);
            Recommendation rec = MethodAdvisor.recommend(
                    ctx.sourceInfo().databaseSizeBytes(),
                    ctx.sourceInfo().major(),
                    t == null ? null : ctx.targetInfo().major(),
                    LogicalReadinessCheck.impossible(findings),
                    rate,
                    maxDowntime);
            return new Report(
                    1,
                    source.spec().toString(),
                    target == null ? null : target.spec().toString(),
                    findings,
                    rec,
                    rate);
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    private static void runGuarded(Check check, AssessContext ctx, List<Finding> findings) throws SQLException {
        try {
            check.run(ctx, findings);
        } catch (SQLException e) {
            if (!"42501".equals(e.getSQLState())) {
                throw e;
            }
            findings.add(new Finding(
                    "unknown-" + check.name().replace(' ', '-'),
                    Severity.UNKNOWN,
                    check.name() + ": unknown, needs privilege " + check.privilegeNeeded(),
                    "the connecting role could not read: " + io.pgferry.pg.Redaction.redact(e.getMessage()),
                    "GRANT pg_read_all_settings, pg_read_all_stats TO <role>; or assess as a more privileged role"));
        }
    }

    private static long sampleRate(Connection s, List<Finding> findings) throws SQLException {
        try {
            return ThroughputSample.bytesPerSecond(s);
        } catch (SQLException e) {
            if (!"42501".equals(e.getSQLState())) {
                throw e;
            }
            findings.add(new Finding(
                    "unknown-throughput",
                    Severity.UNKNOWN,
                    "read throughput: unknown, needs privilege SELECT on the largest table",
                    "duration estimates assume 50 MB/s instead",
                    "GRANT pg_read_all_data TO <role>;"));
            return 0;
        }
    }
}
