package io.pgferry.cutover;

import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Keeps a cutover's fence from outliving the cutover when it does not finish: closing the guard
 * lifts it (the cutover's own error path), and so does a shutdown hook, registered while the
 * fence may be up, when the JVM is told to stop (Ctrl-C, SIGTERM) in the middle of the drain,
 * the sequences or the verification. A SIGKILL runs neither: then {@code pgferry cleanup} (or the
 * statement printed here) lifts it. A lift that fails never replaces the error that ended the
 * cutover: it is reported beside it, with the exact statement that lifts the fence by hand.
 */
final class FenceGuard implements AutoCloseable {
    private final WriteFence fence;
    private final String what;
    private final Consumer<String> warn;
    private final String liftedNote;
    private final AtomicBoolean settled = new AtomicBoolean();
    private final Thread hook;

    /**
     * @param what       names the fence in messages, e.g. "the write fence on the source"
     * @param warn       where the cutover's own error path reports (the hook writes to stderr: the console may be gone)
     * @param liftedNote what the error path says once the fence is lifted
     */
    FenceGuard(WriteFence fence, String what, Consumer<String> warn, String liftedNote) {
        this.fence = fence;
        this.what = what;
        this.warn = warn;
        this.liftedNote = liftedNote;
        this.hook = new Thread(
                () -> liftOnce(System.err, "pgferry was stopped during the cutover: "), "pgferry-fence-guard");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The cutover finished: the fence stays as it is. */
    void settle() {
        settled.set(true);
    }

    /** Lifts the fence unless the cutover finished; never throws. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: it lifts the fence
            return;
        }
        if (settled.get()) {
            return;
        }
        boolean wasRaised = raisedOrUnknown();
        Optional<String> problem = liftOnce(null, "");
        if (problem.isPresent()) {
            warn.accept(problem.get());
        } else if (wasRaised) {
            warn.accept(liftedNote);
        }
    }

    private boolean raisedOrUnknown() {
        try {
            return fence.isRaised();
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** Lifts the fence if nobody has yet; returns what went wrong, or prints it to {@code out} when given. */
    private Optional<String> liftOnce(PrintStream out, String prefix) {
        if (!settled.compareAndSet(false, true)) {
            return Optional.empty();
        }
        String problem;
        try {
            if (!fence.isRaised()) {
                return Optional.empty();
            }
            fence.lift();
            if (out != null) {
                out.println(prefix + what + " is lifted");
                out.flush();
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            problem = prefix + "could not lift " + what + " (" + e.getMessage()
                    + "); the database stays read-only for new sessions" + " until you run, as its owner: "
                    + liftSqlOrReset() + "  (or pgferry cleanup)";
        }
        if (out != null) {
            out.println(problem);
            out.flush();
        }
        return Optional.of(problem);
    }

    private String liftSqlOrReset() {
        try {
            return fence.liftSql();
        } catch (RuntimeException e) {
            return "ALTER DATABASE <database> RESET default_transaction_read_only;";
        }
    }
}
