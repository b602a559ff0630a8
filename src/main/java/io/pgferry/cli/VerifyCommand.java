package io.pgferry.cli;

import io.pgferry.pg.Connector;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.verify.Verifier;
import io.pgferry.verify.VerifyReport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        header = "Compare two databases: row counts and key-range checksums.",
        description = {
            "Compares two databases table by table: exact row counts, and with --checksums a content",
            "checksum per key range computed on each server, narrowed down to the keys that differ.",
            "Works on any two databases, in or out of a migration."
        },
        footer = {
            "",
            "Exit status: 0 equal, 1 differences found.",
            "",
            "Example:",
            "  pgferry verify --source URI --target URI --checksums --jobs 4"
        })
public final class VerifyCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Mixin
    ConnectionOptions connections;

    @Option(names = "--checksums", description = "Compare content checksums, not only row counts.")
    boolean checksums;

    @Option(
            names = {"-j", "--jobs"},
            defaultValue = "4",
            paramLabel = "N",
            description = "Tables verified at once (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(
            names = "--max-keys",
            defaultValue = "100",
            paramLabel = "N",
            description = "Differing keys named per table (default: ${DEFAULT-VALUE}).")
    int maxKeys;

    @Option(names = "--json", description = "Print JSON (schema in docs/verify.md).")
    boolean json;

    @Override
    public Integer call() {
        if (jobs < 1 || jobs > 64) {
            throw new PgferryException(ErrorCode.BAD_INPUT, "--jobs must be between 1 and 64", null);
        }
        VerifyReport report = new Verifier(
                        new Connector("source", connections.source()), new Connector("target", connections.target()))
                .verify(new Verifier.Options(checksums, jobs, maxKeys));
        global.out().print(json ? report.toJson() + "\n" : report.toText());
        global.out().flush();
        return report.ok() ? 0 : ErrorCode.VERIFICATION_FAILED.exitCode();
    }
}
