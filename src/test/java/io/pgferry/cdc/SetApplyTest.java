package io.pgferry.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which rows go set-based and in which waves; what the statements do to rows is SetApplyIT's. */
class SetApplyTest {
    private static final List<String> TYPES = List.of("pg_catalog.int4", "pg_catalog.text", "pg_catalog.\"bit\"");

    private static RelationSql relation(PgOutputMessage.ReplicaIdentity identity) {
        return new RelationSql(new PgOutputMessage.Relation(
                null,
                42,
                "My Schema",
                "order",
                identity,
                List.of(
                        new PgOutputMessage.Column(true, "id", 23, -1),
                        new PgOutputMessage.Column(false, "Note", 25, -1),
                        new PgOutputMessage.Column(false, "flags", 1560, 8))));
    }

    private static BitSet bits(int... on) {
        BitSet b = new BitSet();
        Arrays.stream(on).forEach(b::set);
        return b;
    }

    private static SetApply.Row row(String key, String value) {
        return new SetApply.Row(
                List.of(TupleData.Text.of(value), TupleData.Text.of(key)), List.of(TupleData.Text.of(key)), () -> key);
    }

    @Test
    void aKeyOccursOnceAWaveAndItsChangesKeepTheirOrderAcrossWaves() {
        List<SetApply.Row> rows =
                List.of(row("1", "a"), row("2", "b"), row("1", "c"), row("3", "d"), row("1", "e"), row("2", "f"));
        List<List<SetApply.Row>> waves = SetApply.waves(rows);
        assertThat(waves).hasSize(3);
        assertThat(values(waves.get(0))).containsExactly("a", "b", "d");
        assertThat(values(waves.get(1))).containsExactly("c", "f");
        assertThat(values(waves.get(2))).containsExactly("e");
        for (List<SetApply.Row> wave : waves) {
            assertThat(wave.stream().map(SetApply.Row::key).distinct().count()).isEqualTo(wave.size());
        }
    }

    private static List<String> values(List<SetApply.Row> rows) {
        List<String> out = new ArrayList<>();
        rows.forEach(r -> out.add(((TupleData.Text) r.values().get(0)).text()));
        return out;
    }

    @Test
    void onlyUpdatesAndDeletesByKeyThatTouchNoUniqueColumnGoSetBased() {
        RelationSql keyed = relation(PgOutputMessage.ReplicaIdentity.DEFAULT);
        BitSet none = new BitSet();
        assertThat(SetApply.suits(
                        new RelationApply.Shape(RowOperation.UPDATE, bits(1, 2), bits(0)), keyed, none, TYPES))
                .isTrue();
        assertThat(SetApply.suits(new RelationApply.Shape(RowOperation.DELETE, null, bits(0)), keyed, none, TYPES))
                .isTrue();
        assertThat(SetApply.suits(RelationApply.Shape.INSERT, keyed, none, TYPES))
                .isFalse();
        // the key changes: a later change of the new key could run before the row has it
        assertThat(SetApply.suits(
                        new RelationApply.Shape(RowOperation.UPDATE, bits(0, 1), bits(0)), keyed, none, TYPES))
                .isFalse();
        // a swap of unique values is valid row by row, not in one statement with immediate unique checks
        assertThat(SetApply.suits(
                        new RelationApply.Shape(RowOperation.UPDATE, bits(1, 2), bits(0)), keyed, bits(1), TYPES))
                .isFalse();
        assertThat(SetApply.suits(new RelationApply.Shape(RowOperation.DELETE, null, bits(0)), keyed, bits(1), TYPES))
                .isTrue();
        // a column the target does not have: the row-by-row statement names the problem
        assertThat(SetApply.suits(
                        new RelationApply.Shape(RowOperation.UPDATE, bits(1, 2), bits(0)),
                        keyed,
                        none,
                        Arrays.asList("pg_catalog.int4", null, "pg_catalog.\"bit\"")))
                .isFalse();
        RelationSql full = relation(PgOutputMessage.ReplicaIdentity.FULL);
        assertThat(SetApply.suits(new RelationApply.Shape(RowOperation.DELETE, null, bits(0, 1, 2)), full, none, TYPES))
                .isFalse();
    }
}
