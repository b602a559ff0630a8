package io.pgferry.cutover;

import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PreflightException;
import io.pgferry.schema.CatalogObject;
import io.pgferry.schema.TargetBaseline;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Takes a run back. Before cutover it abandons the run: the stream's objects go on both sides
 * and, on the target, exactly what the run created (what was not there when it began); what
 * was there before stays, whatever the run did to it. After a cutover with a reverse stream it
 * switches back to the source without losing the target's writes. It refuses when it cannot
 * know what is the run's, when the run was cut over without a way back, and when the run
 * finished without a stream (the application may already be writing to the target) unless told.
 */
public final class Rollback {
    public enum Kind {
        /** Before cutover: the run's objects go, the source stays as it is. */
        ABANDON,
        /** After a cutover with --reverse: a cutover in reverse over the reverse stream. */
        SWITCH_BACK
    }

    /** What a rollback will do: for ABANDON, the stream's objects and the target's objects to drop and to keep. */
    public record Plan(
            Kind kind, List<CleanupItem> streamObjects, List<CatalogObject> drops, List<CatalogObject> kept) {}

    /** What a rollback did. */
    public record Outcome(List<CleanupItem> streamObjects, List<CatalogObject> dropped, List<CatalogObject> kept) {}

    /** The run's change streams as rollback sees them; the method that made them knows them. */
    public interface Streams {
        /**
         * Whether the run carries changes until a cutover (logical, copy with its stream): until
         * then the application stays on the source; a run without one was its own switch-over.
         */
        boolean forward();

        /** Whether a cutover started a reverse stream. */
        boolean reverseStarted();

        /** Stops the forward stream if it runs: it holds the slot that abandoning drops. */
        void stopForward();

        /** The reverse stream as a link from the target (now the primary) back to the source. */
        ReplicationLink reverse();

        /** Sequences and verification, as the forward cutover did them. */
        CutoverRunner.Finisher finisher();
    }

    /** A rollback's phase: the step an abandoning rollback records, the prefix of a switch-back's steps. */
    static final String PHASE = "rollback";

    private final Connector source;
    private final Connector target;
    private final StateStore store;
    private final RunRecord run;
    private final Streams streams;

    public Rollback(Connector source, Connector target, StateStore store, RunRecord run, Streams streams) {
        this.source = source;
        this.target = target;
        this.store = store;
        this.run = run;
        this.streams = streams;
    }

    /**
     * What a rollback would do now; refuses (changing nothing) when it cannot be done safely.
     *
     * @param finishedRunOk the user says a finished run without a stream has not been used since
     */
    public Plan plan(boolean finishedRunOk) {
        var cutAt = store.setting(run.id(), SettingKey.CUTOVER_DONE_AT);
        if (cutAt.isPresent()) {
            if (!streams.reverseStarted()) {
                throw new PreflightException(
                        ErrorCode.BLOCKER,
                        "run " + run.id() + " was cut over at " + cutAt.get()
                                + " without --reverse: the target may hold writes the source lacks, and rolling back would lose them",
                        "copy the new writes back yourself, or migrate target -> source with a new run; next time cut over with --reverse");
            }
            if (store.setting(run.id(), SettingKey.ROLLBACK_DONE_AT).isPresent()) {
                throw new PreflightException(
                        ErrorCode.BLOCKER,
                        "run " + run.id() + " was already switched back to the source",
                        "nothing to roll back; run pgferry cleanup to remove the stream's objects");
            }
            return new Plan(Kind.SWITCH_BACK, List.of(), List.of(), List.of());
        }
        Set<CatalogObject> baseline = TargetBaseline.recorded(store, run.id())
                .orElseThrow(
                        () -> new PreflightException(
                                ErrorCode.BLOCKER,
                                "run " + run.id()
                                        + " has no record of what the target held before it began (it was started by an older pgferry),"
                                        + " so rollback cannot tell the run's objects from yours; nothing was changed",
                                "run pgferry cleanup to remove the stream's objects, then drop what the migration created on the target yourself"));
        if (!streams.forward() && run.status() == RunStatus.DONE && !finishedRunOk) {
            throw new PreflightException(
                    ErrorCode.BLOCKER,
                    "run " + run.id() + " (method " + run.method()
                            + ") finished: that was its switch-over, and the application may"
                            + " already be writing to the target; rolling back would drop the run's tables with whatever was written there since",
                    "if nothing has used the target since, see what would go with pgferry rollback --dry-run --discard-finished,"
                            + " then run it without --dry-run");
        }
        RunObjectsDrop.Split split = new RunObjectsDrop(target, baseline).split();
        return new Plan(Kind.ABANDON, new Cleanup(source, target, store, run).plan(), split.drops(), split.kept());
    }

    /**
     * Abandons the run. A running change stream stops first (it holds the slot); then the
     * stream's objects go, so no apply writes into tables being dropped.
     */
    public Outcome abandon() {
        streams.stopForward();
        store.startStep(run.id(), PHASE);
        try {
            List<CleanupItem> removed = new Cleanup(source, target, store, run).run();
            RunObjectsDrop.Split split = new RunObjectsDrop(
                            target, TargetBaseline.recorded(store, run.id()).orElseThrow())
                    .drop();
            store.finishStep(
                    run.id(),
                    PHASE,
                    removed.size() + " stream object(s) removed, "
                            + split.drops().size() + " target object(s) dropped, "
                            + split.kept().size() + " kept");
            store.setRunStatus(run.id(), RunStatus.ROLLED_BACK, "rolled-back", null);
            return new Outcome(removed, split.drops(), split.kept());
        } catch (RuntimeException e) {
            store.failStep(run.id(), PHASE, String.valueOf(e.getMessage()));
            throw e;
        }
    }

    /**
     * Cutover in reverse over the reverse stream: fence the target, drain, sequences back,
     * verify; then the source's exemption goes and its fence is lifted.
     */
    public CutoverResult switchBack(Progress progress) {
        CutoverResult result = new CutoverRunner(
                        target,
                        source,
                        store,
                        run,
                        progress,
                        streams.reverse(),
                        streams.finisher(),
                        PHASE,
                        SettingKey.FENCE_TARGET)
                .run(new CutoverOptions(
                        CutoverOptions.FenceMode.READ_ONLY, Duration.ofHours(1), Duration.ofMinutes(5), false));
        FenceExemption.remove(source, store, run);
        new WriteFence(source, store, run.id(), SettingKey.FENCE_SOURCE).lift();
        return result;
    }
}
