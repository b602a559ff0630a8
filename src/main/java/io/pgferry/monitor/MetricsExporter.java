package io.pgferry.monitor;

import io.pgferry.state.RunStatus;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code /metrics}: the status document as Prometheus metrics, names prefixed {@code pgferry_}.
 * Values are read at scrape time (callback metrics) from one status read, so a scrape is a
 * consistent picture and costs nothing between scrapes. Counters only where the value never
 * goes down; byte and row figures are gauges because they restart with each phase.
 */
public final class MetricsExporter {
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final Supplier<Optional<StatusReport>> status;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private StatusReport current;

    public MetricsExporter(Supplier<Optional<StatusReport>> status) {
        this.status = status;
        gauge(
                "pgferry_run",
                "The run (an info gauge): 1, labelled with its id, method and status.",
                r -> true,
                (r, cb) -> cb.call(1, r.run().id(), r.run().method(), r.run().status()),
                "run_id",
                "method",
                "status");
        gauge(
                "pgferry_phase",
                "The phase the run is in: 1 for the current phase (a state gauge).",
                r -> r.run().phase() != null,
                (r, cb) -> cb.call(1, r.run().phase()),
                "phase");
        gauge(
                "pgferry_running",
                "1 while the run is running, else 0.",
                r -> true,
                (r, cb) -> cb.call(RunStatus.RUNNING.key().equals(r.run().status()) ? 1 : 0));
        gauge(
                "pgferry_bytes_copied",
                "Bytes copied: table parts, else the current phase's bytes.",
                r -> true,
                (r, cb) -> cb.call(r.totals().bytes()));
        gauge(
                "pgferry_rows_copied",
                "Rows copied, from table parts (0 for methods without parts).",
                r -> true,
                (r, cb) -> cb.call(r.totals().rows()));
        gauge(
                "pgferry_tables_done",
                "Tables fully copied or synced.",
                r -> true,
                (r, cb) -> cb.call(r.totals().tablesDone()));
        gauge(
                "pgferry_tables_planned",
                "Tables to copy or sync (0 while unknown).",
                r -> true,
                (r, cb) -> cb.call(r.totals().tablesTotal()));
        gauge(
                "pgferry_steps_done",
                "Steps done.",
                r -> true,
                (r, cb) -> cb.call(r.totals().stepsDone()));
        gauge(
                "pgferry_steps_planned",
                "Steps the method plans.",
                r -> true,
                (r, cb) -> cb.call(r.totals().stepsTotal()));
        gauge(
                "pgferry_phase_done",
                "Items done per phase, in the phase's unit.",
                r -> true,
                (r, cb) -> r.phases().forEach(p -> cb.call(p.done(), p.name(), p.unit())),
                "phase",
                "unit");
        gauge(
                "pgferry_phase_planned",
                "Items to do per phase (0 while unknown).",
                r -> true,
                (r, cb) -> r.phases().forEach(p -> cb.call(p.total(), p.name(), p.unit())),
                "phase",
                "unit");
        gauge(
                "pgferry_phase_bytes",
                "Bytes done per phase.",
                r -> true,
                (r, cb) -> r.phases().forEach(p -> cb.call(p.bytesDone(), p.name())),
                "phase");
        gauge(
                "pgferry_bytes_per_second",
                "Current phase's average byte rate.",
                r -> r.rates().bytesPerSecond() != null,
                (r, cb) -> cb.call(r.rates().bytesPerSecond()));
        gauge(
                "pgferry_eta_seconds",
                "Time left in the current phase, when known.",
                r -> r.etaSeconds() != null,
                (r, cb) -> cb.call(r.etaSeconds()));
        gauge(
                "pgferry_lag_bytes",
                "Change-stream lag in bytes of WAL.",
                r -> r.lag() != null,
                (r, cb) -> cb.call(r.lag().lagBytes()));
        gauge(
                "pgferry_lag_seconds",
                "Change-stream lag in seconds.",
                r -> r.lag() != null,
                (r, cb) -> cb.call(r.lag().lagSeconds()));
        gauge(
                "pgferry_slot_retained_wal_bytes",
                "WAL the run's replication slot retains on the source, as last measured.",
                r -> true,
                (r, cb) -> r.slots().stream()
                        .filter(s -> s.retainedBytes() != null)
                        .forEach(s -> cb.call(s.retainedBytes(), s.slot())),
                "slot");
        gauge(
                "pgferry_slot_safe_wal_bytes",
                "The source's safe_wal_size for the slot (absent without max_slot_wal_keep_size).",
                r -> true,
                (r, cb) -> r.slots().stream()
                        .filter(s -> s.safeWalSize() != null)
                        .forEach(s -> cb.call(s.safeWalSize(), s.slot())),
                "slot");
        gauge(
                "pgferry_slot_retained_wal_limit_bytes",
                "pgferry's --max-retained-wal: at this the stream stops and the slot is dropped.",
                r -> true,
                (r, cb) -> r.slots().stream()
                        .filter(s -> s.limitBytes() != null)
                        .forEach(s -> cb.call(s.limitBytes(), s.slot())),
                "slot");
        gauge(
                "pgferry_capture_backlog_rows",
                "Trigger capture: changes logged on the source, not yet on the target.",
                r -> r.lag() != null && r.lag().backlog() != null,
                (r, cb) -> cb.call(r.lag().backlog().rows()));
        gauge(
                "pgferry_capture_backlog_oldest_seconds",
                "Trigger capture: age of the oldest change not yet on the target.",
                r -> r.lag() != null && r.lag().backlog() != null,
                (r, cb) -> cb.call(r.lag().backlog().oldestSeconds()));
        counter(
                "pgferry_applied_transactions",
                "Source transactions applied on the target by pgferry's own stream.",
                r -> r.lag() != null ? r.lag().appliedTransactions() : 0);
        counter("pgferry_retries", "Transient failures retried.", StatusReport::retries);
        counter("pgferry_errors", "Error events.", StatusReport::errors);
    }

    private interface Emit<C> {
        void emit(StatusReport r, C callback);
    }

    private void gauge(
            String name,
            String help,
            java.util.function.Predicate<StatusReport> present,
            Emit<GaugeWithCallback.Callback> emit,
            String... labels) {
        GaugeWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames(labels)
                .callback(each(present, emit))
                .register(registry);
    }

    private void counter(String name, String help, java.util.function.ToLongFunction<StatusReport> value) {
        CounterWithCallback.builder()
                .name(name)
                .help(help)
                .callback(cb -> {
                    if (current != null) {
                        cb.call(value.applyAsLong(current));
                    }
                })
                .register(registry);
    }

    private <C> Consumer<C> each(java.util.function.Predicate<StatusReport> present, Emit<C> emit) {
        return cb -> {
            if (current != null && present.test(current)) {
                emit.emit(current, cb);
            }
        };
    }

    /** Reads the status once and writes every metric from it. */
    public synchronized void scrape(OutputStream out) throws IOException {
        current = status.get().orElse(null);
        try {
            writer.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        } finally {
            current = null;
        }
    }
}
