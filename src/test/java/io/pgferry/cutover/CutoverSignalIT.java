package io.pgferry.cutover;

import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A cutover stopped by SIGTERM while it waits for the target leaves the source writable. */
@Timeout(300)
class CutoverSignalIT {

    @Test
    void sigtermDuringTheDrainLiftsTheFence(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("work");
        try (ClusterPair pair = PgFixture.pair(15, 18)) {
            PgFixture.exec(pair.source(), "app", "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t SELECT generate_series(1, 100)");
            List<String> conn = List.of("--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            List<String> migrateArgs = new ArrayList<>(List.of("migrate", "--method", "logical", "--ready-lag", "PT5S"));
            migrateArgs.addAll(conn);
            CliRun migrate = CliRun.of(migrateArgs.toArray(String[]::new));
            assertThat(migrate.exitCode()).as(migrate.all()).isZero();

            // the target's apply waits behind this lock, so the cutover waits in its drain with the fence up
            try (Connection lock = PgFixture.connect(pair.target(), "app"); Statement st = lock.createStatement()) {
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
                PgFixture.exec(pair.source(), "app", "INSERT INTO t VALUES (1000)");

                Path log = dir.resolve("cutover.log");
                List<String> command = new ArrayList<>(List.of("java", "-jar", Path.of("target/pgferry.jar").toAbsolutePath().toString(), "cutover"));
                command.addAll(conn);
                Process cutover = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                try {
                    awaitDrain(work.resolve("state.db"), cutover, log);
                    assertThat(readOnlySetting(pair)).as("fenced while draining").isEqualTo(1);
                    cutover.destroy(); // SIGTERM
                    assertThat(cutover.waitFor(60, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
                } finally {
                    cutover.destroyForcibly();
                }
                assertThat(Files.readString(log)).contains("the write fence on the source is lifted");
                assertThat(readOnlySetting(pair)).isZero();
                PgFixture.exec(pair.source(), "app", "INSERT INTO t VALUES (1001)"); // writable again
                lock.rollback();
            }
        }
    }

    private static void awaitDrain(Path stateDb, Process p, Path log) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            assertThat(p.isAlive()).as(Files.exists(log) ? Files.readString(log) : "(no log)").isTrue();
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + stateDb); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM step WHERE name = 'cutover-drain' AND status = 'RUNNING'")) {
                if (rs.next() && rs.getInt(1) == 1) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("cutover did not reach its drain within 2 minutes:\n" + Files.readString(log));
    }

    private static long readOnlySetting(ClusterPair pair) throws Exception {
        try (Connection c = PgFixture.connect(pair.source(), "app"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_db_role_setting s, unnest(s.setconfig) cfg"
                     + " WHERE cfg = 'default_transaction_read_only=on'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
