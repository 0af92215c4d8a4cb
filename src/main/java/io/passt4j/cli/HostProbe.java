package io.passt4j.cli;

import io.passt4j.impl.host.HostDetector;
import java.io.PrintStream;
import java.util.List;

/**
 * Completes the parsed options from the host ({@link HostDetector}): template interfaces,
 * addresses, gateways, MAC, resolvers, search list. The command line's CLI face of detection:
 * failures become {@link OptionsException}s with passt's wording, warnings go to stderr.
 */
public final class HostProbe {

  private HostProbe() {}

  /** Probes the real host; warnings are printed to stderr unless {@code -q}. */
  public static void apply(Options o) {
    apply(o, new HostDetector(), o.quiet ? null : System.err);
  }

  /** Probes with {@code detector}; prints warnings to {@code warn} when not null. */
  public static void apply(Options o, HostDetector detector, PrintStream warn) {
    List<String> warnings;
    try {
      warnings = detector.apply(o.config, o.hostOverrides());
    } catch (HostDetector.DetectionException e) {
      throw new OptionsException(e.getMessage(), 1);
    }
    if (warn != null) for (String w : warnings) warn.println(w);
    if (o.nsIfname == null && o.mode == io.passt4j.PasstConfig.Mode.PASTA)
      o.nsIfname = o.config.ifname4 != null ? o.config.ifname4 : o.config.ifname6;
  }
}
