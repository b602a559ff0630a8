package io.pgferry.cli;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.state.RunRecord;
import io.pgferry.state.StateStore;
import java.io.Console;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The two databases of a command that acts on an existing run: optional, since the run
 * recorded them (without their passwords). {@link #lookup} finds the run; {@link #source()} and
 * {@link #target()} are then the databases to use.
 */
public final class RunConnectionOptions {
    @Option(
            names = "--source",
            paramLabel = "URI",
            description =
                    "Source database (default: the run's; password from PGPASSWORD or ~/.pgpass). If given, it must be the run's.")
    String source;

    @Option(
            names = "--target",
            paramLabel = "URI",
            description = "Target database (default: the run's, like --source). If given, it must be the run's.")
    String target;

    private RunLookup.RunServers servers;

    /** The run in {@code store}; afterwards {@link #source()} and {@link #target()} are its databases. */
    RunRecord lookup(StateStore store) {
        RunLookup.RunServers found = RunLookup.resolve(
                store,
                Optional.ofNullable(source).map(ConnectionSpec::parse),
                Optional.ofNullable(target).map(ConnectionSpec::parse),
                System.getenv(),
                Path.of(System.getProperty("user.home")));
        servers = new RunLookup.RunServers(
                found.run(), askForPasswordIfNone(found.source()), askForPasswordIfNone(found.target()));
        return servers.run();
    }

    public ConnectionSpec source() {
        return resolved().source();
    }

    public ConnectionSpec target() {
        return resolved().target();
    }

    private RunLookup.RunServers resolved() {
        if (servers == null) {
            throw new IllegalStateException("lookup(store) first: the databases may come from the run");
        }
        return servers;
    }

    /** Only on a terminal, and only when no password was found anywhere; an empty answer means none. */
    private static ConnectionSpec askForPasswordIfNone(ConnectionSpec spec) {
        Console console = System.console();
        if (spec.hasPassword() || console == null) {
            return spec;
        }
        char[] answer = console.readPassword("Password for %s (Enter for none): ", spec);
        return answer == null || answer.length == 0 ? spec : spec.withPassword(new String(answer));
    }
}
