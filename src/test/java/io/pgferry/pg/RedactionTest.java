package io.pgferry.pg;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedactionTest {
    @Test
    void masksPasswordsInUrisKeywordStringsAndParameters() {
        assertThat(Redaction.redact("connecting to postgres://app:s3cr3t@db:5432/x failed"))
                .isEqualTo("connecting to postgres://app:****@db:5432/x failed");
        assertThat(Redaction.redact("host=db password=s3cr3t dbname=x")).isEqualTo("host=db password=**** dbname=x");
        assertThat(Redaction.redact("host=db password='s3 cr3t' dbname=x")).isEqualTo("host=db password=**** dbname=x");
        assertThat(Redaction.redact("jdbc:postgresql://db/x?user=a&password=s3cr3t&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/x?user=a&password=****&ssl=true");
        assertThat(Redaction.redact("PASSWORD = hunter2")).doesNotContain("hunter2");
    }

    @Test
    void leavesTextWithoutSecretsAlone() {
        String plain = "postgres://app@db:5432/x and password_encryption is scram";
        assertThat(Redaction.redact(plain)).isEqualTo(plain);
        assertThat(Redaction.redact(null)).isNull();
    }

    @Test
    void errorsRedactTheirMessagesAndHints() {
        PgferryException e = new PgferryException(ErrorCode.FAILED, "bad postgres://a:pw@h/d", "try password=pw");
        assertThat(e.getMessage()).doesNotContain(":pw@");
        assertThat(e.hint()).doesNotContain("=pw");
    }
}
