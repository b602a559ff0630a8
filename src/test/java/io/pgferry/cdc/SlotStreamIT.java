package io.pgferry.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.cdc.PgOutputMessage.Begin;
import io.pgferry.cdc.PgOutputMessage.Commit;
import io.pgferry.cdc.PgOutputMessage.Insert;
import io.pgferry.cdc.PgOutputMessage.Message;
import io.pgferry.cdc.PgOutputMessage.Relation;
import io.pgferry.cdc.PgOutputMessage.StreamCommit;
import io.pgferry.cdc.PgOutputMessage.StreamStart;
import io.pgferry.cdc.PgOutputMessage.Update;
import io.pgferry.cdc.SlotStream.Event;
import io.pgferry.cluster.LocalCluster;
import io.pgferry.pg.Connector;
import io.pgferry.pg.PgferryException;
import io.pgferry.testing.PgFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.replication.LogSequenceNumber;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SlotStreamIT {
    private static final String SLOT = "pgferry_it";

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {13, 17})
    void streamsDecodedChangesAndResumesAfterTheConfirmedLsn(int major) throws Exception {
        // a small decoding memory so a modest transaction is streamed while in progress (14+)
        try (LocalCluster pg = PgFixture.server(major, Map.of("logical_decoding_work_mem", "'64kB'"))) {
            PgFixture.createDatabase(pg, "app");
            Connector source = new Connector("source", pg.spec("app"));
            LogSequenceNumber start = createSlotAfter(
                    pg,
                    "CREATE TABLE t (id int PRIMARY KEY, v text)",
                    "CREATE TABLE ignored (id int PRIMARY KEY)",
                    "CREATE PUBLICATION \"Pub One\" FOR TABLE t");
            PgFixture.exec(
                    pg,
                    "app",
                    "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')",
                    "INSERT INTO ignored VALUES (1)",
                    "UPDATE t SET v = 'bb' WHERE id = 2");
            SlotStream.Options options = SlotStream.Options.forSource(major, SLOT, List.of("Pub One"), start)
                    .withStreaming(major >= 14, major >= 14);
            assertThat(options.protocol()).isEqualTo(major == 13 ? 1 : 4);

            LogSequenceNumber firstCommitEnd;
            try (SlotStream stream = SlotStream.open(source, options)) {
                List<Event> events = readCommits(stream, 2);
                assertThat(kinds(events))
                        .containsExactly(
                                "Begin",
                                "Relation",
                                "Insert",
                                "Insert",
                                "Insert",
                                "Commit",
                                "Begin",
                                "Update",
                                "Commit");
                Relation t = (Relation) events.get(1).message();
                assertThat(t.name()).isEqualTo("t");
                assertThat(events.subList(2, 5))
                        .map(e -> ((Insert) e.message()).newTuple().get(0).text())
                        .containsExactly("1", "2", "3");
                assertThat(((Update) events.get(7).message()).newTuple().get(1).text())
                        .isEqualTo("bb");
                Commit first = (Commit) events.get(5).message();
                assertThat(events.get(5).lsn()).isEqualTo(first.endLsn());
                assertThat(((Begin) events.get(0).message()).finalLsn()).isEqualTo(first.commitLsn());
                firstCommitEnd = first.endLsn();
                // only the first transaction counts as applied; the update must come again
                stream.confirm(firstCommitEnd);
                awaitConfirmed(stream, firstCommitEnd);
            }
            assertThat(slotConfirmedFlush(pg)).isEqualTo(firstCommitEnd);

            LogSequenceNumber secondCommitEnd;
            try (SlotStream stream = SlotStream.open(source, options.withStart(firstCommitEnd))) {
                List<Event> events = readCommits(stream, 1);
                assertThat(kinds(events)).containsExactly("Begin", "Relation", "Update", "Commit");
                assertThat(((Update) events.get(2).message()).newTuple().get(0).text())
                        .isEqualTo("2");
                secondCommitEnd = ((Commit) events.get(3).message()).endLsn();
                stream.confirm(secondCommitEnd);
                assertThat(stream.poll(Duration.ofSeconds(1)))
                        .as("nothing else pending")
                        .isNull();
                assertThat(stream.drainedTo().asLong()).isGreaterThanOrEqualTo(secondCommitEnd.asLong());
            }
            // writes only to an unpublished table: confirming drainedTo() lets the idle slot advance
            LogSequenceNumber idle;
            try (Connection c = PgFixture.connect(pg, "app");
                    Statement st = c.createStatement()) {
                st.execute("INSERT INTO ignored SELECT g FROM generate_series(10, 1000) g");
                // the insert position: with synchronous_commit off the write position may still be before the commit
                idle = LogSequenceNumber.valueOf(scalar(st, "SELECT pg_current_wal_insert_lsn()"));
            }
            try (SlotStream stream = SlotStream.open(source, options)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (stream.drainedTo().compareTo(idle) < 0 && System.nanoTime() < deadline) {
                    Event e = stream.poll(Duration.ofMillis(100));
                    // no change arrives; 13 sends an empty Begin/Commit, 17 empty stream blocks
                    // and a StreamCommit for a transaction large enough to be streamed
                    assertThat(e == null || !(e.message() instanceof PgOutputMessage.Change))
                            .as(String.valueOf(e))
                            .isTrue();
                }
                assertThat(stream.drainedTo()).isGreaterThanOrEqualTo(idle);
                stream.confirm(stream.drainedTo());
                awaitConfirmed(stream, stream.drainedTo());
            }
            assertThat(slotConfirmedFlush(pg)).isGreaterThanOrEqualTo(idle);

            try (Connection c = PgFixture.connect(pg, "app");
                    Statement st = c.createStatement()) {
                st.execute("INSERT INTO t VALUES (4, 'd')");
                if (major >= 14) {
                    st.execute("BEGIN");
                    st.execute("SELECT pg_logical_emit_message(true, 'pgferry', 'marker')");
                    st.execute("INSERT INTO t SELECT g, repeat('x', 50) FROM generate_series(100, 2099) g");
                    st.execute("COMMIT");
                }
            }
            // the original start LSN is behind the slot's confirmed position: the server starts at the later one
            try (SlotStream stream = SlotStream.open(source, options)) {
                List<Event> events = readCommits(stream, 1);
                assertThat(kinds(events)).containsExactly("Begin", "Relation", "Insert", "Commit");
                assertThat(((Insert) events.get(2).message()).newTuple().get(0).text())
                        .isEqualTo("4");
                if (major >= 14) {
                    List<Event> big = readUntil(stream, StreamCommit.class);
                    assertThat(big.get(0).message()).isInstanceOf(StreamStart.class);
                    assertThat(big)
                            .filteredOn(e -> e.message() instanceof Message)
                            .singleElement()
                            .satisfies(e -> assertThat(((Message) e.message()).contentText())
                                    .isEqualTo("marker"));
                    assertThat(big)
                            .filteredOn(e -> e.message() instanceof Insert)
                            .hasSize(2000)
                            .allSatisfy(e -> assertThat(((Insert) e.message()).streamXid())
                                    .isNotNull());
                    assertThat(big)
                            .filteredOn(e -> e.message() instanceof StreamStart)
                            .hasSizeGreaterThan(1);
                }
            }
        }
    }

    /**
     * The reader reads ahead of the applier, so the slot must hear only what the applier
     * confirms. pgjdbc (42.7+) by default confirms a keepalive's position by itself once the
     * last message it read is confirmed; a block of a streamed transaction can carry a position
     * far behind transactions still waiting in the queue, and the slot would then skip them.
     */
    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {15, 17})
    void theSlotLearnsOnlyWhatTheApplierConfirmedEvenAfterAStreamedBlockFromThePast(int major) throws Exception {
        try (LocalCluster pg = PgFixture.server(major, Map.of("logical_decoding_work_mem", "'64kB'"))) {
            PgFixture.createDatabase(pg, "app");
            Connector source = new Connector("source", pg.spec("app"));
            LogSequenceNumber start = createSlotAfter(
                    pg, "CREATE TABLE t (id int PRIMARY KEY, v text)", "CREATE PUBLICATION p FOR TABLE t");
            // status every 100 ms, so anything pgjdbc decided to confirm on its own goes out quickly
            SlotStream.Options options = new SlotStream.Options(
                    SLOT,
                    List.of("p"),
                    start,
                    SlotStream.protocolFor(major),
                    true,
                    false,
                    1024,
                    Duration.ofMillis(100),
                    Duration.ofSeconds(30));
            try (Connection old = PgFixture.connect(pg, "app");
                    Connection other = PgFixture.connect(pg, "app");
                    Connection writer = PgFixture.connect(pg, "app");
                    Statement so = old.createStatement();
                    Statement sx = other.createStatement();
                    Statement sw = writer.createStatement();
                    SlotStream stream = SlotStream.open(source, options)) {
                old.setAutoCommit(false);
                other.setAutoCommit(false);
                // an open transaction with changes under the decoding memory limit: kept, not yet streamed
                so.execute("INSERT INTO t SELECT g, repeat('o', 100) FROM generate_series(1000, 1149) g");
                sw.execute("INSERT INTO t VALUES (1, 'applied')");
                List<Event> first = readCommits(stream, 1);
                LogSequenceNumber applied = first.get(first.size() - 1).lsn();
                stream.confirm(applied);
                awaitConfirmed(stream, applied);

                // received but not applied: it waits in the queue
                sw.execute("INSERT INTO t VALUES (2, 'queued')");
                LogSequenceNumber queuedEnd =
                        LogSequenceNumber.valueOf(scalar(sw, "SELECT pg_current_wal_insert_lsn()"));
                // another transaction pushes decoding over its memory limit: the old one is streamed, in a block
                // whose position is that of its last change, from before the applied commit
                sx.execute("INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(5000, 5199) g");
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (stream.lastReceived().compareTo(queuedEnd) < 0 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(stream.lastReceived())
                        .as("the keepalive after the streamed block arrived")
                        .isGreaterThanOrEqualTo(queuedEnd);
                // had the stream told the slot what it only received, the next status updates would carry it
                awaitStatusUpdates(pg, 2);
                assertThat(slotConfirmedFlush(pg))
                        .as("the slot's confirmed position")
                        .isEqualTo(applied);
                other.rollback();
                old.rollback();
            }
            // and so the queued transaction comes again after a restart
            try (SlotStream stream =
                    SlotStream.open(source, SlotStream.Options.forSource(major, SLOT, List.of("p"), start))) {
                List<Event> again = readCommits(stream, 1);
                assertThat(again)
                        .filteredOn(e -> e.message() instanceof Insert)
                        .singleElement()
                        .satisfies(e -> assertThat(
                                        ((Insert) e.message()).newTuple().get(0).text())
                                .isEqualTo("2"));
            }
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {13, 15, 17, 18})
    void transactionsThatBeginABAndCommitBAAreAssembledBThenA(int major, @TempDir Path spill) throws Exception {
        try (LocalCluster pg = PgFixture.server(major, Map.of("logical_decoding_work_mem", "'64kB'"))) {
            PgFixture.createDatabase(pg, "app");
            Connector source = new Connector("source", pg.spec("app"));
            LogSequenceNumber start = createSlotAfter(
                    pg, "CREATE TABLE t (id int PRIMARY KEY, who text)", "CREATE PUBLICATION p FOR TABLE t");
            // A and B each large enough to be streamed in blocks (14+) and spilled by the assembler
            try (Connection a = PgFixture.connect(pg, "app");
                    Connection b = PgFixture.connect(pg, "app");
                    Statement sa = a.createStatement();
                    Statement sb = b.createStatement()) {
                a.setAutoCommit(false);
                b.setAutoCommit(false);
                sa.execute("INSERT INTO t SELECT g, 'A' FROM generate_series(1, 1500) g");
                sb.execute("INSERT INTO t SELECT g, 'B' FROM generate_series(10001, 11500) g");
                sa.execute("SAVEPOINT s");
                sa.execute("INSERT INTO t SELECT g, 'A-rolled-back' FROM generate_series(5001, 6500) g");
                sa.execute("ROLLBACK TO SAVEPOINT s");
                sa.execute("INSERT INTO t SELECT g, 'A' FROM generate_series(1501, 3000) g");
                sb.execute("INSERT INTO t SELECT g, 'B' FROM generate_series(11501, 13000) g");
                b.commit();
                a.commit();
            }
            List<CommittedTransaction> done = new ArrayList<>();
            try (SlotStream stream = SlotStream.open(
                            source,
                            SlotStream.Options.forSource(major, SLOT, List.of("p"), start)
                                    .withStreaming(major >= 14, false));
                    TransactionAssembler assembler = new TransactionAssembler(spill, 16 * 1024)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (done.size() < 2 && System.nanoTime() < deadline) {
                    Event e = stream.poll(Duration.ofMillis(200));
                    if (e != null) {
                        assembler.accept(e).ifPresent(x -> done.add((CommittedTransaction) x));
                    }
                }
                assertThat(done).hasSize(2);
                assertThat(done)
                        .allSatisfy(tx -> assertThat(tx.streamed()).isEqualTo(major >= 14))
                        .allSatisfy(tx -> assertThat(tx.spilled()).isTrue());
                assertThat(whoAndCount(done.get(0))).containsExactly("B:3000");
                assertThat(whoAndCount(done.get(1))).containsExactly("A:3000");
                assertThat(done.get(0).endLsn().asLong())
                        .isLessThanOrEqualTo(done.get(1).commitLsn().asLong());
                stream.confirm(done.get(1).endLsn());
                done.forEach(CommittedTransaction::close);
            }
            try (java.util.stream.Stream<Path> files = Files.list(spill)) {
                assertThat(files).isEmpty();
            }
        }
    }

    private static List<String> whoAndCount(CommittedTransaction tx) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        try (ChangeCursor c = tx.open()) {
            c.forEachRemaining(e -> {
                if (e.message() instanceof Insert i) {
                    counts.merge(i.newTuple().get(1).text(), 1, Integer::sum);
                }
            });
        }
        return counts.entrySet().stream()
                .map(x -> x.getKey() + ":" + x.getValue())
                .toList();
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {13, 17})
    void aLostConnectionEndsTheStreamWithARetriableErrorAfterWhatWasRead(int major) throws Exception {
        try (LocalCluster pg = PgFixture.server(major)) {
            PgFixture.createDatabase(pg, "app");
            Connector source = new Connector("source", pg.spec("app"));
            LogSequenceNumber start =
                    createSlotAfter(pg, "CREATE TABLE t (id int PRIMARY KEY)", "CREATE PUBLICATION p FOR TABLE t");
            PgFixture.exec(pg, "app", "INSERT INTO t VALUES (1)");
            try (SlotStream stream =
                    SlotStream.open(source, SlotStream.Options.forSource(major, SLOT, List.of("p"), start))) {
                assertThat(kinds(readCommits(stream, 1))).containsExactly("Begin", "Relation", "Insert", "Commit");
                try (Connection c = PgFixture.connect(pg, "app");
                        Statement st = c.createStatement()) {
                    st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '"
                            + SLOT + "'");
                }
                assertThatThrownBy(() -> readUntil(stream, Commit.class))
                        .isInstanceOf(PgferryException.class)
                        .satisfies(e -> assertThat(io.pgferry.pg.Retry.isTransient(e))
                                .as("retriable: " + e)
                                .isTrue());
                // and stays ended
                assertThatThrownBy(() -> stream.poll(Duration.ofMillis(10))).isInstanceOf(PgferryException.class);
            }
            // the slot is free again for the next attempt, which starts over from the unconfirmed transaction
            try (SlotStream stream =
                    SlotStream.open(source, SlotStream.Options.forSource(major, SLOT, List.of("p"), start))) {
                assertThat(kinds(readCommits(stream, 1))).containsExactly("Begin", "Relation", "Insert", "Commit");
            }
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {17})
    void aMissingSlotIsAClearError(int major) {
        try (LocalCluster pg = PgFixture.server(major)) {
            Connector source = new Connector("source", pg.spec("postgres"));
            SlotStream.Options options =
                    SlotStream.Options.forSource(major, "pgferry_gone", List.of("p"), LogSequenceNumber.INVALID_LSN);
            assertThatThrownBy(() -> SlotStream.open(source, options))
                    .isInstanceOf(PgferryException.class)
                    .hasMessageContaining("pgferry_gone")
                    .hasMessageContaining("does not exist");
        }
    }

    /**
     * The next {@code commits} transactions that changed something: PostgreSQL 13 also sends an
     * empty Begin/Commit for a transaction that touched only unpublished tables (14+ skip them).
     */
    static List<Event> readCommits(SlotStream stream, int commits) throws InterruptedException {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < commits; ) {
            List<Event> tx = readUntil(stream, Commit.class);
            if (tx.size() > 2) {
                events.addAll(tx);
                i++;
            }
        }
        return events;
    }

    static List<Event> readUntil(SlotStream stream, Class<? extends PgOutputMessage> last) throws InterruptedException {
        List<Event> events = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Event e = stream.poll(Duration.ofMillis(200));
            if (e == null) {
                continue;
            }
            events.add(e);
            if (last.isInstance(e.message())) {
                return events;
            }
        }
        throw new AssertionError("no " + last.getSimpleName() + " within 60 s; got " + kinds(events));
    }

    static List<String> kinds(List<Event> events) {
        return events.stream().map(e -> e.message().getClass().getSimpleName()).toList();
    }

    static void awaitConfirmed(SlotStream stream, LogSequenceNumber lsn) throws InterruptedException {
        for (int i = 0; i < 100 && !lsn.equals(stream.confirmed()); i++) {
            Thread.sleep(50);
        }
        assertThat(stream.confirmed()).isEqualTo(lsn);
    }

    /** Waits until the test slot's stream has sent {@code count} status updates after this call (its reply_time moved). */
    static void awaitStatusUpdates(LocalCluster pg, int count) throws Exception {
        String replyTime = "SELECT r.reply_time::text FROM pg_stat_replication r JOIN pg_replication_slots s"
                + " ON s.active_pid = r.pid WHERE s.slot_name = '" + SLOT + "'";
        try (Connection c = PgFixture.connect(pg, "app");
                Statement st = c.createStatement()) {
            String after = scalar(st, "SELECT clock_timestamp()::text");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            for (int n = 1; n <= count; n++) {
                String reply;
                do {
                    assertThat(System.nanoTime())
                            .as("status update " + n + " of " + count + " within 30 s")
                            .isLessThan(deadline);
                    Thread.sleep(20);
                    reply = scalar(st, replyTime);
                } while (reply == null
                        || !"t"
                                .equals(scalar(
                                        st, "SELECT '" + reply + "'::timestamptz > '" + after + "'::timestamptz")));
                after = reply;
            }
        }
    }

    static LogSequenceNumber slotConfirmedFlush(LocalCluster pg) throws SQLException {
        try (Connection c = PgFixture.connect(pg, "app");
                Statement st = c.createStatement()) {
            return LogSequenceNumber.valueOf(scalar(
                    st, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'"));
        }
    }

    /** Runs {@code ddl} in database app, then creates the test slot; returns its consistent point. */
    static LogSequenceNumber createSlotAfter(LocalCluster pg, String... ddl) throws SQLException {
        try (Connection c = PgFixture.connect(pg, "app");
                Statement st = c.createStatement()) {
            for (String d : ddl) {
                st.execute(d);
            }
            return LogSequenceNumber.valueOf(
                    scalar(st, "SELECT lsn FROM pg_create_logical_replication_slot('" + SLOT + "', 'pgoutput')"));
        }
    }

    static String scalar(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
