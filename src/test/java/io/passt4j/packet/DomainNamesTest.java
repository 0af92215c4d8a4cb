package io.passt4j.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Search lists in wire form, with and without RFC 1035 compression. */
class DomainNamesTest {

  @ParameterizedTest(name = "{0} compress={1}")
  @CsvSource(delimiter = '|', value = {
      "example.org test.example | false | 076578616d706c65036f726700 0474657374076578616d706c6500",
      "example.org test.example | true  | 076578616d706c65036f726700 0474657374076578616d706c6500",
      "example.org test.example.org | true | 076578616d706c65036f726700 0474657374c000",
      "example.org test.example.org | false | 076578616d706c65036f726700 0474657374076578616d706c65036f726700",
      "a.b c.b b | true | 0161016200 0163c002 c002",
      "example.org. | false | 076578616d706c65036f726700",
      "bad..name ok | false | 026f6b00",
      "EXAMPLE.org example.ORG | true | 074558414d504c45036f726700 c000",
  })
  void encodes(String names, boolean compress, String hex) {
    byte[] b = DomainNames.encode(List.of(names.split(" ")), compress, 255);
    assertThat(HexFormat.of().formatHex(b)).isEqualTo(hex.replace(" ", ""));
  }

  @ParameterizedTest(name = "max {0}")
  @CsvSource({"12, ''", "13, 076578616d706c65036f726700", "26, 076578616d706c65036f726700"})
  void namesThatDoNotFitAreLeftOut(int max, String hex) {
    byte[] b = DomainNames.encode(List.of("example.org", "test.example"), true, max);
    assertThat(HexFormat.of().formatHex(b)).isEqualTo(hex);
  }
}
