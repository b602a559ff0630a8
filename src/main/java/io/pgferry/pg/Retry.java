package io.pgferry.pg;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Runs an action again after transient failures (lost connections, serialization failures,
 * admin shutdown, resource shortage), waiting longer each time with jitter, up to a bound.
 * Anything else fails at once: retrying a permission error only wastes the user's time.
 */
public final class Retry {
    @FunctionalInterface
    public interface Action<T> {
        T run() throws Exception;
    }

    private final int maxAttempts;
    private final Duration baseDelay;
    private final Duration maxDelay;
    private final Consumer<String> log;

    public Retry(int maxAttempts, Duration baseDelay, Duration maxDelay, Consumer<String> log) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        this.maxAttempts = maxAttempts;
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.log = log;
    }

    public static Retry standard(Consumer<String> log) {
        return new Retry(6, Duration.ofMillis(500), Duration.ofSeconds(30), log);
    }

    public <T> T call(String what, Action<T> action) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return action.run();
            } catch (Exception e) {
                if (attempt >= maxAttempts || !isTransient(e)) {
                    throw e;
                }
                Duration wait = delayBefore(attempt + 1);
                log.accept(what + " failed (" + Redaction.redact(String.valueOf(e.getMessage())) + "), attempt "
                        + attempt + " of " + maxAttempts + "; retrying in " + wait.toMillis() + " ms");
                Thread.sleep(wait.toMillis());
            }
        }
    }

    /**
     * Equal jitter: uniform in [cap/2, cap], cap = min(max, base * 2^(attempt-2)), so many workers spread out.
     * Public for loops that retry on their own terms (a stream that resumes after every failure) with the same policy.
     */
    public Duration delayBefore(int attempt) {
        long cap = Math.min(maxDelay.toMillis(), baseDelay.toMillis() << Math.min(20, attempt - 2));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
    }

    public static boolean isTransient(Throwable t) {
        for (Throwable cur = t; cur != null; cur = cur.getCause()) {
            if (cur instanceof SQLException sql && isTransientState(sql.getSQLState())) {
                return true;
            }
            if (cur instanceof ConnectionException ce && ce.code() == ErrorCode.UNREACHABLE) {
                return true;
            }
            if (cur instanceof java.io.IOException) {
                return true;
            }
            if (cur.getCause() == cur) {
                break;
            }
        }
        return false;
    }

    /** 08 connection, 40001/40P01 serialization and deadlock, 57P01-03 shutdown, 53 resources. */
    public static boolean isTransientState(String state) {
        if (state == null) {
            return false;
        }
        return state.startsWith("08")
                || state.equals("40001")
                || state.equals("40P01")
                || state.equals("57P01")
                || state.equals("57P02")
                || state.equals("57P03")
                || state.startsWith("53");
    }
}
