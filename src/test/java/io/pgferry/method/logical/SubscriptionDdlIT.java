package io.pgferry.method.logical;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.fault.Faults;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.SchemaDigest;
import io.pgferry.testing.ShopWriter;
import io.pgferry.testing.WorkDirStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Schema changes on the source while a native subscription replicates (issue #23, method
 * logical), with a writer running: the run's event trigger logs them, pgferry follow runs each on
 * the target when the subscription reaches it (or at once when the worker fails on it), a new
 * table joins the subscription, and a kill between a change and its mark neither repeats nor
 * skips it. At cutover the rows and the schemas are the same on both sides; cleanup leaves no
 * capture behind on the source.
 */
class SubscriptionDdlIT {

    @ParameterizedTest(name = "logical {0} -> {1}")
    @CsvSource({"15, 17", "13, 18", "17, 18"})
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void schemaChangesReachTheSubscriptionsTarget(int sourceMajor, int targetMajor, @TempDir Path work)
            throws Exception {
        if (sourceMajor >= 16) {
            Assumptions.assumeTrue(
                    new io.pgferry.schema.PgClientToolLocator(java.util.Optional.empty())
                            .available().stream().anyMatch(t -> t.major() >= sourceMajor),
                    "no pg_dump " + sourceMajor + "+ on this machine (.ci/pg-client-17.sh provides one)");
        }
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.loadShop(pair.source(), "app", 0.01);
            Process follow = null;
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                CliRun migrate = LogicalReplicationIT.migrate(pair, work, "--set-replica-identity-full");
                assertThat(migrate.exitCode()).as(migrate.all()).isZero();
                assertThat(migrate.out()).contains("schema changes on the source are captured by event trigger");

                // halted (as by SIGKILL) right after the change ran on the target, before its mark and commit
                follow = start(work, "follow-halted", Map.of(Faults.VARIABLE, "logical.ddl-run@1"), follow(pair, work));
                awaitStreaming(work, follow);
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "ALTER TABLE orders ADD COLUMN channel text NOT NULL DEFAULT 'web'",
                        "UPDATE orders SET channel = 'app' WHERE id % 7 = 0");
                assertThat(follow.waitFor(120, TimeUnit.SECONDS))
                        .as("follow halts at the schema change")
                        .isTrue();
                assertThat(follow.exitValue()).as(log(work, "follow-halted")).isEqualTo(Faults.HALT_STATUS);
                try (Connection t = PgFixture.connect(pair.target(), "app")) {
                    assertThat(scalar(
                                    t,
                                    "SELECT count(*) FROM pg_attribute WHERE attrelid = 'orders'::regclass"
                                            + " AND attname = 'channel'"))
                            .as("the halted change left nothing")
                            .isZero();
                }

                follow = start(work, "follow", Map.of(), follow(pair, work));
                awaitStreaming(work, follow);
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "CREATE TABLE coupons (id int PRIMARY KEY, code text NOT NULL)",
                        "INSERT INTO coupons SELECT g, 'c' || g FROM generate_series(1, 50) g",
                        "ALTER TABLE customers DROP COLUMN profile",
                        "INSERT INTO coupons VALUES (51, 'c51')",
                        "UPDATE orders SET channel = 'shop' WHERE id % 11 = 0");
                Process running = follow;
                await(
                        work,
                        running,
                        () -> converged(pair, "SELECT count(*) FROM coupons")
                                && converged(pair, "SELECT count(*) FROM orders WHERE channel = 'shop'")
                                && subscriptionHealthy(pair)
                                && status(work).contains("schema changes: 0 pending, 3 run on the target"),
                        "the target to take the schema changes and their rows");
                assertThat(writer.transactions())
                        .as("the writer wrote meanwhile")
                        .isGreaterThan(20);

                CliRun cut = LogicalReplicationIT.cutover(pair, work, "--checksums", "--max-lag", "1m");
                assertThat(cut.exitCode()).as(cut.all() + "\n" + logs(work)).isZero();
                assertThat(follow.waitFor(60, TimeUnit.SECONDS))
                        .as("follow ends after cutover")
                        .isTrue();
                assertThat(follow.exitValue()).as(log(work, "follow")).isZero();
            } finally {
                if (follow != null) {
                    follow.destroyForcibly().waitFor();
                }
            }
            String all = logs(work);
            assertThat(all).contains("refreshed");
            CliRun cleanup = CliRun.of(
                    "cleanup", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(cleanup.exitCode()).as(cleanup.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.ofTables(t)).as(all).isEqualTo(DatabaseDigest.ofTables(s));
                assertThat(SchemaDigest.of(t)).as(all).isEqualTo(SchemaDigest.of(s));
                assertThat(scalar(t, "SELECT count(*) FROM coupons")).isEqualTo(51);
                assertThat(scalar(s, "SELECT count(*) FROM pg_event_trigger")).isZero();
                assertThat(scalar(
                                s,
                                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                                        + " WHERE n.nspname LIKE 'pgferry%'"))
                        .isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgferry%'"))
                        .isZero();
                assertThat(scalar(t, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgferry%'"))
                        .isZero();
            }
        }
    }

    private static String[] follow(ClusterPair pair, Path work) {
        return new String[] {
            "follow", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri()
        };
    }

    private static boolean converged(ClusterPair pair, String sql) {
        try (Connection s = PgFixture.connect(pair.source(), "app");
                Connection t = PgFixture.connect(pair.target(), "app")) {
            return scalar(s, sql) == scalar(t, sql);
        } catch (Exception e) {
            return false; // the table is not on the target yet
        }
    }

    private static boolean subscriptionHealthy(ClusterPair pair) {
        try (Connection t = PgFixture.connect(pair.target(), "app")) {
            return scalar(t, "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')") == 0
                    && scalar(t, "SELECT count(*) FROM pg_stat_subscription WHERE relid IS NULL AND pid IS NOT NULL")
                            == 1;
        } catch (Exception e) {
            return false;
        }
    }

    private static String status(Path work) {
        CliRun status = CliRun.of("status", "--dir", work.toString());
        return status.out();
    }

    private static void await(Path work, Process p, BooleanSupplier condition, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 180_000;
        while (System.currentTimeMillis() < deadline) {
            assertThat(p.isAlive()).as(() -> logsOrError(work)).isTrue();
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("waited 3 minutes for " + what + "\n" + logs(work));
    }

    private static Process start(Path work, String logName, Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = Processes.pgferry(work, logName, List.of(args));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Waits until follow records the subscription's lag after this call. */
    private static void awaitStreaming(Path work, Process p) throws Exception {
        java.time.Instant started = java.time.Instant.now();
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            assertThat(p.isAlive()).as(() -> logsOrError(work)).isTrue();
            // the lag follow records, read through the documented status (not the store's tables)
            java.time.Instant recorded = WorkDirStatus.read(work)
                    .map(s -> WorkDirStatus.instant(s.at("/lag/updatedAt")))
                    .orElse(null);
            if (recorded != null && recorded.isAfter(started)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("follow did not watch within 2 minutes\n" + logs(work));
    }

    private static String log(Path work, String name) throws Exception {
        Path f = work.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f) : "(no log)";
    }

    private static String logsOrError(Path work) {
        try {
            return logs(work);
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static String logs(Path work) throws Exception {
        StringBuilder out = new StringBuilder();
        try (var files = Files.list(work)) {
            for (Path f :
                    files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
                out.append("--- ").append(f.getFileName()).append('\n').append(Files.readString(f));
            }
        }
        return out.toString();
    }

    private static long scalar(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
