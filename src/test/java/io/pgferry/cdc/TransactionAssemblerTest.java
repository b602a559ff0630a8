package io.pgferry.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.cdc.PgOutputMessage.Begin;
import io.pgferry.cdc.PgOutputMessage.Column;
import io.pgferry.cdc.PgOutputMessage.Commit;
import io.pgferry.cdc.PgOutputMessage.Delete;
import io.pgferry.cdc.PgOutputMessage.Insert;
import io.pgferry.cdc.PgOutputMessage.Message;
import io.pgferry.cdc.PgOutputMessage.OldTuple;
import io.pgferry.cdc.PgOutputMessage.Origin;
import io.pgferry.cdc.PgOutputMessage.Relation;
import io.pgferry.cdc.PgOutputMessage.ReplicaIdentity;
import io.pgferry.cdc.PgOutputMessage.StreamAbort;
import io.pgferry.cdc.PgOutputMessage.StreamCommit;
import io.pgferry.cdc.PgOutputMessage.StreamStart;
import io.pgferry.cdc.PgOutputMessage.StreamStop;
import io.pgferry.cdc.PgOutputMessage.Update;
import io.pgferry.cdc.SlotStream.Event;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.replication.LogSequenceNumber;

class TransactionAssemblerTest {
    private static final long T = 16384;
    private static final Instant TIME = Instant.parse("2026-01-02T03:04:05Z");
    private static final long MB = 1 << 20;

    @TempDir
    Path spill;

    private long nextLsn = 0x1000000;
    private final List<Assembled> out = new ArrayList<>();

    private Event ev(PgOutputMessage m) {
        nextLsn += 0x40;
        return new Event(LogSequenceNumber.valueOf(nextLsn), m);
    }

    private void feed(TransactionAssembler a, PgOutputMessage... messages) {
        for (PgOutputMessage m : messages) {
            a.accept(ev(m)).ifPresent(out::add);
        }
    }

    private static LogSequenceNumber lsn(long v) {
        return LogSequenceNumber.valueOf(v);
    }

    private static Relation relation(Long xid) {
        return new Relation(
                xid,
                T,
                "public",
                "t",
                ReplicaIdentity.DEFAULT,
                List.of(new Column(true, "id", 23, -1), new Column(false, "v", 25, -1)));
    }

    private static Insert insert(Long xid, int id) {
        return new Insert(
                xid, T, new TupleData(List.of(TupleData.Text.of(Integer.toString(id)), TupleData.Text.of("v" + id))));
    }

    private static StreamCommit streamCommit(long xid, long commitLsn) {
        return new StreamCommit(xid, 0, lsn(commitLsn), lsn(commitLsn + 0x30), TIME);
    }

    static List<String> ids(CommittedTransaction tx) {
        List<String> ids = new ArrayList<>();
        try (ChangeCursor c = tx.open()) {
            c.forEachRemaining(e -> {
                if (e.message() instanceof Insert i) {
                    ids.add(i.newTuple().get(0).text());
                } else {
                    ids.add(e.message().getClass().getSimpleName());
                }
            });
        }
        return ids;
    }

    private CommittedTransaction tx(int i) {
        return (CommittedTransaction) out.get(i);
    }

    @Test
    void aPlainTransactionComesOutAtItsCommit() {
        try (TransactionAssembler a = new TransactionAssembler(spill, MB)) {
            feed(
                    a,
                    new Begin(lsn(0x5000), TIME, 700),
                    new Origin(lsn(0x10), "upstream"),
                    relation(null),
                    insert(null, 1),
                    new Update(
                            null,
                            T,
                            null,
                            null,
                            new TupleData(List.of(TupleData.Text.of("1"), TupleData.UnchangedToast.INSTANCE))));
            assertThat(out).isEmpty();
            feed(a, new Commit(0, lsn(0x5000), lsn(0x5030), TIME));
            assertThat(out).hasSize(1);
            CommittedTransaction tx = tx(0);
            assertThat(tx.xid()).isEqualTo(700);
            assertThat(tx.commitLsn()).isEqualTo(lsn(0x5000));
            assertThat(tx.endLsn()).isEqualTo(lsn(0x5030));
            assertThat(tx.commitTime()).isEqualTo(TIME);
            assertThat(tx.origin()).isEqualTo("upstream");
            assertThat(tx.streamed()).isFalse();
            assertThat(tx.spilled()).isFalse();
            assertThat(tx.changeCount()).isEqualTo(3);
            assertThat(ids(tx)).containsExactly("Relation", "1", "Update");
            assertThat(ids(tx)).as("a transaction can be read again").containsExactly("Relation", "1", "Update");
        }
    }

    @Test
    void transactionsThatBeginABAndCommitBAComeOutBThenA() {
        try (TransactionAssembler a = new TransactionAssembler(spill, MB)) {
            long A = 800;
            long B = 801;
            feed(
                    a,
                    new StreamStart(A, true),
                    relation(A),
                    insert(A, 1),
                    insert(A, 2),
                    new StreamStop(),
                    new StreamStart(B, true),
                    relation(B),
                    insert(B, 10),
                    new StreamStop(),
                    new StreamStart(A, false),
                    insert(A, 3),
                    new StreamStop(),
                    new StreamStart(B, false),
                    insert(B, 11),
                    new StreamStop());
            assertThat(out).isEmpty();
            assertThat(a.openStreamedTransactions()).isEqualTo(2);
            // a plain transaction committing in between comes out in its place too
            feed(a, new Begin(lsn(0x6000), TIME, 802), insert(null, 20), new Commit(0, lsn(0x6000), lsn(0x6030), TIME));
            feed(a, streamCommit(B, 0x7000));
            feed(a, streamCommit(A, 0x8000));
            assertThat(out).hasSize(3);
            assertThat(out).map(x -> ((CommittedTransaction) x).xid()).containsExactly(802L, B, A);
            assertThat(ids(tx(0))).containsExactly("20");
            assertThat(ids(tx(1))).containsExactly("Relation", "10", "11");
            assertThat(ids(tx(2))).containsExactly("Relation", "1", "2", "3");
            assertThat(tx(2).streamed()).isTrue();
            assertThat(tx(2).commitLsn()).isEqualTo(lsn(0x8000));
            assertThat(tx(2).endLsn()).isEqualTo(lsn(0x8030));
            assertThat(a.openStreamedTransactions()).isZero();
        }
    }

    @Test
    void aSubtransactionAbortDropsOnlyItsChangesButKeepsSchemaMessages() {
        try (TransactionAssembler a = new TransactionAssembler(spill, MB)) {
            long top = 900;
            long sub = 901;
            long sub2 = 902;
            feed(
                    a,
                    new StreamStart(top, true),
                    insert(top, 1),
                    relation(sub),
                    insert(sub, 2),
                    insert(sub, 3),
                    new StreamStop(),
                    new StreamAbort(top, sub, null, null),
                    new StreamStart(top, false),
                    insert(sub2, 4),
                    insert(top, 5),
                    new StreamStop(),
                    streamCommit(top, 0x9000));
            assertThat(ids(tx(0))).containsExactly("1", "Relation", "4", "5");
            assertThat(tx(0).changeCount()).isEqualTo(4);
        }
    }

    @Test
    void aWholeAbortDropsTheTransactionAndItsSpillFile() throws IOException {
        try (TransactionAssembler a = new TransactionAssembler(spill, 1024)) {
            feed(a, new StreamStart(1000, true));
            for (int i = 0; i < 500; i++) {
                feed(a, insert(1000L, i));
            }
            feed(a, new StreamStop());
            assertThat(spillFiles()).hasSize(1);
            feed(a, new StreamAbort(1000, 1000, null, null));
            assertThat(out).isEmpty();
            assertThat(a.openStreamedTransactions()).isZero();
            assertThat(spillFiles()).isEmpty();
            // an abort of something never seen (streamed before a restart) is harmless
            feed(a, new StreamAbort(1001, 1001, null, null));
            assertThat(out).isEmpty();
        }
    }

    @Test
    void aLargeTransactionIsSpilledNotHeldInTheHeap() throws IOException {
        int rows = 50_000;
        try (TransactionAssembler a = new TransactionAssembler(spill, 64 * 1024)) {
            long top = 1100;
            long sub = 1101;
            feed(a, new StreamStart(top, true), relation(top));
            for (int i = 0; i < rows; i++) {
                feed(a, insert(i % 10 == 0 ? sub : top, i));
                // never much more than the threshold in memory, however large the transaction
                assertThat(a.bufferedBytes()).isLessThanOrEqualTo(64 * 1024);
            }
            feed(a, new StreamStop(), new StreamAbort(top, sub, null, null));
            feed(
                    a,
                    new StreamStart(top, false),
                    new Message(top, true, lsn(0x42), "pgferry", "m".getBytes(StandardCharsets.UTF_8)),
                    new Delete(
                            top,
                            T,
                            OldTuple.KEY,
                            new TupleData(List.of(TupleData.Text.of("1"), TupleData.Null.INSTANCE))),
                    new StreamStop());
            assertThat(spillFiles()).hasSize(1);
            feed(a, streamCommit(top, 0xA000));
            try (CommittedTransaction tx = tx(0)) {
                assertThat(tx.spilled()).isTrue();
                assertThat(tx.changeCount()).isEqualTo(1 + rows - rows / 10 + 2);
                List<String> ids = ids(tx);
                assertThat(ids).hasSize(tx.changeCount());
                assertThat(ids.get(0)).isEqualTo("Relation");
                assertThat(ids.subList(1, 10)).containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9");
                assertThat(ids.subList(ids.size() - 2, ids.size())).containsExactly("Message", "Delete");
                assertThat(ids).doesNotContain("0", "10", "49990");
                // what comes back from the file is what went in
                try (ChangeCursor c = tx.open()) {
                    c.next();
                    Event first = c.next();
                    assertThat(first.message()).isEqualTo(insert(top, 1));
                }
            }
            assertThat(spillFiles())
                    .as("closing the transaction deletes its spill file")
                    .isEmpty();
        }
    }

    @Test
    void aLargePlainTransactionIsSpilledToo() throws IOException {
        // protocol 1 (PostgreSQL 13) has no streaming: a big transaction arrives whole
        try (TransactionAssembler a = new TransactionAssembler(spill, 4096)) {
            feed(a, new Begin(lsn(0xB000), TIME, 1200));
            for (int i = 0; i < 1000; i++) {
                feed(a, insert(null, i));
            }
            assertThat(a.bufferedBytes()).isZero();
            feed(a, new Commit(0, lsn(0xB000), lsn(0xB030), TIME));
            try (CommittedTransaction tx = tx(0)) {
                assertThat(tx.spilled()).isTrue();
                assertThat(ids(tx)).hasSize(1000).startsWith("0", "1").endsWith("999");
            }
            assertThat(spillFiles()).isEmpty();
        }
    }

    @Test
    void closingTheAssemblerRemovesOpenSpillFiles() throws IOException {
        TransactionAssembler a = new TransactionAssembler(spill, 10);
        feed(
                a,
                new StreamStart(1300, true),
                insert(1300L, 1),
                insert(1300L, 2),
                new StreamStop(),
                new Begin(lsn(0xC000), TIME, 1301),
                insert(null, 3),
                insert(null, 4));
        assertThat(spillFiles()).hasSize(2);
        a.close();
        assertThat(spillFiles()).isEmpty();
    }

    @Test
    void aNonTransactionalMessageComesOutAtOnce() {
        try (TransactionAssembler a = new TransactionAssembler(spill, MB)) {
            feed(a, new StreamStart(1400, true), insert(1400L, 1), new StreamStop());
            Message m = new Message(null, false, lsn(0x77), "pgferry", "now".getBytes(StandardCharsets.UTF_8));
            Optional<Assembled> r = a.accept(ev(m));
            assertThat(r)
                    .get()
                    .isInstanceOfSatisfying(
                            Assembled.StandaloneMessage.class,
                            s -> assertThat(s.message()).isEqualTo(m));
        }
    }

    @Test
    void messagesOutOfOrderAreErrorsNamingTheLsn() {
        try (TransactionAssembler a = new TransactionAssembler(spill, MB)) {
            assertThatThrownBy(() -> a.accept(ev(new Commit(0, lsn(1), lsn(2), TIME))))
                    .isInstanceOf(PgOutputException.class)
                    .hasMessageContaining("Commit without Begin")
                    .hasMessageContaining("at LSN 0/");
            assertThatThrownBy(() -> a.accept(ev(insert(null, 1)))).hasMessageContaining("outside any transaction");
            assertThatThrownBy(() -> a.accept(ev(new StreamStart(5, false))))
                    .hasMessageContaining("first block was not received");
            assertThatThrownBy(() -> a.accept(ev(streamCommit(6, 0x100)))).hasMessageContaining("never streamed");
            a.accept(ev(new Begin(lsn(0x100), TIME, 7)));
            assertThatThrownBy(() -> a.accept(ev(new StreamStart(8, true))))
                    .hasMessageContaining("inside transaction 7");
            assertThatThrownBy(() -> a.accept(ev(new Commit(0, lsn(0x200), lsn(0x230), TIME))))
                    .hasMessageContaining("final LSN 0/100");
        }
    }

    private List<Path> spillFiles() throws IOException {
        try (Stream<Path> s = Files.list(spill)) {
            return s.toList();
        }
    }
}
