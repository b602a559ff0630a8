package io.pgferry.method.logical;

import io.pgferry.cutover.FenceExemption;
import io.pgferry.cutover.ReplicationLink;
import io.pgferry.pg.Connector;
import io.pgferry.state.RunRecord;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import java.util.List;

/**
 * After a cutover with --reverse: changes made on the new primary (the old target) flow back
 * to the old source through a publication there and a subscription on the old source, created
 * right after the switch and before the application writes to the target, without copying
 * data (both sides are equal at that moment). The old source stays fenced for applications;
 * the subscription is owned by the run's own apply role, which has a {@link FenceExemption}
 * there, so its apply worker, and only it, can write.
 */
public final class ReverseStream {

    private ReverseStream() {}

    private static List<LogicalNames> names(RunRecord run) {
        String n = run.objectName() + "_rev";
        return List.of(new LogicalNames(n, n, n));
    }

    public static boolean started(StateStore store, RunRecord run) {
        return store.setting(run.id(), SettingKey.REVERSE_STARTED).isPresent();
    }

    public static void start(Connector oldSource, Connector oldTarget, StateStore store, RunRecord run) {
        String applyRole = FenceExemption.grant(oldSource, store, run);
        SubscriptionSetup setup = new SubscriptionSetup(oldTarget, oldSource, names(run), false);
        setup.ensurePublications();
        setup.ensureSubscription(
                names(run).get(0),
                oldTarget.spec().withoutLocalFiles(),
                oldSource.serverMajor(),
                applyRole,
                warning -> store.event(run.id(), "warning", warning));
        store.putSetting(run.id(), SettingKey.REVERSE_STARTED, "yes");
        store.event(run.id(), "info", "reverse stream started: " + oldTarget.spec() + " -> " + oldSource.spec());
    }

    /** The reverse subscription as a cutover link, for switching back: the old target is now the source. */
    public static ReplicationLink link(Connector oldSource, Connector oldTarget, RunRecord run) {
        return new SubscriptionLink(
                oldTarget, oldSource, names(run), oldSource.serverMajor(), java.util.Optional.empty());
    }
}
