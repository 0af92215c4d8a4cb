package io.passt4j.cli;

/** Test helper: runs code with one "not supported yet" refusal lifted. */
final class NotYet {

  private NotYet() {}

  static synchronized void without(String feature, Runnable r) {
    without(new String[] {feature}, r);
  }

  static synchronized void without(String[] features, Runnable r) {
    java.util.List<String> had = new java.util.ArrayList<>();
    for (String f : features) if (OptionsParser.notSupportedYet.remove(f)) had.add(f);
    try {
      r.run();
    } finally {
      OptionsParser.notSupportedYet.addAll(had);
    }
  }
}
