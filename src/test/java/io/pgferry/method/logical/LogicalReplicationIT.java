package io.pgferry.method.logical;

import static io.pgferry.testing.Sql.exec;
import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.Requirement;
import io.pgferry.testing.ShopWriter;
import io.pgferry.testing.Sql;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogicalReplicationIT {

    static CliRun migrate(ClusterPair pair, Path work, String... extra) {
        String[] base = {
            "migrate",
            "--method",
            "logical",
            "--jobs",
            "2",
            "--dir",
            work.toString(),
            "--source",
            pair.sourceUri(),
            "--target",
            pair.targetUri(),
            "--ready-lag",
            "PT5S",
            "--sync-timeout",
            "PT3M"
        };
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRun.of(args);
    }

    static CliRun cutover(ClusterPair pair, Path work, String... extra) {
        String[] base = {"cutover", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri()
        };
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRun.of(args);
    }

    @ParameterizedTest(name = "logical {0} -> {1} under a concurrent writer, then cutover")
    @CsvSource({"15, 15", "13, 17", "13, 18"})
    void replicatesUnderWritesAndCutsOverToIdenticalData(int sourceMajor, int targetMajor, @TempDir Path work)
            throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.loadShop(pair.source(), "app", 0.01);
            int writtenBeforeCutover;
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 10_000_000)) {
                CliRun run = migrate(pair, work, "--set-replica-identity-full");
                assertThat(run.exitCode()).as(run.all()).isZero();
                assertThat(run.out())
                        .contains("ready for cutover")
                        .doesNotContain(pair.source().password());
                // the writer keeps writing after the sync: those transactions reach the target through the stream
                writer.awaitTransactions(writer.transactions() + 50, Duration.ofMinutes(1));
                writtenBeforeCutover = writer.transactions();

                CliRun cut = cutover(pair, work, "--checksums");
                assertThat(cut.exitCode()).as(cut.all()).isZero();
                assertThat(cut.out())
                        .contains("Cutover complete")
                        .contains("counts and checksums equal")
                        .contains("writes were fenced for");
                writer.stop();
                // its session terminated (57P01, or the connection gone: 08xxx), or its next write refused (25006)
                assertThat(Sql.sqlState(writer.stoppedBy()))
                        .as("the fence ended the application's session: " + writer.stoppedBy())
                        .matches("57P01|08...|25006");
            }
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                Map<String, String> source = DatabaseDigest.ofTables(s);
                assertThat(DatabaseDigest.ofTables(t)).isEqualTo(source);
                assertThat(scalar(t, "SELECT count(*) FROM orders WHERE id >= 10000000"))
                        .isGreaterThanOrEqualTo(writtenBeforeCutover);
                // sequences are ahead of every used value: new rows on the target do not collide
                assertThat(scalar(t, "SELECT last_value FROM invoice_no_seq"))
                        .isEqualTo(scalar(s, "SELECT last_value FROM invoice_no_seq"));
                exec(t, "INSERT INTO customers (email, name, country, created_at) VALUES ('new@t', 'N', 'FR', now())");
                assertThat(scalar(t, "SELECT max(id) FROM customers"))
                        .isGreaterThan(scalar(s, "SELECT max(id) FROM customers"));
                // the subscription is stopped, not dropped (cleanup removes it)
                assertThat(scalar(t, "SELECT count(*) FROM pg_subscription WHERE NOT subenabled"))
                        .isEqualTo(1);
            }
        }
    }

    @SuppressWarnings("try") // a resource that works beside the body, closed when it ends
    @Test
    void severalSubscriptionsShareTheTablesAndCutOverTogether(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.01);
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 20_000_000)) {
                CliRun run = migrate(pair, work, "--set-replica-identity-full", "--subscriptions", "3");
                assertThat(run.exitCode()).as(run.all()).isZero();
                assertThat(run.out())
                        .contains("created subscription " + "pgferry_")
                        .contains("_3");
                writer.awaitTransactions(writer.transactions() + 20, Duration.ofMinutes(1));
                CliRun cut = cutover(pair, work);
                assertThat(cut.exitCode()).as(cut.all()).isZero();
            }
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT count(*) FROM pg_subscription")).isEqualTo(3);
                assertThat(scalar(s, "SELECT count(*) FROM pg_publication_tables"))
                        .as("every table published exactly once")
                        .isEqualTo(
                                scalar(s, "SELECT count(DISTINCT (schemaname, tablename)) FROM pg_publication_tables"));
                assertThat(DatabaseDigest.ofTables(t)).isEqualTo(DatabaseDigest.ofTables(s));
            }
            CliRun clean = CliRun.of(
                    "cleanup", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(clean.exitCode()).as(clean.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT count(*) FROM pg_subscription")).isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_replication_slots"))
                        .isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_publication")).isZero();
            }
        }
    }

    @Test
    void sixteenToSeventeenCopiesTheSchemaWithANewerPgDump(@TempDir Path work) throws Exception {
        boolean pgDump16 = new io.pgferry.schema.PgClientToolLocator(java.util.Optional.empty())
                .available().stream().anyMatch(t -> t.major() >= 16);
        Requirement.PG_DUMP_17.assume(
                pgDump16,
                "no pg_dump 16+ on PATH, so a 16 source's schema cannot be copied: put .ci/pg-client-17.sh's bin"
                        + " directory on PATH (.ci/run does)");
        try (ClusterPair pair = PgFixture.pair(16, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.01);
            assertThat(migrate(pair, work, "--set-replica-identity-full").exitCode())
                    .isZero();
            assertThat(cutover(pair, work).exitCode()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.ofTables(t)).isEqualTo(DatabaseDigest.ofTables(s));
            }
        }
    }

    @Test
    void tableWithoutKeyIsRefusedWithTheFixThenAcceptedWithTheFlag(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE keyed (id int PRIMARY KEY, v text)",
                    "CREATE TABLE \"Log Lines\" (at timestamptz, line text)",
                    "INSERT INTO keyed SELECT g, 'v' FROM generate_series(1, 100) g",
                    "INSERT INTO \"Log Lines\" SELECT now(), 'l' || g FROM generate_series(1, 100) g");
            CliRun refused = migrate(pair, work);
            assertThat(refused.exitCode()).isEqualTo(2);
            assertThat(refused.err())
                    .contains("public.Log Lines")
                    .contains("ALTER TABLE \"public\".\"Log Lines\" REPLICA IDENTITY FULL;")
                    .contains("--set-replica-identity-full");
            try (Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(io.pgferry.schema.TargetContents.userObjects(t, 5)).isEmpty();
            }
            CliRun accepted = migrate(pair, work, "--set-replica-identity-full");
            assertThat(accepted.exitCode()).as(accepted.all()).isZero();
            CliRun status = CliRun.of("status", "--dir", work.toString(), "--json");
            var json = io.pgferry.testing.StatusSchema.assertValid(status.out());
            assertThat(json.at("/run/method").asText()).isEqualTo("logical");
            assertThat(json.at("/lag/appliedLsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
            assertThat(json.at("/lag/lagBytes").isNumber()).isTrue();
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "DELETE FROM \"Log Lines\" WHERE line = 'l7'",
                    "UPDATE \"Log Lines\" SET line = 'x' WHERE line = 'l8'");
            CliRun cut = cutover(pair, work);
            assertThat(cut.exitCode()).as(cut.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.ofTables(t)).isEqualTo(DatabaseDigest.ofTables(s));
            }
        }
    }

    @Test
    void aSourceTheTargetCannotReachIsReportedWithTheWayOut(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(pair.source(), "app", "CREATE TABLE t (id int PRIMARY KEY)");
            int closedPort;
            try (java.net.ServerSocket sock = new java.net.ServerSocket(0)) {
                closedPort = sock.getLocalPort();
            }
            String unreachable = "postgres://postgres:" + pair.source().password() + "@127.0.0.1:" + closedPort
                    + "/app?sslmode=disable";
            CliRun run = migrate(pair, work, "--source-from-target", unreachable);
            assertThat(run.exitCode()).isEqualTo(3);
            assertThat(run.err())
                    .contains("the target server cannot reach the source at 127.0.0.1:" + closedPort)
                    .contains("--source-from-target");
            assertThat(run.all()).doesNotContain(pair.source().password());
            try (Connection s = PgFixture.connect(pair.source(), "app")) {
                assertThat(scalar(s, "SELECT count(*) FROM pg_replication_slots"))
                        .as("no slot left behind")
                        .isZero();
            }
        }
    }

    @Test
    void walLevelReplicaGivesTheFix(@TempDir Path work) throws Exception {
        try (LocalCluster source = PgFixture.server(15, Map.of("wal_level", "replica"));
                LocalCluster target = PgFixture.server(17)) {
            PgFixture.createDatabase(source, "app");
            PgFixture.createDatabase(target, "app");
            ClusterPair pair = new ClusterPair(source, target);
            CliRun run = migrate(pair, work);
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err()).contains("wal_level = replica").contains("ALTER SYSTEM SET wal_level = logical");
        }
    }

    @Test
    void cutoverWhoseLagNeverDrainsTimesOutAndLiftsTheFence(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE t (id int PRIMARY KEY, v int)",
                    "INSERT INTO t SELECT g, 0 FROM generate_series(1, 1000) g");
            assertThat(migrate(pair, work).exitCode()).isZero();
            try (Connection blocker = PgFixture.connect(pair.target(), "app")) {
                blocker.setAutoCommit(false);
                exec(blocker, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
                PgFixture.exec(pair.source(), "app", "UPDATE t SET v = 1 WHERE id = 1");
                CliRun cut = cutover(pair, work, "--timeout", "PT4S", "--max-lag", "PT1H");
                assertThat(cut.exitCode()).isEqualTo(1);
                assertThat(cut.err()).contains("did not catch up within");
                assertThat(cut.all()).contains("fence on the source is lifted");
                PgFixture.exec(pair.source(), "app", "UPDATE t SET v = 2 WHERE id = 2"); // writable again
                blocker.rollback();
            }
            CliRun again = cutover(pair, work);
            assertThat(again.exitCode()).as(again.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.ofTables(t)).isEqualTo(DatabaseDigest.ofTables(s));
            }
        }
    }

    @Test
    void killedDuringInitialSyncResumesWithoutDuplicates(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.05);
            Process child = new ProcessBuilder(
                            "java",
                            "-jar",
                            Path.of("target/pgferry.jar").toAbsolutePath().toString(),
                            "migrate",
                            "--method",
                            "logical",
                            "--dir",
                            work.toString(),
                            "--source",
                            pair.sourceUri(),
                            "--target",
                            pair.targetUri(),
                            "--set-replica-identity-full",
                            "--post-data",
                            "after")
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("child.log").toFile())
                    .start();
            try {
                long deadline = System.currentTimeMillis() + 120_000;
                while (!subscriptionExists(pair.target()) && System.currentTimeMillis() < deadline && child.isAlive()) {
                    Thread.sleep(20); // polling: the kill must land while the initial sync runs
                }
                assertThat(subscriptionExists(pair.target()))
                        .as("subscription created before the kill")
                        .isTrue();
                try (Connection t = PgFixture.connect(pair.target(), "app")) {
                    assertThat(scalar(t, "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate NOT IN ('r','s')"))
                            .as("the kill lands during the initial sync")
                            .isPositive();
                }
            } finally {
                Processes.kill(child);
            }
            CliRun resumed = migrate(pair, work, "--set-replica-identity-full");
            assertThat(resumed.exitCode()).as(resumed.all()).isZero();
            assertThat(resumed.out()).doesNotContain("created subscription");
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgferry%'"))
                        .isEqualTo(1);
                assertThat(scalar(s, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgferry%'"))
                        .isEqualTo(1);
            }
            assertThat(cutover(pair, work).exitCode()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.ofTables(t)).isEqualTo(DatabaseDigest.ofTables(s));
            }
        }
    }

    private static boolean subscriptionExists(LocalCluster target) throws SQLException {
        try (Connection t = PgFixture.connect(target, "app")) {
            return scalar(t, "SELECT count(*) FROM pg_subscription") > 0;
        }
    }
}
