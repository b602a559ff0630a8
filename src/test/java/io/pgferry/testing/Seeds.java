package io.pgferry.testing;

import java.util.Random;

/**
 * The random choices a test makes (a kill moment, say) come from a seed it prints, so a failure
 * can be replayed: {@code -Dpgferry.seed=<seed>} gives every test the same seed again.
 */
public final class Seeds {
    public static final String PROPERTY = "pgferry.seed";

    private Seeds() {}

    /** A generator for {@code what}, seeded from {@code -Dpgferry.seed} or afresh; the seed is printed either way. */
    public static Random random(String what) {
        String given = System.getProperty(PROPERTY, "").trim();
        long seed =
                given.isEmpty() ? System.nanoTime() ^ Double.doubleToLongBits(Math.random()) : Long.parseLong(given);
        System.out.println("[seed] " + what + ": " + seed
                + (given.isEmpty() ? " (replay with -D" + PROPERTY + "=" + seed + ")" : " (given)"));
        return new Random(seed);
    }
}
