package io.pgferry.method;

import io.pgferry.capture.TriggerCapture;
import io.pgferry.cutover.ReplicationLink;
import io.pgferry.method.copy.StreamLink;
import io.pgferry.method.copy.TriggerLink;
import io.pgferry.method.logical.SubscriptionLink;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.util.Arrays;
import java.util.Optional;

/**
 * The three ways pgferry moves a database. {@link #key()} is the {@code --method} value and the
 * text the state store keeps with the run (unchanged, so older work dirs read); the kind also
 * knows the link a cutover drains and stops.
 */
public enum MethodKind {
    /** pg_dump, then pg_restore: the restore is the switch-over. */
    DUMP("dump") {
        @Override
        public Optional<ReplicationLink> link(
                Connector source, Connector target, StateStore store, RunRecord run, Progress progress) {
            return Optional.empty();
        }
    },
    /** Native logical replication: a publication on the source, a subscription on the target. */
    LOGICAL("logical") {
        @Override
        public Optional<ReplicationLink> link(
                Connector source, Connector target, StateStore store, RunRecord run, Progress progress) {
            return Optional.of(new SubscriptionLink(source, target, run, store, target.serverMajor(), progress));
        }
    },
    /** Parallel COPY under one snapshot, then pgferry's own change stream (a slot, or row triggers). */
    COPY("copy") {
        @Override
        public Optional<ReplicationLink> link(
                Connector source, Connector target, StateStore store, RunRecord run, Progress progress) {
            return Optional.of(
                    TriggerCapture.isTriggers(store, run.id())
                            ? new TriggerLink(source, store, run)
                            : new StreamLink(source, store, run));
        }
    };

    private final String key;

    MethodKind(String key) {
        this.key = key;
    }

    /** The --method value, and the run's method as stored. */
    public String key() {
        return key;
    }

    @Override
    public String toString() {
        return key;
    }

    /** The kind whose {@link #key()} is {@code text}. */
    public static MethodKind of(String text) {
        return Arrays.stream(values())
                .filter(k -> k.key.equals(text))
                .findFirst()
                .orElseThrow(
                        () -> new PgferryException(
                                ErrorCode.BAD_INPUT,
                                "unknown method '" + text + "'",
                                "the method is one of dump, logical, copy; a work dir from a newer pgferry needs that version"));
    }

    /** The method run {@code run} was started with. */
    public static MethodKind of(RunRecord run) {
        return of(run.method());
    }

    /** Whether the method carries changes from source to target until a cutover (logical, copy). */
    public boolean streams() {
        return this != DUMP;
    }

    /**
     * What carries the run's changes, as cutover sees it ({@code progress} hears of the schema
     * changes a subscription's link runs on the target); empty for a method without one (dump,
     * whose restore was the switch-over).
     */
    public abstract Optional<ReplicationLink> link(
            Connector source, Connector target, StateStore store, RunRecord run, Progress progress);
}
