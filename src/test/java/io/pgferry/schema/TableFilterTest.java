package io.pgferry.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.pg.PgferryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableFilterTest {
    @Test
    void noRulesIncludesEverything() {
        assertThat(TableFilter.ALL.includes("public", "orders")).isTrue();
        assertThat(TableFilter.ALL.isEmpty()).isTrue();
    }

    @Test
    void includesNarrowAndExcludesWin() {
        TableFilter f =
                TableFilter.of(List.of("public.order*"), List.of("public.orders_old"), List.of("sales"), List.of());
        assertThat(f.includes("public", "orders")).isTrue();
        assertThat(f.includes("public", "order_items")).isTrue();
        assertThat(f.includes("public", "orders_old")).isFalse();
        assertThat(f.includes("public", "customers")).isFalse();
        assertThat(f.includes("sales", "anything")).isTrue();
    }

    @Test
    void namesAreExactNotRegexOrCaseFolded() {
        TableFilter f =
                TableFilter.of(List.of(), List.of("public.Mixed Case", "odd.t(1)"), List.of(), List.of("Audit"));
        assertThat(f.includes("public", "Mixed Case")).isFalse();
        assertThat(f.includes("public", "mixed case")).isTrue();
        assertThat(f.includes("odd", "t(1)")).isFalse();
        assertThat(f.includes("odd", "t1")).isTrue();
        assertThat(f.includes("Audit", "x")).isFalse();
        assertThat(f.includes("audit", "x")).isTrue();
    }

    @Test
    void aTableWithoutSchemaIsRefusedWithTheFix() {
        assertThatThrownBy(() -> TableFilter.of(List.of("orders"), List.of(), List.of(), List.of()))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("has no schema");
    }

    @Test
    void filterFileAddsRulesAndNamesBadLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rules");
        Files.writeString(file, "# comment\n\nexclude schema scratch\ninclude table public.orders\n");
        TableFilter f = TableFilter.fromFile(file, TableFilter.ALL);
        assertThat(f.includes("public", "orders")).isTrue();
        assertThat(f.includes("public", "customers")).isFalse();
        assertThat(f.includes("scratch", "orders")).isFalse();
        Files.writeString(file, "exclude table public.x\ndrop table y\n");
        assertThatThrownBy(() -> TableFilter.fromFile(file, TableFilter.ALL)).hasMessageContaining("line 2");
    }

    @Test
    void dumpPatternsQuoteSoWildcardsAndCaseAreLiteral() {
        assertThat(TableFilter.exactDumpPattern("My \"S\"", "t*")).isEqualTo("\"My \"\"S\"\"\".\"t*\"");
    }

    @Test
    void tocLinesKeepTypeAndOids() {
        TocListing toc = TocListing.parse(";\n; Selected TOC Entries:\n"
                + "3345; 1259 16450 INDEX public idx with space postgres\n"
                + "3180; 2606 16421 CONSTRAINT public orders orders_pkey postgres\n"
                + "3190; 2606 16430 FK CONSTRAINT public orders orders_customer_id_fkey postgres\n"
                + "3200; 0 0 INDEX ATTACH public events_pkey_2025 postgres\n"
                + "3400; 0 16400 TABLE DATA public orders postgres\n");
        assertThat(toc.entries())
                .extracting(TocListing.Entry::type)
                .containsExactly("INDEX", "CONSTRAINT", "FK CONSTRAINT", "INDEX ATTACH", "TABLE DATA");
        assertThat(toc.entries().get(0).objectOid()).isEqualTo(16450);
        assertThat(toc.entries().get(1).catalogOid()).isEqualTo(2606);
    }
}
