package io.passt4j.spi;

import io.passt4j.PasstConfig;
import java.util.List;

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

  /** The guest frames the handler takes with this configuration (may be empty). */
  List<FrameSelector> selectors(PasstConfig config);

  /** A new handler for one passt4j instance. */
  ProtocolHandler createHandler();
}
