package io.passt4j.spi;

import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options the user gave one plugin: {@code --plugin-opt NAME.KEY=VALUE} on the command line
 * (values are strings there), or {@code "pluginOptions": {"NAME": {"KEY": value}}} in the JSON
 * configuration of an embedded instance (values may be JSON numbers and booleans too). A plugin
 * reads them in {@link ProtocolPlugin#selectors} and {@link ProtocolHandler#start} through
 * {@link io.passt4j.PasstConfig#pluginOptions(String)}, and declares the keys it knows in
 * {@link ProtocolPlugin#options()}: passt4j refuses to start with a key no plugin declared.
 *
 * <p>The typed getters accept a JSON value of the right type or its text, and throw {@link
 * IllegalArgumentException} with a message naming the plugin, the key and the offending value;
 * thrown from {@code selectors}, it fails the start with that message. Immutable; safe from any
 * thread.
 */
public final class PluginOptions {

  private final String plugin;
  private final JsonObject values;

  public PluginOptions(String plugin, JsonObject values) {
    this.plugin = plugin;
    this.values = values == null ? new JsonObject() : values.copy();
  }

  /** The keys given, sorted. */
  public Set<String> keys() {
    return Collections.unmodifiableSet(new TreeSet<>(values.fieldNames()));
  }

  /** Whether {@code key} was given. */
  public boolean has(String key) {
    return values.containsKey(key);
  }

  /** The value of {@code key} as text, or {@code def} when not given. */
  public String string(String key, String def) {
    Object v = values.getValue(key);
    return v == null ? def : v.toString();
  }

  /**
   * The value of {@code key} as an integer in {@code [min, max]}, or {@code def} when not given.
   *
   * @throws IllegalArgumentException when it is not a whole number in range
   */
  public int integer(String key, int def, int min, int max) {
    Object v = values.getValue(key);
    if (v == null) return def;
    long n;
    try {
      n = v instanceof Number num && !(v instanceof Double || v instanceof Float)
          ? num.longValue() : Long.parseLong(v.toString().trim());
    } catch (NumberFormatException e) {
      throw bad(key, v, "not a whole number");
    }
    if (n < min || n > max) throw bad(key, v, "out of range " + min + "-" + max);
    return (int) n;
  }

  /**
   * The value of {@code key} as a boolean ({@code true}/{@code false}, {@code yes}/{@code no},
   * {@code 1}/{@code 0}), or {@code def} when not given.
   *
   * @throws IllegalArgumentException for any other value
   */
  public boolean bool(String key, boolean def) {
    Object v = values.getValue(key);
    if (v == null) return def;
    if (v instanceof Boolean b) return b;
    switch (v.toString().trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "yes", "1": return true;
      case "false", "no", "0": return false;
      default: throw bad(key, v, "not a boolean");
    }
  }

  private IllegalArgumentException bad(String key, Object v, String why) {
    return new IllegalArgumentException(
        "Invalid option " + plugin + "." + key + ": " + why + ": " + v);
  }

  /** The options as JSON (a copy). */
  public JsonObject toJson() {
    return values.copy();
  }

  /** What {@link ProtocolPlugin#options()} returns when a plugin takes none. */
  public static final Map<String, String> NONE = Map.of();

  @Override
  public String toString() {
    return plugin + values.encode();
  }
}
