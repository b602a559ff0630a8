package io.pgferry.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import io.pgferry.monitor.StatusSnapshot;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.StateStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "status", mixinStandardHelpOptions = true,
        header = "Show where a migration stands, from its work dir.",
        description = {"Shows where a migration stands, from its work dir alone: method, phase, steps, progress,",
                "change-stream lag, last error and recent events. Works during and after a run."},
        footer = {"", "Example:", "  pgferry status --dir ./pgferry-work --json"})
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Mixin
    WorkDirOption workDir;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (StateStore store = StateStore.openExisting(workDir.dir())) {
            StatusSnapshot snapshot = StatusSnapshot.read(store).orElseThrow(() -> new PgferryException(ErrorCode.BAD_INPUT,
                    "the work dir " + workDir.dir() + " holds no migration yet", "start one with pgferry migrate"));
            if (json) {
                ObjectMapper mapper = new ObjectMapper().registerModule(new Jdk8Module())
                        .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
                        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);
                System.out.println(mapper.writeValueAsString(snapshot));
            } else {
                System.out.print(snapshot.renderText());
            }
            return 0;
        }
    }
}
