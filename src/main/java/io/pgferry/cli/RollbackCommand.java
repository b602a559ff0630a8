package io.pgferry.cli;

import io.pgferry.cutover.CleanupItem;
import io.pgferry.cutover.CutoverResult;
import io.pgferry.cutover.Rollback;
import io.pgferry.method.RunStreams;
import io.pgferry.monitor.Units;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.CatalogObject;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "rollback",
        mixinStandardHelpOptions = true,
        header = "Abandon a migration, or switch back after a cutover with --reverse.",
        description = {
            "Before cutover: stops the stream (subscription, slot, publication) and drops from the target",
            "exactly what this run created: what was not there when the run began. What was there stays.",
            "After a cutover with --reverse: switches back to the source without losing the target's new",
            "writes (fence the target, drain the reverse stream, sequences back, verify, unfence the source).",
            "Refuses after a cutover without --reverse, and after a finished run without a stream (dump,",
            "copy --no-follow) unless --discard-finished. Asks before acting; --yes when not on a terminal."
        },
        footer = {"", "Example:", "  pgferry rollback --dir ./pgferry-work --dry-run"})
public final class RollbackCommand implements Callable<Integer> {
    private static final int LISTED = 50;

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Mixin
    RunConnectionOptions connections;

    @Mixin
    WorkDirOption workDir;

    @Option(names = "--dry-run", description = "Show what rollback would do and drop, change nothing.")
    boolean dryRun;

    @Option(names = "--yes", description = "Do it without asking (needed when stdin is not a terminal).")
    boolean yes;

    @Option(
            names = "--discard-finished",
            description = "Roll back a run that finished without a stream (dump, copy --no-follow):"
                    + " only when nothing has used the target since.")
    boolean discardFinished;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (OpenRun open = OpenRun.open(workDir, connections, global)) {
            Rollback rollback = new Rollback(
                    open.source(),
                    open.target(),
                    open.store(),
                    open.run(),
                    new RunStreams(open.source(), open.target(), open.store(), open.run()));
            Rollback.Plan plan = rollback.plan(discardFinished);
            render(out, plan);
            if (dryRun) {
                out.println("Dry run: nothing was changed.");
                return 0;
            }
            confirm(out);
            if (plan.kind() == Rollback.Kind.SWITCH_BACK) {
                CutoverResult result = rollback.switchBack(open.progress());
                open.progress()
                        .summary("\nRolled back to the source: every write made on the target up to "
                                + result.fenceLsn().asString() + " is on the source; writes were fenced for "
                                + Units.duration(result.writeDowntime()) + ". The source accepts writes again;"
                                + " the target is fenced read-only. Point the application at "
                                + open.source().spec()
                                + ", then run pgferry cleanup.");
                return 0;
            }
            Rollback.Outcome done = rollback.abandon();
            done.streamObjects().forEach(i -> out.println("removed " + i));
            list(out, "dropped", done.dropped());
            out.println("Rolled back: the source is untouched and stays in use; "
                    + done.dropped().size() + " object(s) this run created were dropped from the target database "
                    + open.target().spec() + keptNote(done.kept()));
            return 0;
        }
    }

    private static void render(PrintWriter out, Rollback.Plan plan) {
        if (plan.kind() == Rollback.Kind.SWITCH_BACK) {
            out.println(
                    "Rollback will switch back to the source over the reverse stream: fence the target (the application"
                            + " there is stopped from writing), wait until the source has every write made on the target, copy sequences back,"
                            + " verify, then lift the source's fence.");
            return;
        }
        for (CleanupItem item : plan.streamObjects()) {
            out.println("will remove " + item);
        }
        list(out, "will drop target", plan.drops());
        out.println("Rollback will drop " + plan.drops().size() + " target object(s) this run created"
                + keptNote(plan.kept()));
    }

    private static void list(PrintWriter out, String verb, List<CatalogObject> objects) {
        objects.stream().limit(LISTED).forEach(o -> out.println(verb + " " + o));
        if (objects.size() > LISTED) {
            out.println("... and " + (objects.size() - LISTED) + " more");
        }
    }

    private static String keptNote(List<CatalogObject> kept) {
        if (kept.isEmpty()) {
            return ".";
        }
        boolean tables = kept.stream().anyMatch(o -> o.kind().equals("table"));
        return "; " + kept.size() + " object(s) that were there before the run stay"
                + (tables
                        ? " (rows the run copied into tables that were already there stay too: empty them yourself if you want them gone)."
                        : ".");
    }

    /** Rollback drops and fences: it goes ahead only when the user says so, on a terminal or with --yes. */
    private void confirm(PrintWriter out) {
        if (yes) {
            return;
        }
        java.io.Console console = System.console();
        if (console == null) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "rollback changes the target and asks first, but stdin is not a terminal",
                    "read the plan above (or pgferry rollback --dry-run) and run again with --yes");
        }
        out.flush();
        String answer = console.readLine("Go ahead? [y/N] ");
        if (answer == null || !List.of("y", "yes").contains(answer.trim().toLowerCase(Locale.ROOT))) {
            throw new PgferryException(ErrorCode.BAD_INPUT, "rollback not confirmed; nothing was changed", null);
        }
    }
}
