package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import io.pgferry.schema.CatalogObject;
import io.pgferry.schema.DatabaseInventory;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Drops from the target what a run created: every object there now that was not there when the
 * run began (its baseline). All in one transaction, which is then checked: if a CASCADE took
 * anything of the baseline with it (a view of the user's on a table of the run's), the whole
 * drop is undone and refused, so the user's objects are never touched.
 */
final class RunObjectsDrop {
    /** What the target holds beyond the baseline (to drop) and within it (to keep). */
    record Split(List<CatalogObject> drops, List<CatalogObject> kept) {}

    private final Connector target;
    private final Set<CatalogObject> baseline;

    RunObjectsDrop(Connector target, Set<CatalogObject> baseline) {
        this.target = target;
        this.baseline = baseline;
    }

    Split split() {
        try (Connection c = target.open()) {
            return split(DatabaseInventory.read(c));
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }

    private Split split(Set<CatalogObject> now) {
        Set<CatalogObject> drops = new LinkedHashSet<>(now);
        drops.removeAll(baseline);
        Set<CatalogObject> kept = new LinkedHashSet<>(now);
        kept.retainAll(baseline);
        return new Split(DatabaseInventory.inDropOrder(drops), List.copyOf(kept));
    }

    /** Drops the run's objects; returns what was dropped and what was kept. */
    Split drop() {
        try (Connection c = target.open()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                Split split = split(DatabaseInventory.read(c));
                for (CatalogObject o : split.drops()) {
                    st.execute(o.dropSql());
                }
                Set<CatalogObject> lost = new LinkedHashSet<>(split.kept());
                lost.removeAll(DatabaseInventory.read(c));
                if (!lost.isEmpty()) {
                    c.rollback();
                    throw new PreflightException(
                            ErrorCode.BLOCKER,
                            "dropping this run's objects would also drop " + lost.size()
                                    + " object(s) that were on the target before the run,"
                                    + " through their dependencies: "
                                    + lost.stream()
                                            .limit(10)
                                            .map(CatalogObject::toString)
                                            .collect(Collectors.joining(", "))
                                    + "; nothing was dropped",
                            "drop the run's objects yourself (pgferry rollback --dry-run lists them), keeping yours");
                }
                c.commit();
                return split;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw target.classify(e);
        }
    }
}
