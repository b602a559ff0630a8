package io.pgferry.copy;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.schema.PostDataItem;
import io.pgferry.schema.SchemaSource;
import io.pgferry.state.StateStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The order and sessions of one table's builds, with a schema source that only records what it is asked to build. */
class PostDataBuildsTest {

    @Test
    void indexesBuildSideBySideInOneProcessEachAndWhatLocksTheTableGoesAfterThem(@TempDir Path dir) {
        List<PostDataItem> items = List.of(
                new PostDataItem(
                        "1:index", PostDataItem.KEY_INDEX, "public", "t", "t_pkey", PostDataItem.Stage.PER_TABLE),
                new PostDataItem("1", "CONSTRAINT", "public", "t", "t_pkey", PostDataItem.Stage.PER_TABLE),
                new PostDataItem("2", "INDEX", "public", "t", "t_a_idx", PostDataItem.Stage.PER_TABLE),
                new PostDataItem("3", "CONSTRAINT", "public", "t", "t_excl", PostDataItem.Stage.PER_TABLE),
                new PostDataItem("4", "INDEX", "public", "t", "t_b_idx", PostDataItem.Stage.PER_TABLE));
        Recording schema = new Recording(items, 3);
        List<String> analyzed = Collections.synchronizedList(new ArrayList<>());
        try (StateStore store = StateStore.open(dir)) {
            String run = store.createRun("copy", "postgres://a@s/db", "postgres://a@t/db")
                    .id();
            CopyLedger ledger = new CopyLedger(store, run);
            SourceTable t = table(1, "t");
            try (PostDataBuilds builds = PostDataBuilds.builder(
                            schema, ConnectionSpec.parse("postgres://a@t:5432/db"), ledger)
                    .tables(List.of(t))
                    .indexJobs(3)
                    .targetMajor(17)
                    .analyzer(analyzed::add)
                    .start()) {
                builds.tableReady(t);
                assertThat(builds.awaitAll())
                        .as("the key's index step is not counted apart from the key")
                        .isEqualTo(4);
            }
            assertThat(ledger.postDataDone("1:index")).isTrue();
            assertThat(ledger.postDataDone("3")).isTrue();
        }
        assertThat(schema.maxConcurrent.get())
                .as("the three index builds ran side by side")
                .isEqualTo(3);
        List<String> order = schema.order;
        assertThat(order.subList(0, 3)).containsExactlyInAnyOrder("1:index", "2", "4");
        assertThat(order.subList(3, 5)).containsExactlyInAnyOrder("1", "3");
        assertThat(schema.concurrentWithExclusive)
                .as("nothing built beside an item that locks the table")
                .isEmpty();
        assertThat(schema.options.values())
                .hasSize(5)
                .allSatisfy(o -> assertThat(o).contains("-c max_parallel_maintenance_workers=0"));
        assertThat(analyzed).containsExactly("\"public\".\"t\"");
    }

    /** A key recorded as built (by an older pgferry, say, or in one step) must not get its index step again: that would build a second index. */
    @Test
    void aKeyAlreadyBuiltSkipsItsIndexStep(@TempDir Path dir) {
        List<PostDataItem> items = List.of(
                new PostDataItem(
                        "7:index", PostDataItem.KEY_INDEX, "public", "t", "t_pkey", PostDataItem.Stage.PER_TABLE),
                new PostDataItem("7", "CONSTRAINT", "public", "t", "t_pkey", PostDataItem.Stage.PER_TABLE),
                new PostDataItem("8", "INDEX", "public", "t", "t_a_idx", PostDataItem.Stage.PER_TABLE));
        Recording schema = new Recording(items, 1);
        try (StateStore store = StateStore.open(dir)) {
            String run = store.createRun("copy", "postgres://a@s/db", "postgres://a@t/db")
                    .id();
            CopyLedger ledger = new CopyLedger(store, run);
            ledger.postDataDone(List.of("7"));
            SourceTable t = table(1, "t");
            try (PostDataBuilds builds = PostDataBuilds.builder(
                            schema, ConnectionSpec.parse("postgres://a@t:5432/db"), ledger)
                    .tables(List.of(t))
                    .indexJobs(2)
                    .targetMajor(17)
                    .analyzer(what -> {})
                    .start()) {
                builds.tableReady(t);
                builds.awaitAll();
            }
        }
        assertThat(schema.order).containsExactly("8");
    }

    /** A foreign key needs its two tables' rows and keys, not their statistics: it must not queue behind an ANALYZE. */
    @Test
    void aForeignKeyGoesWithoutWaitingForAnalyze(@TempDir Path dir) {
        List<PostDataItem> items = List.of(
                new PostDataItem("1", "INDEX", "public", "parent", "parent_a_idx", PostDataItem.Stage.PER_TABLE),
                new PostDataItem(
                        "2",
                        "FK CONSTRAINT",
                        "public",
                        "child",
                        "child_parent_fkey",
                        PostDataItem.Stage.BETWEEN_TABLES,
                        "public.parent"));
        Recording schema = new Recording(items, 1);
        List<String> foreignKeyBuiltDuringAnalyze = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch foreignKeyBuilt = new CountDownLatch(1);
        schema.afterBuild = id -> {
            if (id.equals("2")) {
                foreignKeyBuilt.countDown();
            }
        };
        Consumer<String> slowAnalyze = what -> {
            // holds the analyze worker until the foreign key is in, or gives up after 5 s
            try {
                if (foreignKeyBuilt.await(5, TimeUnit.SECONDS)) {
                    foreignKeyBuiltDuringAnalyze.add(what);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (StateStore store = StateStore.open(dir)) {
            String run = store.createRun("copy", "postgres://a@s/db", "postgres://a@t/db")
                    .id();
            CopyLedger ledger = new CopyLedger(store, run);
            SourceTable parent = table(1, "parent");
            SourceTable child = table(2, "child");
            try (PostDataBuilds builds = PostDataBuilds.builder(
                            schema, ConnectionSpec.parse("postgres://a@t:5432/db"), ledger)
                    .tables(List.of(parent, child))
                    .indexJobs(2)
                    .targetMajor(15)
                    .analyzer(slowAnalyze)
                    .start()) {
                builds.tableReady(parent);
                builds.tableReady(child);
                assertThat(builds.awaitAll()).isEqualTo(2);
            }
        }
        assertThat(foreignKeyBuiltDuringAnalyze)
                .as("the foreign key was added while the first ANALYZE still ran")
                .isNotEmpty();
    }

    /** A plain table of the schema "public" (not a partition), small. */
    private static SourceTable table(long oid, String name) {
        return new SourceTable(
                oid,
                SourceTable.Names.of("public", name),
                new SourceTable.Size(10, 0, 1, 1),
                new SourceTable.Shape(List.of("id"), Optional.empty(), true));
    }

    /** Builds nothing; records order, concurrency, and the session options each build would have run with. */
    private static final class Recording implements SchemaSource {
        private final List<PostDataItem> items;
        final List<String> order = Collections.synchronizedList(new ArrayList<>());
        final Map<String, String> options = new ConcurrentHashMap<>();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxConcurrent = new AtomicInteger();
        final Set<String> concurrentWithExclusive = ConcurrentHashMap.newKeySet();
        /** Index builds wait here until all have started: they can only get past it side by side (or time out). */
        final java.util.concurrent.CountDownLatch indexesStarted;

        private volatile String exclusiveRunning;
        /** Told the id of each item once it is built. */
        volatile Consumer<String> afterBuild = id -> {};

        Recording(List<PostDataItem> items, int indexBuilds) {
            this.items = items;
            this.indexesStarted = new java.util.concurrent.CountDownLatch(indexBuilds);
        }

        @Override
        public void applyPostDataItem(PostDataItem item, ConnectionSpec target, Consumer<String> log) {
            int now = running.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            if (exclusiveRunning != null) {
                concurrentWithExclusive.add(item.id() + " beside " + exclusiveRunning);
            }
            if (item.locksTable()) {
                exclusiveRunning = item.id();
                if (now > 1) {
                    concurrentWithExclusive.add(item.id() + " beside another build");
                }
            }
            options.put(item.id(), target.libpqEnvironment().getOrDefault("PGOPTIONS", ""));
            try {
                if (item.locksTable()) {
                    Thread.sleep(50);
                } else {
                    indexesStarted.countDown();
                    indexesStarted.await(5, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (item.locksTable()) {
                exclusiveRunning = null;
            }
            order.add(item.id());
            running.decrementAndGet();
            afterBuild.accept(item.id());
        }

        @Override
        public List<PostDataItem> postDataItems() {
            return items;
        }

        @Override
        public void dump(ConnectionSpec source, Consumer<String> log) {}

        @Override
        public boolean dumped() {
            return true;
        }

        @Override
        public void applyPreData(ConnectionSpec target, boolean replace, Consumer<String> log) {}

        @Override
        public List<String> loadPostData(Connection source, Set<String> excludedRelations) {
            return List.of();
        }

        @Override
        public void applyPostData(
                List<PostDataItem> batch, ConnectionSpec target, int jobs, String listName, Consumer<String> log) {}
    }
}
