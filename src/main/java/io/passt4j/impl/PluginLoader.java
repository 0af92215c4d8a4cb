package io.passt4j.impl;

import io.passt4j.PasstConfig;
import io.passt4j.spi.ProtocolPlugin;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * Finds {@link ProtocolPlugin}s with {@link ServiceLoader}: the thread's context class loader
 * first, our own as fallback; the first plugin of a name wins.
 */
public final class PluginLoader {

  private PluginLoader() {}

  public static List<ProtocolPlugin> load(ClassLoader extra) {
    Map<String, ProtocolPlugin> byName = new LinkedHashMap<>();
    List<ClassLoader> loaders = new ArrayList<>();
    if (extra != null) loaders.add(extra);
    ClassLoader tccl = Thread.currentThread().getContextClassLoader();
    if (tccl != null) loaders.add(tccl);
    loaders.add(PluginLoader.class.getClassLoader());
    for (ClassLoader cl : loaders) {
      try {
        for (ProtocolPlugin p : ServiceLoader.load(ProtocolPlugin.class, cl)) {
          byName.putIfAbsent(p.name(), p);
        }
      } catch (ServiceConfigurationError e) {
        Logging.log(Logging.WARN, "plugin could not be loaded: " + e.getMessage());
      }
    }
    if (byName.isEmpty()) {
      Logging.log(Logging.WARN, "no protocol plugins found: add their jars to the class path,"
          + " each listing its class in META-INF/services/" + ProtocolPlugin.class.getName());
    }
    return new ArrayList<>(byName.values());
  }

  /**
   * Checks {@link PasstConfig#pluginOptions} against what the plugins declare ({@link
   * ProtocolPlugin#options()}): null when every option names a plugin and a key it takes,
   * otherwise the message for the first one that doesn't.
   */
  public static String checkOptions(PasstConfig config, List<ProtocolPlugin> plugins) {
    for (Map.Entry<String, JsonObject> e : config.pluginOptions.entrySet()) {
      ProtocolPlugin p = plugins.stream().filter(x -> x.name().equals(e.getKey())).findFirst()
          .orElse(null);
      if (p == null) {
        return "Invalid option " + e.getKey() + ": no plugin named " + e.getKey()
            + " (see --list-plugins)";
      }
      for (String key : new TreeSet<>(e.getValue().fieldNames())) {
        if (!p.options().containsKey(key)) {
          return "Invalid option " + e.getKey() + "." + key + ": plugin " + e.getKey()
              + (p.options().isEmpty() ? " takes no options"
                  : " takes " + String.join(", ", new TreeSet<>(p.options().keySet())));
        }
      }
    }
    return null;
  }
}
