package io.pgferry.cdc;

import io.pgferry.monitor.Progress;
import io.pgferry.monitor.Units;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.SettingKey;
import io.pgferry.state.SlotLedger;
import io.pgferry.state.StateStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Keeps a run's slot from filling the source's disk. The stream calls {@link #check} from its
 * report step; every two seconds it measures the WAL the slot retains, records it for status,
 * the dashboard and /metrics, warns at half the limit, and at the limit (or when the server has
 * already given the slot's WAL up, wal_status = lost) throws {@link LimitReached}. The stream
 * then closes its connection and calls {@link #dropSlot}: the run cannot be completed from
 * here, and its copy must be redone.
 *
 * <p>The default limit, 50 GB, sits far above what a stream that keeps up retains (restart_lsn
 * trails the applied position by a checkpoint or so: megabytes to a few GB) and below the free
 * space of most production volumes; a stream catching up after a long copy of a busy source can
 * legitimately need more, and is given it with a larger {@code --max-retained-wal}. 0 turns the
 * guard off (for a source whose own max_slot_wal_keep_size already bounds the slot).
 */
public final class RetainedWalGuard {
    public static final long DEFAULT_LIMIT_BYTES = 50L << 30;

    private static final long CHECK_MILLIS = 2_000;

    /** The slot retained more than the limit, or its WAL is lost: the stream must stop and the slot go. */
    public static final class LimitReached extends PgferryException {
        private static final long serialVersionUID = 1L;

        private final String reason;

        LimitReached(String reason) {
            super(
                    ErrorCode.FAILED,
                    reason + ": pgferry stopped streaming and drops the slot so that the source's disk cannot fill",
                    "the target cannot be completed from here: the copy must be redone. Run pgferry cleanup,"
                            + " empty the target (pgferry rollback), and migrate again with a new --dir; give the stream more room with"
                            + " --max-retained-wal if the source's disk has it, and keep pgferry running while its slot exists");
            this.reason = reason;
        }

        /** What happened to the slot, without what the stream does about it. */
        String reason() {
            return reason;
        }
    }

    private final StateStore store;
    private final String runId;
    private final String slot;
    private final Progress progress;
    private final long limitBytes;
    private long lastCheck;
    private boolean warned;
    private boolean warnedOverLimit;

    public RetainedWalGuard(StateStore store, String runId, String slot, Progress progress) {
        this.store = store;
        this.runId = runId;
        this.slot = slot;
        this.progress = progress;
        this.limitBytes = limit(store, runId);
    }

    /** The run's limit in bytes (0: no limit). */
    public static long limit(StateStore store, String runId) {
        return store.setting(runId, SettingKey.WAL_MAX_RETAINED_BYTES)
                .map(Long::parseLong)
                .orElse(DEFAULT_LIMIT_BYTES);
    }

    /** Measures at most every few seconds; throws {@link LimitReached} when the slot must go. */
    public void check(Connection source) throws SQLException {
        long now = System.currentTimeMillis();
        if (now - lastCheck < CHECK_MILLIS) {
            return;
        }
        lastCheck = now;
        Optional<RetainedWal> read = RetainedWal.read(source, slot);
        if (read.isEmpty()) {
            return; // the stream itself names a missing slot
        }
        RetainedWal wal = read.get();
        new SlotLedger(store, runId)
                .measured(
                        slot,
                        wal.retainedBytes(),
                        wal.walStatus(),
                        wal.safeWalSize(),
                        limitBytes > 0 ? limitBytes : null);
        if (wal.lost()) {
            throw new LimitReached(
                    "the source removed WAL that replication slot " + slot + " still needed (wal_status lost:"
                            + " max_slot_wal_keep_size was reached), so the changes in it can never be streamed");
        }
        long retained = wal.retainedBytes() == null ? 0 : wal.retainedBytes();
        if (limitBytes > 0 && retained >= limitBytes) {
            throw new LimitReached(
                    "replication slot " + slot + " retains " + Units.bytes(retained) + " of WAL on the source,"
                            + " over the limit of " + Units.bytes(limitBytes) + " (--max-retained-wal)");
        }
        if (limitBytes > 0 && retained >= limitBytes / 2) {
            if (!warned) {
                warned = true;
                progress.warn(
                        "replication slot " + slot + " retains " + Units.bytes(retained) + " of WAL on the source; at "
                                + Units.bytes(limitBytes)
                                + " (--max-retained-wal) pgferry stops streaming and drops it, and the copy"
                                + " must be redone");
            }
        } else {
            warned = false;
        }
    }

    /**
     * Measures and records like {@link #check}, but stops nothing: while the copy runs, its
     * workers depend on the slot's snapshot, and the stream that follows applies the limit
     * at its first measurement. Past the limit it says so once, while there is time to act.
     */
    public void observe(Connection source) throws SQLException {
        try {
            check(source);
        } catch (LimitReached e) {
            if (!warnedOverLimit) {
                warnedOverLimit = true;
                progress.warn(e.reason()
                        + ": when the copy ends, the stream will stop at once and drop the slot, unless --max-retained-wal is"
                        + " raised (pgferry follow --max-retained-wal ... after this run stops)");
            }
        }
    }

    /** After the stream let go of the slot: drops it and records that the run can no longer stream. */
    public void dropSlot(Connector source) {
        try (Connection c = source.open()) {
            SlotDrop.drop(c, slot);
        } catch (SQLException e) {
            throw source.classify(e);
        }
        new SlotLedger(store, runId).dropped(slot);
        progress.warn("dropped replication slot " + slot
                + " on the source: it no longer retains WAL; the copy must be redone");
    }
}
