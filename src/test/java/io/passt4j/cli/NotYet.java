package io.passt4j.cli;

/** Test helper: runs code with one "not supported yet" refusal lifted. */
final class NotYet {

  private NotYet() {}

  static synchronized void without(String feature, Runnable r) {
    boolean had = OptionsParser.notSupportedYet.remove(feature);
    try {
      r.run();
    } finally {
      if (had) OptionsParser.notSupportedYet.add(feature);
    }
  }
}
