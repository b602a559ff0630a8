package io.pgferry.cli;

import io.pgferry.state.MethodKind;
import java.util.Arrays;
import java.util.Iterator;
import picocli.CommandLine;

/** --method dump|logical|copy, as the methods' keys (the names the state store keeps). */
final class MethodKindConverter implements CommandLine.ITypeConverter<MethodKind> {
    @Override
    public MethodKind convert(String value) {
        return Arrays.stream(MethodKind.values())
                .filter(k -> k.key().equalsIgnoreCase(value))
                .findFirst()
                .orElseThrow(() -> new CommandLine.TypeConversionException("expected one of ["
                        + String.join(", ", new Keys()) + "] (case-insensitive) but was '" + value + "'"));
    }

    /** The keys, for ${COMPLETION-CANDIDATES} in the help. */
    static final class Keys implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(MethodKind.values()).map(MethodKind::key).iterator();
        }
    }
}
