package io.pgferry.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CopyOrderTest {
    private static long oids;

    private static SourceTable plain(String name, long bytes) {
        return indexed(name, bytes, 0);
    }

    private static SourceTable indexed(String name, long bytes, long indexBytes) {
        return new SourceTable(
                ++oids,
                SourceTable.Names.of("public", name),
                new SourceTable.Size(bytes, indexBytes, 1, 1),
                new SourceTable.Shape(List.of("id"), Optional.empty(), true));
    }

    private static SourceTable leaf(String name, String root, long bytes) {
        return new SourceTable(
                ++oids,
                new SourceTable.Names("public", name, "public", root),
                new SourceTable.Size(bytes, 0, 1, 1),
                new SourceTable.Shape(List.of("id"), Optional.empty(), true));
    }

    private static List<String> names(List<TablePart> parts) {
        return parts.stream()
                .map(p -> p.table().name() + (p.wholeTable() ? "" : "#" + p.partNo()))
                .toList();
    }

    @Test
    void aPartitionedTableIsSizedByAllItsLeavesAndItsLeavesGoTogether() {
        SourceTable big = plain("big", 600);
        SourceTable mid = plain("mid", 250);
        SourceTable small = plain("small", 50);
        // three leaves of 100 each: 300 in all, so the whole table goes before "mid", largest leaf first
        SourceTable e1 = leaf("events_1", "events", 90);
        SourceTable e2 = leaf("events_2", "events", 110);
        SourceTable e3 = leaf("events_3", "events", 100);
        List<TablePart> parts = List.of(
                new TablePart(small, 1, 1, "", 50),
                new TablePart(e1, 1, 1, "", 90),
                new TablePart(mid, 1, 1, "", 250),
                new TablePart(e2, 1, 1, "", 110),
                new TablePart(big, 2, 2, "b", 300),
                new TablePart(e3, 1, 1, "", 100),
                new TablePart(big, 1, 2, "a", 300));
        assertThat(names(CopyOrder.of(parts)))
                .containsExactly("big#1", "big#2", "events_2", "events_3", "events_1", "mid", "small");
    }

    @Test
    void indexesToBuildCountAsWork() {
        SourceTable wide = indexed("wide", 300, 50);
        SourceTable narrow = indexed("narrow", 250, 200);
        List<TablePart> parts = List.of(new TablePart(wide, 1, 1, "", 300), new TablePart(narrow, 1, 1, "", 250));
        assertThat(names(CopyOrder.of(parts))).containsExactly("narrow", "wide");
    }
}
