package io.pgferry.schema;

import io.pgferry.pg.ConnectionSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Where a parallel copy's schema comes from, split the way it needs it: everything that must
 * exist before rows arrive (pre-data), then post-data items that can be built table by table
 * in parallel once that table's rows are in (indexes, primary keys, unique and exclusion
 * constraints), and last the items that span tables (foreign keys, triggers, materialized view
 * refreshes).
 *
 * <p>Implementations: {@link PgDumpSchemaSource} (a version-matched pg_dump), and
 * {@link ExistingTargetSchema} (the user created the schema on the target: --data-only). A
 * third, reading the source's catalogs for sources newer than any pg_dump on the machine, would
 * fit here too.
 */
public interface SchemaSource {

    /** Reads the schema from the source; a no-op where there is nothing to read. */
    void dump(ConnectionSpec source, Consumer<String> log);

    /** Whether what {@link #dump} reads is at hand (a resumed run needs no new dump). */
    boolean dumped();

    /** Creates the pre-data objects on the target; with {@code replace}, objects an earlier attempt created are dropped first. */
    void applyPreData(ConnectionSpec target, boolean replace, Consumer<String> log);

    /**
     * Learns the post-data items, with {@code source} inside the copy's snapshot. Returns
     * descriptions of items left out because they point at tables the filter excludes.
     */
    List<String> loadPostData(Connection source, Set<String> excludedRelations) throws SQLException;

    /** The post-data items, in an order that is safe to apply serially. */
    List<PostDataItem> postDataItems();

    /** Applies one post-data item on the target; items of {@link PostDataItem.Stage#PER_TABLE} may run concurrently. */
    void applyPostDataItem(PostDataItem item, ConnectionSpec target, Consumer<String> log);

    /** Applies {@code batch} in its order, up to {@code jobs} at a time where that order allows. */
    void applyPostData(
            List<PostDataItem> batch, ConnectionSpec target, int jobs, String listName, Consumer<String> log);
}
