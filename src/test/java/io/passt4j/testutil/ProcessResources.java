package io.passt4j.testutil;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What a process holds, read from {@code /proc}: open descriptors, resident memory, and the heap
 * in use after a full collection (this JVM), for the bounded-resources checks of the flood and
 * fault tests.
 */
public final class ProcessResources {

  private ProcessResources() {}

  /** Open file descriptors of {@code pid} ("self" for this JVM). */
  public static int openFds(String pid) {
    try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) s.count();
    } catch (IOException e) {
      throw new IllegalStateException("can't list /proc/" + pid + "/fd: " + e.getMessage(), e);
    }
  }

  /** A line of {@code /proc/PID/status} without its name, e.g. {@code status("self", "VmRSS")}. */
  public static String status(String pid, String field) {
    try {
      return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
          .filter(s -> s.startsWith(field + ":")).map(s -> s.substring(field.length() + 1).trim())
          .findFirst().orElseThrow(() -> new IllegalStateException("no " + field));
    } catch (IOException e) {
      throw new IllegalStateException("can't read /proc/" + pid + "/status: " + e.getMessage(), e);
    }
  }

  /** Resident set size of {@code pid} in KiB. */
  public static long rssKiB(String pid) {
    return Long.parseLong(status(pid, "VmRSS").replace("kB", "").trim());
  }

  /** Heap bytes in use in this JVM after asking for full collections. */
  public static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(30);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** This JVM's figures on one line: descriptors, heap after GC, RSS. */
  public static String self() {
    return String.format("fds=%d heapAfterGc=%.1fMiB rss=%.1fMiB", openFds("self"),
        heapAfterGc() / 1048576.0, rssKiB("self") / 1024.0);
  }
}
