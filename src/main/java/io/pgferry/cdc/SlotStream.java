package io.pgferry.cdc;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.fluent.logical.ChainedLogicalStreamBuilder;

/**
 * The pgoutput change stream of an existing logical slot, over the streaming replication
 * protocol (pgjdbc's replication API), decoded into {@link PgOutputMessage}s.
 *
 * <p>One reader thread owns the pgjdbc stream (which is not thread-safe): it reads, decodes and
 * hands (lsn, message) pairs to a bounded queue, answers the server's keepalives, and sends the
 * feedback {@link #confirm} asks for. The apply side calls {@link #next} and {@link #confirm}
 * from its own thread. The slot learns only what the caller confirms: nothing is reported
 * flushed on receipt, so a crash at any point replays from the last confirmed LSN.
 */
public final class SlotStream implements AutoCloseable {
    /**
     * A decoded message and the LSN the walsender stamped it with: a Commit's is its end LSN; a
     * Relation's may be 0/0. Confirm only commit end LSNs (or {@link #drainedTo()}), never these.
     */
    public record Event(LogSequenceNumber lsn, PgOutputMessage message) {}

    /** How to open the stream; {@link #forSource} picks the protocol from the source's major. */
    public record Options(
            String slot,
            List<String> publications,
            LogSequenceNumber start,
            int protocol,
            boolean streaming,
            boolean messages,
            int queueCapacity,
            Duration statusInterval,
            Duration slotBusyWait) {
        public Options {
            Objects.requireNonNull(slot, "slot");
            Objects.requireNonNull(start, "start");
            publications = List.copyOf(publications);
            if (publications.isEmpty()) {
                throw new IllegalArgumentException("at least one publication");
            }
            if (protocol < PgOutputDecoder.MIN_PROTOCOL || protocol > PgOutputDecoder.MAX_PROTOCOL) {
                throw new IllegalArgumentException("pgoutput protocol " + protocol + " is not one of 1..4");
            }
            if (streaming && protocol < 2) {
                throw new IllegalArgumentException("streaming of in-progress transactions needs protocol 2 or newer");
            }
            if (!slot.matches("[a-z0-9_]{1,63}")) {
                // the server's own rule for slot names; pgjdbc puts the name into START_REPLICATION unquoted
                throw new IllegalArgumentException(
                        "slot name '" + slot + "' is not lower-case letters, digits and '_'");
            }
            for (String p : publications) {
                if (p.indexOf('\'') >= 0 || p.indexOf('\0') >= 0) {
                    // pgjdbc writes option values between single quotes without escaping them
                    throw new IllegalArgumentException("publication name " + p + " contains a quote");
                }
            }
        }

        /**
         * Options for a source of major {@code sourceMajor}: protocol 1 for 13, 2 for 14 and 15,
         * 4 for 16 and newer. In-progress transactions are not streamed: each arrives whole at its
         * commit (the source spills a large one to its own disk meanwhile), in commit order.
         */
        public static Options forSource(
                int sourceMajor, String slot, List<String> publications, LogSequenceNumber start) {
            return new Options(
                    slot,
                    publications,
                    start,
                    protocolFor(sourceMajor),
                    false,
                    false,
                    1024,
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(30));
        }

        public Options withStreaming(boolean streamInProgress, boolean logicalMessages) {
            return new Options(
                    slot,
                    publications,
                    start,
                    protocol,
                    streamInProgress,
                    logicalMessages,
                    queueCapacity,
                    statusInterval,
                    slotBusyWait);
        }

        public Options withStart(LogSequenceNumber lsn) {
            return new Options(
                    slot,
                    publications,
                    lsn,
                    protocol,
                    streaming,
                    messages,
                    queueCapacity,
                    statusInterval,
                    slotBusyWait);
        }
    }

    /** The pgoutput protocol version pgferry uses for a source of this major version. */
    public static int protocolFor(int sourceMajor) {
        if (sourceMajor < 13) {
            throw new IllegalArgumentException(
                    "PostgreSQL " + sourceMajor + " is older than the oldest supported source, 13");
        }
        if (sourceMajor == 13) {
            return 1;
        }
        return sourceMajor <= 15 ? 2 : 4;
    }

    private static final Event END_EVENT = new Event(LogSequenceNumber.INVALID_LSN, null);
    private static final Queued END = new Queued(END_EVENT, 0);
    /** Bytes of undelivered messages the queue may hold, whatever their count: rows can be large. */
    private static final int QUEUE_BYTES = 32 << 20;

    /** A queued event and the bytes it holds of the budget. */
    private record Queued(Event event, int bytes) {}

    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final long QUEUE_WAIT_MILLIS = 100;

    private final Connector connector;
    private final Options options;
    private final Connection connection;
    private final PGReplicationStream stream;
    private final PgOutputDecoder decoder;
    private final BlockingQueue<Queued> queue;
    private final Semaphore queueBudget = new Semaphore(QUEUE_BYTES);
    private final AtomicReference<LogSequenceNumber> pendingConfirm = new AtomicReference<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread reader;
    private volatile boolean closing;
    private volatile LogSequenceNumber confirmed;
    private volatile LogSequenceNumber lastReceived;
    private volatile LogSequenceNumber drainedTo = LogSequenceNumber.INVALID_LSN;
    private boolean ended;
    private long lastStatus = System.nanoTime();

    private SlotStream(Connector connector, Options options, Connection connection, PGReplicationStream stream) {
        this.connector = connector;
        this.options = options;
        this.connection = connection;
        this.stream = stream;
        this.decoder = new PgOutputDecoder(options.protocol());
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.confirmed = LogSequenceNumber.INVALID_LSN;
        this.lastReceived = LogSequenceNumber.INVALID_LSN;
        this.reader = new Thread(this::readLoop, "pgferry-slot-" + options.slot());
        this.reader.setDaemon(true);
    }

    /**
     * Starts streaming slot {@code options.slot()} from {@code options.start()} (the server starts
     * at the later of that and the slot's confirmed position). Waits up to
     * {@code options.slotBusyWait()} while the slot is still held by a previous connection.
     */
    public static SlotStream open(Connector source, Options options) {
        long deadline = System.nanoTime() + options.slotBusyWait().toNanos();
        while (true) {
            Connection c = source.openReplication();
            try {
                PGReplicationStream stream = start(c, options);
                SlotStream s = new SlotStream(source, options, c, stream);
                s.reader.start();
                return s;
            } catch (SQLException e) {
                closeQuietly(c);
                if ("55006".equals(e.getSQLState()) && System.nanoTime() < deadline) {
                    // object_in_use: the walsender of a previous (possibly killed) session still holds the slot
                    sleep(200);
                    continue;
                }
                if ("42704".equals(e.getSQLState())) {
                    throw new PgferryException(
                            ErrorCode.FAILED,
                            "replication slot " + options.slot() + " does not exist on the " + source.role(),
                            "it was dropped (or never created): the stream cannot resume; start the migration again",
                            e);
                }
                throw source.classify(e);
            } catch (RuntimeException e) {
                closeQuietly(c);
                throw e;
            }
        }
    }

    private static PGReplicationStream start(Connection c, Options options) throws SQLException {
        ChainedLogicalStreamBuilder b = c.unwrap(PGConnection.class)
                .getReplicationAPI()
                .replicationStream()
                .logical()
                .withSlotName(options.slot())
                .withStartPosition(options.start())
                .withStatusInterval((int) options.statusInterval().toMillis(), TimeUnit.MILLISECONDS)
                // pgjdbc would otherwise confirm a keepalive's position on its own once the last message
                // it read is confirmed; this reader reads ahead of the applier, and a streamed block can
                // carry a position from before transactions still queued: the slot would skip them
                .withAutomaticFlush(false)
                .withSlotOption("proto_version", Integer.toString(options.protocol()))
                // publication_names is parsed as a list of identifiers: quote each one
                .withSlotOption(
                        "publication_names",
                        options.publications().stream().map(Identifiers::quote).collect(Collectors.joining(",")));
        if (options.streaming()) {
            b = b.withSlotOption("streaming", "on");
        }
        if (options.messages()) {
            b = b.withSlotOption("messages", "true");
        }
        return b.start();
    }

    public Options options() {
        return options;
    }

    public int protocol() {
        return options.protocol();
    }

    /** The next message, or null if none arrives within {@code timeout}. */
    public Event poll(Duration timeout) throws InterruptedException {
        Queued q = ended ? END : queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return q == null ? null : unlessEnd(q);
    }

    private Event unlessEnd(Queued q) {
        if (q != END) {
            queueBudget.release(q.bytes());
            return q.event();
        }
        ended = true;
        Throwable t = failure.get();
        if (t instanceof PgferryException pe) {
            throw pe;
        }
        if (t instanceof SQLException sql) {
            throw connector.classify(sql);
        }
        if (t != null) {
            throw new PgferryException(ErrorCode.FAILED, "reading slot " + options.slot() + " failed: " + t, null, t);
        }
        throw new PgferryException(ErrorCode.FAILED, "the stream of slot " + options.slot() + " is closed", null);
    }

    /**
     * Tells the slot that everything up to {@code applied} is durably applied on the target: the
     * server may recycle WAL before it and will not send it again. Call it only with an LSN
     * whose transaction (and everything before) has committed on the target. Thread-safe; sent
     * by the reader thread at once. Never moves backwards.
     */
    public void confirm(LogSequenceNumber applied) {
        pendingConfirm.accumulateAndGet(applied, (old, cur) -> old == null || cur.compareTo(old) > 0 ? cur : old);
        LockSupport.unpark(reader);
    }

    /** The last LSN confirmed to the server (INVALID before the first confirm). */
    public LogSequenceNumber confirmed() {
        return confirmed;
    }

    /** The furthest LSN the server has told us about (data or keepalive), for lag reporting; INVALID before any. */
    public LogSequenceNumber lastReceived() {
        return lastReceived;
    }

    /**
     * A position the caller may confirm when it has applied every event it took and holds no
     * transaction open: the server's position (keepalives included) at a moment when every
     * message before it had been taken from the queue. Without it an idle slot (writes only to
     * unpublished tables) would never advance and the source would keep its WAL. Confirming it
     * mid-way through a streamed transaction is safe: the slot's restart point stays before
     * that transaction, and the server sends again every transaction committing after it.
     */
    public LogSequenceNumber drainedTo() {
        return drainedTo;
    }

    private void readLoop() {
        try {
            while (!closing) {
                sendPendingConfirm();
                ByteBuffer buf = stream.readPending();
                // pgjdbc's value starts at the requested start (which may be behind the slot's
                // confirmed position: never report that) and can go back (a keepalive's
                // position, then an earlier message's)
                LogSequenceNumber received = stream.getLastReceiveLSN();
                if (!received.equals(options.start())) {
                    lastReceived = max(lastReceived, received);
                }
                if (buf == null) {
                    if (queue.isEmpty()) {
                        drainedTo = max(drainedTo, lastReceived);
                    }
                    LockSupport.parkNanos(IDLE_PARK_NANOS);
                    continue;
                }
                LogSequenceNumber lsn = stream.getLastReceiveLSN();
                int bytes = Math.min(buf.remaining(), QUEUE_BYTES);
                Queued e = new Queued(new Event(lsn, decoder.decode(buf, lsn)), bytes);
                // a full queue means the apply side is behind: keep confirming and keep the
                // connection alive (wal_sender_timeout) while waiting for room
                while (!closing && !queueBudget.tryAcquire(bytes, QUEUE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                    keepAliveWhileWaiting();
                }
                while (!closing && !queue.offer(e, QUEUE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                    keepAliveWhileWaiting();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            if (!closing) {
                failure.set(t);
            }
        } finally {
            endQueue();
        }
    }

    private void keepAliveWhileWaiting() throws SQLException {
        sendPendingConfirm();
        if (System.nanoTime() - lastStatus > options.statusInterval().toNanos()) {
            stream.forceUpdateStatus();
            lastStatus = System.nanoTime();
        }
    }

    /** Lets the consumer take what was read before the end, then the end (with its cause). */
    private void endQueue() {
        try {
            while (!closing && !queue.offer(END, QUEUE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                // the consumer is still taking events decoded before the failure
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closing) {
            queue.clear();
            queue.offer(END);
        }
    }

    private static LogSequenceNumber max(LogSequenceNumber a, LogSequenceNumber b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private void sendPendingConfirm() throws SQLException {
        LogSequenceNumber lsn = pendingConfirm.getAndSet(null);
        if (lsn == null || lsn.compareTo(confirmed) <= 0) {
            return;
        }
        stream.setFlushedLSN(lsn);
        stream.setAppliedLSN(lsn);
        stream.forceUpdateStatus();
        confirmed = lsn;
        lastStatus = System.nanoTime();
    }

    /**
     * Stops the reader, sends any confirm still pending and drops the connection, whatever state
     * the stream is in. Not a polite CopyDone: pgjdbc would first read everything the server
     * still sends, which can be the rest of a transaction larger than the heap.
     */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(reader);
        boolean stopped = false;
        try {
            reader.join(TimeUnit.SECONDS.toMillis(30));
            stopped = !reader.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (stopped && failure.get() == null && !stream.isClosed()) {
                sendPendingConfirm();
            }
        } catch (SQLException ignored) {
            // the connection is dropped below either way
        } finally {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException e) {
                closeQuietly(connection);
            }
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // nothing more to release
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, "interrupted while waiting for a replication slot", null, e);
        }
    }
}
