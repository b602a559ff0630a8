package io.pgferry.pg;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

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

    /** Passwords holding each of the characters that end a URI's parts, unencoded and encoded. */
    static final java.util.List<String> AWKWARD_PASSWORDS = java.util.List.of(
            "hu@nter", "zq@xw@vy", "qz?kw=1", "qz/kw", "qz:kw", "we@k?/:pw", "xq@yz/zk?wq=vj&password=qk");

    @Test
    void masksPasswordsHoldingUriDelimitersWhole() {
        for (String pw : AWKWARD_PASSWORDS) {
            String uri = "postgres://app:" + pw + "@db.example.com:5432/shop?sslmode=require";
            String out = Redaction.redact("cannot connect to '" + uri + "': refused");
            assertThat(out).as(pw).doesNotContain(pw).contains("postgres://app:****@");
            for (String piece : pw.split("[@?/:=&]")) {
                if (piece.length() > 1) {
                    assertThat(out).as(pw).doesNotContain(piece);
                }
            }
            assertThat(Redaction.redact("host=h password=" + pw + " dbname=d"))
                    .as(pw)
                    .doesNotContain(pw)
                    .endsWith(" dbname=d");
        }
        assertThat(Redaction.redact("host=h password='unterminated secret"))
                .doesNotContain("unterminated")
                .doesNotContain("secret");
        assertThat(Redaction.redact("host=h password=a&tail")).doesNotContain("tail");
    }
}
