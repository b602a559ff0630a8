package io.pgferry.cdc;

import io.pgferry.pg.Identifiers;
import org.postgresql.replication.LogSequenceNumber;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Applies decoded source transactions on the target, exactly once. Several consecutive source
 * transactions may share one target transaction (fewer commits, same result); whatever the
 * grouping, the target transaction that holds a source transaction's rows also moves the
 * replication origin to that source commit, so data and progress commit together.
 *
 * <p>Skipped: transactions committed at or before the position the target already has (the
 * origin's), and changes to a table whose transaction committed at or before the LSN that
 * table's rows were copied at (its snapshot already held them).
 *
 * <p>Consecutive changes that share a statement are sent as one JDBC batch (pipelined); row
 * counts still come back one by one, so a missing row is noticed and named.
 */
final class ChangeApplier implements AutoCloseable {
    private static final int MAX_BATCH = 1000;

    private final Connection target;
    private final Map<String, LogSequenceNumber> tableLsns;
    private final LogSequenceNumber appliedBefore;
    private final Map<Long, RelationSql> relations = new HashMap<>();
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    private PreparedStatement batch;
    private final List<String> batchRows = new ArrayList<>();
    private boolean targetTxOpen;
    private boolean skipTransaction;
    private LogSequenceNumber commitLsn;
    private LogSequenceNumber pendingEnd;
    private Instant pendingCommitTime;
    private int pendingTransactions;
    private LogSequenceNumber appliedEnd;
    private Instant appliedCommitTime;
    private long appliedTransactions;
    private long appliedChanges;

    /**
     * @param target        a session already set up for the replication origin
     * @param tableLsns     per table ("schema.name"), the LSN its copied rows correspond to
     * @param appliedBefore the origin's position: transactions ending at or before it are on the target
     */
    ChangeApplier(Connection target, Map<String, LogSequenceNumber> tableLsns, LogSequenceNumber appliedBefore) throws SQLException {
        this.target = target;
        this.tableLsns = tableLsns;
        this.appliedBefore = appliedBefore;
        this.appliedEnd = appliedBefore;
        target.setAutoCommit(false);
        try (Statement st = target.createStatement()) {
            // as the native apply worker does: the origin makes this safe, since after a crash the
            // target's recovered origin position and its recovered rows agree, and feedback to the
            // source reports only the flushed origin position
            st.execute("SET synchronous_commit = off");
            // the source already ran triggers and checked foreign keys; running them again would double effects
            st.execute("SET session_replication_role = replica");
        }
        target.commit();
    }

    void begin(PgOutputMessage.Begin b) {
        commitLsn = b.finalLsn();
        skipTransaction = appliedBefore != null && b.finalLsn().compareTo(appliedBefore) < 0;
    }

    void relation(PgOutputMessage.Relation r) throws SQLException {
        RelationSql old = relations.put(r.oid(), new RelationSql(r));
        if (old != null) {
            flushBatch();
            String prefix = r.oid() + ":";
            statements.entrySet().removeIf(e -> {
                if (e.getKey().startsWith(prefix)) {
                    closeQuietly(e.getValue());
                    return true;
                }
                return false;
            });
        }
    }

    void insert(PgOutputMessage.Insert i, LogSequenceNumber at) throws SQLException {
        RelationSql rel = relationFor(i.relOid(), at);
        if (skip(rel)) {
            return;
        }
        PreparedStatement ps = statement(rel.relation().oid() + ":I", rel.insert());
        bind(ps, i.newTuple(), all(rel), 1);
        add(ps, null);
    }

    void update(PgOutputMessage.Update u, LogSequenceNumber at) throws SQLException {
        RelationSql rel = relationFor(u.relOid(), at);
        if (skip(rel)) {
            return;
        }
        BitSet set = new BitSet();
        for (int c = 0; c < u.newTuple().size(); c++) {
            if (!(u.newTuple().get(c) instanceof TupleData.UnchangedToast)) {
                set.set(c);
            }
        }
        TupleData keySource = u.oldTuple() != null ? u.oldTuple() : u.newTuple();
        BitSet where = rel.whereColumns(rel.fullIdentity() ? u.oldTuple() : null);
        PreparedStatement ps = statement(rel.relation().oid() + ":U:" + set + ":" + where, rel.update(set, where));
        int next = bind(ps, u.newTuple(), set, 1);
        bind(ps, keySource, where, next);
        add(ps, describe(rel, keySource, where, "UPDATE", at));
    }

    void delete(PgOutputMessage.Delete d, LogSequenceNumber at) throws SQLException {
        RelationSql rel = relationFor(d.relOid(), at);
        if (skip(rel)) {
            return;
        }
        BitSet where = rel.whereColumns(rel.fullIdentity() ? d.oldTuple() : null);
        PreparedStatement ps = statement(rel.relation().oid() + ":D:" + where, rel.delete(where));
        bind(ps, d.oldTuple(), where, 1);
        add(ps, describe(rel, d.oldTuple(), where, "DELETE", at));
    }

    void truncate(PgOutputMessage.Truncate t, LogSequenceNumber at) throws SQLException {
        List<String> names = new ArrayList<>();
        for (long oid : t.relOids()) {
            RelationSql rel = relationFor(oid, at);
            if (!skip(rel)) {
                names.add(rel.qualified());
            }
        }
        if (names.isEmpty()) {
            return;
        }
        flushBatch();
        openTargetTx();
        try (Statement st = target.createStatement()) {
            st.execute("TRUNCATE ONLY " + String.join(", ", names) + (t.restartIdentity() ? " RESTART IDENTITY" : "")
                    + (t.cascade() ? " CASCADE" : ""));
        }
        appliedChanges++;
    }

    /** Ends a source transaction; its rows reach the target at the next {@link #flush}. */
    void commit(PgOutputMessage.Commit c) {
        if (!skipTransaction) {
            pendingEnd = c.endLsn();
            pendingCommitTime = c.commitTime();
            pendingTransactions++;
        }
        skipTransaction = false;
        commitLsn = null;
    }

    /** Source transactions committed but not yet committed on the target. */
    int pendingTransactions() {
        return pendingTransactions;
    }

    boolean insideSourceTransaction() {
        return commitLsn != null;
    }

    /** Commits the target transaction holding the pending source transactions, together with the origin's new position. */
    void flush() throws SQLException {
        if (pendingTransactions == 0) {
            return;
        }
        flushBatch();
        if (targetTxOpen) {
            try (PreparedStatement ps = target.prepareStatement("SELECT pg_replication_origin_xact_setup(?::pg_lsn, ?)")) {
                ps.setString(1, pendingEnd.asString());
                ps.setTimestamp(2, Timestamp.from(pendingCommitTime));
                ps.executeQuery().close();
            }
            target.commit();
            targetTxOpen = false;
        }
        appliedEnd = pendingEnd;
        appliedCommitTime = pendingCommitTime;
        appliedTransactions += pendingTransactions;
        pendingTransactions = 0;
    }

    /** The end of the last source transaction committed on the target (not necessarily flushed to its disk yet). */
    LogSequenceNumber appliedEnd() {
        return appliedEnd;
    }

    Instant appliedCommitTime() {
        return appliedCommitTime;
    }

    long appliedTransactions() {
        return appliedTransactions;
    }

    long appliedChanges() {
        return appliedChanges;
    }

    private boolean skip(RelationSql rel) {
        if (skipTransaction) {
            return true;
        }
        LogSequenceNumber copiedAt = tableLsns.get(rel.displayName());
        return copiedAt != null && commitLsn != null && commitLsn.compareTo(copiedAt) <= 0;
    }

    private RelationSql relationFor(long oid, LogSequenceNumber at) {
        RelationSql rel = relations.get(oid);
        if (rel == null) {
            throw new IllegalStateException("change for relation " + oid + " before its Relation message at " + at);
        }
        return rel;
    }

    private PreparedStatement statement(String key, String sql) throws SQLException {
        PreparedStatement ps = statements.get(key);
        if (ps == null) {
            ps = target.prepareStatement(sql);
            statements.put(key, ps);
        }
        return ps;
    }

    private static BitSet all(RelationSql rel) {
        BitSet b = new BitSet();
        b.set(0, rel.relation().columns().size());
        return b;
    }

    private static int bind(PreparedStatement ps, TupleData tuple, BitSet columns, int first) throws SQLException {
        int p = first;
        for (int c = columns.nextSetBit(0); c >= 0; c = columns.nextSetBit(c + 1)) {
            TupleData.Value v = tuple.get(c);
            if (v instanceof TupleData.Null) {
                ps.setNull(p++, Types.OTHER);
            } else {
                ps.setObject(p++, v.text(), Types.OTHER);
            }
        }
        return p;
    }

    /** Queues a bound statement; {@code row} describes it for a conflict message (null: an INSERT, which cannot miss). */
    private void add(PreparedStatement ps, String row) throws SQLException {
        if (batch != ps) {
            flushBatch();
        }
        openTargetTx();
        ps.addBatch();
        batch = ps;
        batchRows.add(row);
        appliedChanges++;
        if (batchRows.size() >= MAX_BATCH) {
            flushBatch();
        }
    }

    private void flushBatch() throws SQLException {
        if (batch == null) {
            return;
        }
        int[] counts = batch.executeBatch();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0 && batchRows.get(i) != null) {
                String row = batchRows.get(i);
                batch = null;
                batchRows.clear();
                throw new ApplyConflictException(row);
            }
        }
        batch = null;
        batchRows.clear();
    }

    private void openTargetTx() {
        targetTxOpen = true;
    }

    private String describe(RelationSql rel, TupleData tuple, BitSet where, String op, LogSequenceNumber at) {
        String key = where.stream().mapToObj(c -> rel.relation().columns().get(c).name() + "=" + tuple.get(c))
                .limit(8).collect(Collectors.joining(", "));
        return op + " on " + Identifiers.qualified(rel.relation().namespace(), rel.relation().name()) + " found no row with " + key
                + " (source transaction committing at " + commitLsn + ", change at " + at + ")";
    }

    /** Drops whatever the open target transaction holds; the stream will send it again. */
    void abandon() {
        try {
            target.rollback();
        } catch (SQLException ignored) {
            // the session is broken; the server rolls back on its own
        }
        batch = null;
        batchRows.clear();
        targetTxOpen = false;
        pendingTransactions = 0;
    }

    @Override
    public void close() {
        statements.values().forEach(ChangeApplier::closeQuietly);
        statements.clear();
    }

    private static void closeQuietly(Statement s) {
        try {
            s.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }
}
