package io.pgferry.method;

import io.pgferry.cutover.CutoverRunner;
import io.pgferry.cutover.MigrationFinisher;
import io.pgferry.cutover.ReplicationLink;
import io.pgferry.cutover.Rollback;
import io.pgferry.method.copy.CopyAndStream;
import io.pgferry.method.copy.StreamLink;
import io.pgferry.method.logical.ReverseStream;
import io.pgferry.pg.Connector;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;

/** A run's change streams, forward and reverse, as its method made them: what rollback acts on. */
public record RunStreams(Connector source, Connector target, StateStore store, RunRecord run)
        implements Rollback.Streams {

    @Override
    public boolean forward() {
        return MethodKind.of(run) == MethodKind.LOGICAL || CopyAndStream.hasStream(store, run);
    }

    @Override
    public boolean reverseStarted() {
        return ReverseStream.started(store, run);
    }

    @Override
    public void stopForward() {
        StreamLink.stopIfRunning(store, run);
    }

    @Override
    public ReplicationLink reverse() {
        return ReverseStream.link(source, target, run);
    }

    @Override
    public CutoverRunner.Finisher finisher() {
        return new MigrationFinisher(CopyAndStream.filterOf(store, run));
    }
}
