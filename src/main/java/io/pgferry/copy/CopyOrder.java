package io.pgferry.copy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The order the workers take parts in: most work first, so that the end of the copy is small
 * tables spread over every worker, not one long table on one core, and the index builds left
 * when the last row is in are small ones.
 *
 * <p>A table's work is its rows to copy plus the indexes to build from them, measured by the
 * source's table and index sizes: a narrow table with several indexes (order lines keyed by
 * order and line, say) takes longer to finish than a wider one of the same size with one
 * index. Work is summed per unit that finishes together: a plain table with its parts, or a
 * partitioned table with all its leaves, since its statistics (and, before 18, the ANALYZE
 * that also samples every leaf), its partitioned indexes and its foreign keys wait for the last
 * leaf. Sized leaf by leaf, a partitioned table's many small leaves would be copied last and
 * leave that serial work to the very end.
 */
final class CopyOrder {
    private CopyOrder() {}

    static List<TablePart> of(List<TablePart> parts) {
        Map<String, Long> unitWork = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (TablePart p : parts) {
            if (seen.add(p.table().displayName())) {
                unitWork.merge(unit(p.table()), work(p.table()), Long::sum);
            }
        }
        List<TablePart> ordered = new ArrayList<>(parts);
        ordered.sort(Comparator.comparingLong((TablePart p) -> unitWork.get(unit(p.table())))
                .reversed()
                .thenComparing(p -> unit(p.table()))
                .thenComparing(Comparator.comparingLong((TablePart p) -> work(p.table()))
                        .reversed())
                .thenComparingLong(p -> p.table().oid())
                .thenComparingInt(TablePart::partNo));
        return ordered;
    }

    private static long work(SourceTable t) {
        return t.bytes() + t.indexBytes();
    }

    private static String unit(SourceTable t) {
        return t.rootDisplayName();
    }
}
