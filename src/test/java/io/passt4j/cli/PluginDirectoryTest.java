package io.passt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --list-plugins} and {@code --plugin-dir}, through the program's own entry point. */
class PluginDirectoryTest {

  @TempDir Path dir;

  record Run(int status, String out, String err) {}

  static Run run(String argv0, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc = Main.run(argv0, args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** A jar in {@code dir} whose only content is the service file naming {@link DirTestPlugin}. */
  void pluginJar() throws Exception {
    try (OutputStream f = Files.newOutputStream(dir.resolve("dirtest.jar"));
        JarOutputStream j = new JarOutputStream(f)) {
      j.putNextEntry(new JarEntry("META-INF/services/io.passt4j.spi.ProtocolPlugin"));
      j.write((DirTestPlugin.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
      j.closeEntry();
    }
    Files.writeString(dir.resolve("notes.txt"), "not a jar");
  }

  @Test
  void listsTheBuiltInPluginsWithStateDescriptionAndSelectorsInBothModes() {
    for (String prog : new String[] {"passt", "pasta"}) {
      Run r = run(prog, "--list-plugins", "--no-dhcpv6");
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out()).containsPattern("(?m)^udp +enabled +UDP datagrams");
      assertThat(r.out()).containsPattern("(?m)^dhcpv6 +disabled ");
      assertThat(r.out()).contains("takes: ");
      assertThat(r.out()).doesNotContain("dirtest");
    }
  }

  @Test
  void pluginsInAPluginDirectoryAreFoundAndListed() throws Exception {
    pluginJar();
    Run r = run("passt", "--plugin-dir", dir.toString(), "--list-plugins");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("(?m)^dirtest +enabled +found in --plugin-dir$");
    assertThat(r.out()).contains("takes: IPv4 UDP port 9");
  }

  @Test
  void aPluginDirectoryMustBeADirectoryGivenOnce() throws Exception {
    Run r = run("passt", "--plugin-dir", dir.resolve("missing").toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("--plugin-dir: not a directory: " + dir.resolve("missing"));
    r = run("passt", "--plugin-dir", dir.toString(), "--plugin-dir", dir.toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("Multiple --plugin-dir options given");
  }

  @Test
  void pluginOptionsReachThePluginAndAreListed() throws Exception {
    pluginJar();
    Run r = run("passt", "--plugin-dir", dir.toString(), "--plugin-opt", "dirtest.port=4242",
        "--list-plugins");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains("takes: IPv4 UDP port 4242");
    assertThat(r.out()).contains("option dirtest.port: UDP port taken, default 9");
  }

  @Test
  void badPluginOptionsAreRefusedWithTheOffendingValue() throws Exception {
    pluginJar();
    Run r = run("passt", "--plugin-opt", "dirtest");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("--plugin-opt: expected NAME.KEY=VALUE: dirtest");
    r = run("passt", "--plugin-opt", "a.b=1", "--plugin-opt", "a.b=2");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("--plugin-opt: a.b given twice");
    r = run("passt", "--plugin-dir", dir.toString(), "--plugin-opt", "dirtest.port=x",
        "--list-plugins");
    assertThat(r.out()).contains("takes: nothing: Invalid option dirtest.port: not a whole number: x");
  }
}
