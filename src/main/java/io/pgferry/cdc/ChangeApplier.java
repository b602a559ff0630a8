package io.pgferry.cdc;

import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.pg.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Applies decoded source transactions on the target, exactly once. Several consecutive source
 * transactions may share one target transaction (fewer commits, same result); whatever the
 * grouping, the target transaction that holds a source transaction's rows also moves the
 * replication origin to that source commit, so data and progress commit together.
 *
 * <p>Skipped: transactions committed before the position the target already has (the
 * origin's), and changes to a table whose transaction's commit record starts before the LSN that
 * table's rows were copied at (its snapshot already held them).
 *
 * <p>Each statement shape (relation, operation, columns) is a server-side prepared statement
 * whose rows queue as a JDBC batch, which pgjdbc pipelines: one round trip for many rows and no
 * SQL parsing per row. Inside one target transaction, a table's changes keep their order, but
 * different tables' changes may run in another order than they arrived: the apply session runs
 * as a replica, so no trigger, foreign-key check or rule ties one table's rows to another's,
 * and the whole group commits at once. Where the target has triggers or rules that fire even
 * for replicas (foreign-key triggers included, after ENABLE ALWAYS TRIGGER ALL), the arrival
 * order is kept exactly. Row counts come back one by one, so a
 * missing row is noticed and named.
 *
 * <p>Where the arrival order need not be kept, a table's run of UPDATEs or DELETEs of one shape
 * goes set-based ({@link SetApply}): a few statements for many rows, the executor set up once
 * per statement instead of once per row.
 */
final class ChangeApplier implements AutoCloseable {
    /** Queued rows are sent when there are this many, or this many bytes of values, so memory stays bounded. */
    private static final int MAX_QUEUED_ROWS = 2000;

    private static final long MAX_QUEUED_BYTES = 16L << 20;

    private final Connection target;
    private final OriginTracker origin;
    private final Map<String, LogSequenceNumber> tableLsns;
    private final LogSequenceNumber appliedBefore;
    private final boolean keepArrivalOrder;
    private final Map<Long, RelationApply> relations = new HashMap<>();
    private final LongAdder setBasedRows = new LongAdder();
    /** Relations with queued rows, in the order their first queued row arrived. */
    private final Map<Long, RelationApply> queued = new LinkedHashMap<>();

    private RelationApply lastQueued;
    private int queuedRows;
    private long queuedBytes;
    private boolean skipTransaction;
    private LogSequenceNumber commitLsn;
    private LogSequenceNumber pendingEnd;
    private Instant pendingCommitTime;
    private int pendingTransactions;
    private LogSequenceNumber appliedEnd;
    private Instant appliedCommitTime;
    private long appliedTransactions;

    /**
     * @param target        a session already bound to the replication origin by {@code origin}
     * @param origin        the origin and its progress record, committed with every group
     * @param tableLsns     per table ("schema.name"), the LSN its copied rows correspond to
     * @param appliedBefore the origin's position: transactions ending at or before it are on the target
     */
    ChangeApplier(
            Connection target,
            OriginTracker origin,
            Map<String, LogSequenceNumber> tableLsns,
            LogSequenceNumber appliedBefore)
            throws SQLException {
        this.target = target;
        this.origin = origin;
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
            // every statement finds rows by key equality: planning each execution anew buys nothing
            st.execute("SET plan_cache_mode = force_generic_plan");
            try (ResultSet rs = st.executeQuery(
                    "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgenabled IN ('A', 'R'))"
                            + " OR EXISTS (SELECT 1 FROM pg_rewrite WHERE ev_enabled IN ('A', 'R') AND rulename <> '_RETURN')")) {
                rs.next();
                this.keepArrivalOrder = rs.getBoolean(1);
            }
        }
        target.commit();
    }

    /** Starts a source transaction whose commit record is at {@code commitAt}. */
    void begin(LogSequenceNumber commitAt) {
        commitLsn = commitAt;
        skipTransaction = appliedBefore != null && commitAt.compareTo(appliedBefore) < 0;
    }

    void relation(PgOutputMessage.Relation r) throws SQLException {
        RelationApply old = relations.get(r.oid());
        if (old != null && old.sql().sameShape(r)) {
            // sent again (a new session, or inside a streamed transaction): the prepared statements still fit
            return;
        }
        if (old != null) {
            // the relation changed shape (or the stream restarted): what it queued goes with the old statements
            sendQueued();
            old.close();
        }
        relations.put(r.oid(), build(r));
    }

    private RelationApply build(PgOutputMessage.Relation r) throws SQLException {
        TargetColumns columns = targetColumns(r);
        return new RelationApply(
                target,
                new RelationSql(r),
                columns.alwaysIdentity(),
                columns.types(),
                columns.unique(),
                !keepArrivalOrder,
                setBasedRows);
    }

    /**
     * Runs a schema change of the source ({@link DdlApply}) at its place, in the target transaction
     * holding the rows around it: rows queued before it are sent first, and every relation's
     * statements are built again from what the target says after it (the source sends a new
     * Relation only when a table's columns change, not for a new unique index). False when its
     * source transaction is one the target already holds.
     */
    boolean executeDdl(DdlApply.TargetWork ddl) throws SQLException {
        if (skipTransaction) {
            return false;
        }
        sendQueued();
        ddl.run(target);
        for (Map.Entry<Long, RelationApply> e : relations.entrySet()) {
            e.getValue().close();
            e.setValue(build(e.getValue().sql().relation()));
        }
        return true;
    }

    /**
     * What the target says about {@code r}'s columns (by name, in the source's column order), see
     * {@link #TARGET_COLUMNS}. GENERATED ALWAYS identities: an UPDATE may not assign them (only an
     * INSERT can, with OVERRIDING SYSTEM VALUE), and an update on the source cannot have changed
     * them except to a new generated value, which the target cannot take. Types are named
     * without modifier, so a value too long for its column fails on assignment as row by row,
     * instead of being cut by a cast (and a quoted "bit" is any length, not bit(1)).
     */
    private TargetColumns targetColumns(PgOutputMessage.Relation r) throws SQLException {
        TargetColumns out = new TargetColumns(
                new BitSet(), new ArrayList<>(Collections.nCopies(r.columns().size(), null)), new BitSet());
        Map<String, Integer> byName = new HashMap<>();
        for (int c = 0; c < r.columns().size(); c++) {
            byName.put(r.columns().get(c).name(), c);
        }
        String table = Identifiers.qualified(r.namespace(), r.name());
        try (PreparedStatement ps = target.prepareStatement(TARGET_COLUMNS)) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Integer c = byName.get(rs.getString(1));
                    if (c == null) {
                        continue;
                    }
                    out.alwaysIdentity().set(c, rs.getBoolean(2));
                    out.types().set(c, rs.getString(3));
                    out.unique().set(c, rs.getBoolean(4));
                }
            }
        }
        return out;
    }

    /**
     * Per column of a table: name, GENERATED ALWAYS identity, the type to read its text as (a
     * domain's base type: a domain's input function runs even for null, so the null padding of
     * a set-based statement would trip a NOT NULL domain; assignment to the column applies the
     * domain's checks as row by row), and whether a unique or exclusion index covers it. An
     * index covers every column if it has expressions, a predicate or a generated column (an
     * update of one column may change another's value), and indexes of a partitioned table's
     * partitions count, matched by column name.
     */
    private static final String TARGET_COLUMNS = """
            WITH RECURSIVE rel AS (SELECT to_regclass(?) AS oid),
            cols AS (
                SELECT a.attname, a.attidentity, a.atttypid FROM pg_attribute a, rel
                WHERE a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped),
            base (attname, typ, typtype) AS (
                SELECT c.attname, t.oid, t.typtype FROM cols c JOIN pg_type t ON t.oid = c.atttypid
                UNION ALL
                SELECT b.attname, t.oid, t.typtype FROM base b JOIN pg_type d ON d.oid = b.typ
                JOIN pg_type t ON t.oid = d.typbasetype WHERE b.typtype = 'd'),
            tree AS (
                SELECT oid AS relid FROM rel
                UNION SELECT p.relid FROM rel, pg_partition_tree(rel.oid) p),
            uniq AS (
                SELECT i.indrelid, i.indkey, i.indexprs IS NOT NULL OR i.indpred IS NOT NULL
                    OR EXISTS (SELECT 1 FROM pg_attribute g WHERE g.attrelid = i.indrelid AND g.attnum = ANY (i.indkey)
                               AND g.attgenerated <> '') AS every
                FROM pg_index i JOIN tree ON tree.relid = i.indrelid WHERE i.indisunique OR i.indisexclusion)
            SELECT c.attname, c.attidentity = 'a', quote_ident(n.nspname) || '.' || quote_ident(t.typname),
                EXISTS (SELECT 1 FROM uniq u WHERE u.every OR EXISTS (SELECT 1 FROM pg_attribute ia WHERE ia.attrelid = u.indrelid
                        AND ia.attnum = ANY (u.indkey) AND ia.attname = c.attname))
            FROM cols c JOIN base b ON b.attname = c.attname AND b.typtype <> 'd'
            JOIN pg_type t ON t.oid = b.typ JOIN pg_namespace n ON n.oid = t.typnamespace""";

    private record TargetColumns(BitSet alwaysIdentity, List<String> types, BitSet unique) {}

    /** Updates and deletes applied by set-based statements in this session. */
    long setBasedRows() {
        return setBasedRows.sum();
    }

    void insert(PgOutputMessage.Insert i, LogSequenceNumber at) throws SQLException {
        RelationApply rel = relationFor(i.relOid(), at);
        if (skip(rel.sql())) {
            return;
        }
        TupleData row = i.newTuple();
        BitSet all = new BitSet();
        all.set(0, row.size());
        queue(rel, RelationApply.Shape.INSERT, row, all, null, null, null);
    }

    void update(PgOutputMessage.Update u, LogSequenceNumber at) throws SQLException {
        RelationApply rel = relationFor(u.relOid(), at);
        RelationSql sql = rel.sql();
        if (skip(sql)) {
            return;
        }
        BitSet set = new BitSet();
        // REPLICA IDENTITY FULL marks every column as key and sends the old row whether or not anything changed:
        // there, no column is known unchanged (treating them as keys left the SET empty and dropped the update)
        boolean keyUnchanged = u.oldKind() == null && !sql.fullIdentity();
        for (int c = 0; c < u.newTuple().size(); c++) {
            boolean unchangedKey =
                    keyUnchanged && sql.relation().columns().get(c).key();
            // an unchanged key stays out of SET: it cannot differ, and GENERATED ALWAYS identity columns refuse any
            // assignment
            if (!(u.newTuple().get(c) instanceof TupleData.UnchangedToast)
                    && !unchangedKey
                    && !rel.alwaysIdentity().get(c)) {
                set.set(c);
            }
        }
        if (set.isEmpty()) {
            return;
        }
        TupleData keySource = u.oldTuple() != null ? u.oldTuple() : u.newTuple();
        BitSet where = sql.whereColumns(sql.fullIdentity() ? u.oldTuple() : null);
        queue(
                rel,
                new RelationApply.Shape(RowOperation.UPDATE, set, where),
                u.newTuple(),
                set,
                keySource,
                where,
                conflict(sql, keySource, where, "UPDATE", at));
    }

    void delete(PgOutputMessage.Delete d, LogSequenceNumber at) throws SQLException {
        RelationApply rel = relationFor(d.relOid(), at);
        RelationSql sql = rel.sql();
        if (skip(sql)) {
            return;
        }
        BitSet where = sql.whereColumns(sql.fullIdentity() ? d.oldTuple() : null);
        queue(
                rel,
                new RelationApply.Shape(RowOperation.DELETE, null, where),
                d.oldTuple(),
                where,
                null,
                null,
                conflict(sql, d.oldTuple(), where, "DELETE", at));
    }

    void truncate(PgOutputMessage.Truncate t, LogSequenceNumber at) throws SQLException {
        List<String> names = new ArrayList<>();
        for (long oid : t.relOids()) {
            RelationSql sql = relationFor(oid, at).sql();
            if (!skip(sql)) {
                names.add(sql.qualified());
            }
        }
        if (names.isEmpty()) {
            return;
        }
        // rows queued before the TRUNCATE must land before it
        sendQueued();
        try (Statement st = target.createStatement()) {
            st.execute("TRUNCATE ONLY " + String.join(", ", names) + (t.restartIdentity() ? " RESTART IDENTITY" : "")
                    + (t.cascade() ? " CASCADE" : ""));
        }
    }

    /** Ends a source transaction; its rows reach the target at the next {@link #flush}. */
    void commit(LogSequenceNumber end, Instant commitTime) {
        if (!skipTransaction) {
            pendingEnd = end;
            pendingCommitTime = commitTime;
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

    /**
     * Commits the target transaction holding the pending source transactions, together with the
     * origin's new position. A group with nothing to apply (13 sends transactions on unpublished
     * tables, empty) still commits the origin's move: the origin is the one record of how far the
     * target got, and the slot is only ever told what it says.
     */
    void flush() throws SQLException {
        if (pendingTransactions == 0) {
            return;
        }
        sendQueued();
        Faults.reach(FaultPoint.APPLY_ROWS_SENT);
        commitOrigin(pendingEnd, pendingCommitTime);
        appliedEnd = pendingEnd;
        appliedCommitTime = pendingCommitTime;
        appliedTransactions += pendingTransactions;
        pendingTransactions = 0;
    }

    /**
     * Moves the origin over source WAL that held nothing to apply (a position the source reported
     * while every message before it was applied), in a target transaction of its own. Only
     * between source transactions, with nothing pending. False when the origin is already there.
     */
    boolean advanceOrigin(LogSequenceNumber to) throws SQLException {
        if (pendingTransactions > 0 || commitLsn != null) {
            throw new IllegalStateException("the origin can only move over WAL with nothing to apply");
        }
        if (appliedEnd != null && to.compareTo(appliedEnd) <= 0) {
            return false;
        }
        commitOrigin(to, Instant.now());
        appliedEnd = to;
        return true;
    }

    private void commitOrigin(LogSequenceNumber end, Instant commitTime) throws SQLException {
        origin.commit(end, commitTime);
        Faults.reach(FaultPoint.APPLY_AFTER_COMMIT);
    }

    /** Where the origin stands after this session's commits (the session's starting position before any). */
    LogSequenceNumber appliedEnd() {
        return appliedEnd;
    }

    Instant appliedCommitTime() {
        return appliedCommitTime;
    }

    long appliedTransactions() {
        return appliedTransactions;
    }

    private boolean skip(RelationSql rel) {
        if (skipTransaction) {
            return true;
        }
        LogSequenceNumber copiedAt = tableLsns.get(rel.displayName());
        // the copy's snapshot was exported at copiedAt, the end of the record that made the slot consistent:
        // a transaction whose commit record starts there or later was still running in that snapshot, and
        // the slot sends it (it decodes commits starting at or after its start), so only an earlier one is
        // in the copy. PostgreSQL's table sync applies likewise when its sync LSN <= the commit's LSN.
        return copiedAt != null && commitLsn != null && commitLsn.compareTo(copiedAt) < 0;
    }

    private RelationApply relationFor(long oid, LogSequenceNumber at) {
        RelationApply rel = relations.get(oid);
        if (rel == null) {
            throw new IllegalStateException("change for relation " + oid + " before its Relation message at " + at);
        }
        return rel;
    }

    private void queue(
            RelationApply rel,
            RelationApply.Shape shape,
            TupleData first,
            BitSet firstColumns,
            TupleData second,
            BitSet secondColumns,
            Supplier<String> missing)
            throws SQLException {
        if (keepArrivalOrder && lastQueued != rel) {
            sendQueued();
        }
        queuedBytes += rel.queue(shape, first, firstColumns, second, secondColumns, missing);
        queued.putIfAbsent(rel.sql().relation().oid(), rel);
        lastQueued = rel;
        queuedRows++;
        if (queuedRows >= MAX_QUEUED_ROWS || queuedBytes >= MAX_QUEUED_BYTES) {
            sendQueued();
        }
    }

    /** Sends every relation's queued rows, in the order the relations first queued. */
    private void sendQueued() throws SQLException {
        for (RelationApply rel : queued.values()) {
            rel.send();
        }
        queued.clear();
        lastQueued = null;
        queuedRows = 0;
        queuedBytes = 0;
    }

    /** Names a row that an UPDATE or DELETE did not find; built only when that happens. */
    private Supplier<String> conflict(RelationSql rel, TupleData tuple, BitSet where, String op, LogSequenceNumber at) {
        LogSequenceNumber commit = commitLsn;
        return () -> {
            String key = where.stream()
                    .mapToObj(c -> rel.relation().columns().get(c).name() + "=" + tuple.get(c))
                    .limit(8)
                    .collect(Collectors.joining(", "));
            return op + " on "
                    + Identifiers.qualified(
                            rel.relation().namespace(), rel.relation().name()) + " found no row with " + key
                    + " (source transaction committing at " + commit.asString() + ", change at " + at.asString() + ")";
        };
    }

    @Override
    public void close() {
        relations.values().forEach(RelationApply::close);
        relations.clear();
    }
}
