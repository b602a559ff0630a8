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
 * @param references for a foreign key between two plain tables, the table it points at ("schema.name"); null otherwise
 */
public record PostDataItem(
        String id, String kind, String schema, String table, String name, Stage stage, String references) {
    /**
     * The kind of the first of a key's two steps: its unique index, built beside the table's other
     * indexes; the key itself (kind CONSTRAINT) then takes the index over.
     */
    public static final String KEY_INDEX = "INDEX FOR CONSTRAINT";
    /** What the first step's id adds to the key's own id. */
    static final String KEY_INDEX_ID_SUFFIX = ":index";

    public enum Stage {
        /** Needs only its own table's rows: index, primary key, unique or exclusion constraint. */
        PER_TABLE,
        /**
         * A foreign key between two plain tables: needs both tables' rows and keys, nothing else,
         * so it is added (and its rows checked) while other tables still copy.
         */
        BETWEEN_TABLES,
        /** Needs every table: triggers, materialized view refreshes, foreign keys of partitioned tables, anything else. */
        FINAL
    }

    public PostDataItem(String id, String kind, String schema, String table, String name, Stage stage) {
        this(id, kind, schema, table, name, stage, null);
    }

    /**
     * Whether building it needs its table to itself: an ALTER TABLE adding a constraint takes a
     * lock that waits for (and stops) every other build on the table, where CREATE INDEX lets
     * other index builds run beside it.
     */
    public boolean locksTable() {
        return kind.equals("CONSTRAINT");
    }

    /** For the first step of a key ({@link #KEY_INDEX}), the id of the key's own item, whose being done covers this one too. */
    public String keyOfIndex() {
        return id.substring(0, id.length() - KEY_INDEX_ID_SUFFIX.length());
    }

    /** The table it belongs to as "schema.name", or null. */
    public String tableKey() {
        return table == null ? null : schema + "." + table;
    }
}
