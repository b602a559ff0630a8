package io.pgferry.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs and waits on child processes with a bound on every wait: a hung child fails its test, not the build. */
public final class Processes {
    /** Long enough for a SIGKILLed JVM to be reaped on a loaded machine. */
    private static final Duration REAP = Duration.ofSeconds(60);

    private Processes() {}

    /**
     * pgferry (the built jar) as a process of its own, {@code args} its command line, its output
     * (stdout and stderr together) going to {@code <logName>.log} in {@code work}; the caller adds
     * to or takes from its environment, then starts it.
     */
    public static ProcessBuilder pgferry(Path work, String logName, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(
                "java", "-jar", Path.of("target/pgferry.jar").toAbsolutePath().toString()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(logName + ".log").toFile());
    }

    /** What a finished command printed (stdout and stderr together) and its exit status. */
    public record Result(int exitStatus, String output) {}

    /** SIGKILLs {@code p} (no chance to tidy up) and waits, bounded, until it is gone. */
    public static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        if (!p.waitFor(REAP.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("process " + p.pid() + " still alive " + REAP.toSeconds() + " s after SIGKILL");
        }
    }

    /** Waits for {@code p} to end within {@code timeout} and returns its exit status; fails if it does not end. */
    public static int exitStatus(Process p, Duration timeout, String what) throws InterruptedException {
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(what + ": still running after " + timeout.toSeconds() + " s");
        }
        return p.exitValue();
    }

    /**
     * Runs {@code command} with {@code env} added to its environment and waits up to
     * {@code timeout}; a command still running then is killed and fails the test. Its output goes
     * through a file, not a pipe: reading a pipe to its end would wait without a bound.
     */
    public static Result run(List<String> command, Map<String, String> env, Duration timeout)
            throws IOException, InterruptedException {
        Path output = Files.createTempFile("pgferry-test-command", ".log");
        try {
            ProcessBuilder pb =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new AssertionError(
                            command.get(0) + " still running after " + timeout.toSeconds() + " s: " + command);
                }
            } finally {
                if (p.isAlive()) {
                    kill(p);
                }
            }
            return new Result(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
