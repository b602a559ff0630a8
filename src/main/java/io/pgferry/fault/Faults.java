package io.pgferry.fault;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Halts the JVM at a named {@link FaultPoint}, for the tests that prove a crash there loses and
 * duplicates nothing. Armed only by the environment variable
 * {@code PGFERRY_TEST_HALT_AT=<point id>@<n>} (halt the n-th time the point is reached, n >= 1),
 * read once at start-up: unarmed, {@link #reach} is one read of a final field. A value that
 * names no point, or lacks the count, is refused at start-up rather than ignored, so a typo in a
 * test cannot make it pass without halting.
 */
public final class Faults {
    /** The exit status of a halt, as a shell reports a SIGKILL. */
    public static final int HALT_STATUS = 137;

    public static final String VARIABLE = "PGFERRY_TEST_HALT_AT";

    /** With {@link #VARIABLE}: pause at the point instead of halting, until the test removes this file. */
    public static final String PAUSE_FILE = "PGFERRY_TEST_PAUSE_FILE";

    private static final java.time.Duration PAUSE_LIMIT = java.time.Duration.ofMinutes(2);

    private static final FaultPoint ARMED;
    private static final long AT;
    private static final AtomicLong REACHED = new AtomicLong();

    static {
        String spec = System.getenv(VARIABLE);
        if (spec == null || spec.isEmpty()) {
            ARMED = null;
            AT = 0;
        } else {
            int at = spec.lastIndexOf('@');
            FaultPoint point = at > 0 ? FaultPoint.byId(spec.substring(0, at)) : null;
            long n = 0;
            try {
                n = at > 0 ? Long.parseLong(spec.substring(at + 1)) : 0;
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (point == null || n < 1) {
                throw new IllegalStateException(
                        VARIABLE + "=" + spec + " names no fault point: use <point>@<n>, point one of "
                                + java.util.Arrays.stream(FaultPoint.values())
                                        .map(FaultPoint::id)
                                        .toList());
            }
            ARMED = point;
            AT = n;
        }
    }

    private Faults() {}

    /**
     * Halts here if a test armed this point and this is its n-th arrival; or, when the test also
     * named a file in {@link #PAUSE_FILE}, creates that file and waits (up to {@link #PAUSE_LIMIT})
     * until the test removes it: the test does something exactly here (a schema change on the
     * source between two steps), then lets pgferry go on.
     */
    public static void reach(FaultPoint point) {
        if (ARMED == point && REACHED.incrementAndGet() == AT) {
            String pause = System.getenv(PAUSE_FILE);
            if (pause != null && !pause.isEmpty()) {
                pauseOn(java.nio.file.Path.of(pause), point);
                return;
            }
            System.err.println("pgferry: halting at fault point " + point.id() + " (" + VARIABLE + ")");
            System.err.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }

    private static void pauseOn(java.nio.file.Path file, FaultPoint point) {
        try {
            java.nio.file.Files.writeString(file, point.id());
            long deadline = System.nanoTime() + PAUSE_LIMIT.toNanos();
            while (java.nio.file.Files.exists(file)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "the test did not remove " + file + " within " + PAUSE_LIMIT + " at " + point.id());
                }
                Thread.sleep(20);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while paused at " + point.id(), e);
        }
    }

    /** Whether a test armed {@code point}: where halting there needs a path of its own, only then is it taken. */
    public static boolean armed(FaultPoint point) {
        return ARMED == point;
    }
}
