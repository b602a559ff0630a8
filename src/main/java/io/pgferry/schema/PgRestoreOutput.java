package io.pgferry.schema;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** pg_restore run on an archive alone, no server (a listing, a script): what it prints, or an error naming {@code what} failed. */
final class PgRestoreOutput {
    private PgRestoreOutput() {}

    static String of(Path pgRestore, Path archive, List<String> options, String what) {
        List<String> cmd = new ArrayList<>();
        cmd.add(pgRestore.toString());
        cmd.addAll(options);
        // "--": a relative --dir starting with '-' would otherwise read as an option
        cmd.add("--");
        cmd.add(archive.toString());
        try {
            Process p = new ProcessBuilder(cmd).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new PgferryException(
                        ErrorCode.FAILED,
                        what + " failed on " + archive + ": " + err.strip(),
                        "delete " + archive + " and run the same command again");
            }
            return out;
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.TOOL_MISSING, "cannot run " + pgRestore + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, "interrupted", null, e);
        }
    }
}
