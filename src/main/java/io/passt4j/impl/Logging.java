package io.passt4j.impl;

import io.passt4j.spi.Log;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;

/**
 * The process log, configured once by the launcher: levels as passt's {@code -q}, {@code -d},
 * {@code --trace}; standard error and/or a size-limited log file ({@code -l}, {@code
 * --log-size}: when full, the oldest half is dropped).
 */
public final class Logging {

  public static final int ERROR = 0;
  public static final int WARN = 1;
  public static final int INFO = 2;
  public static final int DEBUG = 3;
  public static final int TRACE = 4;

  private static volatile int level = INFO;
  private static volatile boolean toStderr = true;
  private static volatile PrintStream stderr = System.err;
  private static RandomAccessFile file;
  private static long fileLimit = 1 << 20;
  private static final long START = System.nanoTime();

  private Logging() {}

  public static void setLevel(int l) {
    level = l;
  }

  public static int level() {
    return level;
  }

  public static void setStderr(boolean on) {
    toStderr = on;
  }

  /** Logs to {@code path} too, keeping it under {@code limit} bytes; null stops and closes it. */
  public static synchronized void setFile(String path, long limit) throws IOException {
    if (file != null) file.close();
    file = null;
    if (path == null) return;
    file = new RandomAccessFile(path, "rw");
    file.setLength(0);
    fileLimit = limit;
  }

  public static void log(int lvl, String msg) {
    if (lvl > level) return;
    String line = level >= DEBUG
        ? String.format("%d.%04d: %s", (System.nanoTime() - START) / 1_000_000_000L,
            (System.nanoTime() - START) / 100_000L % 10_000, msg)
        : msg;
    if (toStderr) stderr.println(line);
    if (file != null) writeFile(line);
  }

  private static synchronized void writeFile(String line) {
    try {
      byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
      if (file.length() + b.length > fileLimit) rotate();
      file.seek(file.length());
      file.write(b);
    } catch (IOException e) {
      stderr.println("log file: " + e.getMessage());
    }
  }

  private static void rotate() throws IOException {
    long len = file.length();
    byte[] keep = new byte[(int) Math.min(len / 2, Integer.MAX_VALUE)];
    file.seek(len - keep.length);
    file.readFully(keep);
    int nl = 0;
    while (nl < keep.length && keep[nl] != '\n') nl++;
    file.setLength(0);
    file.seek(0);
    file.write(keep, Math.min(nl + 1, keep.length), keep.length - Math.min(nl + 1, keep.length));
  }

  /** A {@link Log} whose lines start with {@code prefix}. */
  public static Log forPrefix(String prefix) {
    String p = prefix == null || prefix.isEmpty() ? "" : prefix + ": ";
    return new Log() {
      @Override public void error(String m) { log(ERROR, p + m); }
      @Override public void warn(String m) { log(WARN, p + m); }
      @Override public void info(String m) { log(INFO, p + m); }
      @Override public void debug(String m) { log(DEBUG, p + m); }
      @Override public void trace(String m) { log(TRACE, p + m); }
      @Override public boolean isTraceEnabled() { return level >= TRACE; }
      @Override public boolean isDebugEnabled() { return level >= DEBUG; }
    };
  }
}
