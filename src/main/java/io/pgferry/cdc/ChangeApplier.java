package io.pgferry.cdc;

import io.pgferry.pg.Identifiers;
import org.postgresql.replication.LogSequenceNumber;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
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
 * <p>Each relation's statements are prepared once on the target ({@code PREPARE}, types
 * inferred from the columns); changes are queued as {@code EXECUTE} calls in one JDBC batch
 * that pgjdbc pipelines, so a group of transactions costs one round trip instead of one per
 * row. Row counts still come back one by one, so a missing row is noticed and named.
 */
final class ChangeApplier implements AutoCloseable {
    private static final int MAX_BATCH = 1000;

    private final Connection target;
    private final Map<String, LogSequenceNumber> tableLsns;
    private final LogSequenceNumber appliedBefore;
    private final Map<Long, RelationSql> relations = new HashMap<>();
    /** Prepared statement names by (relation, operation, columns); a relation's new shape gets new names. */
    private final Map<String, String> prepared = new HashMap<>();
    private final Statement pipeline;
    private final List<String> batchRows = new ArrayList<>();
    private int preparedCount;
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
        this.pipeline = target.createStatement();
        try (Statement st = target.createStatement()) {
            // EXECUTE arguments are quoted literals: backslashes must mean themselves
            st.execute("SET standard_conforming_strings = on");
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
            // the relation changed shape (or the stream restarted): later changes use freshly prepared statements
            String prefix = r.oid() + ":";
            prepared.keySet().removeIf(k -> k.startsWith(prefix));
        }
    }

    void insert(PgOutputMessage.Insert i, LogSequenceNumber at) throws SQLException {
        RelationSql rel = relationFor(i.relOid(), at);
        if (skip(rel)) {
            return;
        }
        String name = statement(rel.relation().oid() + ":I", rel.insert());
        add(execute(name, i.newTuple(), all(rel), null, null), null);
    }

    void update(PgOutputMessage.Update u, LogSequenceNumber at) throws SQLException {
        RelationSql rel = relationFor(u.relOid(), at);
        if (skip(rel)) {
            return;
        }
        BitSet set = new BitSet();
        boolean keyUnchanged = u.oldKind() != PgOutputMessage.OldTuple.KEY;
        for (int c = 0; c < u.newTuple().size(); c++) {
            boolean unchangedKey = keyUnchanged && rel.relation().columns().get(c).key();
            // an unchanged key stays out of SET: it cannot differ, and GENERATED ALWAYS identity keys refuse any assignment
            if (!(u.newTuple().get(c) instanceof TupleData.UnchangedToast) && !unchangedKey) {
                set.set(c);
            }
        }
        if (set.isEmpty()) {
            return;
        }
        TupleData keySource = u.oldTuple() != null ? u.oldTuple() : u.newTuple();
        BitSet where = rel.whereColumns(rel.fullIdentity() ? u.oldTuple() : null);
        String name = statement(rel.relation().oid() + ":U:" + set + ":" + where, rel.update(set, where));
        add(execute(name, u.newTuple(), set, keySource, where), describe(rel, keySource, where, "UPDATE", at));
    }

    void delete(PgOutputMessage.Delete d, LogSequenceNumber at) throws SQLException {
        RelationSql rel = relationFor(d.relOid(), at);
        if (skip(rel)) {
            return;
        }
        BitSet where = rel.whereColumns(rel.fullIdentity() ? d.oldTuple() : null);
        String name = statement(rel.relation().oid() + ":D:" + where, rel.delete(where));
        add(execute(name, d.oldTuple(), where, null, null), describe(rel, d.oldTuple(), where, "DELETE", at));
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
        add("TRUNCATE ONLY " + String.join(", ", names) + (t.restartIdentity() ? " RESTART IDENTITY" : "")
                + (t.cascade() ? " CASCADE" : ""), null);
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

    /** The name of the prepared statement for {@code key}, queuing its PREPARE ahead of its first use. */
    private String statement(String key, String sql) throws SQLException {
        String name = prepared.get(key);
        if (name == null) {
            name = "pgferry_" + (++preparedCount);
            prepared.put(key, name);
            add("PREPARE " + name + " AS " + sql, null);
            appliedChanges--;
        }
        return name;
    }

    private static BitSet all(RelationSql rel) {
        BitSet b = new BitSet();
        b.set(0, rel.relation().columns().size());
        return b;
    }

    /** EXECUTE of a prepared statement with the values of {@code first} (then {@code second}) as quoted literals. */
    private static String execute(String name, TupleData first, BitSet firstColumns, TupleData second, BitSet secondColumns) {
        StringBuilder sql = new StringBuilder("EXECUTE ").append(name).append(" (");
        boolean comma = appendValues(sql, first, firstColumns, false);
        if (second != null) {
            appendValues(sql, second, secondColumns, comma);
        }
        return sql.append(')').toString();
    }

    private static boolean appendValues(StringBuilder sql, TupleData tuple, BitSet columns, boolean comma) {
        for (int c = columns.nextSetBit(0); c >= 0; c = columns.nextSetBit(c + 1)) {
            if (comma) {
                sql.append(", ");
            }
            comma = true;
            TupleData.Value v = tuple.get(c);
            sql.append(v instanceof TupleData.Null ? "NULL" : Identifiers.literal(v.text()));
        }
        return comma;
    }

    /** Queues a statement; {@code row} describes it for a conflict message (null: it cannot miss a row). */
    private void add(String sql, String row) throws SQLException {
        openTargetTx();
        pipeline.addBatch(sql);
        batchRows.add(row);
        appliedChanges++;
        if (batchRows.size() >= MAX_BATCH) {
            flushBatch();
        }
    }

    private void flushBatch() throws SQLException {
        if (batchRows.isEmpty()) {
            return;
        }
        int[] counts;
        try {
            counts = pipeline.executeBatch();
        } catch (java.sql.BatchUpdateException e) {
            batchRows.clear();
            throw e.getNextException() != null ? e.getNextException() : e;
        }
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0 && batchRows.get(i) != null) {
                String row = batchRows.get(i);
                batchRows.clear();
                throw new ApplyConflictException(row);
            }
        }
        batchRows.clear();
    }

    private void openTargetTx() {
        targetTxOpen = true;
    }

    private String describe(RelationSql rel, TupleData tuple, BitSet where, String op, LogSequenceNumber at) {
        String key = where.stream().mapToObj(c -> rel.relation().columns().get(c).name() + "=" + tuple.get(c))
                .limit(8).collect(Collectors.joining(", "));
        return op + " on " + Identifiers.qualified(rel.relation().namespace(), rel.relation().name()) + " found no row with " + key
                + " (source transaction committing at " + commitLsn.asString() + ", change at " + at.asString() + ")";
    }

    /** Drops whatever the open target transaction holds; the stream will send it again. */
    void abandon() {
        try {
            target.rollback();
        } catch (SQLException ignored) {
            // the session is broken; the server rolls back on its own
        }
        try {
            pipeline.clearBatch();
        } catch (SQLException ignored) {
            // nothing queued survives anyway
        }
        batchRows.clear();
        targetTxOpen = false;
        pendingTransactions = 0;
    }

    @Override
    public void close() {
        closeQuietly(pipeline);
    }

    private static void closeQuietly(Statement s) {
        try {
            s.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }
}
