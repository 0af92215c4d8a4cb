package io.passt4j.cli;

/**
 * A command line passt would refuse: the message as passt prints it (without program-name
 * prefix unless getopt's own), and the exit code (1, like passt's die() and usage()).
 */
public final class OptionsException extends RuntimeException {

  private final int exitCode;

  public OptionsException(String message, int exitCode) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  public OptionsException(String message) {
    this(message, 1);
  }

  /** Process exit status to use. */
  public int exitCode() {
    return exitCode;
  }
}
