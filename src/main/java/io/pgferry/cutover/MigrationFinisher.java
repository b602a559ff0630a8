package io.pgferry.cutover;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.SequenceSync;
import io.pgferry.verify.SchemaDrift;
import io.pgferry.verify.TableVerdict;
import io.pgferry.verify.Verifier;
import io.pgferry.verify.VerifyReport;

/** Cutover's last checks: sequences from the source, then row counts and, when asked, content checksums. */
public final class MigrationFinisher implements CutoverRunner.Finisher {
    private static final int JOBS = 4;
    private static final int KEYS_NAMED = 10;

    private final io.pgferry.schema.TableFilter filter;
    private java.util.Set<String> sourceShapeAtStart;

    public MigrationFinisher() {
        this(io.pgferry.schema.TableFilter.ALL);
    }

    /** Verifies only the tables a filtered migration moved. */
    public MigrationFinisher(io.pgferry.schema.TableFilter filter) {
        this.filter = filter;
    }

    /** Also compares the source's schema with its shape when the stream started: for a stream that did not capture its changes. */
    public MigrationFinisher withSchemaDriftCheck(java.util.Optional<java.util.Set<String>> sourceShapeAtStart) {
        this.sourceShapeAtStart = sourceShapeAtStart.orElse(null);
        return this;
    }

    @Override
    public int syncSequences(Connector source, Connector target) {
        return SequenceSync.sync(source, target);
    }

    @Override
    public String verify(Connector source, Connector target, boolean checksums) {
        if (sourceShapeAtStart != null) {
            java.util.List<String> drift = SchemaDrift.notOnTarget(
                    sourceShapeAtStart, SchemaDrift.shape(source, filter), SchemaDrift.shape(target, filter));
            if (!drift.isEmpty()) {
                throw new PgferryException(
                        ErrorCode.VERIFICATION_FAILED,
                        "the source's schema changed during the stream, and the change" + " was not captured:\n    "
                                + String.join("\n    ", drift.subList(0, Math.min(20, drift.size()))),
                        "make the same changes on the target (the stream then applies the rows that use them), and run cutover again");
            }
        }
        VerifyReport report =
                new Verifier(source, target).verify(new Verifier.Options(checksums, JOBS, KEYS_NAMED, filter));
        if (!report.ok()) {
            StringBuilder sb = new StringBuilder();
            for (TableVerdict t : report.failures()) {
                sb.append("\n    ")
                        .append(t.table())
                        .append(": source ")
                        .append(t.sourceRows())
                        .append(", target ")
                        .append(t.targetRows())
                        .append(t.differences().isEmpty() ? "" : ", keys " + t.differences());
            }
            throw new PgferryException(
                    ErrorCode.VERIFICATION_FAILED,
                    "the target differs from the source after the drain:" + sb,
                    "a writer bypassed the fence, or changes were lost: do not switch; compare with pgferry verify --checksums");
        }
        return report.summaryLine();
    }
}
