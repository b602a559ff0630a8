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
import io.pgferry.cdc.PgOutputMessage.Relation;
import io.pgferry.cdc.PgOutputMessage.ReplicaIdentity;
import io.pgferry.cdc.PgOutputMessage.StreamAbort;
import io.pgferry.cdc.PgOutputMessage.StreamCommit;
import io.pgferry.cdc.PgOutputMessage.StreamStart;
import io.pgferry.cdc.PgOutputMessage.StreamStop;
import io.pgferry.cdc.PgOutputMessage.Truncate;
import io.pgferry.cdc.PgOutputMessage.Type;
import io.pgferry.cdc.PgOutputMessage.Update;
import io.pgferry.cdc.TupleData.Value;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Decodes real pgoutput bytes captured from real servers by {@link io.pgferry.tools.CapturePgOutput}
 * (src/test/resources/pgoutput), and hand-built buffers for what a capture cannot easily show.
 */
class PgOutputDecoderTest {
    private static final Value NULL = TupleData.Null.INSTANCE;
    private static final Value TOAST = TupleData.UnchangedToast.INSTANCE;
    private static final LogSequenceNumber AT = LogSequenceNumber.valueOf("0/16B3748");

    /** One captured message: where it was in the slot, and what it decoded to. */
    record Decoded(LogSequenceNumber lsn, PgOutputMessage message) {}

    static List<Decoded> decodeCapture(String file, int protocol) throws IOException {
        PgOutputDecoder decoder = new PgOutputDecoder(protocol);
        List<Decoded> out = new ArrayList<>();
        try (InputStream in = PgOutputDecoderTest.class.getResourceAsStream("/pgoutput/" + file)) {
            assertThat(in).as(file).isNotNull();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split(" ");
                LogSequenceNumber lsn = LogSequenceNumber.valueOf(parts[0]);
                out.add(new Decoded(
                        lsn, decoder.decode(ByteBuffer.wrap(HexFormat.of().parseHex(parts[1])), lsn)));
            }
        }
        return out;
    }

    static List<PgOutputMessage> messages(List<Decoded> decoded) {
        return decoded.stream().map(Decoded::message).toList();
    }

    static List<Value> row(Object... values) {
        List<Value> row = new ArrayList<>();
        for (Object v : values) {
            row.add(v instanceof Value value ? value : TupleData.Text.of(v.toString()));
        }
        return row;
    }

    /** Begin/Commit pairs agree with each other and with where the server put them. */
    static void assertTransactionFraming(List<Decoded> decoded) {
        Begin open = null;
        for (Decoded d : decoded) {
            if (d.message() instanceof Begin b) {
                assertThat(open).as("Begin inside a transaction at " + d.lsn()).isNull();
                assertThat(b.commitTime())
                        .isAfter(Instant.parse("2024-01-01T00:00:00Z"))
                        .isBefore(Instant.now().plusSeconds(86_400 * 3650L));
                open = b;
            } else if (d.message() instanceof Commit c) {
                assertThat(open).as("Commit without Begin at " + d.lsn()).isNotNull();
                assertThat(c.commitLsn()).isEqualTo(open.finalLsn());
                assertThat(c.commitTime()).isEqualTo(open.commitTime());
                assertThat(c.flags()).isZero();
                // the walsender stamps a Commit with the end of the commit record: the LSN to confirm
                assertThat(c.endLsn()).isEqualTo(d.lsn());
                assertThat(c.endLsn().asLong()).isGreaterThan(c.commitLsn().asLong());
                open = null;
            }
        }
        assertThat(open).as("unterminated transaction").isNull();
    }

    @Test
    void decodesInsertsUpdatesDeletesAndTruncateFromPostgres13() throws IOException {
        List<Decoded> decoded = decodeCapture("v1-dml.hex", 1);
        assertTransactionFraming(decoded);
        List<PgOutputMessage> m = messages(decoded);
        assertThat(m).hasSize(21);
        assertThat(m)
                .map(x -> x.getClass().getSimpleName())
                .containsExactly(
                        "Begin",
                        "Type",
                        "Relation",
                        "Insert",
                        "Insert",
                        "Commit",
                        "Begin",
                        "Update",
                        "Commit",
                        "Begin",
                        "Update",
                        "Commit",
                        "Begin",
                        "Delete",
                        "Commit",
                        "Begin",
                        "Type",
                        "Relation",
                        "Relation",
                        "Truncate",
                        "Commit");

        Begin begin = (Begin) m.get(0);
        assertThat(begin.xid()).isEqualTo(0x1ef);
        assertThat(begin.finalLsn()).isEqualTo(LogSequenceNumber.valueOf("0/15D56B8"));

        Type mood = (Type) m.get(1);
        assertThat(mood.streamXid()).isNull();
        assertThat(mood.namespace()).isEqualTo("public");
        assertThat(mood.name()).isEqualTo("mood");

        Relation items = (Relation) m.get(2);
        assertThat(items.streamXid()).isNull();
        assertThat(items.namespace()).isEqualTo("public");
        assertThat(items.name()).isEqualTo("items");
        assertThat(items.replicaIdentity()).isEqualTo(ReplicaIdentity.DEFAULT);
        assertThat(items.columns())
                .containsExactly(
                        new Column(true, "id", 23, -1),
                        new Column(false, "name", 25, -1),
                        new Column(false, "qty", 23, -1),
                        new Column(false, "feeling", mood.oid(), -1));

        assertThat(m.get(3)).isEqualTo(new Insert(null, items.oid(), new TupleData(row("1", "apple", "3", "happy"))));
        assertThat(m.get(4)).isEqualTo(new Insert(null, items.oid(), new TupleData(row("2", NULL, "5", NULL))));
        assertThat(((Insert) m.get(4)).newTuple().get(1).text()).isNull();

        // key unchanged: no old tuple, the key is in the new one
        assertThat(m.get(7))
                .isEqualTo(new Update(null, items.oid(), null, null, new TupleData(row("1", "apple", "4", "happy"))));
        // key changed: the old key ('K', other columns null), then the new row
        assertThat(m.get(10))
                .isEqualTo(new Update(
                        null,
                        items.oid(),
                        OldTuple.KEY,
                        new TupleData(row("2", NULL, NULL, NULL)),
                        new TupleData(row("10", NULL, "5", NULL))));
        assertThat(m.get(13))
                .isEqualTo(new Delete(null, items.oid(), OldTuple.KEY, new TupleData(row("10", NULL, NULL, NULL))));

        Relation other = (Relation) m.get(18);
        assertThat(other.name()).isEqualTo("other");
        assertThat(other.columns()).containsExactly(new Column(true, "id", 23, -1));
        assertThat(m.get(19)).isEqualTo(new Truncate(null, true, true, List.of(items.oid(), other.oid())));
    }

    @Test
    void unchangedToastIsItsOwnKindNotNull() throws IOException {
        List<Decoded> decoded = decodeCapture("v1-toast.hex", 1);
        assertTransactionFraming(decoded);
        List<PgOutputMessage> m = messages(decoded);
        assertThat(m)
                .map(x -> x.getClass().getSimpleName())
                .containsExactly("Begin", "Relation", "Insert", "Commit", "Begin", "Update", "Commit");
        Relation docs = (Relation) m.get(1);
        Insert insert = (Insert) m.get(2);
        assertThat(insert.newTuple().get(1).text()).isEqualTo("0123456789".repeat(1000));

        Update update = (Update) m.get(5);
        assertThat(update.relOid()).isEqualTo(docs.oid());
        assertThat(update.oldKind()).isNull();
        assertThat(update.newTuple().values())
                .containsExactly(TupleData.Text.of("1"), TOAST, TupleData.Text.of("second"));
        assertThat(update.newTuple().get(1)).isNotEqualTo(NULL);
        assertThatThrownBy(() -> update.newTuple().get(1).text()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void replicaIdentityFullCarriesTheWholeOldRow() throws IOException {
        List<Decoded> decoded = decodeCapture("v1-identity-full.hex", 1);
        assertTransactionFraming(decoded);
        List<PgOutputMessage> m = messages(decoded);
        assertThat(m)
                .map(x -> x.getClass().getSimpleName())
                .containsExactly(
                        "Begin",
                        "Relation",
                        "Insert",
                        "Commit",
                        "Begin",
                        "Update",
                        "Commit",
                        "Begin",
                        "Delete",
                        "Commit");
        Relation nokey = (Relation) m.get(1);
        assertThat(nokey.replicaIdentity()).isEqualTo(ReplicaIdentity.FULL);
        // under FULL every column is part of the identity
        assertThat(nokey.columns()).containsExactly(new Column(true, "a", 23, -1), new Column(true, "b", 25, -1));
        assertThat(m.get(5))
                .isEqualTo(new Update(
                        null,
                        nokey.oid(),
                        OldTuple.FULL,
                        new TupleData(row("1", "one")),
                        new TupleData(row("1", "uno"))));
        assertThat(m.get(8)).isEqualTo(new Delete(null, nokey.oid(), OldTuple.FULL, new TupleData(row("1", "uno"))));
    }

    @Test
    void logicalMessagesTransactionalOrNot() throws IOException {
        List<Decoded> decoded = decodeCapture("v1-message.hex", 1);
        assertTransactionFraming(decoded);
        List<PgOutputMessage> m = messages(decoded);
        assertThat(m)
                .map(x -> x.getClass().getSimpleName())
                .containsExactly(
                        "Begin", "Message", "Relation", "Insert", "Commit", "Message", "Begin", "Insert", "Commit");
        Message inTx = (Message) m.get(1);
        assertThat(inTx.streamXid()).isNull();
        assertThat(inTx.transactional()).isTrue();
        assertThat(inTx.prefix()).isEqualTo("pgferry");
        assertThat(inTx.contentText()).isEqualTo("in a transaction");
        assertThat(inTx.lsn()).isEqualTo(decoded.get(1).lsn());
        Message outside = (Message) m.get(5);
        assertThat(outside.transactional()).isFalse();
        assertThat(outside.contentText()).isEqualTo("not transactional");
        assertThat(outside.lsn()).isEqualTo(decoded.get(5).lsn());
    }

    @Test
    void streamedTransactionsFromPostgres15WithProtocol2() throws IOException {
        List<Decoded> decoded = decodeCapture("v2-stream.hex", 2);
        List<PgOutputMessage> m = messages(decoded);
        // first transaction: streamed in blocks, a rolled-back savepoint, then committed
        StreamStart first = (StreamStart) m.get(0);
        assertThat(first.firstSegment()).isTrue();
        long xid = first.xid();
        Relation big = (Relation) m.get(1);
        assertThat(big.streamXid()).isEqualTo(xid);
        assertThat(big.name()).isEqualTo("big");

        int commitAt = indexOf(m, StreamCommit.class, 0);
        List<PgOutputMessage> tx1 = m.subList(0, commitAt + 1);
        List<Insert> inserts = tx1.stream()
                .filter(Insert.class::isInstance)
                .map(Insert.class::cast)
                .toList();
        assertThat(inserts).allSatisfy(i -> assertThat(i.relOid()).isEqualTo(big.oid()));
        List<Insert> top = inserts.stream().filter(i -> i.streamXid() == xid).toList();
        assertThat(top).hasSize(600);
        // rows of subtransactions carry the subtransaction's xid: those of the rolled-back
        // savepoint that were streamed before the rollback (the server drops the rest unsent),
        // then the row inserted after ROLLBACK TO, which starts a new subtransaction
        List<Insert> sub = inserts.stream().filter(i -> i.streamXid() != xid).toList();
        assertThat(sub).hasSizeBetween(2, 401);
        long subXid = sub.get(0).streamXid();
        List<Insert> rolledBack = sub.subList(0, sub.size() - 1);
        assertThat(rolledBack).allSatisfy(i -> assertThat(i.streamXid()).isEqualTo(subXid));
        assertThat(rolledBack.get(0).newTuple().get(0).text()).isEqualTo("1001");
        Insert last = sub.get(sub.size() - 1);
        assertThat(last.streamXid()).isNotIn(xid, subXid);
        assertThat(last.newTuple().values()).containsExactly(TupleData.Text.of("5000"), TupleData.Text.of("last"));
        assertThat(tx1)
                .filteredOn(StreamStart.class::isInstance)
                .hasSizeGreaterThan(1)
                .allSatisfy(s -> assertThat(((StreamStart) s).xid()).isEqualTo(xid))
                .satisfies(starts -> assertThat(starts.stream().filter(s -> ((StreamStart) s).firstSegment()))
                        .hasSize(1));
        assertThat(tx1)
                .filteredOn(StreamStop.class::isInstance)
                .hasSameSizeAs(
                        tx1.stream().filter(StreamStart.class::isInstance).toList());
        assertThat(tx1)
                .filteredOn(StreamAbort.class::isInstance)
                .containsExactly(new StreamAbort(xid, subXid, null, null));
        StreamCommit commit = (StreamCommit) m.get(commitAt);
        assertThat(commit.xid()).isEqualTo(xid);
        assertThat(commit.endLsn()).isEqualTo(decoded.get(commitAt).lsn());
        assertThat(commit.commitTime()).isAfter(Instant.parse("2024-01-01T00:00:00Z"));

        // second transaction: streamed, then aborted whole; the last one is small and not streamed
        StreamAbort whole = (StreamAbort) m.get(indexOf(m, StreamAbort.class, commitAt));
        assertThat(whole.wholeTransaction()).isTrue();
        assertThat(whole.xid()).isNotEqualTo(xid);
        int begin = indexOf(m, Begin.class, commitAt);
        assertThat(m.subList(begin, m.size()))
                .map(x -> x.getClass().getSimpleName())
                .containsExactly("Begin", "Insert", "Commit");
        assertThat(((Insert) m.get(begin + 1)).streamXid()).isNull();
        assertTransactionFraming(decoded.subList(begin, decoded.size()));
    }

    @Test
    void theSpillEncoderWritesBackExactlyTheCapturedBytes() throws IOException {
        // spilled transactions are stored in pgoutput's own format: every captured data message
        // encodes back to the server's bytes, and decodes again to an equal record
        int checked = 0;
        for (String file :
                List.of("v1-dml.hex", "v1-toast.hex", "v1-identity-full.hex", "v1-message.hex", "v2-stream.hex")) {
            int protocol = file.startsWith("v2") ? 2 : 1;
            PgOutputDecoder decoder = new PgOutputDecoder(protocol);
            try (InputStream in = PgOutputDecoderTest.class.getResourceAsStream("/pgoutput/" + file)) {
                for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    byte[] wire = HexFormat.of().parseHex(line.split(" ")[1]);
                    PgOutputMessage m = decoder.decode(ByteBuffer.wrap(wire), AT);
                    if (m instanceof PgOutputMessage.Change c) {
                        assertThat(HexFormat.of().formatHex(PgOutputEncoder.encode(c)))
                                .as(file + " " + m)
                                .isEqualTo(line.split(" ")[1]);
                        assertThat(new PgOutputDecoder(4)
                                        .decodeChange(ByteBuffer.wrap(wire), AT, c.streamXid() != null))
                                .isEqualTo(c);
                        assertThat(PgOutputEncoder.estimate(c)).isGreaterThanOrEqualTo(wire.length / 2);
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(1700);
    }

    private static int indexOf(List<PgOutputMessage> m, Class<?> type, int from) {
        for (int i = from; i < m.size(); i++) {
            if (type.isInstance(m.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " after " + from);
    }

    // ---- hand-built buffers ----

    /** Builds a message the way the server's logicalproto.c writes it: big-endian, NUL-terminated strings. */
    static final class Wire {
        private final ByteBuffer buf = ByteBuffer.allocate(4096);

        Wire b(int v) {
            buf.put((byte) v);
            return this;
        }

        Wire i16(int v) {
            buf.putShort((short) v);
            return this;
        }

        Wire i32(long v) {
            buf.putInt((int) v);
            return this;
        }

        Wire i64(long v) {
            buf.putLong(v);
            return this;
        }

        Wire str(String s) {
            buf.put(s.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
            return this;
        }

        Wire text(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            buf.put((byte) 't').putInt(b.length).put(b);
            return this;
        }

        ByteBuffer done() {
            return ByteBuffer.wrap(Arrays.copyOf(buf.array(), buf.position()));
        }
    }

    @Test
    void protocol2DataMessagesInAStreamBlockCarryTheirXid() {
        PgOutputDecoder d = new PgOutputDecoder(2);
        assertThat(d.decode(new Wire().b('S').i32(0xfffffff0L).b(1).done(), AT))
                .isEqualTo(new StreamStart(0xfffffff0L, true));
        assertThat(d.inStreamBlock()).isTrue();
        assertThat(d.decode(
                        new Wire()
                                .b('Y')
                                .i32(700)
                                .i32(16400)
                                .str("public")
                                .str("mood")
                                .done(),
                        AT))
                .isEqualTo(new Type(700L, 16400, "public", "mood"));
        assertThat(d.decode(
                        new Wire()
                                .b('R')
                                .i32(700)
                                .i32(16401)
                                .str("s p")
                                .str("Tábla")
                                .b('i')
                                .i16(2)
                                .b(1)
                                .str("id")
                                .i32(20)
                                .i32(-1)
                                .b(0)
                                .str("v")
                                .i32(1043)
                                .i32(14)
                                .done(),
                        AT))
                .isEqualTo(new Relation(
                        700L,
                        16401,
                        "s p",
                        "Tábla",
                        ReplicaIdentity.INDEX,
                        List.of(new Column(true, "id", 20, -1), new Column(false, "v", 1043, 14))));
        assertThat(d.decode(
                        new Wire()
                                .b('I')
                                .i32(701)
                                .i32(16401)
                                .b('N')
                                .i16(2)
                                .text("7")
                                .b('u')
                                .done(),
                        AT))
                .isEqualTo(new Insert(701L, 16401, new TupleData(row("7", TOAST))));
        assertThat(d.decode(
                        new Wire()
                                .b('U')
                                .i32(701)
                                .i32(16401)
                                .b('O')
                                .i16(1)
                                .b('n')
                                .b('N')
                                .i16(1)
                                .b('n')
                                .done(),
                        AT))
                .isEqualTo(new Update(701L, 16401, OldTuple.FULL, new TupleData(row(NULL)), new TupleData(row(NULL))));
        assertThat(d.decode(
                        new Wire()
                                .b('D')
                                .i32(701)
                                .i32(16401)
                                .b('K')
                                .i16(1)
                                .text("7")
                                .done(),
                        AT))
                .isEqualTo(new Delete(701L, 16401, OldTuple.KEY, new TupleData(row("7"))));
        assertThat(d.decode(new Wire().b('T').i32(700).i32(1).b(0).i32(16401).done(), AT))
                .isEqualTo(new Truncate(700L, false, false, List.of(16401L)));
        assertThat(d.decode(
                        new Wire()
                                .b('M')
                                .i32(700)
                                .b(1)
                                .i64(0x16B3748L)
                                .str("p")
                                .i32(2)
                                .b('h')
                                .b('i')
                                .done(),
                        AT))
                .isEqualTo(new Message(700L, true, AT, "p", "hi".getBytes(StandardCharsets.UTF_8)));
        assertThat(d.decode(new Wire().b('E').done(), AT)).isEqualTo(new StreamStop());
        assertThat(d.inStreamBlock()).isFalse();
        // outside the block the same messages have no xid field
        assertThat(d.decode(new Wire().b('I').i32(16401).b('N').i16(1).text("8").done(), AT))
                .isEqualTo(new Insert(null, 16401, new TupleData(row("8"))));
        assertThat(d.decode(
                        new Wire()
                                .b('c')
                                .i32(700)
                                .b(0)
                                .i64(0x100)
                                .i64(0x180)
                                .i64(1_000_000)
                                .done(),
                        AT))
                .isEqualTo(new StreamCommit(
                        700,
                        0,
                        LogSequenceNumber.valueOf(0x100),
                        LogSequenceNumber.valueOf(0x180),
                        Instant.parse("2000-01-01T00:00:01Z")));
        assertThat(d.decode(new Wire().b('A').i32(700).i32(701).done(), AT))
                .isEqualTo(new StreamAbort(700, 701, null, null));
    }

    @Test
    void protocol4ParallelStreamAbortCarriesLsnAndTime() {
        PgOutputDecoder d = new PgOutputDecoder(4);
        assertThat(d.decode(
                        new Wire().b('A').i32(700).i32(700).i64(0x2000).i64(-1).done(), AT))
                .isEqualTo(new StreamAbort(
                        700, 700, LogSequenceNumber.valueOf(0x2000), Instant.parse("1999-12-31T23:59:59.999999Z")));
        // streaming = on (not parallel) sends the short form under protocol 4 too
        assertThat(d.decode(new Wire().b('A').i32(700).i32(701).done(), AT))
                .isEqualTo(new StreamAbort(700, 701, null, null));
        assertThatThrownBy(() ->
                        d.decode(new Wire().b('A').i32(700).i32(701).i64(1).done(), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("8 unexpected trailing bytes");
    }

    @Test
    void binaryValuesAndUnsignedOidsAndXids() {
        PgOutputDecoder d = new PgOutputDecoder(1);
        Insert i = (Insert) d.decode(
                new Wire()
                        .b('I')
                        .i32(0xffffff00L)
                        .b('N')
                        .i16(1)
                        .b('b')
                        .i32(3)
                        .b(0)
                        .b(0xff)
                        .b(1)
                        .done(),
                AT);
        assertThat(i.relOid()).isEqualTo(0xffffff00L);
        assertThat(i.newTuple().get(0)).isEqualTo(new TupleData.Binary(new byte[] {0, (byte) 0xff, 1}));
        Begin b = (Begin)
                d.decode(new Wire().b('B').i64(0x100).i64(0).i32(0xfffffffeL).done(), AT);
        assertThat(b.xid()).isEqualTo(0xfffffffeL);
        assertThat(b.commitTime()).isEqualTo(Instant.parse("2000-01-01T00:00:00Z"));
        assertThat(d.decode(new Wire().b('O').i64(0x42).str("pgferry_1").done(), AT))
                .isEqualTo(new PgOutputMessage.Origin(LogSequenceNumber.valueOf(0x42), "pgferry_1"));
    }

    @Test
    void anUnknownByteIsAnErrorNamingTheByteAndTheLsn() {
        PgOutputDecoder d = new PgOutputDecoder(4);
        assertThatThrownBy(() -> d.decode(new Wire().b('Z').i32(1).done(), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("'Z' (0x5a)")
                .hasMessageContaining("0/16B3748")
                .satisfies(e -> assertThat(((PgOutputException) e).lsn()).isEqualTo(AT));
        assertThatThrownBy(() -> d.decode(new Wire().b(0x01).done(), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("(0x01)");
        // streaming messages do not exist in protocol 1
        assertThatThrownBy(() -> new PgOutputDecoder(1)
                        .decode(new Wire().b('S').i32(1).b(1).done(), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("'S'")
                .hasMessageContaining("protocol 1");
        // nor are unknown tuple kinds dropped
        assertThatThrownBy(() ->
                        d.decode(new Wire().b('I').i32(1).b('N').i16(1).b('x').done(), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("'x'")
                .hasMessageContaining("column 1");
    }

    @Test
    void shortOrOverlongMessagesAreErrors() {
        PgOutputDecoder d = new PgOutputDecoder(1);
        assertThatThrownBy(() -> d.decode(new Wire().b('B').i64(1).done(), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("'B'")
                .hasMessageContaining("ends early");
        assertThatThrownBy(() -> d.decode(new Wire().b('O').i64(1).b('a').done(), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("ends early");
        assertThatThrownBy(() -> d.decode(
                        new Wire()
                                .b('I')
                                .i32(1)
                                .b('N')
                                .i16(1)
                                .b('t')
                                .i32(100)
                                .b('x')
                                .done(),
                        AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("ends early");
        assertThatThrownBy(() -> d.decode(
                        new Wire().b('C').b(0).i64(1).i64(2).i64(3).b(9).done(), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("1 unexpected trailing bytes");
        assertThatThrownBy(() -> d.decode(ByteBuffer.allocate(0), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> new PgOutputDecoder(2).decode(new Wire().b('E').done(), AT))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("StreamStop without a StreamStart");
        assertThatThrownBy(() -> new PgOutputDecoder(5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodesFromTheBufferPositionAsPgjdbcHandsItOver() {
        // pgjdbc wraps its receive array at an offset; decoding must honour position and limit
        byte[] frame = new byte[64];
        byte[] msg = new Wire().b('O').i64(0x42).str("o").done().array();
        System.arraycopy(msg, 0, frame, 25, msg.length);
        ByteBuffer slice = ByteBuffer.wrap(frame, 25, msg.length);
        assertThat(new PgOutputDecoder(1).decode(slice, AT))
                .isEqualTo(new PgOutputMessage.Origin(LogSequenceNumber.valueOf(0x42), "o"));
    }
}
