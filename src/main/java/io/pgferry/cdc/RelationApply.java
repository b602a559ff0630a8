package io.pgferry.cdc;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.postgresql.PGStatement;

/**
 * One source relation on the target: a prepared statement per statement shape, and the rows
 * queued for the shape being batched. Rows of one relation are sent in the order they were
 * queued: a row of another shape first sends what the previous shape queued.
 */
final class RelationApply implements AutoCloseable {
    /** What a statement does: its operation, the columns it sets and the columns that find the row. */
    record Shape(RowOperation operation, BitSet set, BitSet where) {
        static final Shape INSERT = new Shape(RowOperation.INSERT, null, null);
    }

    private final Connection target;
    private final RelationSql sql;
    private final BitSet alwaysIdentity;
    private final Map<Shape, PreparedStatement> statements = new HashMap<>();
    private PreparedStatement batching;
    /** Per queued row, how to name it if it finds no row on the target (null: it cannot miss, an insert). */
    private final List<Supplier<String>> queued = new ArrayList<>();
    /** Null when this relation's changes go row by row only. */
    private final SetApply setApply;

    private final BitSet uniqueColumns;
    private final List<String> targetTypes;
    private final LongAdder setBasedRows;
    /** Rows held for a set-based statement, all of shape {@link #holding}. */
    private final List<SetApply.Row> held = new ArrayList<>();
    /** Per shape, whether it goes set-based: decided once, not per row. */
    private final Map<Shape, Boolean> setBasedShapes = new HashMap<>();

    private Shape holding;

    /**
     * @param targetTypes   per source column, the target type its text is read as (null: no such column)
     * @param uniqueColumns columns in a unique or exclusion index on the target (an UPDATE of one stays row by row)
     * @param setBased      whether UPDATEs and DELETEs may go set-based (no trigger or rule fires for replicas)
     * @param setBasedRows  counts the rows applied set-based
     */
    RelationApply(
            Connection target,
            RelationSql sql,
            BitSet alwaysIdentity,
            List<String> targetTypes,
            BitSet uniqueColumns,
            boolean setBased,
            LongAdder setBasedRows) {
        this.target = target;
        this.sql = sql;
        this.alwaysIdentity = alwaysIdentity;
        this.targetTypes = targetTypes;
        this.uniqueColumns = uniqueColumns;
        this.setApply = setBased ? new SetApply(target, sql, targetTypes) : null;
        this.setBasedRows = setBasedRows;
    }

    RelationSql sql() {
        return sql;
    }

    /** Columns that are GENERATED ALWAYS identities on the target: never in an UPDATE's SET. */
    BitSet alwaysIdentity() {
        return alwaysIdentity;
    }

    /**
     * Queues a row: the values of {@code first}'s columns, then those of {@code second} (may be
     * null). Returns the bytes of values queued, for the caller's memory bound.
     */
    long queue(
            Shape shape,
            TupleData first,
            BitSet firstColumns,
            TupleData second,
            BitSet secondColumns,
            Supplier<String> missing)
            throws SQLException {
        if (setApply != null
                && setBasedShapes.computeIfAbsent(shape, sh -> SetApply.suits(sh, sql, uniqueColumns, targetTypes))) {
            return hold(shape, first, firstColumns, second, secondColumns, missing);
        }
        PreparedStatement ps = statement(shape);
        if (batching != ps || !held.isEmpty()) {
            send();
            batching = ps;
        }
        int index = 1;
        long bytes = 0;
        for (int c = firstColumns.nextSetBit(0); c >= 0; c = firstColumns.nextSetBit(c + 1)) {
            bytes += bind(ps, index++, first.get(c));
        }
        if (second != null) {
            for (int c = secondColumns.nextSetBit(0); c >= 0; c = secondColumns.nextSetBit(c + 1)) {
                bytes += bind(ps, index++, second.get(c));
            }
        }
        ps.addBatch();
        queued.add(missing);
        return bytes;
    }

    /** Holds a row for a set-based statement; its key is the values of the columns that find it. */
    private long hold(
            Shape shape,
            TupleData first,
            BitSet firstColumns,
            TupleData second,
            BitSet secondColumns,
            Supplier<String> missing)
            throws SQLException {
        if (!shape.equals(holding) || !queued.isEmpty()) {
            send();
            holding = shape;
        }
        List<TupleData.Value> values = new ArrayList<>();
        long bytes = 0;
        for (int c = firstColumns.nextSetBit(0); c >= 0; c = firstColumns.nextSetBit(c + 1)) {
            values.add(first.get(c));
            bytes += size(first.get(c));
        }
        List<TupleData.Value> key = new ArrayList<>();
        TupleData keyTuple = second != null ? second : first;
        BitSet keyColumns = second != null ? secondColumns : firstColumns;
        for (int c = keyColumns.nextSetBit(0); c >= 0; c = keyColumns.nextSetBit(c + 1)) {
            key.add(keyTuple.get(c));
            if (second != null) {
                values.add(keyTuple.get(c));
                bytes += size(keyTuple.get(c));
            }
        }
        held.add(new SetApply.Row(values, key, missing));
        return bytes;
    }

    private static long size(TupleData.Value v) {
        return v instanceof TupleData.Text t ? t.size() : 0;
    }

    /**
     * Sends what is queued: held rows set-based (see {@link SetApply#apply} for what goes row
     * by row after all), batched rows in one pipelined batch. A row that found nothing to change
     * is a conflict.
     */
    void send() throws SQLException {
        if (!held.isEmpty()) {
            sendHeld();
        }
        sendBatch();
    }

    private void sendBatch() throws SQLException {
        if (queued.isEmpty()) {
            return;
        }
        int[] counts;
        try {
            counts = batching.executeBatch();
        } catch (BatchUpdateException e) {
            queued.clear();
            throw e.getNextException() != null ? e.getNextException() : e;
        }
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0 && queued.get(i) != null) {
                String row = queued.get(i).get();
                queued.clear();
                throw new ApplyConflictException(row);
            }
        }
        queued.clear();
    }

    /** Sends the held rows set-based; what {@link SetApply#apply} leaves goes on the row-by-row batch, in arrival order. */
    private void sendHeld() throws SQLException {
        List<SetApply.Row> rows = List.copyOf(held);
        Shape shape = holding;
        held.clear();
        holding = null;
        List<SetApply.Row> rest = setApply.apply(shape, rows);
        setBasedRows.add(rows.size() - rest.size());
        if (rest.isEmpty()) {
            return;
        }
        batching = statement(shape);
        for (SetApply.Row row : rest) {
            int index = 1;
            for (TupleData.Value v : row.values()) {
                bind(batching, index++, v);
            }
            batching.addBatch();
            queued.add(row.missing());
        }
    }

    private PreparedStatement statement(Shape shape) throws SQLException {
        PreparedStatement ps = statements.get(shape);
        if (ps == null) {
            String text = switch (shape.operation()) {
                case INSERT -> sql.insert();
                case UPDATE -> sql.update(shape.set(), shape.where());
                case DELETE -> sql.delete(shape.where());
            };
            ps = target.prepareStatement(text);
            // a named statement on the server from the first use: the point is never to parse a row's statement again
            ps.unwrap(PGStatement.class).setPrepareThreshold(1);
            statements.put(shape, ps);
        }
        return ps;
    }

    /** Binds a value as untyped text, so the target reads it with its column's input function (or a cast's). */
    static long bind(PreparedStatement ps, int index, TupleData.Value v) throws SQLException {
        if (v instanceof TupleData.Text t) {
            ps.setObject(index, t.text(), Types.OTHER);
            return t.size();
        }
        if (v instanceof TupleData.Null) {
            ps.setNull(index, Types.OTHER);
            return 0;
        }
        throw new IllegalStateException("cannot apply a " + v + " value");
    }

    /** Closes prepared statements whose session may already be gone (the server frees its statements with it). */
    static void closeAll(Map<?, PreparedStatement> statements) {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // see above
            }
        }
        statements.clear();
    }

    @Override
    public void close() {
        closeAll(statements);
        queued.clear();
        held.clear();
        if (setApply != null) {
            setApply.close();
        }
    }
}
