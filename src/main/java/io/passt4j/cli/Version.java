package io.passt4j.cli;

/** The text of {@code --version}. */
public final class Version {

  /** Version of passt whose command line and behaviour we follow. */
  public static final String PASST_COMPAT = "0.0~git20230309";

  private Version() {}

  /** Our version, from the jar manifest when packaged. */
  public static String version() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v != null ? v : "0.1.0-SNAPSHOT";
  }

  /** What {@code --version} prints, lines ending with '\n'. */
  public static String text() {
    return "passt4j " + version() + "\n"
        + "command line, messages and exit codes of passt " + PASST_COMPAT + "\n";
  }
}
