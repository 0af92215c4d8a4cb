package io.passt4j.fwd;

import io.vertx.core.json.JsonObject;

/**
 * One forwarded port: listen on {@code port} (optionally bound to an address and an interface)
 * and deliver to {@code targetPort} on the other side.
 *
 * @param bindAddress literal address to bind, or {@code null} for the wildcard
 * @param bindInterface interface to bind ({@code SO_BINDTODEVICE}), or {@code null}
 * @param port listening port, 1..65535
 * @param targetPort port on the other side, 1..65535
 */
public record PortForward(String bindAddress, String bindInterface, int port, int targetPort) {

  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("port", port).put("targetPort", targetPort);
    if (bindAddress != null) o.put("bindAddress", bindAddress);
    if (bindInterface != null) o.put("bindInterface", bindInterface);
    return o;
  }

  public static PortForward fromJson(JsonObject o) {
    int port = o.getInteger("port");
    return new PortForward(o.getString("bindAddress"), o.getString("bindInterface"), port,
        o.getInteger("targetPort", port));
  }
}
