package io.passt4j.plugins.sctp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The plugins end to end: {@code scripts/passt --plugin-dir DIR} with this plugin's jar and the
 * echo plugin's in DIR, inside the sandbox namespace, and a real qemu guest running
 * {@code scripts/vm/guest-plugins.sh}: an SCTP INIT gets ICMP protocol unreachable / ICMPv6
 * parameter problem (this kernel has no SCTP), the echo plugin answers UDP on port 7007 (given
 * with {@code --plugin-opt echo.port=7007}), the built-in UDP handler still carries other ports.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SctpVmIT {

  static final Path ROOT = Path.of(System.getProperty("passt4j.root", "../..")).toAbsolutePath().normalize();

  static final int ECHO_PLUGIN_PORT = 7007;

  String output;
  int exit;

  @BeforeAll
  void boot() throws Exception {
    Path dir = Files.createTempDirectory("passt4j-plugins");
    for (String p : new String[] {"sctp.jar", "echo.jar"}) {
      Path jar = Path.of(System.getProperty(p));
      Files.copy(jar, dir.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
    dir.toFile().setReadable(true, false);
    dir.toFile().setExecutable(true, false);
    Path log = Files.createTempFile("passt4j-plugins-vm", ".log");
    ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("scripts/vm/vm-demo.sh").toString(),
        "--timeout", "180");
    // the echo plugin on another port than its default, through its declared option
    pb.environment().put("DAEMON", ROOT.resolve("scripts/passt") + " -f -e -1 --plugin-dir " + dir
        + " --plugin-opt echo.port=" + ECHO_PLUGIN_PORT);
    pb.environment().put("GUEST_APPEND", "ECHO_PLUGIN_PORT=" + ECHO_PLUGIN_PORT);
    pb.environment().put("GUEST_SCRIPT", ROOT.resolve("scripts/vm/guest-plugins.sh").toString());
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("vm-demo.sh did not finish:\n" + Files.readString(log));
    }
    exit = p.exitValue();
    output = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println(output);
  }

  boolean passed(String check) {
    return output.lines().anyMatch(l -> l.startsWith("CHECK " + check + " PASS"));
  }

  @Test
  void anSctpInitFromTheGuestGetsProtocolUnreachable() {
    assertThat(passed("sctp4")).as(output).isTrue();
    assertThat(passed("sctp6")).as(output).isTrue();
    assertThat(output).contains("SCTP: " + SctpHandler.NO_KERNEL_SCTP);
  }

  @Test
  void theEchoPluginAnswersAndTheUdpHandlerStillCarriesOtherPorts() {
    assertThat(passed("echo4")).as(output).isTrue();
    assertThat(passed("echo6")).as(output).isTrue();
    assertThat(passed("udp4_flow")).as(output).isTrue();
    assertThat(exit).as(output).isZero();
  }
}
