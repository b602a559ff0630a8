package io.pgferry.monitor;

import java.time.Duration;

/** Human-readable sizes, rates and durations for console output. */
public final class Units {
    private Units() {}

    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB", "PB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(java.util.Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[i]);
    }

    public static String duration(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return String.format(java.util.Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
        }
        if (s < 3600) {
            return (s / 60) + "m" + String.format("%02d", s % 60) + "s";
        }
        return (s / 3600) + "h" + String.format("%02d", (s % 3600) / 60) + "m";
    }

    public static String rate(long bytes, long millis) {
        if (millis <= 0) {
            return "-";
        }
        return bytes(bytes * 1000 / millis) + "/s";
    }
}
