package io.passt4j.cli;

import io.passt4j.PasstConfig;
import io.passt4j.impl.PluginLoader;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolPlugin;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code --plugin-dir} and {@code --list-plugins}: a class loader over the jars of a plugin
 * directory, handed to {@link io.passt4j.Passt4jVerticle} as its plugin loader, and the listing
 * of every plugin found.
 */
final class PluginDirectory {

  private PluginDirectory() {}

  /**
   * A class loader over the {@code *.jar} files of {@code dir} (in name order), whose parent is
   * ours; null when {@code dir} is null.
   */
  static ClassLoader open(String dir) throws IOException {
    if (dir == null) return null;
    List<Path> jars;
    try (Stream<Path> s = Files.list(Path.of(dir))) {
      jars = s.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p))
          .sorted().collect(Collectors.toList());
    }
    URL[] urls = new URL[jars.size()];
    for (int i = 0; i < urls.length; i++) urls[i] = jars.get(i).toUri().toURL();
    return new URLClassLoader("passt4j-plugins", urls, PluginDirectory.class.getClassLoader());
  }

  /**
   * Prints each plugin found: its name, whether it runs with {@code config}, its description,
   * and the frames it takes.
   */
  static void list(PasstConfig config, ClassLoader extra, PrintStream out) {
    for (ProtocolPlugin p : PluginLoader.load(extra)) {
      boolean on = p.enabled(config);
      out.printf("%-8s %-8s %s%n", p.name(), on ? "enabled" : "disabled", p.description());
      String takes;
      try {
        List<FrameSelector> sel = p.selectors(config);
        takes = sel.isEmpty() ? "nothing"
            : sel.stream().map(FrameSelector::toString).collect(Collectors.joining(", "));
      } catch (IllegalArgumentException e) {
        takes = "nothing: " + e.getMessage();
      }
      out.println("         takes: " + takes);
      new java.util.TreeMap<>(p.options()).forEach((k, v) ->
          out.println("         option " + p.name() + "." + k + ": " + v));
    }
    out.flush();
  }
}
