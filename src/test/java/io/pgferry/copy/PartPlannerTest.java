package io.pgferry.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PartPlannerTest {
    private static SourceTable table(long bytes, long pages) {
        return new SourceTable(
                1,
                SourceTable.Names.of("public", "t"),
                new SourceTable.Size(bytes, 0, pages, 0),
                new SourceTable.Shape(List.of("id"), Optional.empty(), true));
    }

    @Test
    void ctidRangesCoverEveryBlockOnceWithOpenEnds() {
        List<TablePart> parts = PartPlanner.ctidRanges(table(1000, 1000), 3);
        assertThat(parts).hasSize(3);
        assertThat(parts.get(0).predicate()).isEqualTo("ctid < '(334,0)'::tid");
        assertThat(parts.get(1).predicate()).isEqualTo("ctid >= '(334,0)'::tid AND ctid < '(668,0)'::tid");
        assertThat(parts.get(2).predicate()).isEqualTo("ctid >= '(668,0)'::tid");
        assertThat(parts).allSatisfy(p -> assertThat(p.partsTotal()).isEqualTo(3));
    }

    @Test
    void keyBoundsSplitEvenlyWithoutOverflow() {
        assertThat(PartPlanner.keyBounds(1, 100, 4)).containsExactly(26L, 51L, 76L);
        assertThat(PartPlanner.keyBounds(Long.MIN_VALUE, Long.MAX_VALUE, 2)).containsExactly(0L);
        assertThat(PartPlanner.keyBounds(5, 6, 8)).containsExactly(6L);
        assertThat(PartPlanner.keyBounds(7, 7, 4)).isEmpty();
    }

    @Test
    void smallTablesAndZeroThresholdStayWhole() throws Exception {
        assertThat(new PartPlanner(0, 17).plan(table(10_000_000, 1000), null)).hasSize(1);
        assertThat(new PartPlanner(1_000_000, 17).plan(table(900_000, 100), null))
                .hasSize(1);
        assertThat(new PartPlanner(1_000_000, 17).plan(table(3_500_000, 400), null))
                .hasSize(4);
        // 13 has no TID range scan, and this table has no integer key: whole
        assertThat(new PartPlanner(1_000_000, 13).plan(table(3_500_000, 400), null))
                .hasSize(1);
    }

    @Test
    void copyStatementsReadOnlyThePartAndTheDataColumns() {
        SourceTable t = new SourceTable(
                1,
                SourceTable.Names.of("My Schema", "t\"x"),
                new SourceTable.Size(10, 0, 10, 0),
                new SourceTable.Shape(List.of("id", "Name"), Optional.empty(), true));
        TablePart whole = new TablePart(t, 1, 1, "", 10);
        assertThat(whole.copyOutSql(false)).isEqualTo("COPY \"My Schema\".\"t\"\"x\" (\"id\", \"Name\") TO STDOUT");
        assertThat(whole.copyOutSql(true))
                .isEqualTo("COPY \"My Schema\".\"t\"\"x\" (\"id\", \"Name\") TO STDOUT WITH (FORMAT binary)");
        assertThat(whole.copyInSql(true, true))
                .isEqualTo("COPY \"My Schema\".\"t\"\"x\" (\"id\", \"Name\") FROM STDIN WITH (FORMAT binary, FREEZE)");
        assertThat(whole.copyInSql(false, true))
                .isEqualTo("COPY \"My Schema\".\"t\"\"x\" (\"id\", \"Name\") FROM STDIN WITH (FREEZE)");
        TablePart part = new TablePart(t, 2, 3, "ctid >= '(5,0)'::tid", 3);
        assertThat(part.copyOutSql(false))
                .isEqualTo(
                        "COPY (SELECT \"id\", \"Name\" FROM ONLY \"My Schema\".\"t\"\"x\" WHERE ctid >= '(5,0)'::tid) TO STDOUT");
    }
}
