package io.pgferry.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CatalogObjectTest {

    @Test
    void namesWithTabsLineFeedsAndBackslashesSurviveTheStateStore() {
        Set<CatalogObject> objects = new LinkedHashSet<>(List.of(
                new CatalogObject("table", "public.\"a\tb\""),
                new CatalogObject("schema", "\"line\nfeed\\n\""),
                new CatalogObject("function", "public.f(integer,pg_catalog.text)"),
                new CatalogObject("large object", "4242")));
        assertThat(DatabaseInventory.decode(DatabaseInventory.encode(objects))).containsExactlyElementsOf(objects);
        assertThat(DatabaseInventory.decode("")).isEmpty();
    }

    @Test
    void dropsByKindDependentsFirst() {
        Set<CatalogObject> objects = Set.of(
                new CatalogObject("extension", "pg_trgm"),
                new CatalogObject("schema", "s"),
                new CatalogObject("table", "s.t"),
                new CatalogObject("view", "s.v"),
                new CatalogObject("sequence", "s.q"),
                new CatalogObject("large object", "7"),
                new CatalogObject("foreign-data wrapper", "w"));
        assertThat(DatabaseInventory.inDropOrder(objects))
                .extracting(CatalogObject::dropSql)
                .containsExactly(
                        "DROP VIEW IF EXISTS s.v CASCADE",
                        "DROP TABLE IF EXISTS s.t CASCADE",
                        "DROP SEQUENCE IF EXISTS s.q CASCADE",
                        "DROP FOREIGN DATA WRAPPER IF EXISTS w CASCADE",
                        "DROP SCHEMA IF EXISTS s CASCADE",
                        "DROP EXTENSION IF EXISTS pg_trgm CASCADE",
                        "SELECT lo_unlink(7)");
        assertThatThrownBy(() -> new CatalogObject("large object", "7); DROP TABLE x; --").dropSql())
                .isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> new CatalogObject("index", "s.i").dropSql())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
