package io.passt4j;

/**
 * The event-bus API passt4j offers an embedding host: addresses and payloads. Every address is
 * prefixed with the instance name ({@link PasstConfig#instanceName}, or the random one {@link
 * Passt4jVerticle#instanceName()} reports). Messages are {@link io.vertx.core.json.JsonObject}s
 * published (every consumer gets each one), local to the Vert.x instance.
 *
 * <h2>{@code passt4j.<instance>.events.flow}</h2>
 * One message when a handler opens or closes a flow (a UDP flow, an ICMP echo identifier, a TCP
 * connection):
 * <pre>
 * {"event": "opened" | "closed",
 *  "instance": "vm1", "handler": "udp", "protocol": "udp",
 *  "guest":  {"address": "198.51.100.2", "port": 40000},   the guest's end
 *  "remote": {"address": "198.51.100.1", "port": 10007},   the other end, as the guest sees it
 *  "host":   {"address": "127.0.0.1",    "port": 10007},   where it goes on the host (optional)
 *  "reason": "guest" | "forwarded" | "expired" | "evicted" | "stopped" | "closed" | "reset" | ...,
 *  "time": 1730000000000}                                   milliseconds since the epoch
 * </pre>
 *
 * <h2>{@code passt4j.<instance>.events.counters}</h2>
 * Every {@link PasstConfig#countersInterval} seconds, the JSON of {@link
 * Passt4jVerticle#counters()}: one object per component ("endpoint" and each handler) with
 * {@code framesIn}, {@code bytesIn}, {@code framesOut}, {@code bytesOut}, {@code counters} (named
 * events) and {@code drops} (dropped guest frames by reason).
 */
public final class Passt4jEvents {

  private Passt4jEvents() {}

  /** Where flow events of instance {@code instance} are published. */
  public static String flowAddress(String instance) {
    return "passt4j." + instance + ".events.flow";
  }

  /** Where the periodic counters of instance {@code instance} are published. */
  public static String countersAddress(String instance) {
    return "passt4j." + instance + ".events.counters";
  }
}
