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

    /** Some columns of a tuple, in column order. */
    record Columns(TupleData tuple, BitSet which) {}

    /**
     * One row change to queue: the values its statement binds first (an insert's row, an
     * update's new values, a delete's key), then, for an update only, the key that finds the
     * row. {@code missing} names the row if it finds nothing on the target (null for an insert,
     * which cannot miss).
     */
    record Change(Shape shape, Columns values, Columns key, Supplier<String> missing) {
        static Change insert(TupleData row) {
            BitSet all = new BitSet();
            all.set(0, row.size());
            return new Change(Shape.INSERT, new Columns(row, all), null, null);
        }

        /** Sets the {@code set} columns of {@code newTuple} where the {@code where} columns of {@code keySource} match. */
        static Change update(
                TupleData newTuple, BitSet set, TupleData keySource, BitSet where, Supplier<String> missing) {
            return new Change(
                    new Shape(RowOperation.UPDATE, set, where),
                    new Columns(newTuple, set),
                    new Columns(keySource, where),
                    missing);
        }

        /** Deletes the row whose {@code where} columns match those of {@code oldTuple}. */
        static Change delete(TupleData oldTuple, BitSet where, Supplier<String> missing) {
            return new Change(new Shape(RowOperation.DELETE, null, where), new Columns(oldTuple, where), null, missing);
        }
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

    /** Queues a row change. Returns the bytes of values queued, for the caller's memory bound. */
    long queue(Change change) throws SQLException {
        Shape shape = change.shape();
        if (setApply != null
                && setBasedShapes.computeIfAbsent(shape, sh -> SetApply.suits(sh, sql, uniqueColumns, targetTypes))) {
            return hold(change);
        }
        PreparedStatement ps = statement(shape);
        if (batching != ps || !held.isEmpty()) {
            send();
            batching = ps;
        }
        long bytes = 0;
        int index = 1;
        Columns values = change.values();
        for (int c = values.which().nextSetBit(0); c >= 0; c = values.which().nextSetBit(c + 1)) {
            bytes += bind(ps, index++, values.tuple().get(c));
        }
        Columns key = change.key();
        if (key != null) {
            for (int c = key.which().nextSetBit(0); c >= 0; c = key.which().nextSetBit(c + 1)) {
                bytes += bind(ps, index++, key.tuple().get(c));
            }
        }
        ps.addBatch();
        queued.add(change.missing());
        return bytes;
    }

    /** Holds a row for a set-based statement; its key is the values of the columns that find it. */
    private long hold(Change change) throws SQLException {
        Shape shape = change.shape();
        if (!shape.equals(holding) || !queued.isEmpty()) {
            send();
            holding = shape;
        }
        List<TupleData.Value> values = new ArrayList<>();
        long bytes = 0;
        Columns set = change.values();
        for (int c = set.which().nextSetBit(0); c >= 0; c = set.which().nextSetBit(c + 1)) {
            values.add(set.tuple().get(c));
            bytes += size(set.tuple().get(c));
        }
        // a delete finds its row by the values it binds; an update by its key, bound after the new values
        Columns finder = change.key() != null ? change.key() : change.values();
        List<TupleData.Value> key = new ArrayList<>();
        for (int c = finder.which().nextSetBit(0); c >= 0; c = finder.which().nextSetBit(c + 1)) {
            key.add(finder.tuple().get(c));
            if (change.key() != null) {
                values.add(finder.tuple().get(c));
                bytes += size(finder.tuple().get(c));
            }
        }
        held.add(new SetApply.Row(values, key, change.missing()));
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
