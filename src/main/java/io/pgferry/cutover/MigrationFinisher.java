package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.SequenceSync;
import io.pgferry.verify.RowCountComparison;
import io.pgferry.verify.TableChecksums;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Cutover's last checks: sequences from the source, then row counts and, when asked, content checksums. */
public final class MigrationFinisher implements CutoverRunner.Finisher {
    @Override
    public int syncSequences(Connector source, Connector target) {
        return SequenceSync.sync(source, target);
    }

    @Override
    public String verify(Connector source, Connector target, boolean checksums) {
        try (Connection s = source.open(); Connection t = target.open()) {
            RowCountComparison.Result counts = RowCountComparison.compare(s, t);
            if (!counts.allMatch()) {
                throw new PgferryException(ErrorCode.VERIFICATION_FAILED, "row counts differ after the drain: " + counts.mismatches(),
                        "a writer bypassed the fence, or the stream lost changes: do not switch; investigate with pgferry status");
            }
            if (!checksums) {
                return counts.tables().size() + " tables, " + counts.sourceRows() + " rows: row counts equal";
            }
            Map<String, String> a = TableChecksums.of(s);
            Map<String, String> b = TableChecksums.of(t);
            List<String> differ = new ArrayList<>();
            a.forEach((table, sum) -> {
                if (!sum.equals(b.get(table))) {
                    differ.add(table);
                }
            });
            if (!differ.isEmpty()) {
                throw new PgferryException(ErrorCode.VERIFICATION_FAILED, "content differs in " + differ,
                        "do not switch: the target does not hold the source's rows");
            }
            return counts.tables().size() + " tables, " + counts.sourceRows() + " rows: counts and checksums equal";
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }
}
