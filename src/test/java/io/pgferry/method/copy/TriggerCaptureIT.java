package io.pgferry.method.copy;

import static io.pgferry.method.copy.CopyStreamIT.awaitStreaming;
import static io.pgferry.method.copy.CopyStreamIT.log;
import static io.pgferry.method.copy.CopyStreamIT.logs;
import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.pg.ConnectionSpec;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.ShopWriter;
import io.pgferry.testing.WorkDirStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Method copy with trigger capture, on a source that allows no logical replication
 * (wal_level = replica) through a role that only owns the database and its tables (no
 * superuser, no REPLICATION): a keyless table refused before anything is created; then, with
 * writers inserting, updating, deleting, changing keys and truncating throughout, a kill during
 * the copy, a kill during the apply between the target's commit and the log's purge, a rerun,
 * cutover with checksums, and cleanup that leaves nothing of the run on the source.
 */
class TriggerCaptureIT {
    private static final String OWNER = "shop_owner";
    private static final String OWNER_PASSWORD = "owner-pw";

    @ParameterizedTest(name = "{0} -> {1}, wal_level=replica, a non-superuser owner")
    @CsvSource({"15, 17", "13, 18"})
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void capturesCopiesSurvivesKillsAndCutsOver(int sourceMajor, int targetMajor, @TempDir Path work) throws Exception {
        try (ClusterPair pair = new ClusterPair(
                PgFixture.server(sourceMajor, Map.of("wal_level", "replica")), PgFixture.server(targetMajor))) {
            PgFixture.exec(
                    pair.source(),
                    "postgres",
                    "CREATE ROLE " + OWNER + " LOGIN NOSUPERUSER NOREPLICATION PASSWORD '" + OWNER_PASSWORD + "'",
                    "CREATE DATABASE app OWNER " + OWNER);
            PgFixture.createDatabase(pair.target(), "app");
            PgFixture.psql(
                    pair.source(),
                    "app",
                    List.of(
                            "-c",
                            "SET ROLE " + OWNER,
                            "-v",
                            "scale=0.01",
                            "-f",
                            PgFixture.sharedDir()
                                    .resolve("datasets/shop.sql")
                                    .toAbsolutePath()
                                    .toString()));
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "SET ROLE " + OWNER,
                    "CREATE TABLE scratch (id int PRIMARY KEY, v text)",
                    "INSERT INTO scratch SELECT g, 'v' FROM generate_series(1, 200) g");
            String source = "postgres://" + OWNER + ":" + OWNER_PASSWORD + "@127.0.0.1:"
                    + pair.source().port() + "/app?sslmode=disable";
            List<String> migrate = new ArrayList<>(List.of(
                    "migrate",
                    "--method",
                    "copy",
                    "--capture",
                    "triggers",
                    "--jobs",
                    "2",
                    "--dir",
                    work.toString(),
                    "--source",
                    source,
                    "--target",
                    pair.targetUri()));

            CliRun keyless = CliRun.of(migrate.toArray(String[]::new));
            assertThat(keyless.exitCode()).as(keyless.all()).isEqualTo(2);
            assertThat(keyless.all())
                    .contains("public.audit_log")
                    .contains("ADD PRIMARY KEY")
                    .contains("--exclude-table public.audit_log");
            try (Connection s = PgFixture.connect(pair.source(), "app")) {
                assertThat(scalar(s, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgferry%'"))
                        .as("nothing created")
                        .isZero();
            }

            migrate.addAll(List.of("--exclude-table", "public.audit_log"));
            // the application runs as the owner too: the fence may end its sessions without superuser rights
            ShopWriter.Connect asOwner = () -> java.sql.DriverManager.getConnection(
                    ConnectionSpec.parse(source).jdbcUrl(),
                    ConnectionSpec.parse(source).jdbcProperties("test-app"));
            try (ShopWriter shop = new ShopWriter(asOwner, 1_000_000);
                    KeyChurn churn = new KeyChurn(asOwner)) {
                killMidCopy(pair, work, start(work, "migrate-1", null, migrate));

                Process applyKilled = start(work, "migrate-2", "capture.applied-not-purged@3", migrate);
                assertThat(applyKilled.waitFor(180, TimeUnit.SECONDS))
                        .as(logs(work))
                        .isTrue();
                assertThat(applyKilled.exitValue())
                        .as("halted in the apply: " + log(work, "migrate-2"))
                        .isEqualTo(137);
                assertThat(log(work, "migrate-2"))
                        .contains("table(s) already copied are kept")
                        .contains("applying changes of");

                Process follow = start(
                        work,
                        "follow",
                        null,
                        List.of("follow", "--dir", work.toString(), "--source", source, "--target", pair.targetUri()));
                try {
                    awaitStreaming(work, follow);
                    awaitBacklogRecorded(work);
                    CliRun status = CliRun.of("status", "--dir", work.toString(), "--json");
                    var json = io.pgferry.testing.StatusSchema.assertValid(status.out());
                    assertThat(json.at("/lag/backlog/rows").isNumber())
                            .as(status.out())
                            .isTrue();
                    assertThat(churn.truncates())
                            .as("the churn truncated during copy and apply")
                            .isPositive();
                    churn.stop();
                    // DDL on the source during the migration: triggers do not carry it, so cutover refuses before
                    // fencing
                    PgFixture.exec(pair.source(), "app", "ALTER TABLE scratch ADD COLUMN extra int");
                    CliRun drift = CliRun.of(
                            "cutover", "--dir", work.toString(), "--source", source, "--target", pair.targetUri());
                    assertThat(drift.exitCode()).as(drift.all()).isEqualTo(2);
                    assertThat(drift.all())
                            .contains("the columns of public.scratch changed")
                            .contains("nothing was fenced");
                    PgFixture.exec(pair.source(), "app", "ALTER TABLE scratch DROP COLUMN extra");
                    CliRun cut = CliRun.of(
                            "cutover",
                            "--dir",
                            work.toString(),
                            "--source",
                            source,
                            "--target",
                            pair.targetUri(),
                            "--checksums",
                            "--max-lag",
                            "1m");
                    assertThat(cut.exitCode()).as(cut.all() + "\n" + logs(work)).isZero();
                    assertThat(follow.waitFor(60, TimeUnit.SECONDS))
                            .as("the apply ends after cutover")
                            .isTrue();
                } finally {
                    Processes.kill(follow);
                }
                assertThat(shop.transactions())
                        .as("the application wrote throughout")
                        .isGreaterThan(20);
            }

            CliRun dry = CliRun.of(
                    "cleanup", "--dry-run", "--dir", work.toString(), "--source", source, "--target", pair.targetUri());
            assertThat(dry.exitCode()).as(dry.all()).isZero();
            assertThat(dry.out()).contains("would remove source capture schema pgferry_");
            CliRun cleanup =
                    CliRun.of("cleanup", "--dir", work.toString(), "--source", source, "--target", pair.targetUri());
            assertThat(cleanup.exitCode()).as(cleanup.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(s, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgferry%'"))
                        .isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgferry%'"))
                        .isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_proc WHERE proname LIKE 'capture\\_%'"))
                        .isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_class WHERE relname LIKE 'log\\_%'"))
                        .isZero();
                assertThat(scalar(t, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgferry%'"))
                        .as("no capture trigger copied")
                        .isZero();
                assertThat(scalar(t, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgferry%'"))
                        .isZero();
                Map<String, String> expected = new java.util.TreeMap<>(DatabaseDigest.ofTables(s));
                expected.remove("public.audit_log");
                assertThat(DatabaseDigest.ofTables(t)).isEqualTo(expected);
                assertThat(scalar(t, "SELECT last_value FROM invoice_no_seq"))
                        .isGreaterThanOrEqualTo(scalar(s, "SELECT coalesce(max(invoice_no), 0) FROM orders"));
            }
        }
    }

    /**
     * Kills pgferry (SIGKILL) in the middle of the copy: a lock held on the target's scratch
     * table (the smallest, copied last) keeps that table from loading while others complete.
     */
    private static void killMidCopy(ClusterPair pair, Path work, Process p) throws Exception {
        try (Connection t = PgFixture.connect(pair.target(), "app")) {
            long deadline = System.currentTimeMillis() + 180_000;
            while (scalar(t, "SELECT count(*) FROM pg_class WHERE relname = 'scratch'") == 0) {
                CopyStreamIT.assertAlive(work, p);
                assertThat(System.currentTimeMillis())
                        .as("the schema reaches the target")
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
            t.setAutoCommit(false);
            try (Statement st = t.createStatement()) {
                st.execute("LOCK TABLE scratch IN ACCESS SHARE MODE");
            }
            while (partsDone(work) < 5) {
                CopyStreamIT.assertAlive(work, p);
                assertThat(System.currentTimeMillis()).as("tables get copied").isLessThan(deadline);
                Thread.sleep(50);
            }
            Processes.kill(p);
            t.rollback();
        }
        JsonNode status = WorkDirStatus.read(work).orElseThrow();
        assertThat(status.get("tables"))
                .filteredOn(t -> t.get("table").asText().equals("scratch"))
                .as("killed while scratch was still to copy: " + log(work, "migrate-1"))
                .allSatisfy(t -> assertThat(t.get("partsDone").asInt()).isZero());
    }

    /** Waits until an apply has counted the change logs' backlog into the state store (what status reports as the backlog). */
    private static void awaitBacklogRecorded(Path work) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (WorkDirStatus.read(work)
                .map(s -> s.at("/lag/backlog"))
                .filter(b -> !b.isMissingNode() && !b.isNull())
                .isEmpty()) {
            assertThat(System.currentTimeMillis()).as("the backlog is recorded").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static long partsDone(Path work) throws Exception {
        return WorkDirStatus.read(work)
                .map(s -> {
                    long done = 0;
                    for (JsonNode t : s.get("tables")) {
                        done += t.get("partsDone").asLong();
                    }
                    return done;
                })
                .orElse(0L);
    }

    private static Process start(Path work, String logName, String haltAt, List<String> args) throws Exception {
        ProcessBuilder pb = Processes.pgferry(work, logName, args);
        if (haltAt != null) {
            pb.environment().put("PGFERRY_TEST_HALT_AT", haltAt);
        }
        return pb.start();
    }

    /**
     * Changes what the shop writer does not: key updates (a row's id moves), deletes, and now
     * and then a TRUNCATE followed by fresh rows, on table scratch, until closed or fenced.
     */
    private static final class KeyChurn implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger truncates = new AtomicInteger();
        private final Thread thread;

        KeyChurn(ShopWriter.Connect connect) {
            thread = new Thread(() -> loop(connect), "key-churn");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop(ShopWriter.Connect connect) {
            try (Connection c = connect.open();
                    Statement st = c.createStatement()) {
                for (int i = 1; running.get(); i++) {
                    st.execute("INSERT INTO scratch VALUES (" + (100_000 + i) + ", 'new " + i
                            + "') ON CONFLICT DO NOTHING");
                    st.execute(
                            "UPDATE scratch SET id = id + 1000000 WHERE id = (SELECT min(id) FROM scratch WHERE id < 1000000)");
                    st.execute("UPDATE scratch SET v = 'changed " + i + "' WHERE id = (SELECT max(id) FROM scratch)");
                    st.execute("DELETE FROM scratch WHERE id = (SELECT min(id) FROM scratch)");
                    if (i % 150 == 0) {
                        st.execute("BEGIN");
                        st.execute("TRUNCATE scratch");
                        st.execute("INSERT INTO scratch SELECT g, 'after truncate " + i
                                + "' FROM generate_series(1, 50) g");
                        st.execute("COMMIT");
                        truncates.incrementAndGet();
                    }
                    Thread.sleep(5);
                }
            } catch (SQLException e) {
                // ended by the cutover fence, as an application would be
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        int truncates() {
            return truncates.get();
        }

        /** Stops writing and waits for the thread; the test goes on with the rows written so far. */
        public void stop() {
            running.set(false);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            stop();
        }
    }
}
