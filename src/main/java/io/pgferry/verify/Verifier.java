package io.pgferry.verify;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Compares two databases table by table, in parallel: exact row counts always; with checksums,
 * key-range checksums narrowed down to the differing keys for tables with a primary key, and a
 * whole-table checksum for the others. Usable on any two databases, in or out of a migration.
 */
public final class Verifier {
    /** @param checksums compare content, not only counts; @param jobs tables verified at once; @param maxKeys differing keys named per table */
    public record Options(boolean checksums, int jobs, int maxKeys, io.pgferry.schema.TableFilter filter) {
        public Options(boolean checksums, int jobs, int maxKeys) {
            this(checksums, jobs, maxKeys, io.pgferry.schema.TableFilter.ALL);
        }
    }

    private final Connector source;
    private final Connector target;

    public Verifier(Connector source, Connector target) {
        this.source = source;
        this.target = target;
    }

    public VerifyReport verify(Options options) {
        Map<String, TableRef> tables = new LinkedHashMap<>();
        Map<String, TableRef> targetTables = new LinkedHashMap<>();
        try (Connection s = source.open();
                Connection t = target.open()) {
            TableInventory.list(s, options.filter()).forEach(r -> tables.put(r.displayName(), r));
            TableInventory.list(t, options.filter()).forEach(r -> targetTables.put(r.displayName(), r));
        } catch (SQLException e) {
            throw source.classify(e);
        }
        List<TableVerdict> verdicts = new ArrayList<>();
        targetTables.keySet().stream()
                .filter(k -> !tables.containsKey(k))
                .forEach(k -> verdicts.add(new TableVerdict(k, -1, -1, null, List.of(), false)));
        ExecutorService pool = Executors.newFixedThreadPool(options.jobs());
        try {
            List<Future<TableVerdict>> futures = new ArrayList<>();
            for (TableRef ref : tables.values()) {
                boolean onTarget = targetTables.containsKey(ref.displayName());
                futures.add(pool.submit(() -> onTarget ? verifyTable(ref, options) : sourceOnly(ref)));
            }
            for (Future<TableVerdict> f : futures) {
                verdicts.add(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, "verify interrupted", null, e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof PgferryException pe) {
                throw pe;
            }
            throw new PgferryException(
                    ErrorCode.FAILED, "verify failed: " + e.getCause().getMessage(), null, e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return new VerifyReport(source.spec().toString(), target.spec().toString(), options.checksums(), verdicts);
    }

    /** A table the target lacks: its real row count on the source, so the report says what is missing. */
    private TableVerdict sourceOnly(TableRef ref) throws SQLException {
        try (Connection s = source.open()) {
            return new TableVerdict(ref.displayName(), count(s, ref), -1, null, List.of(), false);
        }
    }

    private TableVerdict verifyTable(TableRef ref, Options options) throws SQLException {
        try (Connection s = source.open();
                Connection t = target.open()) {
            ComparableSession.apply(s);
            ComparableSession.apply(t);
            long sourceRows = count(s, ref);
            long targetRows = count(t, ref);
            if (!options.checksums()) {
                return new TableVerdict(ref.displayName(), sourceRows, targetRows, null, List.of(), false);
            }
            KeyedTable keyed = KeyedTable.of(s, ref);
            if (!keyed.hasKey()) {
                boolean equal = wholeTable(s, ref).equals(wholeTable(t, ref));
                return new TableVerdict(ref.displayName(), sourceRows, targetRows, equal, List.of(), false);
            }
            RangeDiff diff = new RangeDiff(keyed, s, t, options.maxKeys());
            boolean equal = diff.compare();
            return new TableVerdict(
                    ref.displayName(), sourceRows, targetRows, equal, diff.differences(), diff.truncated());
        }
    }

    private static long count(Connection c, TableRef ref) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM ONLY " + ref.qualified())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String wholeTable(Connection c, TableRef ref) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), coalesce(sum(" + KeyedTable.ROW_HASH
                        + "), 0) FROM ONLY " + ref.qualified() + " x")) {
            rs.next();
            return rs.getLong(1) + ":" + rs.getBigDecimal(2);
        }
    }
}
