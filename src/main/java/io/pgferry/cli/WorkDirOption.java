package io.pgferry.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The work dir: state store, dumps and logs of one migration. */
public final class WorkDirOption {
    @Option(
            names = "--dir",
            paramLabel = "DIR",
            defaultValue = "pgferry-work",
            description = "Work dir holding the state store, dumps and logs (default: ${DEFAULT-VALUE}).")
    Path dir;

    public Path dir() {
        return dir;
    }
}
