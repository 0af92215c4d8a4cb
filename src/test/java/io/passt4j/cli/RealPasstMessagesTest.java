package io.passt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig.Mode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our first error line and exit status against Debian's passt/pasta (0.0~git20230309) for bad
 * command lines. Every case dies in passt's option loop, before any networking; all the same,
 * the binary runs in the foreground, in a new network namespace, under a timeout.
 */
class RealPasstMessagesTest {

  @BeforeAll
  static void referenceInstalled() {
    assertThat(Path.of("/usr/bin/passt")).as("Debian's passt package (apt-get install passt)")
        .exists();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "passt --userns x", "passt --netns x", "passt --dhcp-dns", "pasta --no-dhcp-dns",
      "passt --dns-forward foo", "passt --trace --trace", "passt -q --trace",
      "passt --log-size 5", "passt -d -d", "passt -q -d", "passt -e -l /x", "passt -l /x -e",
      "passt -s a -s b", "passt -F -1", "passt -m 67", "passt -m 65536", "passt -a foo",
      "passt -a 10.0.0.1 -a 10.0.0.2", "passt -a ::1", "passt -n 33", "passt -n 255.0.255.0",
      "passt -M zz", "passt -g foo", "passt -i lo -i lo", "passt -o foo", "passt -D foo",
      "passt -D none -D none", "passt -D 192.0.2.1 -D none", "passt -S none -S a",
      "passt -1 -1", "passt -4 -6", "passt -s a -F 3", "passt --outbound-if4 a --outbound-if4 b",
      "passt --bogus", "passt -x", "passt -T 22", "pasta -1", "passt --socket",
      "passt --no-dhcp=1", "passt --no-d", "pasta -I a -I b", "passt -p a -p b"})
  void sameFirstLineAndExitStatus(String cmdline) throws Exception {
    String[] words = cmdline.split(" ");
    Mode mode = words[0].equals("pasta") ? Mode.PASTA : Mode.PASST;
    String[] args = java.util.Arrays.copyOfRange(words, 1, words.length);

    List<String> cmd = new ArrayList<>(List.of("timeout", "5", "unshare", "--user",
        "--map-root-user", "--net", "/usr/bin/" + words[0], "-f"));
    cmd.addAll(List.of(args));
    Path err = Files.createTempFile("passt-ref", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
      String realFirst = Files.readAllLines(err, StandardCharsets.UTF_8).stream()
          .filter(l -> !l.startsWith("Failed to send")).findFirst().orElse("");
      int realExit = p.exitValue();

      List<String> ours = new ArrayList<>(List.of("-f"));
      ours.addAll(List.of(args));
      OptionsException e = null;
      try {
        OptionsParser.parse(mode, "/usr/bin/" + words[0], ours.toArray(String[]::new));
      } catch (OptionsException x) {
        e = x;
      }
      assertThat(e).as("we refuse " + cmdline).isNotNull();
      assertThat(e.getMessage().lines().findFirst().orElse("")).isEqualTo(realFirst);
      assertThat(e.exitCode()).isEqualTo(realExit);
    } finally {
      try {
        Files.deleteIfExists(err);
      } catch (IOException ignored) {
        // temp file
      }
    }
  }
}
