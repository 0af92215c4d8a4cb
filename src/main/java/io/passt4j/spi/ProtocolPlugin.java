package io.passt4j.spi;

import io.passt4j.PasstConfig;
import java.util.List;
import java.util.Map;

/**
 * The service a protocol plugin provides, found with {@link java.util.ServiceLoader}: list the
 * implementing class in {@code META-INF/services/io.passt4j.spi.ProtocolPlugin}. Built-in
 * handlers (ARP, DHCP, NDP, DHCPv6, ICMP, UDP) are plugins like any other.
 *
 * <p>Lifecycle: at start, passt4j loads every plugin, keeps those {@link #enabled(PasstConfig)}
 * for the configuration, asks each for its {@link #selectors(PasstConfig)}, and deploys one
 * verticle per plugin that runs the {@link ProtocolHandler} from {@link #createHandler()}.
 * Implementations must be stateless and have a public no-argument constructor.
 */
public interface ProtocolPlugin {

  /**
   * Unique, lower-case name ({@code "udp"}, {@code "sctp"}); {@code --no-NAME} switches off a
   * built-in one, and it prefixes the handler's log lines and counters.
   */
  String name();

  /** One line for {@code --list-plugins}. */
  String description();

  /** Whether to run with this configuration; by default unless its name was switched off. */
  default boolean enabled(PasstConfig config) {
    return config.handlerEnabled(name());
  }

  /**
   * The guest frames the handler takes with this configuration (may be empty). An {@link
   * IllegalArgumentException} thrown here (a bad {@link PluginOptions} value) fails the start with
   * its message.
   */
  List<FrameSelector> selectors(PasstConfig config);

  /**
   * The option keys this plugin reads from {@link io.passt4j.PasstConfig#pluginOptions(String)},
   * each with a one-line description for {@code --list-plugins} (for instance {@code "port" ->
   * "UDP port to answer on, default 7"}). passt4j refuses to start when the user gives a key that
   * is not listed here, or options for a plugin that isn't there. None by default.
   */
  default Map<String, String> options() {
    return PluginOptions.NONE;
  }

  /** A new handler for one passt4j instance. */
  ProtocolHandler createHandler();
}
