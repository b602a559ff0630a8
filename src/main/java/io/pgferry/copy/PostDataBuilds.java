package io.pgferry.copy;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.SchemaSource;
import io.pgferry.schema.PostDataItem;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
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
 * table's rows are in, {@code indexJobs} at a time, while other tables still copy; then
 * ANALYZEs it. A foreign key between two plain tables is added as soon as both tables are
 * complete (rows in, keys built): it needs nothing else, and checking its rows is long work
 * better done beside the copy than after it. Each object is recorded when built, so a rerun
 * builds only the missing ones.
 */
final class PostDataBuilds implements AutoCloseable {
    private static final String ANALYZED = "analyzed:";

    private final SchemaSource schema;
    private final ConnectionSpec target;
    private final CopyLedger ledger;
    private final Map<String, List<PostDataItem>> byTable;
    private final List<PostDataItem> foreignKeys;
    private final Set<String> complete = new HashSet<>();
    private final Set<String> foreignKeysQueued = new HashSet<>();
    private final ExecutorService pool;
    /** Foreign keys one at a time: each locks both its tables, and two keys in opposite directions would deadlock. */
    private final ExecutorService foreignKeyPool;
    private final List<Future<?>> running = new ArrayList<>();
    private final AtomicInteger built = new AtomicInteger();
    private final Consumer<String> log;
    private final Consumer<String> analyzer;
    private final Function<PostDataItem, Map<String, String>> foreignKeySettings;
    /** Per partitioned root ("schema.name"), its leaves not yet complete. */
    private final Map<String, Set<String>> leavesLeft = new HashMap<>();
    private final Map<String, SourceTable> roots = new HashMap<>();
    private final boolean analyzeOnly;

    /**
     * @param tables             every table of the copy, copied now or kept from an earlier attempt
     * @param analyzer           runs ANALYZE on what it is given (a qualified name, perhaps after ONLY)
     * @param targetMajor        the target's major version: ANALYZE ONLY exists from 18
     * @param foreignKeySettings server settings for the session that adds a foreign key (and checks its rows)
     */
    PostDataBuilds(SchemaSource schema, ConnectionSpec target, CopyLedger ledger, int indexJobs, Consumer<String> log,
                   List<SourceTable> tables, Consumer<String> analyzer, int targetMajor,
                   Function<PostDataItem, Map<String, String>> foreignKeySettings) {
        this.foreignKeySettings = foreignKeySettings;
        this.analyzeOnly = targetMajor >= 18;
        for (SourceTable t : tables) {
            if (partitioned(t)) {
                leavesLeft.computeIfAbsent(rootKey(t), k -> new HashSet<>()).add(t.displayName());
                roots.putIfAbsent(rootKey(t), t);
            }
        }
        this.analyzer = analyzer;
        this.schema = schema;
        this.target = target;
        this.ledger = ledger;
        this.log = log;
        this.byTable = schema.postDataItems().stream().filter(i -> i.stage() == PostDataItem.Stage.PER_TABLE)
                .collect(Collectors.groupingBy(PostDataItem::tableKey));
        this.foreignKeys = schema.postDataItems().stream().filter(i -> i.stage() == PostDataItem.Stage.BETWEEN_TABLES).toList();
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(indexJobs, r -> {
            Thread t = new Thread(r, "pgferry-index-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.foreignKeyPool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pgferry-foreign-keys");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Queues the builds of one table whose rows are all on the target, then its ANALYZE once
     * the last of them is done: statistics gathered here, while other tables still copy, spare
     * a serial pass over the whole database at the end. A leaf partition is analyzed with its
     * root when its last sibling is done instead, since before 18 ANALYZE of a partitioned table
     * analyzes every partition again (18 has ANALYZE ONLY, and analyzes each leaf on its own).
     */
    synchronized void tableReady(SourceTable table) {
        String key = table.displayName();
        List<PostDataItem> todo = byTable.getOrDefault(key, List.of()).stream().filter(i -> !ledger.postDataDone(i.id())).toList();
        AtomicInteger left = new AtomicInteger(todo.size());
        Runnable finish = () -> {
            if (!partitioned(table) || analyzeOnly) {
                analyzeOnce(key, table.qualified());
            }
            tableComplete(table);
        };
        if (todo.isEmpty()) {
            running.add(pool.submit(finish));
        }
        for (PostDataItem item : todo) {
            running.add(pool.submit(() -> {
                build(item);
                if (left.decrementAndGet() == 0) {
                    finish.run();
                }
            }));
        }
    }

    private void analyzeOnce(String key, String what) {
        if (!ledger.postDataDone(ANALYZED + key)) {
            analyzer.accept(what);
            ledger.postDataDone(List.of(ANALYZED + key));
        }
    }

    /** Whether statistics of the partitioned root {@code key} were gathered here (in this attempt or an earlier one). */
    static boolean rootAnalyzed(CopyLedger ledger, String key) {
        return ledger.postDataDone(ANALYZED + key);
    }

    private static boolean partitioned(SourceTable t) {
        return !(t.rootSchema().equals(t.schema()) && t.rootName().equals(t.name()));
    }

    private static String rootKey(SourceTable t) {
        return t.rootSchema() + "." + t.rootName();
    }

    private synchronized void tableComplete(SourceTable table) {
        tableComplete(table.displayName());
        if (!partitioned(table)) {
            return;
        }
        Set<String> left = leavesLeft.get(rootKey(table));
        if (left.remove(table.displayName()) && left.isEmpty()) {
            String root = rootKey(table);
            String qualified = io.pgferry.pg.Identifiers.qualified(table.rootSchema(), table.rootName());
            running.add(pool.submit(() -> analyzeOnce(root, (analyzeOnly ? "ONLY " : "") + qualified)));
        }
    }

    /** A table's rows and keys are in: the foreign keys whose other table is complete too can go. */
    private synchronized void tableComplete(String key) {
        complete.add(key);
        for (PostDataItem fk : foreignKeys) {
            if (complete.contains(fk.tableKey()) && complete.contains(fk.references()) && foreignKeysQueued.add(fk.id())
                    && !ledger.postDataDone(fk.id())) {
                running.add(foreignKeyPool.submit(() -> build(fk, target.withSessionSettings(foreignKeySettings.apply(fk)))));
            }
        }
    }

    private void build(PostDataItem item) {
        build(item, target);
    }

    private void build(PostDataItem item, ConnectionSpec on) {
        schema.applyPostDataItem(item, on, line -> { });
        ledger.postDataDone(List.of(item.id()));
        built.incrementAndGet();
    }

    /** Waits for every queued build; the first failure is thrown after all have ended. */
    int awaitAll() {
        Throwable first = null;
        for (int waited = 0; ; ) {
            List<Future<?>> all;
            synchronized (this) {
                all = List.copyOf(running);
            }
            if (waited == all.size()) {
                break;
            }
            // builds queue more builds (a table's last key queues its foreign keys): wait until none is added
            for (Future<?> f : all.subList(waited, all.size())) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    first = first == null ? e.getCause() : first;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    first = first == null ? e : first;
                }
            }
            waited = all.size();
        }
        if (first instanceof PgferryException pe) {
            throw pe;
        }
        if (first != null) {
            throw new PgferryException(ErrorCode.FAILED, "building an index, key or foreign key failed: " + first.getMessage(),
                    "fix the cause and run the same command again; built ones are kept", first);
        }
        log.accept(built.get() + " indexes, keys and foreign keys built");
        return built.get();
    }

    @Override
    public void close() {
        pool.shutdownNow();
        foreignKeyPool.shutdownNow();
    }
}
