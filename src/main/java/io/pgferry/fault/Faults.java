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

    /** Halts here if a test armed this point and this is its n-th arrival. */
    public static void reach(FaultPoint point) {
        if (ARMED == point && REACHED.incrementAndGet() == AT) {
            System.err.println("pgferry: halting at fault point " + point.id() + " (" + VARIABLE + ")");
            System.err.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }

    /** Whether a test armed {@code point}: where halting there needs a path of its own, only then is it taken. */
    public static boolean armed(FaultPoint point) {
        return ARMED == point;
    }
}
