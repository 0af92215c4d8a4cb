package io.passt4j.fwd;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The forwarding rules of one direction and protocol (for instance {@code -t}), as the port
 * SPEC grammar describes them: nothing, automatic detection, every port, or explicit ports.
 *
 * @param mode how ports are chosen
 * @param ports explicit ports, already expanded (ranges, exclusions, translation); empty for
 *     {@link Mode#NONE} and {@link Mode#AUTO}
 */
public record ForwardRules(Mode mode, List<PortForward> ports) {

  /** How the forwarded ports are chosen. */
  public enum Mode {
    /** {@code none}: no port is forwarded. */
    NONE,
    /** {@code auto} (pasta only): ports bound on the other side, rescanned periodically. */
    AUTO,
    /** {@code all} (passt only): every unbound, non-ephemeral port. */
    ALL,
    /** An explicit list of ports (and exclusions). */
    SPEC
  }

  public static final ForwardRules NONE = new ForwardRules(Mode.NONE, List.of());
  public static final ForwardRules AUTO = new ForwardRules(Mode.AUTO, List.of());

  public ForwardRules {
    ports = List.copyOf(ports);
  }

  public boolean isNone() {
    return mode == Mode.NONE || (mode == Mode.SPEC && ports.isEmpty());
  }

  public JsonObject toJson() {
    JsonArray a = new JsonArray();
    for (PortForward p : ports) a.add(p.toJson());
    return new JsonObject().put("mode", mode.name()).put("ports", a);
  }

  public static ForwardRules fromJson(JsonObject o) {
    if (o == null) return NONE;
    List<PortForward> l = new ArrayList<>();
    JsonArray a = o.getJsonArray("ports", new JsonArray());
    for (int i = 0; i < a.size(); i++) l.add(PortForward.fromJson(a.getJsonObject(i)));
    return new ForwardRules(Mode.valueOf(o.getString("mode", "NONE")), l);
  }
}
