package io.pgferry.cdc;

import io.pgferry.pg.Identifiers;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.postgresql.PGStatement;

/**
 * Applies many UPDATEs or DELETEs of one relation and one shape as a few set-based statements,
 * {@code UPDATE t SET c = v.c FROM (VALUES ...) v WHERE t.key = v.key RETURNING v.o}: one
 * executor start per 64 rows instead of per row, which is where per-row apply loses to the
 * native apply worker.
 *
 * <p>Rows of one statement run in no defined order, so a statement holds each key at most once:
 * the n-th change of a key goes in the n-th wave, and waves run in order. Between different
 * keys, order cannot matter as long as nothing on the target relates rows to each other while
 * the statement runs; {@link #suits} admits only shapes where that holds (no key change, no
 * unique or exclusion index over a column set; the applier sends nothing set-based where
 * triggers or rules fire for replicas). Each VALUES row carries its ordinal, and RETURNING
 * gives back those that found their row, so a missing row is still named.
 */
final class SetApply implements AutoCloseable {
    /** Statement sizes, in rows: the big one for bulk, the small one so a short tail pads little. */
    static final int LARGE = 64;

    static final int SMALL = 8;
    /** A wave smaller than this goes row by row: padding a statement for two rows costs more than it saves. */
    static final int MIN_WAVE = 4;
    /** PostgreSQL's limit is 65535 parameters per statement; stay well clear. */
    private static final int MAX_PARAMETERS = 32_000;

    /** One held change: its values in bind order (SET values, then key values), its key, and how to name it. */
    record Row(List<TupleData.Value> values, List<TupleData.Value> key, Supplier<String> missing) {}

    private final Connection target;
    private final RelationSql sql;
    /** Per source column, the target type to read its text as (schema-qualified, without modifier); null if unknown. */
    private final List<String> targetTypes;

    private final Map<String, PreparedStatement> statements = new HashMap<>();

    SetApply(Connection target, RelationSql sql, List<String> targetTypes) {
        this.target = target;
        this.sql = sql;
        this.targetTypes = targetTypes;
    }

    /**
     * Whether rows of {@code shape} may go set-based: an UPDATE or DELETE found by key (not by
     * full row), an UPDATE that changes neither the key nor a column of a unique or exclusion
     * index (a swap of two unique values is valid row by row in source order, not in one
     * statement with immediate unique checks), and every column it names has a known type.
     */
    static boolean suits(RelationApply.Shape shape, RelationSql sql, BitSet uniqueColumns, List<String> targetTypes) {
        if ((shape.operation() != RowOperation.UPDATE && shape.operation() != RowOperation.DELETE)
                || sql.fullIdentity()
                || shape.where().isEmpty()) {
            return false;
        }
        BitSet used = (BitSet) shape.where().clone();
        if (shape.operation() == RowOperation.UPDATE) {
            if (shape.set().intersects(shape.where()) || shape.set().intersects(uniqueColumns)) {
                return false;
            }
            used.or(shape.set());
        }
        for (int c = used.nextSetBit(0); c >= 0; c = used.nextSetBit(c + 1)) {
            if (c >= targetTypes.size() || targetTypes.get(c) == null) {
                return false;
            }
        }
        return used.cardinality() * SMALL <= MAX_PARAMETERS;
    }

    /**
     * Applies {@code rows} (all of {@code shape}, in arrival order) set-based, as far as that
     * pays: waves go set-based while they hold at least {@link #MIN_WAVE} rows, and what is
     * left (a hot key's later changes, each its own tiny wave) is returned in arrival order for
     * the caller to send row by row. Every statement goes in one pipelined batch, waves in
     * order: the server runs them in the order sent, so a wave never overtakes the one before,
     * and a remote target costs one round trip, not one per statement. A row that found nothing
     * on the target is a conflict.
     */
    List<Row> apply(RelationApply.Shape shape, List<Row> rows) throws SQLException {
        int[] waveOf = waveOf(rows);
        List<List<Row>> waves = waves(rows, waveOf);
        int setBased = 0;
        while (setBased < waves.size() && waves.get(setBased).size() >= MIN_WAVE) {
            setBased++;
        }
        if (setBased == 0) {
            return rows;
        }
        int perRow = rows.get(0).values().size();
        int size = waves.get(0).size() > LARGE * 3 / 4 && (perRow + 1) * LARGE <= MAX_PARAMETERS ? LARGE : SMALL;
        PreparedStatement ps = statement(shape, size);
        List<Row> sent = new ArrayList<>();
        for (List<Row> wave : waves.subList(0, setBased)) {
            for (int at = 0; at < wave.size(); at += size) {
                List<Row> chunk = wave.subList(at, Math.min(at + size, wave.size()));
                int index = 1;
                for (int r = 0; r < size; r++) {
                    if (r < chunk.size()) {
                        sent.add(chunk.get(r));
                        ps.setInt(index++, sent.size());
                        for (TupleData.Value v : chunk.get(r).values()) {
                            RelationApply.bind(ps, index++, v);
                        }
                    } else {
                        // padding: a null key matches no row
                        for (int i = 0; i <= perRow; i++) {
                            ps.setNull(index++, Types.OTHER);
                        }
                    }
                }
                ps.addBatch();
            }
        }
        boolean[] found = new boolean[sent.size()];
        try {
            ps.executeBatch();
        } catch (BatchUpdateException e) {
            throw e.getNextException() != null ? e.getNextException() : e;
        }
        try (ResultSet rs = ps.getGeneratedKeys()) {
            while (rs.next()) {
                found[rs.getInt(1) - 1] = true;
            }
        }
        for (int i = 0; i < found.length; i++) {
            if (!found[i]) {
                throw new ApplyConflictException(sent.get(i).missing().get());
            }
        }
        if (setBased == waves.size()) {
            return List.of();
        }
        // the rest in arrival order: each key's changes from the first small wave on
        List<Row> rest = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            if (waveOf[i] >= setBased) {
                rest.add(rows.get(i));
            }
        }
        return rest;
    }

    /** Splits rows so that no key occurs twice in one wave, each key's changes in arrival order across waves. */
    static List<List<Row>> waves(List<Row> rows) {
        return waves(rows, waveOf(rows));
    }

    private static List<List<Row>> waves(List<Row> rows, int[] waveOf) {
        List<List<Row>> waves = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            if (waveOf[i] == waves.size()) {
                waves.add(new ArrayList<>());
            }
            waves.get(waveOf[i]).add(rows.get(i));
        }
        return waves;
    }

    /** Per row, its wave: how many changes of its key came before it. */
    private static int[] waveOf(List<Row> rows) {
        int[] waveOf = new int[rows.size()];
        Map<List<TupleData.Value>, Integer> seen = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            waveOf[i] = seen.merge(rows.get(i).key(), 1, Integer::sum) - 1;
        }
        return waveOf;
    }

    private PreparedStatement statement(RelationApply.Shape shape, int size) throws SQLException {
        String name = shape + "/" + size;
        PreparedStatement ps = statements.get(name);
        if (ps == null) {
            // RETURNING is in the text already; asking for generated keys makes pgjdbc collect every batch entry's rows
            ps = target.prepareStatement(text(shape, size), Statement.RETURN_GENERATED_KEYS);
            ps.unwrap(PGStatement.class).setPrepareThreshold(1);
            statements.put(name, ps);
        }
        return ps;
    }

    /** The statement for {@code size} rows; VALUES columns are o (the row's ordinal in its batch), then p0.. in bind order. */
    String text(RelationApply.Shape shape, int size) {
        List<Integer> bound = new ArrayList<>();
        if (shape.set() != null) {
            shape.set().stream().forEach(bound::add);
        }
        shape.where().stream().forEach(bound::add);
        List<String> valueRows = new ArrayList<>();
        for (int r = 1; r <= size; r++) {
            List<String> cells = new ArrayList<>();
            cells.add("?::pg_catalog.int4");
            for (int c : bound) {
                cells.add("?::" + targetTypes.get(c));
            }
            valueRows.add("(" + String.join(", ", cells) + ")");
        }
        List<String> aliases = new ArrayList<>();
        aliases.add("o");
        for (int i = 0; i < bound.size(); i++) {
            aliases.add("p" + i);
        }
        String values = "(VALUES " + String.join(", ", valueRows) + ") AS v(" + String.join(", ", aliases) + ")";
        int setCount = shape.set() == null ? 0 : shape.set().cardinality();
        List<String> match = new ArrayList<>();
        for (int i = setCount; i < bound.size(); i++) {
            match.add("t." + column(bound.get(i)) + " = v.p" + i);
        }
        String where = " WHERE " + String.join(" AND ", match) + " RETURNING v.o";
        if (shape.operation() == RowOperation.DELETE) {
            return "DELETE FROM " + sql.qualified() + " AS t USING " + values + where;
        }
        List<String> assignments = new ArrayList<>();
        for (int i = 0; i < setCount; i++) {
            assignments.add(column(bound.get(i)) + " = v.p" + i);
        }
        return "UPDATE " + sql.qualified() + " AS t SET " + String.join(", ", assignments) + " FROM " + values + where;
    }

    private String column(int c) {
        return Identifiers.quote(sql.relation().columns().get(c).name());
    }

    @Override
    public void close() {
        RelationApply.closeAll(statements);
    }
}
