package io.pgferry.schema;

/**
 * One post-data object: an index or constraint of one table (built as soon as that table's
 * rows are in, concurrently with others), or an object spanning tables (applied at the end).
 *
 * @param id     unique within its source (a pg_dump TOC id, or a catalog OID), for the state store
 * @param kind   what it is, in pg_dump's words: INDEX, CONSTRAINT, FK CONSTRAINT, TRIGGER, MATERIALIZED VIEW DATA...
 * @param schema schema of the table it belongs to (or of the object itself)
 * @param table  the table it belongs to; null for objects not tied to one table
 * @param name   the object's own name
 */
public record PostDataItem(String id, String kind, String schema, String table, String name, Stage stage) {
    public enum Stage {
        /** Needs only its own table's rows: index, primary key, unique or exclusion constraint. */
        PER_TABLE,
        /** Needs every table: foreign keys, triggers, materialized view refreshes, anything else. */
        FINAL
    }
}
