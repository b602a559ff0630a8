package io.pgferry.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Debian's headless Chromium, run as a user would: it loads the page, runs its scripts, and prints the DOM or a screenshot. */
public final class Chromium {
    private final Path binary;

    private Chromium(Path binary) {
        this.binary = binary;
    }

    /** The chromium binary on this machine, if any (CI installs Debian's package). */
    public static Optional<Chromium> find() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(new Chromium(p));
                }
            }
        }
        return Optional.empty();
    }

    /** The DOM after the page's scripts ran for {@code virtualMillis} of virtual time. */
    public String dumpDom(String url, int virtualMillis) {
        return run(List.of("--dump-dom", url), virtualMillis);
    }

    public void screenshot(String url, Path png, int width, int height, int virtualMillis) {
        run(
                List.of(
                        "--screenshot=" + png.toAbsolutePath(),
                        "--window-size=" + width + "," + height,
                        "--hide-scrollbars",
                        url),
                virtualMillis);
        if (!Files.isRegularFile(png)) {
            throw new IllegalStateException("chromium wrote no screenshot to " + png);
        }
    }

    private String run(List<String> args, int virtualMillis) {
        Path profile = null;
        try {
            profile = Files.createTempDirectory("pgferry-chromium");
            List<String> cmd = new ArrayList<>(List.of(
                    binary.toString(),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-extensions",
                    "--user-data-dir=" + profile,
                    "--virtual-time-budget=" + virtualMillis));
            cmd.addAll(args);
            // through a file, not a pipe: reading a pipe to its end would wait without a bound
            Path dom = profile.resolve("stdout");
            Process p = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(dom.toFile())
                    .start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                Processes.kill(p);
                throw new IllegalStateException("chromium did not finish in 90 s: " + cmd);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("chromium exited with " + p.exitValue() + ": " + cmd);
            }
            return Files.readString(dom, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + binary + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (profile != null) {
                try {
                    io.pgferry.state.Directories.deleteTree(profile);
                } catch (IOException ignored) {
                    // a leftover browser profile in the temp dir harms nothing
                }
            }
        }
    }
}
