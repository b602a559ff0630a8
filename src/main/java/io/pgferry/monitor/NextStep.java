package io.pgferry.monitor;

import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.StepRecord;
import io.pgferry.state.StepStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the user does next, derived from the run's method, status and steps. */
final class NextStep {
    /** The steps each method records, in order; a method not listed here still gets a generic answer. */
    private static final Map<MethodKind, List<String>> PLANS = Map.of(
            MethodKind.DUMP, List.of("preflight", "dump", "restore", "analyze", "verify"),
            MethodKind.LOGICAL,
                    List.of("preflight", "schema", "keys", "publication", "subscription", "sync", "post-data"),
            MethodKind.COPY,
                    List.of(
                            "preflight",
                            "publication",
                            "snapshot",
                            "schema",
                            "data",
                            "post-data",
                            "sequences",
                            "analyze"));

    private final RunRecord run;
    private final List<StepRecord> steps;
    private final Path dir;
    private final StatusReport.Lag lag;

    NextStep(RunRecord run, List<StepRecord> steps, Path dir, StatusReport.Lag lag) {
        this.run = run;
        this.steps = steps;
        this.dir = dir;
        this.lag = lag;
    }

    static List<String> plannedSteps(MethodKind method) {
        return PLANS.getOrDefault(method, List.of());
    }

    /**
     * The exact cutover command, once a logical run has synced and its lag is under
     * {@link StatusReport#CUTOVER_LAG_SECONDS}; URIs as stored (without password: it comes from
     * PGPASSWORD or ~/.pgpass).
     */
    Optional<String> cutoverCommand() {
        MethodKind method = MethodKind.of(run);
        // logical is synced when its subscription is; copy once its copy is done and the stream follows
        String readyStep = method == MethodKind.COPY ? "analyze" : "sync";
        boolean synced = steps.stream().anyMatch(s -> s.name().equals(readyStep) && s.status() == StepStatus.DONE)
                || run.status() == RunStatus.DONE;
        if (!method.streams()
                || !synced
                || lag == null
                || lag.lagSeconds() >= StatusReport.CUTOVER_LAG_SECONDS
                || !(run.status() == RunStatus.DONE || run.status() == RunStatus.RUNNING)) {
            return Optional.empty();
        }
        // the run knows its databases; the passwords come from PGPASSWORD or ~/.pgpass
        return Optional.of("pgferry cutover --dir " + dir.toAbsolutePath());
    }

    String text() {
        RunStatus status = run.status();
        if (status == RunStatus.FAILED) {
            return "fix the cause of the last error, then run the same pgferry migrate command again: finished steps are kept";
        }
        if (status == RunStatus.CUT_OVER) {
            return "point the application at the target; then pgferry cleanup --dir " + dir.toAbsolutePath()
                    + " removes the stream objects (rollback is possible until then)";
        }
        if (status == RunStatus.ROLLED_BACK) {
            return "the application uses the source again; pgferry cleanup --dir " + dir.toAbsolutePath()
                    + " removes what is left";
        }
        if (status == RunStatus.DONE) {
            return switch (MethodKind.of(run)) {
                case DUMP -> "point the application at the target: " + run.target();
                case LOGICAL, COPY ->
                    cutoverCommand()
                            .map(c -> "when ready: " + c)
                            .orElse("wait for the lag to drop below " + (int) StatusReport.CUTOVER_LAG_SECONDS
                                    + " s, then pgferry cutover --dir " + dir.toAbsolutePath());
            };
        }
        StepRecord runningStep = steps.stream()
                .filter(s -> s.status() == StepStatus.RUNNING)
                .reduce((a, b) -> b)
                .orElse(null);
        String current = runningStep != null ? runningStep.name() : run.phase();
        List<String> plan = plannedSteps(MethodKind.of(run));
        int at = plan.indexOf(current);
        String next = plan.subList(at + 1, plan.size()).stream()
                .filter(name -> steps.stream().noneMatch(s -> s.name().equals(name) && s.status() == StepStatus.DONE))
                .findFirst()
                .orElse(null);
        return "wait: " + current + " is running" + (next == null ? "" : "; then " + next);
    }
}
