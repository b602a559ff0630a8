package io.pgferry.cli;

import io.pgferry.monitor.DashboardServer;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.StateStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        header = "Serve the web dashboard and /metrics of a work dir.",
        description = {
            "Serves a live web dashboard of a migration from its work dir: phases as a timeline, tables,",
            "throughput and lag charts, the assessment, events and the cutover command once lag allows it;",
            "/api/status (docs/status.md), /api/history and /metrics (Prometheus). Read-only; runs until Ctrl-C.",
            "Bound to 127.0.0.1 unless --bind says otherwise; any other address needs a token."
        },
        footer = {
            "",
            "Examples:",
            "  pgferry serve --dir ./pgferry-work --port 8080",
            "  PGFERRY_DASHBOARD_TOKEN=s3cret pgferry serve --bind 0.0.0.0",
            "      (then open http://host:8080/#token=s3cret)",
            "  pgferry serve --bind 0.0.0.0 --token-file ~/.pgferry-token",
            "      (scrapers send Authorization: Bearer <token>)"
        })
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Mixin
    WorkDirOption workDir;

    @Option(
            names = "--port",
            defaultValue = "8080",
            paramLabel = "P",
            description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(
            names = "--bind",
            defaultValue = "127.0.0.1",
            paramLabel = "ADDRESS",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description =
                    "Require the token in FILE (its first line) as Authorization: Bearer; a browser opens /#token=T."
                            + " Default: $PGFERRY_DASHBOARD_TOKEN. Required off loopback.")
    Path tokenFile;

    @Option(
            names = "--token",
            paramLabel = "T",
            description =
                    "Deprecated (every local user sees it through ps): use --token-file or $PGFERRY_DASHBOARD_TOKEN.")
    String token;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (StateStore store = StateStore.openExisting(workDir.dir());
                DashboardServer server = DashboardServer.start(
                        store, new InetSocketAddress(InetAddress.getByName(bind), port), token())) {
            spec.commandLine()
                    .getOut()
                    .println("dashboard of " + workDir.dir().toAbsolutePath() + " on " + server.url()
                            + (token().isPresent() ? " (token required: open " + server.url() + "#token=<token>)" : "")
                            + "; Ctrl-C to stop");
            spec.commandLine().getOut().flush();
            new CountDownLatch(1).await();
            return 0;
        }
    }

    private Optional<String> resolved;

    /** From --token-file, else the deprecated --token (with a warning), else the environment. */
    private Optional<String> token() throws IOException {
        if (resolved == null) {
            if (token != null) {
                spec.commandLine()
                        .getErr()
                        .println("warning: --token puts the token where every local user sees it (ps);"
                                + " use --token-file FILE or PGFERRY_DASHBOARD_TOKEN instead");
                spec.commandLine().getErr().flush();
            }
            if (tokenFile != null) {
                List<String> lines = Files.readAllLines(tokenFile);
                if (lines.isEmpty() || lines.get(0).isBlank()) {
                    throw new PgferryException(
                            ErrorCode.BAD_INPUT,
                            "the token file " + tokenFile + " is empty",
                            "write the token on its first line");
                }
                resolved = Optional.of(lines.get(0).strip());
            } else {
                resolved = Optional.ofNullable(token)
                        .or(() -> Optional.ofNullable(System.getenv("PGFERRY_DASHBOARD_TOKEN"))
                                .filter(t -> !t.isBlank()));
            }
        }
        return resolved;
    }
}
