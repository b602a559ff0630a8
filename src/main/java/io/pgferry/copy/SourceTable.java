package io.pgferry.copy;

import io.pgferry.pg.Identifiers;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A table whose rows the copy moves (an ordinary table or a leaf partition), as the source's
 * catalog describes it under the copy's snapshot: where it is, how large it is, and what its
 * rows look like to COPY.
 */
public record SourceTable(long oid, Names names, Size size, Shape shape) {

    /**
     * The table's schema and name, and those of its partitioned root (its own, for a table that
     * is not a partition).
     */
    public record Names(String schema, String name, String rootSchema, String rootName) {
        /** A table that is not a partition: its own root. */
        public static Names of(String schema, String name) {
            return new Names(schema, name, schema, name);
        }
    }

    /**
     * @param bytes         the table's size on the source, TOAST included
     * @param indexBytes    the size of its indexes on the source, as the catalog last counted their pages: how much
     *                      building them will take, roughly
     * @param pages         heap blocks, for ctid-range parts
     * @param estimatedRows the planner's row estimate
     */
    public record Size(long bytes, long indexBytes, long pages, long estimatedRows) {}

    /**
     * @param columns          columns that hold data, in order: generated columns are left out, since the
     *                         target computes them itself
     * @param intKey           the single integer primary-key column, when there is one (for key-range parts)
     * @param builtinTypesOnly every copied column has a built-in type, so its rows can travel in binary COPY format
     */
    public record Shape(List<String> columns, Optional<String> intKey, boolean builtinTypesOnly) {
        public Shape {
            columns = List.copyOf(columns);
        }
    }

    public String schema() {
        return names.schema();
    }

    public String name() {
        return names.name();
    }

    public String rootSchema() {
        return names.rootSchema();
    }

    public String rootName() {
        return names.rootName();
    }

    public long bytes() {
        return size.bytes();
    }

    public long indexBytes() {
        return size.indexBytes();
    }

    public long pages() {
        return size.pages();
    }

    public long estimatedRows() {
        return size.estimatedRows();
    }

    public List<String> columns() {
        return shape.columns();
    }

    public Optional<String> intKey() {
        return shape.intKey();
    }

    public boolean builtinTypesOnly() {
        return shape.builtinTypesOnly();
    }

    /** Whether this is a leaf of a partitioned table (its root is another table). */
    public boolean leafPartition() {
        return !(names.rootSchema().equals(names.schema()) && names.rootName().equals(names.name()));
    }

    public String qualified() {
        return Identifiers.qualified(schema(), name());
    }

    public String displayName() {
        return schema() + "." + name();
    }

    /** The root's "schema.name": the table's own for a table that is not a partition. */
    public String rootDisplayName() {
        return rootSchema() + "." + rootName();
    }

    /** The quoted column list, or an empty string for a table without data columns (COPY then takes none). */
    public String columnList() {
        return columns().isEmpty()
                ? ""
                : columns().stream().map(Identifiers::quote).collect(Collectors.joining(", ", " (", ")"));
    }

    /** What to SELECT for COPY (SELECT ...): the data columns, or nothing for a table without any. */
    public String selectList() {
        return columns().stream().map(Identifiers::quote).collect(Collectors.joining(", "));
    }
}
