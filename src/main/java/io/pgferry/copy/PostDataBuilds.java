package io.pgferry.copy;

import io.pgferry.fault.FaultPoint;
import io.pgferry.fault.Faults;
import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.PostDataItem;
import io.pgferry.schema.SchemaSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
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
    /**
     * Server settings of the sessions that build indexes and keys. Parallelism is pgferry's own
     * (--index-jobs builds beside the copy's workers), so a build runs in one process: parallel
     * workers would add processes to cores the copy already fills, and split maintenance_work_mem
     * between them, so a sort that fits in memory alone spills to temporary files (measured on the
     * copy benchmark: about 12% of the run's time).
     */
    static final Map<String, String> BUILD_SETTINGS = Map.of("max_parallel_maintenance_workers", "0");

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
    /** ANALYZE one table at a time, beside the builds: a root's statistics then need not wait for a free build worker. */
    private final ExecutorService analyzePool;

    private final List<Future<?>> running = new ArrayList<>();
    private final AtomicInteger built = new AtomicInteger();
    private final Consumer<String> log;
    private final Consumer<String> analyzer;
    private final Function<PostDataItem, Map<String, String>> foreignKeySettings;
    /** Per partitioned root ("schema.name"), its leaves not yet complete. */
    private final Map<String, Set<String>> leavesLeft = new HashMap<>();
    /** Per partitioned root analyzed as soon as its leaves' rows are in, the leaves whose rows are not. */
    private final Map<String, Set<String>> leavesWithoutRows = new HashMap<>();

    private final boolean analyzeOnly;

    /**
     * How to start the builds of one copy: what to build (the schema's post-data, every table)
     * and where, with everything else named at the call site.
     */
    static Builder builder(SchemaSource schema, ConnectionSpec target, CopyLedger ledger) {
        return new Builder(schema, target, ledger);
    }

    static final class Builder {
        private final SchemaSource schema;
        private final ConnectionSpec target;
        private final CopyLedger ledger;
        private List<SourceTable> tables;
        private int indexJobs;
        private int targetMajor;
        private Consumer<String> analyzer;
        private Consumer<String> log = line -> {};
        private Function<PostDataItem, Map<String, String>> foreignKeySettings = fk -> Map.of();

        private Builder(SchemaSource schema, ConnectionSpec target, CopyLedger ledger) {
            this.schema = schema;
            this.target = target;
            this.ledger = ledger;
        }

        /** Every table of the copy, copied now or kept from an earlier attempt. */
        Builder tables(List<SourceTable> tables) {
            this.tables = List.copyOf(tables);
            return this;
        }

        /** How many index builds run side by side. */
        Builder indexJobs(int indexJobs) {
            this.indexJobs = indexJobs;
            return this;
        }

        /** The target's major version: ANALYZE ONLY exists from 18. */
        Builder targetMajor(int targetMajor) {
            this.targetMajor = targetMajor;
            return this;
        }

        /** Runs ANALYZE on what it is given (a qualified name, perhaps after ONLY). */
        Builder analyzer(Consumer<String> analyzer) {
            this.analyzer = analyzer;
            return this;
        }

        /** Where progress lines go (none by default). */
        Builder log(Consumer<String> log) {
            this.log = log;
            return this;
        }

        /** Server settings for the session that adds a foreign key (and checks its rows); none by default. */
        Builder foreignKeySettings(Function<PostDataItem, Map<String, String>> foreignKeySettings) {
            this.foreignKeySettings = foreignKeySettings;
            return this;
        }

        /** Starts the build workers: close the result to stop them. */
        PostDataBuilds start() {
            if (tables == null || analyzer == null || indexJobs < 1 || targetMajor < 1) {
                throw new IllegalStateException(
                        "post-data builds need tables, an analyzer, index jobs and the target's" + " major version");
            }
            return new PostDataBuilds(this);
        }
    }

    private PostDataBuilds(Builder b) {
        this.foreignKeySettings = b.foreignKeySettings;
        this.analyzeOnly = b.targetMajor >= 18;
        for (SourceTable t : b.tables) {
            if (partitioned(t)) {
                leavesLeft.computeIfAbsent(rootKey(t), k -> new HashSet<>()).add(t.displayName());
                if (analyzeOnly) {
                    leavesWithoutRows
                            .computeIfAbsent(rootKey(t), k -> new HashSet<>())
                            .add(t.displayName());
                }
            }
        }
        this.analyzer = b.analyzer;
        this.schema = b.schema;
        this.target = b.target;
        this.ledger = b.ledger;
        this.log = b.log;
        this.byTable = schema.postDataItems().stream()
                .filter(i -> i.stage() == PostDataItem.Stage.PER_TABLE)
                .collect(Collectors.groupingBy(PostDataItem::tableKey));
        this.foreignKeys = schema.postDataItems().stream()
                .filter(i -> i.stage() == PostDataItem.Stage.BETWEEN_TABLES)
                .toList();
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(b.indexJobs, r -> {
            Thread t = new Thread(r, "pgferry-index-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.foreignKeyPool = singleThread("pgferry-foreign-keys");
        this.analyzePool = singleThread("pgferry-analyze");
    }

    private static ExecutorService singleThread(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Queues the builds of one table whose rows are all on the target. Its indexes (and the
     * unique indexes its keys will use) build side by side, each under a lock that lets the
     * others run; what needs the table to itself (a key or exclusion constraint added by ALTER
     * TABLE, a key attached to its index) goes after them, one at a time, so that no build
     * holds a worker while it waits for a lock. Then its foreign keys may go, and, on a worker of
     * its own, the table's ANALYZE: statistics gathered here, while other tables still copy, spare
     * a serial pass over the whole database at the end. Before 18, leaf partitions are analyzed
     * through their root instead (see {@link #rowsIn}).
     */
    synchronized void tableReady(SourceTable table) {
        String key = table.displayName();
        List<PostDataItem> todo = byTable.getOrDefault(key, List.of()).stream()
                .filter(i -> !ledger.postDataDone(i.id()))
                .filter(i -> !(i.kind().equals(PostDataItem.KEY_INDEX) && ledger.postDataDone(i.keyOfIndex())))
                .toList();
        List<PostDataItem> shared = todo.stream().filter(i -> !i.locksTable()).toList();
        List<PostDataItem> exclusive =
                todo.stream().filter(PostDataItem::locksTable).toList();
        if (partitioned(table)) {
            rowsIn(table);
        }
        Runnable finish = () -> {
            exclusive.forEach(this::build);
            // a foreign key needs the rows and keys, not statistics: it must not queue behind other tables' ANALYZEs
            tableComplete(table);
            if (!partitioned(table) || analyzeOnly) {
                track(analyzePool.submit(() -> analyzeOnce(key, table.qualified())));
            }
        };
        if (shared.isEmpty()) {
            track(pool.submit(finish));
        }
        AtomicInteger left = new AtomicInteger(shared.size());
        for (PostDataItem item : shared) {
            track(pool.submit(() -> {
                build(item);
                if (left.decrementAndGet() == 0) {
                    finish.run();
                }
            }));
        }
    }

    /**
     * From 18, a partitioned root's statistics (ANALYZE ONLY) are sampled from its leaves' rows
     * and need nothing else: the root is queued as soon as its last leaf's rows are in, and runs
     * beside the leaves' index builds, since sampling takes a lock they let through. Before 18,
     * ANALYZE of a root also analyzes every leaf, under a lock that would wait for each leaf's
     * builds (and hold up builds queued behind it), so the root goes once its leaves are complete.
     */
    private void rowsIn(SourceTable leaf) {
        String root = rootKey(leaf);
        Set<String> left = leavesWithoutRows.get(root);
        if (left != null && left.remove(leaf.displayName()) && left.isEmpty()) {
            analyzeRoot(leaf);
        }
    }

    private void analyzeRoot(SourceTable leaf) {
        String qualified = io.pgferry.pg.Identifiers.qualified(leaf.rootSchema(), leaf.rootName());
        track(analyzePool.submit(() -> analyzeOnce(rootKey(leaf), (analyzeOnly ? "ONLY " : "") + qualified)));
    }

    private synchronized void track(Future<?> f) {
        running.add(f);
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
        return t.leafPartition();
    }

    private static String rootKey(SourceTable t) {
        return t.rootDisplayName();
    }

    private synchronized void tableComplete(SourceTable table) {
        tableComplete(table.displayName());
        if (!partitioned(table)) {
            return;
        }
        Set<String> left = leavesLeft.get(rootKey(table));
        if (left.remove(table.displayName()) && left.isEmpty() && !leavesWithoutRows.containsKey(rootKey(table))) {
            analyzeRoot(table);
        }
    }

    /** A table's rows and keys are in: the foreign keys whose other table is complete too can go. */
    private synchronized void tableComplete(String key) {
        complete.add(key);
        for (PostDataItem fk : foreignKeys) {
            if (complete.contains(fk.tableKey())
                    && complete.contains(fk.references())
                    && foreignKeysQueued.add(fk.id())
                    && !ledger.postDataDone(fk.id())) {
                track(foreignKeyPool.submit(() -> build(fk, target.withSessionSettings(foreignKeySettings.apply(fk)))));
            }
        }
    }

    private void build(PostDataItem item) {
        build(item, target.withSessionSettings(BUILD_SETTINGS));
    }

    private void build(PostDataItem item, ConnectionSpec on) {
        schema.applyPostDataItem(item, on, line -> {});
        Faults.reach(FaultPoint.BUILD_AFTER_COMMIT);
        ledger.postDataDone(List.of(item.id()));
        if (!item.kind().equals(PostDataItem.KEY_INDEX)) {
            built.incrementAndGet();
        }
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
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "building an index, key or foreign key failed: " + first.getMessage(),
                    "fix the cause and run the same command again; built ones are kept",
                    first);
        }
        log.accept(built.get() + " indexes, keys and foreign keys built");
        return built.get();
    }

    /**
     * Drops the builds not started and waits for those under way: after a failed copy, the same
     * process may copy again at once (healing a lost snapshot), and a build still running here
     * would meet its twin of the next attempt on the same object. A build's statement does not
     * stop for an interrupt, so this waits for it to end on the server.
     */
    @Override
    public void close() {
        List<ExecutorService> all = List.of(pool, foreignKeyPool, analyzePool);
        all.forEach(ExecutorService::shutdownNow);
        try {
            for (ExecutorService e : all) {
                while (!e.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                    log.accept("waiting for the index, key and ANALYZE builds under way to end");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
