package io.pgferry.copy;

import io.pgferry.pg.Identifiers;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A table whose rows the copy moves (an ordinary table or a leaf partition), as the source's
 * catalog describes it under the copy's snapshot.
 *
 * @param columns   columns that hold data, in order: generated columns are left out, since the
 *                  target computes them itself
 * @param bytes     the table's size on the source, TOAST included
 * @param indexBytes the size of its indexes on the source, as the catalog last counted their pages: how much
 *                   building them will take, roughly
 * @param pages     heap blocks, for ctid-range parts
 * @param intKey    the single integer primary-key column, when there is one (for key-range parts)
 * @param root      the partitioned root's qualified name for a leaf partition, else the table's own
 * @param builtinTypesOnly every copied column has a built-in type, so its rows can travel in binary COPY format
 */
public record SourceTable(
        long oid,
        String schema,
        String name,
        List<String> columns,
        long bytes,
        long indexBytes,
        long pages,
        long estimatedRows,
        Optional<String> intKey,
        String rootSchema,
        String rootName,
        boolean builtinTypesOnly) {

    public String qualified() {
        return Identifiers.qualified(schema, name);
    }

    public String displayName() {
        return schema + "." + name;
    }

    /** The quoted column list, or an empty string for a table without data columns (COPY then takes none). */
    public String columnList() {
        return columns.isEmpty()
                ? ""
                : columns.stream().map(Identifiers::quote).collect(Collectors.joining(", ", " (", ")"));
    }

    /** What to SELECT for COPY (SELECT ...): the data columns, or nothing for a table without any. */
    public String selectList() {
        return columns.stream().map(Identifiers::quote).collect(Collectors.joining(", "));
    }
}
