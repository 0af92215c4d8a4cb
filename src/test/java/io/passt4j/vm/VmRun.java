package io.passt4j.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of {@code scripts/vm/vm-demo.sh}: a sandbox namespace with a fake uplink, a passt-mode
 * daemon, a real qemu guest; what the guest reported on its console.
 */
final class VmRun {

  /** The repository root (set by Surefire/Failsafe, else the working directory's parent). */
  static final Path ROOT = Path.of(System.getProperty("passt4j.root", "..")).toAbsolutePath().normalize();

  final String daemon;
  final String output;
  final int exitCode;
  final long millis;
  /** CHECK name → "PASS ..." or "FAIL ...". */
  final Map<String, String> checks = new LinkedHashMap<>();
  /** RESULT key → values, in order. */
  final Map<String, List<String>> results = new LinkedHashMap<>();

  private VmRun(String daemon, String output, int exitCode, long millis) {
    this.daemon = daemon;
    this.output = output;
    this.exitCode = exitCode;
    this.millis = millis;
    for (String line : output.split("\n")) {
      if (line.startsWith("CHECK ")) {
        String[] p = line.split(" ", 3);
        if (p.length == 3) checks.putIfAbsent(p[1], p[2]);
      } else if (line.startsWith("RESULT ")) {
        String kv = line.substring(7);
        int eq = kv.indexOf('=');
        if (eq > 0) results.computeIfAbsent(kv.substring(0, eq), k -> new ArrayList<>()).add(kv.substring(eq + 1));
      }
    }
  }

  /** Runs the demo with {@code daemon} (word-split, "-s SOCKET" appended) and guest settings. */
  static VmRun run(String daemon, String guestAppend, int timeoutSeconds) throws IOException, InterruptedException {
    return run("scripts/vm/vm-demo.sh", Map.of("DAEMON", daemon, "GUEST_APPEND", guestAppend),
        timeoutSeconds);
  }

  /**
   * Runs {@code script} (relative to the repository root; a {@code vm-demo.sh}-like script taking
   * {@code --timeout}) with {@code env} added. CHECK and RESULT lines are taken from its whole
   * output, so host-side checks count too.
   */
  static VmRun run(String script, Map<String, String> env, int timeoutSeconds)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("passt4j-vm", ".log");
    ProcessBuilder pb = new ProcessBuilder(ROOT.resolve(script).toString(),
        "--timeout", String.valueOf(timeoutSeconds));
    pb.environment().putAll(env);
    String daemon = env.getOrDefault("DAEMON", "(default)");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    long t0 = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(timeoutSeconds + 120L, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("vm-demo.sh did not finish in time; output:\n" + Files.readString(log));
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.deleteIfExists(log);
    return new VmRun(daemon, out, p.exitValue(), ms);
  }

  String check(String name) {
    return checks.getOrDefault(name, "MISSING");
  }

  boolean passed(String name) {
    return check(name).startsWith("PASS");
  }

  String result(String key) {
    List<String> v = results.get(key);
    return v == null ? null : v.get(0);
  }

  List<String> resultsOf(String key) {
    return results.getOrDefault(key, List.of());
  }
}
