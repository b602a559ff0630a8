package io.pgferry.assess;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.state.MethodKind;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Long lists: the text report summarizes them, Markdown and JSON carry every item. */
class ReportTest {
    private static final List<String> TABLES =
            IntStream.rangeClosed(1, 89).mapToObj(i -> "public.t" + i).toList();

    private static Report report() {
        String fix = "add a primary key, or: "
                + String.join(
                        " ",
                        TABLES.stream()
                                .map(t -> "ALTER TABLE " + t + " REPLICA IDENTITY FULL;")
                                .toList());
        Finding many = Finding.listing(
                "table-without-primary-key",
                Severity.WARNING,
                "tables without primary key or replica identity",
                TABLES,
                "their UPDATE and DELETE cannot be replicated",
                fix);
        return new Report(
                1,
                "postgres://app@src:5432/shop",
                null,
                List.of(many),
                new Recommendation(MethodKind.DUMP, "small", Map.of(), true),
                0);
    }

    @Test
    void textNamesTheCountAndTheFirstFewOnShortLines() {
        String text = report().toText();
        assertThat(text)
                .contains(
                        "[warning] tables without primary key or replica identity (89): public.t1, public.t2, public.t3,"
                                + " public.t4, public.t5 and 84 more (all in --json or --markdown)");
        assertThat(text).doesNotContain("public.t6,").doesNotContain("public.t89");
        assertThat(text)
                .contains("fix: add a primary key, or: ALTER TABLE public.t1 REPLICA IDENTITY FULL;")
                .contains("... (the whole fix: --json or --markdown)");
        assertThat(text.lines())
                .allSatisfy(line -> assertThat(line.length()).as(line).isLessThanOrEqualTo(300));
    }

    @Test
    void markdownAndJsonCarryEveryItem() {
        assertThat(report().toMarkdown())
                .contains("public.t89")
                .contains("ALTER TABLE public.t89 REPLICA IDENTITY FULL;");
        String json = report().toJson();
        assertThat(json)
                .contains("\"items\" : [ \"public.t1\"")
                .contains("\"public.t89\" ]")
                .contains("\"what\" : \"tables without primary key or replica identity (89)\"");
    }

    @Test
    void aFindingAboutOneThingRendersAsBefore() {
        Finding one = new Finding("cross-major", Severity.INFO, "major upgrade 15 -> 17", "why", null);
        Report r =
                new Report(1, "s", null, List.of(one), new Recommendation(MethodKind.DUMP, "small", Map.of(), true), 0);
        assertThat(r.toText()).contains("[info] major upgrade 15 -> 17\n");
        assertThat(r.toJson()).contains("\"items\" : [ ]");
    }
}
