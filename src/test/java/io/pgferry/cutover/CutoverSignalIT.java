package io.pgferry.cutover;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.WorkDirStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cutover stopped by SIGTERM while it waits for the target leaves the source writable; one
 * whose fence cannot be lifted reports its own error and the statement that lifts the fence.
 */
@Timeout(300)
class CutoverSignalIT {

    @Test
    void sigtermDuringTheDrainLiftsTheFence(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("work");
        try (ClusterPair pair = PgFixture.pair(15, 18)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE t (id int PRIMARY KEY)",
                    "INSERT INTO t SELECT generate_series(1, 100)");
            List<String> conn =
                    List.of("--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            List<String> migrateArgs =
                    new ArrayList<>(List.of("migrate", "--method", "logical", "--ready-lag", "PT5S"));
            migrateArgs.addAll(conn);
            CliRun migrate = CliRun.of(migrateArgs.toArray(String[]::new));
            assertThat(migrate.exitCode()).as(migrate.all()).isZero();

            // the target's apply waits behind this lock, so the cutover waits in its drain with the fence up
            try (Connection lock = PgFixture.connect(pair.target(), "app");
                    Statement st = lock.createStatement()) {
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
                PgFixture.exec(pair.source(), "app", "INSERT INTO t VALUES (1000)");

                Path log = dir.resolve("cutover.log");
                List<String> command = new ArrayList<>(List.of(
                        "java",
                        "-jar",
                        Path.of("target/pgferry.jar").toAbsolutePath().toString(),
                        "cutover"));
                command.addAll(conn);
                Process cutover = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
                try {
                    awaitDrain(work.resolve("state.db"), Instant.EPOCH, cutover, log);
                    assertThat(readOnlySetting(pair))
                            .as("fenced while draining")
                            .isEqualTo(1);
                    cutover.destroy(); // SIGTERM
                    assertThat(cutover.waitFor(60, TimeUnit.SECONDS))
                            .as(Files.readString(log))
                            .isTrue();
                } finally {
                    Processes.kill(cutover);
                }
                assertThat(Files.readString(log)).contains("the write fence on the source is lifted");
                assertThat(readOnlySetting(pair)).isZero();
                PgFixture.exec(pair.source(), "app", "INSERT INTO t VALUES (1001)"); // writable again

                // a fence that cannot be lifted (the source takes no connection any more) does not hide why the cutover
                // failed, and the user is handed the statement that lifts it
                List<String> cutoverArgs = new ArrayList<>(List.of("cutover", "--timeout", "PT8S"));
                cutoverArgs.addAll(conn);
                ExecutorService inProcess = Executors.newSingleThreadExecutor();
                Instant second = Instant.now();
                try {
                    Future<CliRun> stuck = inProcess.submit(() -> CliRun.of(cutoverArgs.toArray(String[]::new)));
                    awaitDrain(work.resolve("state.db"), second, null, log);
                    PgFixture.exec(pair.source(), "postgres", "ALTER DATABASE app ALLOW_CONNECTIONS false");
                    CliRun failed = stuck.get(120, TimeUnit.SECONDS);
                    PgFixture.exec(pair.source(), "postgres", "ALTER DATABASE app ALLOW_CONNECTIONS true");
                    assertThat(failed.exitCode()).as(failed.all()).isNotZero();
                    assertThat(failed.err())
                            .as("the original error")
                            .containsAnyOf("did not catch up within", "not currently accepting connections");
                    assertThat(failed.all())
                            .contains("could not lift the write fence on the source")
                            .contains("ALTER DATABASE \"app\" RESET default_transaction_read_only;");
                } finally {
                    inProcess.shutdownNow();
                }
                assertThat(readOnlySetting(pair)).as("still fenced").isEqualTo(1);
                List<String> cleanupArgs = new ArrayList<>(List.of("cleanup"));
                cleanupArgs.addAll(conn);
                CliRun cleanup = CliRun.of(cleanupArgs.toArray(String[]::new));
                assertThat(cleanup.exitCode()).as(cleanup.all()).isZero();
                assertThat(readOnlySetting(pair))
                        .as("cleanup lifts a fence no cutover completed")
                        .isZero();
                lock.rollback();
            }
        }
    }

    /** Waits until a cutover that started after {@code after} is in its drain (the killed one's step stays "running"). */
    private static void awaitDrain(Path stateDb, Instant after, Process p, Path log) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            if (p != null) {
                assertThat(p.isAlive())
                        .as(Files.exists(log) ? Files.readString(log) : "(no log)")
                        .isTrue();
            }
            boolean draining = WorkDirStatus.read(stateDb.getParent())
                    .map(s -> java.util.stream.StreamSupport.stream(
                                    s.get("steps").spliterator(), false)
                            .anyMatch(step -> step.get("name").asText().equals("cutover-drain")
                                    && step.get("status").asText().equals("running")
                                    && WorkDirStatus.instant(step.get("startedAt"))
                                            .isAfter(after)))
                    .orElse(false);
            if (draining) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("cutover did not reach its drain within 2 minutes:\n"
                + (Files.exists(log) ? Files.readString(log) : ""));
    }

    private static long readOnlySetting(ClusterPair pair) throws Exception {
        try (Connection c = PgFixture.connect(pair.source(), "app");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_db_role_setting s, unnest(s.setconfig) cfg"
                        + " WHERE cfg = 'default_transaction_read_only=on'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
