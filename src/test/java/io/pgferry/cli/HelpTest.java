package io.pgferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's help reads well on an 80-column terminal: descriptions are paragraphs that
 * picocli wraps at words; headers, footers and examples are laid out by hand to fit.
 */
class HelpTest {
    private static final int COLUMNS = 80;

    private static List<CommandLine> everyCommand() {
        CommandLine root = Main.commandLine();
        List<CommandLine> all = new ArrayList<>(List.of(root));
        all.addAll(root.getSubcommands().values());
        return all;
    }

    @Test
    void renderedHelpFitsEightyColumns() {
        for (CommandLine cl : everyCommand()) {
            cl.getCommandSpec().usageMessage().width(COLUMNS);
            String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertThat(help.lines())
                    .as(cl.getCommandName())
                    .allSatisfy(line -> assertThat(line.length()).as(line).isLessThanOrEqualTo(COLUMNS));
        }
    }

    /** picocli prints these lines as declared: one longer than the terminal would be cut mid-sentence. */
    @Test
    void headersAndFootersAreLaidOutForEightyColumns() {
        List<String> tooLong = new ArrayList<>();
        for (CommandLine cl : everyCommand()) {
            CommandLine.Model.UsageMessageSpec usage = cl.getCommandSpec().usageMessage();
            for (String[] block : List.of(usage.header(), usage.footer())) {
                for (String line : block) {
                    if (line.length() > COLUMNS) {
                        tooLong.add(cl.getCommandName() + ": " + line);
                    }
                }
            }
        }
        assertThat(tooLong).isEmpty();
    }

    @Test
    void cutoversDescriptionWrapsAtWordsWithoutOrphans() {
        CommandLine cutover = Main.commandLine().getSubcommands().get("cutover");
        cutover.getCommandSpec().usageMessage().width(COLUMNS);
        String help = cutover.getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(help)
                .contains(
                        "Switches a streaming migration over: checks the stream and its lag, fences\nwrites on the source,");
        assertThat(help).doesNotContain("writes on the\nsource");
    }

    @Test
    void linesJoinIntoParagraphsThatEndAtBlankLinesAndSentences() {
        String[] declared = {
            "Before cutover: stops the stream, empties the target",
            "database of what it put there.",
            "After a cutover with --reverse: switches back",
            "without losing writes.",
            "",
            "Safe to run twice."
        };
        assertThat(HelpText.paragraphs(declared))
                .containsExactly(
                        "Before cutover: stops the stream, empties the target database of what it put there.",
                        "After a cutover with --reverse: switches back without losing writes.",
                        "",
                        "Safe to run twice.");
    }
}
