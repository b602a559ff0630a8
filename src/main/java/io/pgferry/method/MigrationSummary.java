package io.pgferry.method;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What a finished migration reports: phases with their durations, totals, checks, next steps. */
public final class MigrationSummary {
    private final String method;
    private final List<String[]> phases = new ArrayList<>();
    private final List<String> facts = new ArrayList<>();
    private final List<String> nextSteps = new ArrayList<>();

    private final long startedAt = System.nanoTime();

    public MigrationSummary(String method) {
        this.method = method;
    }

    /** Time since this run of the command began, for messages. */
    public String elapsed() {
        return io.pgferry.monitor.Units.duration(Duration.ofNanos(System.nanoTime() - startedAt));
    }

    public MigrationSummary phase(String name, Duration took) {
        phases.add(new String[] {name, io.pgferry.monitor.Units.duration(took)});
        return this;
    }

    public MigrationSummary fact(String fact) {
        facts.add(fact);
        return this;
    }

    public MigrationSummary nextStep(String step) {
        nextSteps.add(step);
        return this;
    }

    public List<String> facts() {
        return List.copyOf(facts);
    }

    public String render() {
        StringBuilder sb = new StringBuilder("\nMigration finished (method ")
                .append(method)
                .append(")\n");
        for (String[] p : phases) {
            sb.append(String.format("  %-12s %s%n", p[0], p[1]));
        }
        for (String f : facts) {
            sb.append("  ").append(f).append('\n');
        }
        if (!nextSteps.isEmpty()) {
            sb.append("Next:\n");
            for (String s : nextSteps) {
                sb.append("  - ").append(s).append('\n');
            }
        }
        return sb.toString();
    }
}
