package io.pgferry.method;

import io.pgferry.capture.TriggerCapture;
import io.pgferry.cutover.ReplicationLink;
import io.pgferry.method.copy.StreamLink;
import io.pgferry.method.copy.TriggerLink;
import io.pgferry.method.logical.SubscriptionLink;
import io.pgferry.monitor.Progress;
import io.pgferry.pg.Connector;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.util.Optional;

/** What carries a run's changes from source to target, as cutover drains and stops it. */
public final class RunLinks {
    private RunLinks() {}

    /**
     * The run's link ({@code progress} hears of the schema changes a subscription's link runs on
     * the target); empty for a method without one (dump, whose restore was the switch-over).
     */
    public static Optional<ReplicationLink> of(
            Connector source, Connector target, StateStore store, RunRecord run, Progress progress) {
        return switch (MethodKind.of(run)) {
            case DUMP -> Optional.empty();
            case LOGICAL ->
                Optional.of(new SubscriptionLink(source, target, run, store, target.serverMajor(), progress));
            case COPY ->
                Optional.of(
                        TriggerCapture.isTriggers(store, run.id())
                                ? new TriggerLink(source, store, run)
                                : new StreamLink(source, store, run));
        };
    }
}
