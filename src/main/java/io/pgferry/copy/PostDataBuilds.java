package io.pgferry.copy;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.SchemaSource;
import io.pgferry.schema.PostDataItem;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Builds each table's indexes, primary keys and unique/exclusion constraints as soon as that
 * table's rows are in, {@code indexJobs} at a time, while other tables still copy. Each object
 * is recorded when built, so a rerun builds only the missing ones.
 */
final class PostDataBuilds implements AutoCloseable {
    private final SchemaSource schema;
    private final ConnectionSpec target;
    private final CopyLedger ledger;
    private final Map<String, List<PostDataItem>> byTable;
    private final ExecutorService pool;
    private final List<Future<?>> running = new ArrayList<>();
    private final AtomicInteger built = new AtomicInteger();
    private final Consumer<String> log;
    private final java.util.function.BiConsumer<String, String> analyzer;
    private static final String ANALYZED = "analyzed:";

    PostDataBuilds(SchemaSource schema, ConnectionSpec target, CopyLedger ledger, int indexJobs, Consumer<String> log,
                   java.util.function.BiConsumer<String, String> analyzer) {
        this.analyzer = analyzer;
        this.schema = schema;
        this.target = target;
        this.ledger = ledger;
        this.log = log;
        this.byTable = schema.postDataItems().stream().filter(i -> i.stage() == PostDataItem.Stage.PER_TABLE)
                .collect(Collectors.groupingBy(i -> i.schema() + "." + i.table()));
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(indexJobs, r -> {
            Thread t = new Thread(r, "pgferry-index-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Queues the builds of one table whose rows are all on the target, then its ANALYZE once
     * the last of them is done: statistics gathered here, while other tables still copy, spare
     * a serial pass over the whole database at the end.
     */
    synchronized void tableReady(String schemaName, String tableName) {
        String key = schemaName + "." + tableName;
        List<PostDataItem> todo = byTable.getOrDefault(key, List.of()).stream().filter(i -> !ledger.postDataDone(i.id())).toList();
        AtomicInteger left = new AtomicInteger(todo.size());
        Runnable analyze = () -> {
            if (!ledger.postDataDone(ANALYZED + key)) {
                analyzer.accept(schemaName, tableName);
                ledger.postDataDone(List.of(ANALYZED + key));
            }
        };
        if (todo.isEmpty()) {
            running.add(pool.submit(analyze));
        }
        for (PostDataItem item : todo) {
            running.add(pool.submit(() -> {
                schema.applyPostDataItem(item, target, line -> { });
                ledger.postDataDone(List.of(item.id()));
                built.incrementAndGet();
                if (left.decrementAndGet() == 0) {
                    analyze.run();
                }
            }));
        }
    }

    /** Waits for every queued build; the first failure is thrown after all have ended. */
    int awaitAll() {
        List<Future<?>> all;
        synchronized (this) {
            all = List.copyOf(running);
        }
        Throwable first = null;
        for (Future<?> f : all) {
            try {
                f.get();
            } catch (ExecutionException e) {
                first = first == null ? e.getCause() : first;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                first = first == null ? e : first;
            }
        }
        if (first instanceof PgferryException pe) {
            throw pe;
        }
        if (first != null) {
            throw new PgferryException(ErrorCode.FAILED, "building an index or key failed: " + first.getMessage(),
                    "fix the cause and run the same command again; built ones are kept", first);
        }
        log.accept(built.get() + " indexes and keys built");
        return built.get();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
