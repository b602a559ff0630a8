package io.pgferry.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/** docs/status.schema.json, as the validator every status test checks its JSON with. */
public final class StatusSchema {
    private static final JsonSchema SCHEMA = load();

    private StatusSchema() {}

    private static JsonSchema load() {
        Path file = Path.of("docs/status.schema.json");
        SchemaValidatorsConfig config =
                SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        try (InputStream in = Files.newInputStream(file)) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                    .getSchema(in, config);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file.toAbsolutePath(), e);
        }
    }

    /** Parses {@code json}, asserts it matches the schema, and returns it. */
    public static JsonNode assertValid(String json) {
        try {
            JsonNode node = new ObjectMapper().readTree(json);
            Set<ValidationMessage> errors = SCHEMA.validate(node);
            assertThat(errors)
                    .as("status JSON against docs/status.schema.json:\n" + json)
                    .isEmpty();
            return node;
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
