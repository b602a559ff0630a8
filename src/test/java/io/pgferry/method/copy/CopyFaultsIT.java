package io.pgferry.method.copy;

import static io.pgferry.method.copy.CopyStreamIT.assertSameData;
import static io.pgferry.method.copy.CopyStreamIT.awaitLagBelow;
import static io.pgferry.method.copy.CopyStreamIT.awaitStreaming;
import static io.pgferry.method.copy.CopyStreamIT.copyCommand;
import static io.pgferry.method.copy.CopyStreamIT.cutOverAndAwaitEnd;
import static io.pgferry.method.copy.CopyStreamIT.loadShopForCopy;
import static io.pgferry.method.copy.CopyStreamIT.log;
import static io.pgferry.method.copy.CopyStreamIT.logs;
import static io.pgferry.testing.Sql.exec;
import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.ShopWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Method copy halted at each copy-side fault point, as a SIGKILL there would, with an
 * application writing to the source all along; the same command run again must finish the copy,
 * stream, and cut over with every row exactly once. And a source restart during the copy,
 * which the same process heals.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CopyFaultsIT {

    /**
     * The fourth buffer written to a target COPY is in the middle of some part (tables are split
     * at 512 kB, so there are parts of one table under way at once), and earlier ones may already
     * be complete: the rerun keeps those and copies the rest again under a fresh snapshot.
     * A post-data build halted after its commit (the third: some keys and indexes are in, some
     * not) is found built but unrecorded by the rerun, which must rebuild or keep it, not fail.
     * 17 -> 18 copies into a schema made on the target (so it runs with or without a pg_dump 17
     * on PATH): no builds (--data-only builds nothing), and only the copy point applies.
     */
    @ParameterizedTest(name = "{0} with {1} -> {2}")
    @CsvSource({
        "COPY_MID_PART, 15, 15, 4",
        "COPY_MID_PART, 15, 17, 4",
        "COPY_MID_PART, 13, 18, 4",
        "COPY_MID_PART, 17, 18, 4",
        "BUILD_AFTER_COMMIT, 15, 15, 3",
        "BUILD_AFTER_COMMIT, 15, 17, 3",
        "BUILD_AFTER_COMMIT, 13, 18, 3"
    })
    void haltedAtAFaultPointTheSameCommandFinishesLosingAndDoublingNothing(
            FaultPoint point, int sourceMajor, int targetMajor, int nth, @TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            boolean dataOnly = sourceMajor >= 16;
            loadShopForCopy(pair, dataOnly, 0.01);
            List<String> migrate =
                    copyCommand(pair, work, dataOnly, "--jobs", "2", "--split-tables-larger-than", "512kB");
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                Process halted = CopyStreamIT.start(
                        work,
                        "halted",
                        Map.of(Faults.VARIABLE, point.id() + "@" + nth),
                        migrate.toArray(String[]::new));
                try {
                    assertThat(halted.waitFor(180, TimeUnit.SECONDS))
                            .as("pgferry halts at " + point + "\n" + logs(work))
                            .isTrue();
                } finally {
                    Processes.kill(halted);
                }
                assertThat(halted.exitValue()).as(log(work, "halted")).isEqualTo(Faults.HALT_STATUS);
                assertThat(log(work, "halted")).contains("halting at fault point " + point.id());

                Process resumed = CopyStreamIT.start(work, "resumed", migrate.toArray(String[]::new));
                try {
                    awaitStreaming(work, resumed);
                    assertThat(log(work, "resumed"))
                            .as("the rerun resumed the copy")
                            .contains("resuming with a fresh snapshot");
                    awaitLagBelow(work, resumed, 64 * 1024, 120);
                    assertThat(writer.alive())
                            .as("the writer wrote through the halt and the rerun")
                            .isTrue();
                    cutOverAndAwaitEnd(work, pair, resumed, "--checksums", "--max-lag", "1m");
                    assertThat(resumed.exitValue()).as(log(work, "resumed")).isZero();
                } finally {
                    Processes.kill(resumed);
                }
            }
            assertSameData(pair, work);
        }
    }

    /**
     * A source restart kills the copy's exported snapshot. The restart comes while a worker is
     * held (by a lock the test takes on the target) in the middle of the data step: the
     * workers' retries then meet a snapshot that no longer exists, and the same process must
     * copy what is left under a fresh snapshot, stream, and cut over. The schema is made on the
     * target (--data-only) so that the lock can be taken before pgferry starts: SHARE lets the
     * preflight read the table and stops the copy's DELETE and COPY into it.
     */
    @Test
    void aSourceRestartDuringTheDataStepIsHealedByTheSameProcess(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 18)) {
            loadShopForCopy(pair, true, 0.01);
            Process migrate;
            try (Connection blocker = PgFixture.connect(pair.target(), "app")) {
                blocker.setAutoCommit(false);
                exec(blocker, "LOCK TABLE orders IN SHARE MODE");
                migrate = CopyStreamIT.start(
                        work,
                        "migrate",
                        copyCommand(pair, work, true, "--jobs", "2").toArray(String[]::new));
                awaitCopyWaitingOnOrders(work, pair, migrate);
                pair.source().restartWith(Map.of());
                blocker.rollback();
            }
            try {
                try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                    awaitStreaming(work, migrate);
                    awaitLagBelow(work, migrate, 64 * 1024, 120);
                    cutOverAndAwaitEnd(work, pair, migrate, "--max-lag", "1m");
                    assertThat(writer.transactions())
                            .as("the writer wrote during the stream")
                            .isPositive();
                }
                assertThat(migrate.exitValue()).as(log(work, "migrate")).isZero();
            } finally {
                Processes.kill(migrate);
            }
            assertThat(log(work, "migrate"))
                    .contains("healing in this process")
                    .contains("resuming with a fresh snapshot")
                    .contains("partly copied table(s) emptied");
            CliRun status = CliRun.of("status", "--dir", work.toString());
            assertThat(status.out()).as(status.all()).containsPattern("[1-9][0-9]* retries");
            assertSameData(pair, work);
        }
    }

    /** Waits until a session of the copy waits for the test's lock on orders, on the target. */
    private static void awaitCopyWaitingOnOrders(Path work, ClusterPair pair, Process migrate) throws Exception {
        long deadline = System.currentTimeMillis() + 180_000;
        try (Connection t = PgFixture.connect(pair.target(), "app")) {
            while (scalar(t, "SELECT count(*) FROM pg_locks WHERE relation = 'orders'::regclass AND NOT granted")
                    == 0) {
                CopyStreamIT.assertAlive(work, migrate);
                assertThat(System.currentTimeMillis())
                        .as("the copy reached orders within 3 minutes\n" + logs(work))
                        .isLessThan(deadline);
                Thread.sleep(100);
            }
        }
    }

    /**
     * Halted once the final post-data step's objects are in but before the step is recorded (as
     * a kill in that step would leave it, partly or wholly): the rerun must not drop and remake a
     * partitioned table's key, which would take the leaf indexes built beside the copy with it.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"15, 17", "13, 18"})
    void haltedInTheFinalPostDataTheRerunKeepsPartitionedKeysAndTheirLeaves(
            int sourceMajor, int targetMajor, @TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            loadShopForCopy(pair, false, 0.005);
            PgFixture.exec(pair.source(), "app", "ALTER TABLE events ADD CONSTRAINT events_id_at_key UNIQUE (id, at)");
            List<String> migrate = copyCommand(pair, work, false, "--no-follow");
            Process halted = CopyStreamIT.start(
                    work,
                    "migrate-1",
                    Map.of(Faults.VARIABLE, FaultPoint.FINAL_POST_DATA_APPLIED.id() + "@1"),
                    migrate.toArray(String[]::new));
            try {
                assertThat(halted.waitFor(4, TimeUnit.MINUTES))
                        .as("pgferry halts in the final post-data")
                        .isTrue();
            } finally {
                Processes.kill(halted);
            }
            assertThat(halted.exitValue()).as(log(work, "migrate-1")).isEqualTo(Faults.HALT_STATUS);
            Process rerun = CopyStreamIT.start(work, "migrate-2", migrate.toArray(String[]::new));
            try {
                assertThat(rerun.waitFor(4, TimeUnit.MINUTES)).isTrue();
            } finally {
                Processes.kill(rerun);
            }
            assertThat(rerun.exitValue()).as(logs(work)).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                String indexes = "SELECT count(*) FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid"
                        + " WHERE t.relname LIKE 'events%' AND x.indisvalid";
                assertThat(scalar(t, indexes))
                        .as("every events index valid and attached, as on the source")
                        .isEqualTo(scalar(s, indexes))
                        .isPositive();
            }
            assertSameData(pair, work);
        }
    }
}
