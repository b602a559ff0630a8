package io.pgferry.method;

import io.pgferry.monitor.Units;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.StepStatus;
import java.time.Duration;
import java.time.Instant;

/** Runs a method's resumable steps: skipped when the state store says done, else recorded from start to end or failure. */
public final class Steps {
    /** A step's work. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    private Steps() {}

    public static void run(MigrationSummary summary, StepName stepName, MigrationContext ctx, Body body) {
        String step = stepName.key();
        if (ctx.store().stepStatus(ctx.runId(), step) == StepStatus.DONE) {
            ctx.progress().info("step " + step + " already done, skipping");
            summary.phase(step, Duration.ZERO);
            return;
        }
        Instant start = Instant.now();
        ctx.store().startStep(ctx.runId(), step);
        try {
            body.run();
        } catch (PgferryException e) {
            ctx.store().failStep(ctx.runId(), step, e.getMessage());
            throw e;
        } catch (Exception e) {
            ctx.store().failStep(ctx.runId(), step, String.valueOf(e.getMessage()));
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "step " + step + " failed: " + e.getMessage(),
                    "fix the cause and run the same command again; finished steps are kept",
                    e);
        }
        Duration took = Duration.between(start, Instant.now());
        ctx.store().finishStep(ctx.runId(), step, "took " + Units.duration(took));
        summary.phase(step, took);
    }
}
