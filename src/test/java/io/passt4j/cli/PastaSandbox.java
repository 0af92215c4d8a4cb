package io.passt4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a shell script inside {@code scripts/vm/sandbox.sh} for the pasta ITs: {@code $OURS} is
 * our {@code scripts/pasta}, {@code $DIR} the test's directory; the whole run, the sandbox's
 * teardown included, is bounded by {@code seconds}.
 */
final class PastaSandbox {

  /** A run's combined output and status. */
  record Run(int rc, String out) {}

  /** Who runs pasta. */
  enum As {
    /** real root (pasta drops to nobody after setting up the namespace). */
    ROOT(""),
    /** uid 1000 in a user namespace: no capabilities over the sandbox's namespaces. */
    USER("unshare --user --map-user=1000 --map-group=1000 --");

    final String prefix;

    As(String prefix) {
      this.prefix = prefix;
    }
  }

  /** A directory for a test, open to everyone (pasta as nobody, the mapped user's servers). */
  static Path tempDir(String prefix) throws IOException {
    Path dir = Files.createTempDirectory(prefix);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    return dir;
  }

  /** Deletes {@code dir} and everything in it. */
  static void delete(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private PastaSandbox() {}

  /**
   * Runs {@code script} with sh in a fresh sandbox, under {@code prefix} (a command and its
   * arguments, separated by single spaces, or empty).
   */
  static Run run(Path dir, String prefix, String script, long seconds)
      throws IOException, InterruptedException {
    Path file = dir.resolve("script-" + UUID.randomUUID() + ".sh");
    Files.writeString(file, script);
    List<String> cmd = new ArrayList<>(List.of("timeout", "-k", "5", String.valueOf(seconds),
        LauncherIT.ROOT.resolve("scripts/vm/sandbox.sh").toString()));
    if (!prefix.isEmpty()) cmd.addAll(List.of(prefix.trim().split(" ")));
    cmd.addAll(List.of("sh", file.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OURS", LauncherIT.ROOT.resolve("scripts/pasta").toString());
    pb.environment().put("DIR", dir.toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(seconds + 10, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
