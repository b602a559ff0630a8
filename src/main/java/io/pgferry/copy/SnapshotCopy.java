package io.pgferry.copy;

import io.pgferry.monitor.PhaseProgress;
import io.pgferry.monitor.Progress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.Connector;
import io.pgferry.schema.PostDataItem;
import io.pgferry.schema.SchemaSource;
import io.pgferry.schema.TableFilter;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The data phase of method copy under one exported snapshot: decides which tables still need
 * their rows (all of them on a first run; on a rerun those not completely copied, emptied and
 * copied again whole), splits large ones into parts, copies them in parallel, builds each
 * table's indexes and keys as soon as its rows are in, and copies large objects.
 */
public final class SnapshotCopy {
    /** What the data phase did. */
    public record Result(
            int tablesCopied,
            int tablesKept,
            long rows,
            long bytes,
            int largeObjects,
            int indexesBuilt,
            long copyMillis) {}

    /** The knobs of the data phase. */
    /**
     * @param existingSchema the target's tables already have their keys, foreign keys and triggers (--data-only): rows load
     *                       as a replica, and a table is emptied with DELETE, since TRUNCATE refuses tables others reference
     */
    public record Settings(
            int jobs, int indexJobs, long splitThresholdBytes, TableFilter filter, boolean existingSchema) {}

    private final Connector source;
    private final Connector target;
    private final StateStore store;
    private final String runId;
    private final Progress progress;
    private final Settings settings;
    private final CopyLedger ledger;

    public SnapshotCopy(
            Connector source, Connector target, StateStore store, String runId, Progress progress, Settings settings) {
        this.source = source;
        this.target = target;
        this.store = store;
        this.runId = runId;
        this.progress = progress;
        this.settings = settings;
        this.ledger = new CopyLedger(store, runId);
    }

    /** Relations the filter leaves out: as exact pg_dump patterns (for the schema) and as schema.name (for foreign keys). */
    public record Exclusions(List<String> dumpPatterns, java.util.Set<String> names) {}

    /** What the filter leaves out, read once under {@code snapshot}. */
    public Exclusions exclusions(SnapshotExport snapshot) {
        List<SourceTables.Excluded> excluded = excluded(snapshot);
        return new Exclusions(
                excluded.stream()
                        .map(e -> TableFilter.exactDumpPattern(e.schema(), e.name()))
                        .toList(),
                excluded.stream()
                        .map(e -> e.schema() + "." + e.name())
                        .collect(java.util.stream.Collectors.toUnmodifiableSet()));
    }

    private List<SourceTables.Excluded> excluded(SnapshotExport snapshot) {
        if (settings.filter().isEmpty()) {
            return List.of();
        }
        try (Connection c = source.open()) {
            snapshot.importInto(c);
            return SourceTables.excluded(c, settings.filter());
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    /** The tables the filter selects, as the source has them now (before any snapshot exists). */
    public static List<SourceTable> currentTables(Connector source, TableFilter filter) {
        try (Connection c = source.open()) {
            return SourceTables.list(c, filter);
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    /** Per table (schema.name), the LSN its copied rows correspond to: the change stream skips what they already hold. */
    public static Map<String, org.postgresql.replication.LogSequenceNumber> tableLsns(StateStore store, String runId) {
        Map<String, org.postgresql.replication.LogSequenceNumber> out = new java.util.HashMap<>();
        new CopyLedger(store, runId)
                .tables().values().stream()
                        .filter(t -> t.lsn() != null)
                        .forEach(t -> out.put(t.key(), org.postgresql.replication.LogSequenceNumber.valueOf(t.lsn())));
        return out;
    }

    /** Whether a post-data item was built beside the copy (in this attempt or an earlier one). */
    public boolean postDataDone(String itemId) {
        return ledger.postDataDone(itemId);
    }

    /** The tables the filter selects (for the publication of a change stream), read under {@code snapshot}. */
    public List<SourceTable> tables(SnapshotExport snapshot) {
        try (Connection c = source.open()) {
            snapshot.importInto(c);
            return SourceTables.list(c, settings.filter());
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    /**
     * Copies every table not yet complete, builds per-table indexes and keys, and copies large
     * objects when {@code withLargeObjects}. The schema's post-data must be loaded.
     */
    public Result run(
            SnapshotExport snapshot, SchemaSource schema, int sourceMajor, int targetMajor, boolean withLargeObjects)
            throws SQLException {
        List<SourceTable> tables;
        List<TablePart> parts = new ArrayList<>();
        Map<String, CopyLedger.TableState> recorded = ledger.tables();
        Set<String> kept = new HashSet<>();
        List<SourceTable> toCopy = new ArrayList<>();
        try (Connection planning = source.open()) {
            snapshot.importInto(planning);
            tables = SourceTables.list(planning, settings.filter());
            for (SourceTable t : tables) {
                CopyLedger.TableState state = recorded.get(t.displayName());
                if (state != null && state.complete()) {
                    kept.add(t.displayName());
                    continue;
                }
                toCopy.add(t);
            }
            PartPlanner planner = new PartPlanner(splitThreshold(toCopy), sourceMajor);
            for (SourceTable t : toCopy) {
                List<TablePart> planned = planner.plan(t, planning);
                ledger.plan(planned);
                parts.addAll(planned);
            }
        }
        emptyPartlyCopied(toCopy, recorded);
        if (!kept.isEmpty()) {
            progress.info(
                    kept.size() + " table(s) already copied are kept; " + toCopy.size() + " to copy under snapshot "
                            + snapshot.consistentPoint()
                                    .map(LogSequenceNumber::asString)
                                    .orElse(snapshot.snapshotName()));
        }
        long bytesTotal = toCopy.stream().mapToLong(SourceTable::bytes).sum();
        long splitCount = toCopy.stream()
                .filter(t -> parts.stream().anyMatch(p -> p.table() == t && !p.wholeTable()))
                .count();
        LoadMode mode = new LoadMode(settings.existingSchema(), sameEncoding());
        long binary = toCopy.stream().filter(mode::binary).count();
        progress.info("copying " + toCopy.size() + " table(s), " + Units.bytes(bytesTotal) + " on disk, in "
                + parts.size() + " part(s) (" + splitCount + " table(s) split, " + binary + " in binary format) with "
                + settings.jobs() + " job(s)");
        int largeObjects = 0;
        long copyMillis;
        int built;
        long rows;
        long bytes;
        try (PostDataBuilds builds = PostDataBuilds.builder(schema, target.spec(), ledger)
                .tables(tables)
                .indexJobs(settings.indexJobs())
                .targetMajor(targetMajor)
                .analyzer(this::analyze)
                .foreignKeySettings(foreignKeySettings(targetMajor))
                .log(progress::info)
                .start()) {
            for (SourceTable t : tables) {
                if (kept.contains(t.displayName())) {
                    builds.tableReady(t);
                }
            }
            try (PhaseProgress phase = progress.phase("copy", toCopy.size(), "tables", bytesTotal)) {
                ParallelCopy copy = new ParallelCopy(source, target, snapshot, ledger, phase, progress::retry, mode);
                copy.run(parts, settings.jobs(), builds::tableReady);
                rows = copy.rowsCopied();
                bytes = phase.bytesDone();
                copyMillis = phase.elapsedMillis();
            }
            if (withLargeObjects) {
                largeObjects = copyLargeObjects(snapshot);
            }
            built = builds.awaitAll();
        }
        return new Result(toCopy.size(), kept.size(), rows, bytes, largeObjects, built, copyMillis);
    }

    /**
     * How a foreign key's rows are best checked on the target. PostgreSQL checks them with one
     * anti-join and lets it use maintenance_work_mem, so the planner picks a hash join, probing
     * a hash of the referenced keys once per row: several times slower here than a merge join
     * over the two tables' indexes, which reads index pages only when the rows are all-visible.
     * They are when both tables were loaded whole with COPY FREEZE into a 14+ target (which sets
     * the visibility map then); split tables, loaded without FREEZE, keep the planner's choice.
     */
    private Function<PostDataItem, Map<String, String>> foreignKeySettings(int targetMajor) {
        Set<String> frozen = new HashSet<>();
        ledger.tables().values().stream().filter(t -> t.partsTotal() == 1).forEach(t -> frozen.add(t.key()));
        return fk -> targetMajor >= 14
                        && !settings.existingSchema()
                        && frozen.contains(fk.tableKey())
                        && frozen.contains(fk.references())
                ? Map.of("enable_hashjoin", "off")
                : Map.of();
    }

    /**
     * Splitting costs something: a part cannot be loaded with COPY FREEZE (that needs the table
     * emptied in the same transaction), so its pages get their hint bits written again by the
     * first reader, the index build. It pays only for a table that would otherwise copy alone at
     * the end: one larger than an even share of the data per job (largest-first scheduling
     * keeps every other table out of the tail).
     */
    private long splitThreshold(List<SourceTable> toCopy) {
        if (settings.splitThresholdBytes() >= 0) {
            return settings.splitThresholdBytes();
        }
        long total = toCopy.stream().mapToLong(SourceTable::bytes).sum();
        return Math.max(DEFAULT_SPLIT_BYTES, total / Math.max(1, settings.jobs()) + 1);
    }

    private static final long DEFAULT_SPLIT_BYTES = 512L << 20;

    /** A table with parts from an earlier snapshot is emptied: parts of two snapshots could lose or double rows. */
    private void emptyPartlyCopied(List<SourceTable> toCopy, Map<String, CopyLedger.TableState> recorded)
            throws SQLException {
        List<SourceTable> dirty = toCopy.stream()
                .filter(t -> recorded.containsKey(t.displayName()))
                .toList();
        if (dirty.isEmpty()) {
            return;
        }
        try (Connection t = target.open();
                Statement st = t.createStatement()) {
            if (settings.existingSchema()) {
                PartStreamer.loadAsReplica(t);
            }
            for (SourceTable table : dirty) {
                st.execute(
                        settings.existingSchema()
                                ? PartStreamer.deleteAll(t, table)
                                : "TRUNCATE ONLY " + table.qualified());
            }
        }
        progress.info(dirty.size() + " partly copied table(s) emptied, to be copied again whole");
    }

    private boolean sameEncoding() throws SQLException {
        return serverEncoding(source).equals(serverEncoding(target));
    }

    private static String serverEncoding(Connector server) throws SQLException {
        try (Connection c = server.open();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SHOW server_encoding")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Planner statistics for one table (or partitioned root); a failure only costs the planner, so it is a warning. */
    private void analyze(String relation) {
        try (Connection c = target.open();
                Statement st = c.createStatement()) {
            st.execute("ANALYZE " + relation);
        } catch (SQLException | RuntimeException e) {
            progress.warn("ANALYZE " + relation + " failed: " + e.getMessage()
                    + "; the planner lacks its statistics until autovacuum runs");
        }
    }

    /** Whether the statistics of partitioned root {@code key} ("schema.name") were gathered beside the copy. */
    public boolean rootAnalyzed(String key) {
        return PostDataBuilds.rootAnalyzed(ledger, key);
    }

    private int copyLargeObjects(SnapshotExport snapshot) throws SQLException {
        try (Connection s = source.open();
                Connection t = target.open()) {
            snapshot.importInto(s);
            if (LargeObjectCopy.count(s) == 0) {
                return 0;
            }
            LargeObjectCopy.Copied copied = LargeObjectCopy.copy(s, t);
            progress.info(copied.objects() + " large object(s) copied, " + Units.bytes(copied.bytes()));
            return copied.objects();
        }
    }
}
