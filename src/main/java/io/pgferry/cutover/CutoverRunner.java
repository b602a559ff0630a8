package io.pgferry.cutover;

import io.pgferry.monitor.Progress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The cutover sequence, the same for every streaming method: check the link is healthy and
 * the lag small, fence writes on the source, note the source's WAL position, wait until the
 * target has applied up to it, copy sequence values, verify, stop the link. Any failure before
 * the end lifts the fence and leaves the migration running, so cutover can simply be retried.
 */
public final class CutoverRunner {
    /** The parts that depend on what else is merged: sequences and verification. */
    public interface Finisher {
        /** Sets every target sequence from the source; returns how many. */
        int syncSequences(Connector source, Connector target);

        /** Verifies the target against the source, throwing a VERIFICATION_FAILED error on any difference; returns a one-line result. */
        String verify(Connector source, Connector target, boolean checksums);
    }

    private static final Duration POLL = Duration.ofMillis(200);

    private final Connector source;
    private final Connector target;
    private final StateStore store;
    private final RunRecord run;
    private final Progress progress;
    private final ReplicationLink link;
    private final Finisher finisher;
    private final String phase;
    private final SettingKey fenceKey;

    public CutoverRunner(
            Connector source,
            Connector target,
            StateStore store,
            RunRecord run,
            Progress progress,
            ReplicationLink link,
            Finisher finisher) {
        this(source, target, store, run, progress, link, finisher, "cutover", SettingKey.FENCE_SOURCE);
    }

    /**
     * @param phase    "cutover", or "rollback" when switching back over a reverse stream; names steps and settings
     * @param fenceKey where the fence on {@code source} is recorded
     */
    public CutoverRunner(
            Connector source,
            Connector target,
            StateStore store,
            RunRecord run,
            Progress progress,
            ReplicationLink link,
            Finisher finisher,
            String phase,
            SettingKey fenceKey) {
        this.phase = phase;
        this.fenceKey = fenceKey;
        this.source = source;
        this.target = target;
        this.store = store;
        this.run = run;
        this.progress = progress;
        this.link = link;
        this.finisher = finisher;
    }

    public CutoverResult run(CutoverOptions options) {
        step(phase + "-check", () -> checkLink(options));
        WriteFence fence = new WriteFence(source, store, run.id(), fenceKey);
        Instant fencedAt = Instant.now();
        try (FenceGuard guard = new FenceGuard(
                fence,
                "the write fence on the " + source.role(),
                progress::warn,
                phase + " did not complete: the write fence on the " + source.role()
                        + " is lifted and the stream keeps running;" + " fix the cause and run " + phase + " again")) {
            if (options.fence() == CutoverOptions.FenceMode.READ_ONLY) {
                step(
                        phase + "-fence",
                        () -> progress.info(
                                "fence raised on the source; " + fence.raise() + " client session(s) ended"));
            }
            LogSequenceNumber fenceLsn = currentWalLsn();
            store.putSetting(run.id(), SettingKey.fenceLsn(phase), fenceLsn.asString());
            step(phase + "-drain", () -> drain(fenceLsn, options.timeout()));
            int sequences = stepResult(phase + "-sequences", () -> finisher.syncSequences(source, target));
            String verified = stepResult(phase + "-verify", () -> finisher.verify(source, target, options.checksums()));
            step(phase + "-stop", link::stop);
            guard.settle();
            Duration downtime = Duration.between(fencedAt, Instant.now());
            store.putSetting(run.id(), SettingKey.doneAt(phase), Instant.now().toString());
            store.setRunStatus(
                    run.id(), phase.equals("cutover") ? RunStatus.CUT_OVER : RunStatus.ROLLED_BACK, phase, null);
            return new CutoverResult(fenceLsn, downtime, sequences, verified, options.fence());
        }
    }

    private void checkLink(CutoverOptions options) {
        ReplicationLink.Health h = link.health();
        if (!h.healthy()) {
            throw new PgferryException(
                    ErrorCode.BLOCKER,
                    "the change stream is not healthy: " + h.problem(),
                    "fix the stream first (see pgferry status), then run cutover again; nothing was fenced");
        }
        if (h.lagSeconds() > options.maxLag().toMillis() / 1000.0) {
            throw new PgferryException(
                    ErrorCode.BLOCKER,
                    String.format(
                            java.util.Locale.ROOT,
                            "the target is %.1f s (%s) behind, more than --max-lag %s",
                            h.lagSeconds(),
                            Units.bytes(h.lagBytes()),
                            Units.duration(options.maxLag())),
                    "wait for the lag to shrink (pgferry status), or raise --max-lag; nothing was fenced");
        }
        progress.info(String.format(
                java.util.Locale.ROOT, "stream healthy, lag %.1f s (%s)", h.lagSeconds(), Units.bytes(h.lagBytes())));
    }

    private void drain(LogSequenceNumber fenceLsn, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            LogSequenceNumber applied = link.appliedLsn();
            if (applied.compareTo(fenceLsn) >= 0) {
                progress.info("target applied everything up to the fence position " + fenceLsn.asString());
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new PgferryException(
                        ErrorCode.FAILED,
                        "the target did not catch up within " + Units.duration(timeout) + ": applied "
                                + applied.asString() + ", fence position " + fenceLsn.asString(),
                        "check pgferry status for a stalled stream, then run cutover again (perhaps with a longer --timeout)");
            }
            sleep();
        }
    }

    /**
     * Where the source's WAL ends once the fence is up: the insert position, not the write
     * position pg_current_wal_lsn() reports, which lags behind commits by up to wal_writer_delay
     * when synchronous_commit is off (a common setting) and would let the drain end before the
     * last transactions arrived.
     */
    private LogSequenceNumber currentWalLsn() {
        try (Connection c = source.open();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return LogSequenceNumber.valueOf(rs.getString(1));
        } catch (SQLException e) {
            throw source.classify(e);
        }
    }

    private interface Body<T> {
        T run();
    }

    private void step(String name, Runnable body) {
        stepResult(name, () -> {
            body.run();
            return null;
        });
    }

    private <T> T stepResult(String name, Body<T> body) {
        store.startStep(run.id(), name);
        try {
            T result = body.run();
            store.finishStep(run.id(), name, result == null ? null : String.valueOf(result));
            return result;
        } catch (RuntimeException e) {
            store.failStep(run.id(), name, String.valueOf(e.getMessage()));
            throw e;
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, "cutover interrupted", "run cutover again");
        }
    }
}
