package io.pgferry.method.copy;

import static io.pgferry.method.copy.CopyStreamIT.assertSameData;
import static io.pgferry.method.copy.CopyStreamIT.awaitLagBelow;
import static io.pgferry.method.copy.CopyStreamIT.awaitStreaming;
import static io.pgferry.method.copy.CopyStreamIT.copyCommand;
import static io.pgferry.method.copy.CopyStreamIT.cutOverAndAwaitEnd;
import static io.pgferry.method.copy.CopyStreamIT.loadShopForCopy;
import static io.pgferry.method.copy.CopyStreamIT.log;
import static io.pgferry.method.copy.CopyStreamIT.start;
import static io.pgferry.testing.Sql.exec;
import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.ShopWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The change stream halted at each boundary of its apply path, as a SIGKILL would, with an
 * application writing on the source: the resumed stream loses and doubles nothing.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class StreamFaultsIT {

    static Stream<Arguments> applyPointsAndPairs() {
        List<Arguments> out = new ArrayList<>();
        for (FaultPoint point : List.of(
                FaultPoint.APPLY_ROWS_SENT, FaultPoint.APPLY_AFTER_ORIGIN_SETUP, FaultPoint.APPLY_AFTER_COMMIT)) {
            for (int[] pair : new int[][] {{15, 15}, {15, 17}, {13, 18}, {17, 18}}) {
                out.add(Arguments.of(point, pair[0], pair[1]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "halt at {0}, {1} -> {2}")
    @MethodSource("applyPointsAndPairs")
    void aHaltAtAnApplyBoundaryLosesAndDoublesNothing(
            FaultPoint point, int sourceMajor, int targetMajor, @TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            // a 17 source's schema is made on the target, as a team with its own migrations would: the test then runs
            // with or without a pg_dump 17 on PATH
            boolean dataOnly = sourceMajor >= 16;
            loadShopForCopy(pair, dataOnly, 0.01);
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                List<String> migrate = copyCommand(pair, work, dataOnly);
                // the fifth flush group: the stream is under way, with the writer's transactions in flight
                Process halted = start(
                        work, "migrate", Map.of(Faults.VARIABLE, point.id() + "@5"), migrate.toArray(String[]::new));
                try {
                    assertThat(halted.waitFor(4, TimeUnit.MINUTES))
                            .as("pgferry halts at " + point.id())
                            .isTrue();
                } finally {
                    Processes.kill(halted);
                }
                assertThat(halted.exitValue()).as(log(work, "migrate")).isEqualTo(Faults.HALT_STATUS);
                assertThat(log(work, "migrate")).contains("halting at fault point " + point.id());

                Process follow = start(
                        work,
                        "follow",
                        "follow",
                        "--dir",
                        work.toString(),
                        "--source",
                        pair.sourceUri(),
                        "--target",
                        pair.targetUri());
                try {
                    awaitStreaming(work, follow);
                    if (point == FaultPoint.APPLY_AFTER_ORIGIN_SETUP && targetMajor >= 17) {
                        // the killed session's abort moved the origin past the rolled-back group: it must have been put
                        // back
                        assertThat(log(work, "follow")).contains("moved it back");
                    }
                    cutOverAndAwaitEnd(work, pair, follow, "--max-lag", "1m");
                } finally {
                    Processes.kill(follow);
                }
                assertThat(writer.transactions())
                        .as("the writer wrote during copy and stream")
                        .isGreaterThan(20);
            }
            assertSameData(pair, work);
        }
    }

    /**
     * A target that refuses a transaction at COMMIT (a deferred trigger) stops the stream; once
     * the cause is removed, follow applies every source row: on 17 and 18 the refused commit had
     * moved the origin over its group.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"15, 17", "15, 18"})
    void aTransactionTheTargetRefusesAtCommitArrivesAfterTheFix(int sourceMajor, int targetMajor, @TempDir Path work)
            throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.exec(pair.source(), "app", "CREATE TABLE t (id int PRIMARY KEY)");
            Process p = start(
                    work,
                    "migrate",
                    "migrate",
                    "--method",
                    "copy",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            try {
                awaitStreaming(work, p);
                PgFixture.exec(
                        pair.target(),
                        "app",
                        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$",
                        "CREATE CONSTRAINT TRIGGER refuse_13 AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                                + " WHEN (NEW.id = 13) EXECUTE FUNCTION refuse()",
                        "ALTER TABLE t ENABLE ALWAYS TRIGGER refuse_13");
                try (Connection c = PgFixture.connect(pair.source(), "app")) {
                    for (int i = 1; i <= 20; i++) {
                        exec(c, "INSERT INTO t VALUES (" + i + ")");
                    }
                }
                assertThat(p.waitFor(2, TimeUnit.MINUTES))
                        .as("the stream stops on the refused commit")
                        .isTrue();
                assertThat(p.exitValue()).isEqualTo(1);
            } finally {
                Processes.kill(p);
            }
            assertThat(log(work, "migrate")).contains("refused at commit").contains("run pgferry follow again");
            PgFixture.exec(pair.target(), "app", "DROP TRIGGER refuse_13 ON t"); // the fix
            Process follow = start(
                    work,
                    "follow",
                    "follow",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            try {
                awaitStreaming(work, follow);
                assertThat(log(work, "follow")).contains("moved it back");
                awaitLagBelow(work, follow, 64 * 1024, 60);
                cutOverAndAwaitEnd(work, pair, follow, "--checksums");
            } finally {
                Processes.kill(follow);
            }
            try (Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT count(*) FROM t"))
                        .as(CopyStreamIT.diagnostics(pair, work))
                        .isEqualTo(20);
            }
            assertSameData(pair, work);
        }
    }
}
