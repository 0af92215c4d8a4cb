package io.passt4j.spi;

import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;

/**
 * A flow a handler opened or closed, as published to embedding hosts on {@link
 * io.passt4j.Passt4jEvents#flowAddress(String)}. A flow is whatever the handler maps to host
 * state: a UDP flow is a guest (address, port) with its own host socket, an ICMP flow a guest
 * echo identifier with its ping socket.
 *
 * @param protocol "udp", "icmp", "icmpv6", "sctp"... (lower case)
 * @param guest the guest's end: its address and port (for ICMP, the echo identifier)
 * @param remote the other end as the guest sees it (for instance the gateway), or null
 * @param host where the flow goes on the host side (after address mapping), or null
 * @param reason why: on open "guest" (the guest sent first) or "forwarded" (a forwarded port
 *     received); on close "expired" (idle), "evicted" (table full), "stopped" (shutdown), or a
 *     handler's own word
 */
public record FlowEvent(String protocol, InetSocketAddress guest, InetSocketAddress remote,
    InetSocketAddress host, String reason) {

  /**
   * The event's JSON payload: {@code {"event", "instance", "handler", "protocol", "guest",
   * "remote", "host", "reason", "time"}}, endpoints as {@code {"address", "port"}} or absent.
   */
  public JsonObject toJson(String event, String instance, String handler) {
    JsonObject o = new JsonObject().put("event", event).put("instance", instance)
        .put("handler", handler).put("protocol", protocol);
    if (guest != null) o.put("guest", endpoint(guest));
    if (remote != null) o.put("remote", endpoint(remote));
    if (host != null) o.put("host", endpoint(host));
    return o.put("reason", reason).put("time", System.currentTimeMillis());
  }

  private static JsonObject endpoint(InetSocketAddress a) {
    String addr = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    int pct = addr.indexOf('%');
    return new JsonObject().put("address", pct < 0 ? addr : addr.substring(0, pct))
        .put("port", a.getPort());
  }
}
