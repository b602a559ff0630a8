package io.pgferry.method.copy;

import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.ShopWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Method copy with its change stream: copy under a live writer, stream, kill, resume, cut over. */
class CopyStreamIT {

    @ParameterizedTest(name = "shop.sql {0} -> {1} under a writer")
    @CsvSource({"15, 17", "13, 18"})
    void copiesStreamsAndCutsOverUnderAWriter(int sourceMajor, int targetMajor, @TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.loadShop(pair.source(), "app", 0.02);
            PgFixture.exec(pair.source(), "app", "CREATE TABLE scratch (id int PRIMARY KEY, v text)",
                    "INSERT INTO scratch SELECT g, 'v' FROM generate_series(1, 100) g");
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                Process migrate = start(work, "migrate-1", "migrate", "--method", "copy", "--set-replica-identity-full", "--jobs", "2",
                        "--split-tables-larger-than", "1MB", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
                try {
                    awaitStreaming(work, migrate);
                    // an unchanged TOASTed column (description) must survive an update of another column; a truncate must arrive
                    PgFixture.exec(pair.source(), "app", "UPDATE products SET price = price + 1 WHERE id = 3",
                            "TRUNCATE scratch", "INSERT INTO scratch VALUES (1, 'after truncate')");
                    Thread.sleep(2000);
                    CliRun cut = CliRun.of("cutover", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri(),
                            "--checksums", "--max-lag", "1m");
                    assertThat(cut.exitCode()).as(cut.all()).isZero();
                    assertThat(migrate.waitFor(60, TimeUnit.SECONDS)).as("migrate ends after cutover").isTrue();
                    assertThat(migrate.exitValue()).as(log(work, "migrate-1")).isZero();
                } finally {
                    migrate.destroyForcibly().waitFor();
                }
                assertThat(writer.transactions()).as("the writer wrote during copy and stream").isGreaterThan(20);
            }
            assertSameData(pair);
            CliRun cleanup = CliRun.of("cleanup", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(cleanup.exitCode()).as(cleanup.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app"); Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(s, "SELECT count(*) FROM pg_replication_slots")).isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_publication")).isZero();
                assertThat(scalar(t, "SELECT count(*) FROM pg_replication_origin")).isZero();
            }
        }
    }

    @Test
    void killedTwiceDuringTheStreamLosesAndDoublesNothing(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.01);
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                Process p = start(work, "run-0", "migrate", "--method", "copy", "--set-replica-identity-full", "--dir", work.toString(),
                        "--source", pair.sourceUri(), "--target", pair.targetUri());
                for (int round = 1; round <= 2; round++) {
                    try {
                        awaitStreaming(work, p);
                        Thread.sleep(ThreadLocalRandom.current().nextLong(300, 2500));
                    } finally {
                        p.destroyForcibly().waitFor(); // SIGKILL: no chance to tidy up
                    }
                    p = start(work, "run-" + round, "follow", "--dir", work.toString(), "--source", pair.sourceUri(),
                            "--target", pair.targetUri());
                }
                try {
                    awaitStreaming(work, p);
                    Thread.sleep(1500);
                    CliRun cut = CliRun.of("cutover", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri(),
                            "--max-lag", "1m");
                    assertThat(cut.exitCode()).as(cut.all()).isZero();
                    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                } finally {
                    p.destroyForcibly().waitFor();
                }
            }
            assertSameData(pair);
        }
    }

    @Test
    void transactionsApplyInCommitOrderNotBeginOrder(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(pair.source(), "app", "CREATE TABLE ledger (id int PRIMARY KEY, v text)",
                    "CREATE TABLE counter (id int PRIMARY KEY, n int)", "INSERT INTO counter VALUES (1, 0)");
            Process p = start(work, "migrate", "migrate", "--method", "copy", "--dir", work.toString(),
                    "--source", pair.sourceUri(), "--target", pair.targetUri());
            try {
                awaitStreaming(work, p);
                try (Connection a = PgFixture.connect(pair.source(), "app"); Connection b = PgFixture.connect(pair.source(), "app")) {
                    a.setAutoCommit(false);
                    b.setAutoCommit(false);
                    exec(a, "INSERT INTO ledger VALUES (1, 'A began first')");
                    exec(b, "INSERT INTO ledger VALUES (2, 'B began second')");
                    exec(b, "UPDATE counter SET n = 10 WHERE id = 1");
                    b.commit();
                    // A sets the counter after B did: only commit order gives the source's final value 11
                    exec(a, "UPDATE counter SET n = n + 1 WHERE id = 1");
                    a.commit();
                }
                Thread.sleep(1500);
                CliRun cut = CliRun.of("cutover", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
                assertThat(cut.exitCode()).as(cut.all()).isZero();
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                p.destroyForcibly().waitFor();
            }
            try (Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT n FROM counter WHERE id = 1")).isEqualTo(11);
                assertThat(scalar(t, "SELECT count(*) FROM ledger")).isEqualTo(2);
            }
            assertSameData(pair);
        }
    }

    private static void assertSameData(ClusterPair pair) throws Exception {
        try (Connection s = PgFixture.connect(pair.source(), "app"); Connection t = PgFixture.connect(pair.target(), "app")) {
            assertThat(DatabaseDigest.ofTables(t)).isEqualTo(DatabaseDigest.ofTables(s));
            if (scalar(s, "SELECT count(*) FROM pg_class WHERE relname = 'invoice_no_seq'") > 0) {
                assertThat(scalar(t, "SELECT last_value FROM invoice_no_seq"))
                        .isGreaterThanOrEqualTo(scalar(s, "SELECT coalesce(max(invoice_no), 0) FROM orders"));
            }
        }
    }

    static Process start(Path work, String logName, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", Path.of("target/pgferry.jar").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve(logName + ".log").toFile()).start();
    }

    static String log(Path work, String logName) throws Exception {
        Path f = work.resolve(logName + ".log");
        return Files.exists(f) ? Files.readString(f) : "(no log)";
    }

    /** Waits until the stream process has refreshed its progress in the state store. */
    static void awaitStreaming(Path work, Process p) throws Exception {
        long deadline = System.currentTimeMillis() + 180_000;
        while (System.currentTimeMillis() < deadline) {
            if (!p.isAlive()) {
                StringBuilder logs = new StringBuilder();
                try (var files = Files.list(work)) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                        logs.append("--- ").append(f.getFileName()).append('\n').append(Files.readString(f));
                    }
                }
                throw new AssertionError("the pgferry process ended before streaming:\n" + logs);
            }
            Path db = work.resolve("state.db");
            if (Files.exists(db)) {
                try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT count(*) FROM cdc_progress WHERE updated_at > strftime('%Y-%m-%dT%H:%M:%f', 'now', '-3 seconds')")) {
                    if (rs.next() && rs.getLong(1) > 0) {
                        return;
                    }
                } catch (java.sql.SQLException e) {
                    // the store is being created
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the change stream did not start within 3 minutes");
    }

    static long scalar(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void exec(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
