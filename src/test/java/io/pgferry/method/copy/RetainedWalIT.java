package io.pgferry.method.copy;

import static io.pgferry.method.copy.CopyStreamIT.awaitStreaming;
import static io.pgferry.method.copy.CopyStreamIT.log;
import static io.pgferry.method.copy.CopyStreamIT.logs;
import static io.pgferry.method.copy.CopyStreamIT.start;
import static io.pgferry.testing.Sql.exec;
import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.StatusSchema;
import io.pgferry.testing.WorkDirStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source's side of a run's slot: the WAL it retains is shown, a failure says it is retained
 * and how to remove it, the limit stops the stream and drops the slot (after a warning), and
 * cleanup gives back the replica identities pgferry changed. 15 -> 17.
 */
class RetainedWalIT {
    private static final long LIMIT = 48L << 20;
    /** WAL written per batch: a sixth of the limit, so the half-way warning comes at least one measurement before the stop. */
    private static final int BATCH_ROWS = 7_500;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void theLimitWarnsThenStopsTheStreamAndDropsTheSlotAndCleanupGivesBackReplicaIdentities(@TempDir Path work)
            throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE accounts (id int PRIMARY KEY, v int)",
                    "INSERT INTO accounts SELECT g, g FROM generate_series(1, 50) g",
                    "CREATE TABLE notes (body text)",
                    "INSERT INTO notes VALUES ('a')",
                    "CREATE TABLE memo (body text)",
                    "ALTER TABLE memo REPLICA IDENTITY NOTHING",
                    "CREATE TABLE ballast (pad text)"); // not published: its WAL holds nothing for the stream
            String[] conn = {"--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri()};
            Process migrate = start(
                    work,
                    "migrate",
                    concat(
                            new String[] {
                                "migrate",
                                "--method",
                                "copy",
                                "--set-replica-identity-full",
                                "--exclude-table",
                                "public.ballast",
                                "--max-retained-wal",
                                "48MB"
                            },
                            conn));
            try {
                awaitStreaming(work, migrate);
                awaitMeasured(work);
                try (Connection s = PgFixture.connect(pair.source(), "app")) {
                    assertThat(identity(s, "notes")).isEqualTo("f");
                    assertThat(identity(s, "memo")).isEqualTo("f");
                }
                CliRun status = CliRun.of("status", "--dir", work.toString(), "--json");
                JsonNode slot =
                        StatusSchema.assertValid(status.out()).get("slots").get(0);
                assertThat(slot.get("slot").asText()).startsWith("pgferry_");
                assertThat(slot.get("limitBytes").asLong()).isEqualTo(LIMIT);
                assertThat(slot.get("retainedBytes").isNumber()).isTrue();
                assertThat(slot.get("safeWalSize").isNull())
                        .as("no max_slot_wal_keep_size on the source")
                        .isTrue();
                assertThat(CliRun.of("status", "--dir", work.toString()).out())
                        .contains("slot " + slot.get("slot").asText() + ": retains");

                // a failure while the slot exists says it retains WAL and names cleanup
                PgFixture.exec(pair.target(), "app", "ALTER TABLE accounts ADD CONSTRAINT v_small CHECK (v < 100)");
                PgFixture.exec(pair.source(), "app", "UPDATE accounts SET v = 500 WHERE id = 1");
                assertThat(migrate.waitFor(60, TimeUnit.SECONDS))
                        .as("the stream stops on the refused change")
                        .isTrue();
                assertThat(migrate.exitValue()).isEqualTo(1);
            } finally {
                Processes.kill(migrate);
            }
            assertThat(log(work, "migrate"))
                    .contains("warning: max_slot_wal_keep_size is -1 on the source")
                    .contains("v_small")
                    .contains("is retaining WAL")
                    .contains("pgferry cleanup");
            PgFixture.exec(pair.target(), "app", "ALTER TABLE accounts DROP CONSTRAINT v_small");

            Process follow = start(work, "follow", concat(new String[] {"follow"}, conn));
            try (Connection holder = PgFixture.connect(pair.source(), "app");
                    Connection writer = PgFixture.connect(pair.source(), "app")) {
                awaitStreaming(work, follow);
                // an open transaction keeps the slot's restart_lsn where it began: everything written after it stays
                // retained
                holder.setAutoCommit(false);
                exec(holder, "INSERT INTO ballast VALUES ('open')");
                int batches = 0;
                while (follow.isAlive()) {
                    assertThat(batches++)
                            .as("the stream outlived " + batches + " batches of WAL:\n" + logs(work))
                            .isLessThan(40);
                    exec(
                            writer,
                            "INSERT INTO ballast SELECT repeat('x', 1000) FROM generate_series(1, " + BATCH_ROWS + ")");
                    awaitMeasuredAfterNow(work, follow);
                }
                assertThat(follow.exitValue()).isEqualTo(1);
                holder.rollback();
            } finally {
                Processes.kill(follow);
            }
            String followLog = log(work, "follow");
            assertThat(followLog)
                    .contains("warning: replication slot pgferry_")
                    .contains("over the limit of 48.0 MB")
                    .contains("the copy must be redone")
                    .doesNotContain("is retaining WAL");
            assertThat(followLog.indexOf("warning: replication slot"))
                    .as("the warning comes first")
                    .isLessThan(followLog.indexOf("over the limit"));
            try (Connection s = PgFixture.connect(pair.source(), "app")) {
                assertThat(scalar(s, "SELECT count(*) FROM pg_replication_slots"))
                        .as("the slot is dropped")
                        .isZero();
            }
            JsonNode after = StatusSchema.assertValid(
                    CliRun.of("status", "--dir", work.toString(), "--json").out());
            assertThat(after.get("slots").get(0).get("dropped").asBoolean()).isTrue();
            CliRun again = CliRun.of(concat(new String[] {"follow"}, conn));
            assertThat(again.exitCode()).isEqualTo(2);
            assertThat(again.err()).contains("was dropped").contains("the copy must be redone");

            CliRun dry = CliRun.of(concat(new String[] {"cleanup", "--dry-run"}, conn));
            assertThat(dry.out())
                    .contains("would remove source replica identity public.notes (FULL, back to DEFAULT)")
                    .contains("public.memo (FULL, back to NOTHING)");
            CliRun cleanup = CliRun.of(concat(new String[] {"cleanup"}, conn));
            assertThat(cleanup.exitCode()).as(cleanup.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app")) {
                assertThat(identity(s, "notes")).isEqualTo("d");
                assertThat(identity(s, "memo")).isEqualTo("n");
                assertThat(identity(s, "accounts")).isEqualTo("d");
                assertThat(scalar(s, "SELECT count(*) FROM pg_publication")).isZero();
            }
            assertThat(CliRun.of(concat(new String[] {"cleanup", "--dry-run"}, conn))
                            .out())
                    .contains("nothing to clean up");
        }
    }

    private static String identity(Connection c, String table) throws Exception {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT relreplident FROM pg_class WHERE relname = '" + table + "'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Waits until the guard has measured the slot once. */
    private static void awaitMeasured(Path work) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            if (measuredAt(work) != null) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the slot's WAL was not measured within 30 s:\n" + logs(work));
    }

    /** Waits until the guard measures again after now, or the process ends (at the limit). */
    private static void awaitMeasuredAfterNow(Path work, Process p) throws Exception {
        java.time.Instant now = java.time.Instant.now();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline && p.isAlive()) {
            java.time.Instant at = measuredAt(work);
            if (at != null && at.isAfter(now)) {
                return;
            }
            Thread.sleep(100);
        }
        if (p.isAlive()) {
            throw new AssertionError("the slot's WAL was not measured within 30 s:\n" + logs(work));
        }
    }

    private static java.time.Instant measuredAt(Path work) throws Exception {
        return WorkDirStatus.read(work)
                .flatMap(s -> java.util.stream.StreamSupport.stream(
                                s.get("slots").spliterator(), false)
                        .filter(slot -> slot.get("retainedBytes").isNumber())
                        .map(slot -> WorkDirStatus.instant(slot.get("updatedAt")))
                        .findFirst())
                .orElse(null);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
