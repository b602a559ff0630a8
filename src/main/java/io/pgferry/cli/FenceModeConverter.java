package io.pgferry.cli;

import io.pgferry.cutover.CutoverOptions.FenceMode;
import picocli.CommandLine;

/** --fence read-only|none. */
final class FenceModeConverter implements CommandLine.ITypeConverter<FenceMode> {
    @Override
    public FenceMode convert(String value) {
        return FenceMode.of(value)
                .orElseThrow(() ->
                        new CommandLine.TypeConversionException("must be read-only or none, not '" + value + "'"));
    }
}
