package io.passt4j.spi;

/** A handler's log. Messages follow passt's style: what happened, why, and the value. */
public interface Log {

  void error(String msg);

  void warn(String msg);

  void info(String msg);

  void debug(String msg);

  /** Per-packet detail, only with {@code --trace}. */
  void trace(String msg);

  /** Whether {@link #trace(String)} prints: guard string building on hot paths with it. */
  boolean isTraceEnabled();

  boolean isDebugEnabled();
}
