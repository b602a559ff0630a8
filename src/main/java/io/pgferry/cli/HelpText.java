package io.pgferry.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Lets picocli wrap every command's description at the terminal's width. picocli prints each
 * declared line as it is and wraps a line longer than the terminal on its own, which leaves a
 * full line and an orphan mid-sentence; joined into paragraphs, the text wraps at words.
 */
final class HelpText {
    private HelpText() {}

    /** Applies {@link #paragraphs} to the descriptions of {@code cl} and all its subcommands. */
    static void reflow(CommandLine cl) {
        CommandLine.Model.UsageMessageSpec usage = cl.getCommandSpec().usageMessage();
        usage.description(paragraphs(usage.description()));
        cl.getSubcommands().values().forEach(HelpText::reflow);
    }

    /**
     * Joins declared lines into paragraphs. A paragraph ends at a blank line, or where a line
     * ends a sentence and the next begins with a capital (a new thought, as in rollback's
     * "Before cutover: ..." and "After a cutover ...").
     */
    static String[] paragraphs(String[] lines) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : lines) {
            String line = raw.strip();
            boolean startsNew = line.isEmpty()
                    || current.length() > 0 && endsSentence(current) && Character.isUpperCase(line.charAt(0));
            if (startsNew && current.length() > 0) {
                out.add(current.toString());
                current.setLength(0);
            }
            if (line.isEmpty()) {
                out.add("");
            } else {
                current.append(current.length() > 0 ? " " : "").append(line);
            }
        }
        if (current.length() > 0) {
            out.add(current.toString());
        }
        return out.toArray(String[]::new);
    }

    private static boolean endsSentence(CharSequence text) {
        char last = text.charAt(text.length() - 1);
        return last == '.' || last == ':' || last == ')' && text.toString().endsWith(".)");
    }
}
