package io.pgferry.verify;

import io.pgferry.pg.Identifiers;

/** A table that holds rows (ordinary tables and leaf partitions), with the planner's estimates and, for a partition, its root. */
public record TableRef(
        String schema,
        String name,
        boolean hasPrimaryKey,
        long estimatedRows,
        long totalBytes,
        String rootSchema,
        String rootName) {

    public String qualified() {
        return Identifiers.qualified(schema, name);
    }

    /** How the table is shown to a user: schema.name without quoting noise. */
    public String displayName() {
        return schema + "." + name;
    }
}
