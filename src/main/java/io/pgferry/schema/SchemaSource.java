package io.pgferry.schema;

import io.pgferry.pg.ConnectionSpec;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where a migration's schema comes from, split the way a parallel copy needs it: everything
 * that must exist before rows arrive (pre-data), then post-data items that can be built table
 * by table in parallel once that table's rows are in (indexes, primary keys, unique and
 * exclusion constraints), and last the items that span tables (foreign keys, triggers,
 * materialized view refreshes).
 *
 * <p>Two implementations are planned: one driven by a version-matched pg_dump, and one reading
 * the source's catalogs for sources newer than any pg_dump on the machine.
 */
public interface SchemaSource {

    /** Creates the pre-data objects on the target: schemas, extensions, types, functions, tables, sequences, views. */
    void applyPreData(ConnectionSpec target, Consumer<String> log);

    /** The post-data items, in an order that is safe to apply serially. */
    List<PostDataItem> postDataItems();

    /** Applies one post-data item on the target; items of {@link PostDataItem.Stage#PER_TABLE} may run concurrently. */
    void applyPostDataItem(PostDataItem item, ConnectionSpec target, Consumer<String> log);
}
