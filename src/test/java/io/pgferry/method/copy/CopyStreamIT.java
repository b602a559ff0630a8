package io.pgferry.method.copy;

import static io.pgferry.testing.Sql.exec;
import static io.pgferry.testing.Sql.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.Seeds;
import io.pgferry.testing.ShopWriter;
import io.pgferry.testing.Sql;
import io.pgferry.testing.StatusSchema;
import io.pgferry.testing.WorkDirStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.postgresql.replication.LogSequenceNumber;

/** Method copy with its change stream: copy under a live writer, stream, kill, resume, cut over. */
class CopyStreamIT {

    @ParameterizedTest(name = "shop.sql {0} -> {1} under a writer")
    @CsvSource({"15, 17", "13, 18"})
    void copiesStreamsAndCutsOverUnderAWriter(int sourceMajor, int targetMajor, @TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.loadShop(pair.source(), "app", 0.02);
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE scratch (id int PRIMARY KEY, v text)",
                    "INSERT INTO scratch SELECT g, 'v' FROM generate_series(1, 100) g");
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                // an unchanged TOASTed column (description) must survive an update of another column; a truncate must
                // arrive
                migrateAndCutOver(
                        pair,
                        work,
                        "migrate-1",
                        List.of(
                                "UPDATE products SET price = price + 1 WHERE id = 3",
                                "TRUNCATE scratch",
                                "INSERT INTO scratch VALUES (1, 'after truncate')"),
                        "--set-replica-identity-full",
                        "--jobs",
                        "2",
                        "--split-tables-larger-than",
                        "1MB");
                assertThat(writer.transactions())
                        .as("the writer wrote during copy and stream")
                        .isGreaterThan(20);
            }
            assertSameData(pair);
            CliRun cleanup = CliRun.of(
                    "cleanup", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(cleanup.exitCode()).as(cleanup.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(s, "SELECT count(*) FROM pg_replication_slots"))
                        .isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_publication")).isZero();
                assertThat(scalar(t, "SELECT count(*) FROM pg_replication_origin"))
                        .isZero();
            }
            CliRun again = CliRun.of(
                    "cleanup", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(again.exitCode()).as(again.all()).isZero();
            assertThat(again.out()).contains("nothing to clean up");
        }
    }

    /**
     * 17 -> 18 into a schema made on the target by hand (as a team with its own migrations
     * would): pgferry moves rows and changes only, and refuses a target without the tables or
     * with rows in them. (CopyIT copies a 17 source's schema with pg_dump 17.)
     */
    @SuppressWarnings("try") // a resource that works beside the body, closed when it ends
    @Test
    void aSchemaMadeOnTheTargetFillsAndFollows17To18UnderAWriter(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(17, 18)) {
            PgFixture.loadShop(pair.source(), "app", 0.02);
            CliRun bare = CliRun.of(
                    "migrate",
                    "--method",
                    "copy",
                    "--data-only",
                    "--no-follow",
                    "--dir",
                    work.resolve("bare").toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            assertThat(bare.exitCode()).as(bare.all()).isEqualTo(2);
            assertThat(bare.all())
                    .contains("--data-only: the target lacks table public.")
                    .contains("public.customers")
                    .contains("create the schema on the target");

            PgFixture.loadShop(pair.target(), "app", 0.0001);
            CliRun filled = CliRun.of(
                    "migrate",
                    "--method",
                    "copy",
                    "--data-only",
                    "--no-follow",
                    "--dir",
                    work.resolve("filled").toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            assertThat(filled.exitCode()).as(filled.all()).isEqualTo(2);
            assertThat(filled.all())
                    .contains("these target tables already hold rows")
                    .contains("TRUNCATE");
            emptyTheTargetsTables(pair);

            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                String log = migrateAndCutOver(
                        pair,
                        work,
                        "migrate",
                        List.of("UPDATE products SET price = price + 1 WHERE id = 3"),
                        "--data-only",
                        "--set-replica-identity-full",
                        "--jobs",
                        "2");
                assertThat(log).contains("schema already on the target").contains("pgoutput protocol 4");
                assertThat(writer.transactions())
                        .as("the writer wrote during copy and stream")
                        .isGreaterThan(20);
            }
            assertSameData(pair);
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                // the materialized view holds the source's rows, not the emptied table's
                assertThat(scalar(t, "SELECT count(*) FROM daily_revenue")).isPositive();
            }
        }
    }

    /**
     * shop.sql at {@code scale} on the source and, with {@code schemaOnTarget} (a 16+ source, so
     * the test does not depend on a pg_dump 17 on PATH), its schema made on the target by hand,
     * for --data-only.
     */
    static void loadShopForCopy(ClusterPair pair, boolean schemaOnTarget, double scale) {
        PgFixture.loadShop(pair.source(), "app", scale);
        if (schemaOnTarget) {
            PgFixture.loadShop(pair.target(), "app", 0.0001);
            emptyTheTargetsTables(pair);
        }
    }

    /** {@code migrate --method copy} of shop.sql (its keyless table made REPLICA IDENTITY FULL) with {@code options}. */
    static List<String> copyCommand(ClusterPair pair, Path work, boolean dataOnly, String... options) {
        List<String> migrate = new ArrayList<>(List.of(
                "migrate",
                "--method",
                "copy",
                "--set-replica-identity-full",
                "--dir",
                work.toString(),
                "--source",
                pair.sourceUri(),
                "--target",
                pair.targetUri()));
        migrate.addAll(List.of(options));
        if (dataOnly) {
            migrate.add("--data-only");
        }
        return migrate;
    }

    /** The schema as a team with its own migrations would make it on the target: shop.sql's, emptied. */
    static void emptyTheTargetsTables(ClusterPair pair) {
        PgFixture.exec(
                pair.target(),
                "app",
                "DO $$ BEGIN EXECUTE (SELECT 'TRUNCATE ' || string_agg(oid::regclass::text, ', ') FROM pg_class"
                        + " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition); END $$",
                "REFRESH MATERIALIZED VIEW daily_revenue");
    }

    /** 17 -> 18 moves rows and changes into a schema made on the target (--data-only, as in the test above). */
    @SuppressWarnings("try") // a resource that works beside the body, closed when it ends
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"15, 17", "13, 18", "17, 18"})
    void killedTwiceDuringTheStreamLosesAndDoublesNothing(int sourceMajor, int targetMajor, @TempDir Path work)
            throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            boolean dataOnly = sourceMajor >= 16;
            loadShopForCopy(pair, dataOnly, 0.01);
            Random random = Seeds.random("kill delays of " + sourceMajor + " -> " + targetMajor);
            try (ShopWriter writer = new ShopWriter(pair.source(), "app", 1_000_000)) {
                Process p =
                        start(work, "run-0", copyCommand(pair, work, dataOnly).toArray(String[]::new));
                for (int round = 1; round <= 2; round++) {
                    try {
                        awaitStreaming(work, p);
                        // a moment of the stream's run, under the writer: the kill is meant to land anywhere in it
                        Thread.sleep(300 + random.nextInt(2200));
                    } finally {
                        Processes.kill(p); // SIGKILL: no chance to tidy up
                    }
                    p = start(
                            work,
                            "run-" + round,
                            "follow",
                            "--dir",
                            work.toString(),
                            "--source",
                            pair.sourceUri(),
                            "--target",
                            pair.targetUri());
                }
                try {
                    awaitStreaming(work, p);
                    awaitAppliedUpToNow(work, pair, p);
                    cutOverAndAwaitEnd(work, pair, p, "--max-lag", "1m");
                } finally {
                    Processes.kill(p);
                }
            }
            assertSameData(pair, work);
        }
    }

    /** The slot only ever hears the origin's position: a slot ahead of it was read by someone else, and the gap is lost. */
    @Test
    void aSlotAdvancedBehindPgferrysBackIsRefusedNotFollowed(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(pair.source(), "app", "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)");
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
            } finally {
                Processes.kill(p);
            }
            // rows the target never got, then the slot moved past them by another client
            // (flushed: the test servers run with synchronous_commit off, and a slot advances only over flushed WAL)
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "SET synchronous_commit = on",
                    "INSERT INTO t SELECT generate_series(2, 100)",
                    "SELECT pg_replication_slot_advance(slot_name, pg_current_wal_lsn()) FROM pg_replication_slots WHERE slot_name LIKE 'pgferry%'");
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
                assertThat(follow.waitFor(60, TimeUnit.SECONDS))
                        .as("follow refuses at once: " + log(work, "follow"))
                        .isTrue();
                assertThat(follow.exitValue()).isEqualTo(1);
            } finally {
                Processes.kill(follow);
            }
            assertThat(log(work, "follow"))
                    .contains("the changes in between were never applied")
                    .contains("migrate again");
        }
    }

    @Test
    void transactionsApplyInCommitOrderNotBeginOrder(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE ledger (id int PRIMARY KEY, v text)",
                    "CREATE TABLE counter (id int PRIMARY KEY, n int)",
                    "INSERT INTO counter VALUES (1, 0)",
                    // a GENERATED ALWAYS identity that is not the key: an UPDATE on the target may not assign it
                    "CREATE TABLE tickets (code text PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY, status text)",
                    "INSERT INTO tickets (code, status) VALUES ('T-1', 'open')");
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
                try (Connection a = PgFixture.connect(pair.source(), "app");
                        Connection b = PgFixture.connect(pair.source(), "app")) {
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
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "UPDATE tickets SET status = 'closed' WHERE code = 'T-1'",
                        "INSERT INTO tickets (code, status) VALUES ('T-2', 'open')");
                awaitAppliedUpToNow(work, pair, p);
                cutOverAndAwaitEnd(work, pair, p);
            } finally {
                Processes.kill(p);
            }
            try (Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT n FROM counter WHERE id = 1")).isEqualTo(11);
                assertThat(scalar(t, "SELECT count(*) FROM ledger")).isEqualTo(2);
            }
            assertSameData(pair);
        }
    }

    /**
     * Runs of updates and deletes go set-based: the same key changed several times in one run,
     * deletes and re-inserts of one key, bit strings longer than one bit, an unchanged TOASTed
     * column, and a swap of unique values (which must stay row by row) all end as on the source.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"15, 17", "13, 18"})
    void setBasedApplyKeepsEveryChangeOfEveryKeyInOrder(int sourceMajor, int targetMajor, @TempDir Path work)
            throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    // a NOT NULL domain's input function runs even for null: a set-based statement's padding must not
                    // reach it
                    "CREATE DOMAIN qty_t AS bigint NOT NULL CHECK (VALUE > -1000000000)",
                    "CREATE TABLE items (id int PRIMARY KEY, qty qty_t, note varchar(12), flags varbit(16), fixed bit(8), doc text)",
                    "INSERT INTO items SELECT g, g, 'n', B'1', B'00000000', CASE WHEN g % 50 = 0 THEN"
                            + " (SELECT string_agg(md5(g::text || x::text), '') FROM generate_series(1, 300) x) END"
                            + " FROM generate_series(1, 1000) g",
                    "CREATE TABLE coded (id int PRIMARY KEY, code text UNIQUE, n int)",
                    "INSERT INTO coded VALUES (1, 'a', 0), (2, 'b', 0)");
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
                try (Connection c = PgFixture.connect(pair.source(), "app")) {
                    c.setAutoCommit(false);
                    // each key twice and thrice in one run of one shape: (q + 1) * 3 - 7 is not what any other order
                    // gives
                    exec(c, "UPDATE items SET qty = qty + 1 WHERE id <= 600");
                    exec(c, "UPDATE items SET qty = qty * 3 WHERE id <= 400");
                    exec(c, "UPDATE items SET qty = qty - 7, note = 'third' WHERE id <= 200");
                    exec(
                            c,
                            "UPDATE items SET flags = B'1011001', fixed = B'10101010', note = 'twelve chars' WHERE id % 7 = 0");
                    exec(c, "DELETE FROM items WHERE id BETWEEN 801 AND 850");
                    exec(
                            c,
                            "INSERT INTO items SELECT g, -g, 'back', B'11', B'11111111', NULL FROM generate_series(801, 820) g");
                    exec(c, "DELETE FROM items WHERE id BETWEEN 801 AND 810");
                    exec(c, "UPDATE items SET qty = 0 WHERE id BETWEEN 801 AND 830");
                    exec(c, "UPDATE coded SET code = 'tmp' WHERE id = 1");
                    exec(c, "UPDATE coded SET code = 'a' WHERE id = 2");
                    exec(c, "UPDATE coded SET code = 'b' WHERE id = 1");
                    c.commit();
                    c.setAutoCommit(true);
                    // many small transactions on the same few keys: one target transaction, many waves
                    for (int i = 0; i < 200; i++) {
                        exec(c, "UPDATE items SET qty = (qty * 2 + " + i + ") % 1000000 WHERE id = " + (1 + i % 5));
                    }
                    // a hot key: its later changes go row by row after the set-based waves, still in order
                    for (int i = 0; i < 30; i++) {
                        exec(
                                c,
                                "UPDATE items SET qty = qty * 3 % 1000003 + " + i + " WHERE id = "
                                        + (i < 10 ? 1 + i % 5 : 7));
                    }
                }
                awaitLagBelow(work, p, 64 * 1024, 60);
                cutOverAndAwaitEnd(work, pair, p, "--checksums");
            } finally {
                Processes.kill(p);
            }
            assertSameData(pair);
            assertThat(log(work, "migrate"))
                    .as("the runs above went set-based")
                    .containsPattern("[1-9][0-9]{2,} of their updates and deletes in set-based statements");
        }
    }

    @Test
    void aTransactionLargerThanTheHeapAndATargetRestartAreSurvived(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE big (id int PRIMARY KEY, pad text)",
                    "INSERT INTO big VALUES (0, 'seed')");
            Process p = startWithHeap(
                    work,
                    "migrate",
                    "-Xmx96m",
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
                // about 200 MB in one transaction, twice the child's whole heap
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "INSERT INTO big SELECT g, repeat(md5(g::text), 15) FROM generate_series(1, 400000) g");
                awaitStreamedInProgress(pair);
                // mid-apply or just after: the stream resumes from the origin either way
                pair.target().restartWith(Map.of());
                PgFixture.exec(pair.source(), "app", "UPDATE big SET pad = 'after restart' WHERE id % 1000 = 0");
                awaitLagBelow(work, p, 64 * 1024, 180);
                try (Connection c = PgFixture.connect(pair.source(), "app")) {
                    // it came while still in progress (PostgreSQL 14+), so the source did not hold it back until its
                    // commit
                    assertThat(
                                    scalar(
                                            c,
                                            "SELECT coalesce(sum(stream_txns), 0) FROM pg_stat_replication_slots WHERE slot_name LIKE 'pgferry%'"))
                            .isPositive();
                }
                cutOverAndAwaitEnd(work, pair, p, "--max-lag", "5m");
                assertThat(p.exitValue()).as(log(work, "migrate")).isZero();
                assertThat(log(work, "migrate")).doesNotContain("OutOfMemoryError");
            } finally {
                Processes.kill(p);
            }
            assertSameData(pair);
        }
    }

    @Test
    void aConflictStopsTheStreamNamingTableKeyAndPositionThenResumes(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE accounts (id int PRIMARY KEY, balance int)",
                    "INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 50) g");
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
                        pair.target(), "app", "DELETE FROM accounts WHERE id = 7"); // someone wrote to the target
                try (Connection c = PgFixture.connect(pair.source(), "app")) {
                    // one source transaction, so the assertion below does not depend on how the stream groups
                    // transactions
                    c.setAutoCommit(false);
                    exec(c, "UPDATE accounts SET balance = 1 WHERE id = 3");
                    exec(c, "UPDATE accounts SET balance = 2 WHERE id = 7");
                    c.commit();
                }
                assertThat(p.waitFor(60, TimeUnit.SECONDS))
                        .as("the stream stops on the conflict")
                        .isTrue();
                assertThat(p.exitValue()).isEqualTo(1);
            } finally {
                Processes.kill(p);
            }
            assertThat(log(work, "migrate"))
                    .contains("UPDATE on \"public\".\"accounts\" found no row with id='7'")
                    .containsPattern("committing at [0-9A-F]+/[0-9A-F]+");
            try (Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT balance FROM accounts WHERE id = 3"))
                        .as("the conflicting transaction left nothing")
                        .isEqualTo(100);
            }
            PgFixture.exec(pair.target(), "app", "INSERT INTO accounts VALUES (7, 100)"); // the fix
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
                awaitLagBelow(work, follow, 64 * 1024, 60);
                cutOverAndAwaitEnd(work, pair, follow, "--checksums");
            } finally {
                Processes.kill(follow);
            }
            assertSameData(pair);
        }
    }

    @Test
    void aChangeTheTargetRefusesStopsTheStreamNamingTheTarget(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE gauges (id int PRIMARY KEY, v int)",
                    "INSERT INTO gauges SELECT g, g FROM generate_series(1, 20) g");
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
                PgFixture.exec(pair.target(), "app", "ALTER TABLE gauges ADD CONSTRAINT v_small CHECK (v < 100)");
                PgFixture.exec(pair.source(), "app", "UPDATE gauges SET v = v * 50 WHERE id > 10");
                assertThat(p.waitFor(60, TimeUnit.SECONDS))
                        .as("the stream stops on the refused change")
                        .isTrue();
                assertThat(p.exitValue()).isEqualTo(1);
            } finally {
                Processes.kill(p);
            }
            assertThat(log(work, "migrate"))
                    .contains("error on target")
                    .contains("v_small")
                    .doesNotContain("error on source")
                    .contains("run pgferry follow again");
        }
    }

    @Test
    void aStuckCutoverLiftsTheFenceAndAReverseCutoverCanBeRolledBack(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE t (id int PRIMARY KEY, v int)",
                    "INSERT INTO t SELECT g, 0 FROM generate_series(1, 1000) g",
                    "CREATE SEQUENCE s",
                    "SELECT setval('s', 500)");
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
                try (Connection blocker = PgFixture.connect(pair.target(), "app")) {
                    blocker.setAutoCommit(false);
                    exec(blocker, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
                    PgFixture.exec(pair.source(), "app", "UPDATE t SET v = 1 WHERE id = 1");
                    CliRun cut = CliRun.of(
                            "cutover",
                            "--dir",
                            work.toString(),
                            "--source",
                            pair.sourceUri(),
                            "--target",
                            pair.targetUri(),
                            "--timeout",
                            "4s",
                            "--max-lag",
                            "1h");
                    assertThat(cut.exitCode()).as(cut.all()).isEqualTo(1);
                    assertThat(cut.err()).contains("did not catch up within");
                    assertThat(cut.all()).contains("fence on the source is lifted");
                    PgFixture.exec(pair.source(), "app", "UPDATE t SET v = 2 WHERE id = 2"); // writable again
                    blocker.rollback();
                }
                cutOverAndAwaitEnd(work, pair, p, "--reverse");
            } finally {
                Processes.kill(p);
            }
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT last_value FROM s")).isEqualTo(500);
                assertThat(DatabaseDigest.ofTables(t)).isEqualTo(DatabaseDigest.ofTables(s));
            }
            // the application now writes to the new primary; rollback must bring those writes home
            PgFixture.exec(
                    pair.target(),
                    "app",
                    "UPDATE t SET v = 42 WHERE id = 42",
                    "INSERT INTO t VALUES (1001, 7)",
                    "SELECT nextval('s')");
            CliRun back = CliRun.of(
                    "rollback",
                    "--yes",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            assertThat(back.exitCode()).as(back.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app")) {
                assertThat(scalar(s, "SELECT v FROM t WHERE id = 42")).isEqualTo(42);
                assertThat(scalar(s, "SELECT count(*) FROM t WHERE id = 1001")).isEqualTo(1);
                assertThat(scalar(s, "SELECT last_value FROM s")).isEqualTo(501);
                exec(s, "INSERT INTO t VALUES (2000, 1)"); // the source accepts writes again
            }
            CliRun cleanup = CliRun.of(
                    "cleanup", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri());
            assertThat(cleanup.exitCode()).as(cleanup.all()).isZero();
        }
    }

    /**
     * The last source writes touch only a table left out. A 13 source still sends those
     * transactions, empty: they move nothing on the target, and must not hold the slot (and so
     * the cutover's drain) back.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"15, 17", "13, 18"})
    void aFilteredRunStreamsAndVerifiesOnlyItsTables(int sourceMajor, int targetMajor, @TempDir Path work)
            throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE kept (id int PRIMARY KEY, v text)",
                    "CREATE TABLE skipped (id int PRIMARY KEY)",
                    "INSERT INTO kept SELECT g, 'v' FROM generate_series(1, 100) g",
                    "INSERT INTO skipped SELECT generate_series(1, 100)");
            Process p = start(
                    work,
                    "migrate",
                    "migrate",
                    "--method",
                    "copy",
                    "--exclude-table",
                    "public.skipped",
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            try {
                awaitStreaming(work, p);
                PgFixture.exec(
                        pair.source(),
                        "app",
                        "INSERT INTO kept VALUES (101, 'new')",
                        "INSERT INTO skipped VALUES (101)",
                        "INSERT INTO skipped VALUES (102)");
                awaitAppliedUpToNow(work, pair, p);
                cutOverAndAwaitEnd(work, pair, p, "--checksums", "--timeout", "20s");
            } finally {
                Processes.kill(p);
            }
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT count(*) FROM kept")).isEqualTo(101);
                assertThat(scalar(t, "SELECT count(*) FROM pg_class WHERE relname = 'skipped'"))
                        .isZero();
                // besides kept, a 13 source publishes the run's schema-change log (pgferry_<run>.ddl_log)
                assertThat(scalar(s, "SELECT count(*) FROM pg_publication_tables WHERE schemaname = 'public'"))
                        .isEqualTo(1);
            }
        }
    }

    /**
     * Runs {@code migrate --method copy} with {@code options} until it streams, runs
     * {@code whileStreaming} on the source, then cuts over with checksums; migrate must end
     * cleanly. Returns its log.
     */
    static String migrateAndCutOver(
            ClusterPair pair, Path work, String logName, List<String> whileStreaming, String... options)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("migrate", "--method", "copy"));
        args.addAll(List.of(options));
        args.addAll(List.of("--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri()));
        Process migrate = start(work, logName, args.toArray(String[]::new));
        try {
            awaitStreaming(work, migrate);
            PgFixture.exec(pair.source(), "app", whileStreaming.toArray(String[]::new));
            awaitAppliedUpToNow(work, pair, migrate);
            cutOverAndAwaitEnd(work, pair, migrate, "--checksums", "--max-lag", "1m");
            assertThat(migrate.exitValue()).as(log(work, logName)).isZero();
            return log(work, logName);
        } finally {
            Processes.kill(migrate);
        }
    }

    /** Cuts over and waits for the streaming process to end; fails with every log of the work dir if either does not. */
    static void cutOverAndAwaitEnd(Path work, ClusterPair pair, Process p, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "cutover", "--dir", work.toString(), "--source", pair.sourceUri(), "--target", pair.targetUri()));
        args.addAll(List.of(options));
        CliRun cut = CliRun.of(args.toArray(String[]::new));
        assertThat(cut.exitCode())
                .as(() -> cut.all() + "\n" + diagnostics(pair, work))
                .isZero();
        assertThat(p.waitFor(60, TimeUnit.SECONDS))
                .as("the stream ends after cutover")
                .isTrue();
    }

    /** Waits until the stream reports a lag under {@code bytes}. */
    static void awaitLagBelow(Path work, Process p, long bytes, int seconds) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (System.currentTimeMillis() < deadline) {
            assertAlive(work, p);
            JsonNode lag =
                    WorkDirStatus.read(work).map(s -> s.at("/lag/lagBytes")).orElse(null);
            if (lag != null && lag.isNumber() && lag.asLong() < bytes) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("lag stayed above " + bytes + " bytes for " + seconds + " s");
    }

    /**
     * Waits until the stream has applied everything the source had written when this was called
     * (its WAL insert position then), as {@code status --json} reports it: the stream caught up with
     * the writes a test just made, rather than a pause that usually suffices.
     */
    static void awaitAppliedUpToNow(Path work, ClusterPair pair, Process p) throws Exception {
        LogSequenceNumber written;
        try (Connection s = PgFixture.connect(pair.source(), "app")) {
            written = LogSequenceNumber.valueOf(Sql.text(s, "SELECT pg_current_wal_insert_lsn()::text"));
        }
        long deadline = System.currentTimeMillis() + 180_000;
        String last = "(no status)";
        while (System.currentTimeMillis() < deadline) {
            assertAlive(work, p);
            CliRun status = CliRun.of("status", "--dir", work.toString(), "--json");
            if (status.exitCode() == 0) {
                last = status.out();
                JsonNode applied = StatusSchema.assertValid(last).at("/lag/appliedLsn");
                if (applied.isTextual()
                        && LogSequenceNumber.valueOf(applied.asText()).compareTo(written) >= 0) {
                    return;
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the stream did not apply up to " + written.asString()
                + " within 3 minutes; last status:\n" + last + "\n" + diagnostics(pair, work));
    }

    /** Waits until the source streams a transaction to pgferry's slot before its commit (PostgreSQL 14+). */
    static void awaitStreamedInProgress(ClusterPair pair) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        try (Connection s = PgFixture.connect(pair.source(), "app")) {
            while (scalar(
                            s,
                            "SELECT coalesce(sum(stream_bytes), 0) FROM pg_stat_replication_slots WHERE slot_name LIKE 'pgferry%'")
                    == 0) {
                assertThat(System.currentTimeMillis())
                        .as("the source streams the large transaction within 2 minutes")
                        .isLessThan(deadline);
                Thread.sleep(100);
            }
        }
    }

    static Process startWithHeap(Path work, String logName, String heap, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                "java",
                heap,
                "-jar",
                Path.of("target/pgferry.jar").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(logName + ".log").toFile())
                .start();
    }

    static void assertSameData(ClusterPair pair) throws Exception {
        assertSameData(pair, null);
    }

    /** Same rows on both sides; else fails with what is needed to tell why: the logs, the target's origins, the source's slots. */
    static void assertSameData(ClusterPair pair, Path work) throws Exception {
        try (Connection s = PgFixture.connect(pair.source(), "app");
                Connection t = PgFixture.connect(pair.target(), "app")) {
            assertThat(DatabaseDigest.ofTables(t))
                    .as(() -> diagnostics(pair, work))
                    .isEqualTo(DatabaseDigest.ofTables(s));
            if (scalar(s, "SELECT count(*) FROM pg_class WHERE relname = 'invoice_no_seq'") > 0) {
                assertThat(scalar(t, "SELECT last_value FROM invoice_no_seq"))
                        .isGreaterThanOrEqualTo(scalar(s, "SELECT coalesce(max(invoice_no), 0) FROM orders"));
            }
        }
    }

    static Process start(Path work, String logName, String... args) throws Exception {
        return start(work, logName, Map.of(), args);
    }

    /** Starts pgferry as a process of its own with {@code env} added to its environment (a fault point to halt at, say). */
    static Process start(Path work, String logName, Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = Processes.pgferry(work, logName, List.of(args));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The state of both servers' replication bookkeeping and every pgferry log, for a failure message. */
    static String diagnostics(ClusterPair pair, Path work) {
        StringBuilder out = new StringBuilder("replication state and logs:\n");
        try (Connection s = PgFixture.connect(pair.source(), "app");
                Connection t = PgFixture.connect(pair.target(), "app")) {
            out.append(rows(t, "SELECT external_id, remote_lsn, local_lsn FROM pg_replication_origin_status"));
            out.append(rows(
                    t,
                    "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                            + " WHERE c.relname = 'apply_progress'"));
            out.append(rows(
                    s, "SELECT slot_name, restart_lsn, confirmed_flush_lsn, active_pid FROM pg_replication_slots"));
            out.append(rows(s, "SELECT pg_current_wal_lsn()"));
            if (work != null) {
                out.append(logs(work));
            }
        } catch (Exception e) {
            out.append("(diagnostics failed: ").append(e).append(")\n");
        }
        return out.toString();
    }

    private static String rows(Connection c, String sql) throws Exception {
        StringBuilder out = new StringBuilder(sql).append('\n');
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= n; i++) {
                    out.append(i > 1 ? " | " : "  ").append(rs.getString(i));
                }
                out.append('\n');
            }
        }
        return out.toString();
    }

    static String log(Path work, String logName) throws Exception {
        Path f = work.resolve(logName + ".log");
        return Files.exists(f) ? Files.readString(f) : "(no log)";
    }

    /** Waits until the stream records progress after this call (so not an earlier, dead process's heartbeat). */
    static void awaitStreaming(Path work, Process p) throws Exception {
        java.time.Instant started = java.time.Instant.now();
        long deadline = System.currentTimeMillis() + 180_000;
        while (System.currentTimeMillis() < deadline) {
            assertAlive(work, p);
            java.time.Instant heartbeat = WorkDirStatus.read(work)
                    .map(s -> WorkDirStatus.instant(s.at("/lag/updatedAt")))
                    .orElse(null);
            if (heartbeat != null && heartbeat.isAfter(started)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the change stream did not start within 3 minutes");
    }

    /** Every pgferry log of the work dir, for a failure message. */
    static String logs(Path work) throws Exception {
        StringBuilder logs = new StringBuilder();
        try (var files = Files.list(work)) {
            for (Path f :
                    files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
                logs.append("--- ").append(f.getFileName()).append('\n').append(Files.readString(f));
            }
        }
        return logs.toString();
    }

    /** Fails with every pgferry log of the work dir when the process has ended. */
    static void assertAlive(Path work, Process p) throws Exception {
        if (p.isAlive()) {
            return;
        }
        StringBuilder logs = new StringBuilder();
        try (var files = Files.list(work)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                logs.append("--- ").append(f.getFileName()).append('\n').append(Files.readString(f));
            }
        }
        throw new AssertionError("the pgferry process ended (exit " + p.exitValue() + "):\n" + logs);
    }
}
