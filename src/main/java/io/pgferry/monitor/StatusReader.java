package io.pgferry.monitor;

import io.pgferry.state.EventRecord;
import io.pgferry.state.MethodKind;
import io.pgferry.state.PartsTable;
import io.pgferry.state.ProgressRecord;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.SettingKey;
import io.pgferry.state.SlotLedger;
import io.pgferry.state.StateStore;
import io.pgferry.state.StepRecord;
import io.pgferry.state.StepStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Builds a {@link StatusReport} from a work dir's state store: no server connection, no secret. */
public final class StatusReader {
    private static final int EVENTS = 50;

    private final StateStore store;
    private final Clock clock;

    public StatusReader(StateStore store) {
        this(store, Clock.systemUTC());
    }

    /** Reads as of {@code clock}'s time: elapsed times, running steps' durations, rates and ETAs. */
    public StatusReader(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public Optional<StatusReport> read() {
        return store.currentRun().map(this::read);
    }

    private StatusReport read(RunRecord run) {
        Instant now = clock.instant();
        boolean running = run.status() == RunStatus.RUNNING;
        List<StepRecord> stepRecords = store.steps(run.id());
        List<StatusReport.Step> steps =
                stepRecords.stream().map(s -> step(s, now)).toList();
        List<StatusReport.Phase> phases = store.progress(run.id()).stream()
                .map(p -> phase(p, stepRecords, run, running))
                .toList();
        StatusReport.Phase current = currentPhase(run, phases);
        List<StatusReport.TableState> tables = tables(run.id());
        Optional<StatusReport.Lag> lag = lag(run.id());
        StatusReport.Overall overall = current == null
                ? null
                : new StatusReport.Overall(
                        current.name(),
                        current.unit(),
                        current.done(),
                        current.total(),
                        current.bytesDone(),
                        current.bytesTotal(),
                        current.percent());
        StatusReport.Totals totals = totals(run, phases, tables, stepRecords);
        StatusReport.Rates rates = rates(current, tables, run, now);
        Double eta = running && current != null ? current.etaSeconds() : null;
        List<StatusReport.Event> events =
                store.events(run.id(), EVENTS).stream().map(StatusReader::event).toList();
        long retries = store.retryCount(run.id());
        long errors = store.errorCount(run.id());
        String lastError = run.lastError() != null
                ? run.lastError()
                : store.lastErrorEvent(run.id()).orElse(null);
        NextStep next = new NextStep(run, stepRecords, store.dir(), lag.orElse(null));
        return new StatusReport(
                StatusReport.SCHEMA_VERSION,
                now,
                store.dir().toAbsolutePath().toString(),
                new StatusReport.Run(
                        run.id(),
                        run.method(),
                        run.status().key(),
                        run.phase(),
                        run.source(),
                        run.target(),
                        run.createdAt(),
                        run.updatedAt(),
                        seconds(run.createdAt(), running ? now : run.updatedAt())),
                steps,
                phases,
                overall,
                totals,
                rates,
                eta,
                lag.orElse(null),
                slots(run.id()),
                retries,
                errors,
                lastError,
                next.text(),
                next.cutoverCommand().orElse(null),
                tables,
                events,
                schemaChanges(run.id()));
    }

    private StatusReport.SchemaChanges schemaChanges(String runId) {
        String[] counts = store.setting(runId, SettingKey.DDL_WATCH).orElse("").split(" ");
        String attention = store.setting(runId, SettingKey.DDL_ATTENTION)
                .filter(a -> !a.isBlank())
                .orElse(null);
        if (counts.length != 2 && attention == null) {
            return null;
        }
        return counts.length == 2
                ? new StatusReport.SchemaChanges(Long.parseLong(counts[0]), Long.parseLong(counts[1]), attention)
                : new StatusReport.SchemaChanges(0, 0, attention);
    }

    private static StatusReport.Step step(StepRecord s, Instant now) {
        Instant end = s.finishedAt() != null ? s.finishedAt() : s.status() == StepStatus.RUNNING ? now : null;
        return new StatusReport.Step(
                s.name(),
                s.status().name().toLowerCase(Locale.ROOT),
                s.startedAt(),
                s.finishedAt(),
                s.startedAt() == null || end == null ? null : seconds(s.startedAt(), end),
                s.detail());
    }

    /**
     * A phase's rate is its counters over the time since its step started (or since the run
     * started, for a phase without a step of its name); its ETA follows bytes when their total is
     * known, items otherwise.
     */
    private static StatusReport.Phase phase(ProgressRecord p, List<StepRecord> steps, RunRecord run, boolean running) {
        StepRecord step = steps.stream()
                .filter(s -> s.name().equals(p.phase()))
                .findFirst()
                .orElse(null);
        Instant start = step != null && step.startedAt() != null ? step.startedAt() : run.createdAt();
        boolean finished = step != null && step.status() == StepStatus.DONE;
        Instant end = finished && step.finishedAt() != null ? step.finishedAt() : p.updatedAt();
        double secs = seconds(start, end);
        Double bytesRate = secs > 0 && p.bytesDone() > 0 ? p.bytesDone() / secs : null;
        Double itemsRate = secs > 0 && p.done() > 0 ? p.done() / secs : null;
        Double percent = null; // not a nested ternary: its double branch would unbox the null
        if (p.total() > 0) {
            percent = Math.min(100.0, 100.0 * p.done() / p.total());
        } else if (p.bytesTotal() > 0) {
            percent = Math.min(100.0, 100.0 * p.bytesDone() / p.bytesTotal());
        }
        Double eta = null;
        if (running && !finished) {
            if (p.bytesTotal() > 0 && bytesRate != null && p.bytesDone() < p.bytesTotal()) {
                eta = (p.bytesTotal() - p.bytesDone()) / bytesRate;
            } else if (p.total() > 0 && itemsRate != null && p.done() < p.total()) {
                eta = (p.total() - p.done()) / itemsRate;
            }
        }
        return new StatusReport.Phase(
                p.phase(),
                p.unit(),
                p.done(),
                p.total(),
                p.bytesDone(),
                p.bytesTotal(),
                p.updatedAt(),
                percent,
                bytesRate,
                itemsRate,
                eta);
    }

    /** The phase named by the run, else the one updated last. */
    private static StatusReport.Phase currentPhase(RunRecord run, List<StatusReport.Phase> phases) {
        return phases.stream()
                .filter(p -> p.name().equals(run.phase()))
                .findFirst()
                .orElse(
                        phases.isEmpty()
                                ? null
                                : phases.stream()
                                        .max(java.util.Comparator.comparing(StatusReport.Phase::updatedAt))
                                        .get());
    }

    private List<StatusReport.TableState> tables(String runId) {
        return store.parts().tables(runId).stream()
                .map(t -> {
                    int total = Math.max(t.partsTotal(), 1);
                    return new StatusReport.TableState(
                            t.schema(),
                            t.table(),
                            t.partsDone(),
                            total,
                            t.rows(),
                            t.bytes(),
                            status(t, total),
                            t.lsn());
                })
                .toList();
    }

    /** done when every part is; copying once any part started; else what its parts all are (pending). */
    private static String status(PartsTable.TableParts t, int total) {
        if (t.partsDone() >= total) {
            return "done";
        }
        if (t.statuses().size() > 1 || t.statuses().contains(PartsTable.Status.RUNNING) || t.partsDone() > 0) {
            return "copying";
        }
        return t.statuses().iterator().next().name().toLowerCase(Locale.ROOT);
    }

    private Optional<StatusReport.Lag> lag(String runId) {
        return store.streamProgress()
                .of(runId)
                .map(p -> new StatusReport.Lag(
                        p.appliedLsn(),
                        p.sourceLsn(),
                        p.lagBytes(),
                        p.lagSeconds(),
                        p.appliedTransactions(),
                        p.updatedAt(),
                        backlog(runId)));
    }

    /** Trigger capture records its backlog as "rows oldest-seconds" (see io.pgferry.capture.TriggerApplier). */
    private StatusReport.Backlog backlog(String runId) {
        return store.setting(runId, SettingKey.CAPTURE_PENDING)
                .map(s -> s.split(" "))
                .filter(p -> p.length == 2)
                .map(p -> new StatusReport.Backlog(Long.parseLong(p[0]), Double.parseDouble(p[1])))
                .orElse(null);
    }

    private List<StatusReport.Slot> slots(String runId) {
        return new SlotLedger(store, runId)
                .entries().stream()
                        .map(e -> new StatusReport.Slot(
                                e.slot(),
                                e.retainedBytes(),
                                e.walStatus(),
                                e.safeWalSize(),
                                e.limitBytes(),
                                e.dropped(),
                                e.updatedAt()))
                        .toList();
    }

    /**
     * Tables count from table_part when the method records parts; otherwise from the latest
     * phase measured in tables. Bytes likewise, from parts or the current phase.
     */
    private static StatusReport.Totals totals(
            RunRecord run,
            List<StatusReport.Phase> phases,
            List<StatusReport.TableState> tables,
            List<StepRecord> steps) {
        long tablesDone;
        long tablesTotal;
        long rows = tables.stream().mapToLong(StatusReport.TableState::rows).sum();
        long bytes;
        if (!tables.isEmpty()) {
            tablesDone = tables.stream().filter(t -> t.status().equals("done")).count();
            tablesTotal = tables.size();
            bytes = tables.stream().mapToLong(StatusReport.TableState::bytes).sum();
        } else {
            StatusReport.Phase byTables = phases.stream()
                    .filter(p -> p.unit().equals("tables"))
                    .max(java.util.Comparator.comparing(StatusReport.Phase::updatedAt))
                    .orElse(null);
            tablesDone = byTables == null ? 0 : byTables.done();
            tablesTotal = byTables == null ? 0 : byTables.total();
            StatusReport.Phase current = currentPhase(run, phases);
            bytes = current == null ? 0 : current.bytesDone();
        }
        long stepsDone =
                steps.stream().filter(s -> s.status() == StepStatus.DONE).count();
        long stepsTotal = Math.max(NextStep.plannedSteps(MethodKind.of(run)).size(), steps.size());
        return new StatusReport.Totals(tablesDone, tablesTotal, rows, bytes, stepsDone, stepsTotal);
    }

    private static StatusReport.Rates rates(
            StatusReport.Phase current, List<StatusReport.TableState> tables, RunRecord run, Instant now) {
        if (current == null) {
            return new StatusReport.Rates(null, null, null);
        }
        long rows = tables.stream().mapToLong(StatusReport.TableState::rows).sum();
        double secs = seconds(run.createdAt(), run.status() == RunStatus.RUNNING ? now : run.updatedAt());
        return new StatusReport.Rates(
                current.bytesPerSecond(), current.itemsPerSecond(), rows > 0 && secs > 0 ? rows / secs : null);
    }

    private static StatusReport.Event event(EventRecord e) {
        return new StatusReport.Event(e.id(), e.at(), e.level(), e.message());
    }

    static double seconds(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toMillis() / 1000.0);
    }
}
