package io.passt4j.fwd;

import io.passt4j.spi.DescriptorLimitException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
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
    /**
     * {@code all} (passt only): every non-ephemeral port that can be bound ({@link #toBind()});
     * explicit ports, if any, narrow it (tests, embedding).
     */
    ALL,
    /** An explicit list of ports (and exclusions). */
    SPEC
  }

  public static final ForwardRules NONE = new ForwardRules(Mode.NONE, List.of());
  public static final ForwardRules AUTO = new ForwardRules(Mode.AUTO, List.of());

  public ForwardRules {
    ports = List.copyOf(ports);
  }

  /**
   * The ports to bind: the explicit ones; for {@link Mode#ALL} without any, every non-ephemeral
   * port, 1 to {@link PortSpec#EPHEMERAL_MIN} less one, untranslated. passt binds port 0 as well,
   * which the kernel turns into a random ephemeral port forwarded to guest port 0: not here.
   */
  public List<PortForward> toBind() {
    if (mode != Mode.ALL || !ports.isEmpty()) return ports;
    List<PortForward> l = new ArrayList<>(PortSpec.EPHEMERAL_MIN - 1);
    for (int p = 1; p < PortSpec.EPHEMERAL_MIN; p++) l.add(new PortForward(null, null, p, p));
    return l;
  }

  /** Binds the host sockets of one forwarded port, in one family at least. */
  public interface PortBinder {
    /**
     * @return null when bound, else why not
     * @throws DescriptorLimitException when out of file descriptors
     */
    String bind(PortForward port) throws DescriptorLimitException;
  }

  /**
   * What {@link #bindAll} did.
   *
   * @param error the message to fail the start with, or null
   * @param bound ports bound
   * @param skipped ports of {@code all} that could not be bound (in use, privileged)
   */
  public record Bound(String error, int bound, int skipped) {}

  /**
   * Binds every port of {@link #toBind()} as passt does: a port that can't be bound in any family
   * is skipped (the binder says why), and only none bound at all fails the start ({@code Failed
   * to bind any port for '-t 22,80': why}, the ports as ranges; passt judges each {@code -t}
   * option on its own, these rules hold them together); running out of file descriptors fails
   * at once ({@code Can't open enough sockets for port specifier: all}).
   *
   * @param option {@code -t} or {@code -u}, for the messages
   */
  public Bound bindAll(String option, PortBinder binder) {
    Binding b = new Binding(option, binder);
    b.step(Integer.MAX_VALUE);
    return b.result;
  }

  /** Ports bound in one turn of the event loop by {@link #bindAll(String, PortBinder, Vertx)}. */
  static final int SLICE = 512;

  /**
   * As {@link #bindAll(String, PortBinder)}, {@value #SLICE} ports per turn of the calling
   * context's event loop, so that binding {@code all} (tens of thousands of sockets) does not
   * block it for seconds. Must be called on that event loop.
   */
  public Future<Bound> bindAll(String option, PortBinder binder, Vertx vertx) {
    Promise<Bound> done = Promise.promise();
    Binding b = new Binding(option, binder);
    Runnable[] slice = new Runnable[1];
    slice[0] = () -> {
      if (b.step(SLICE)) done.complete(b.result);
      else vertx.runOnContext(v -> slice[0].run());
    };
    slice[0].run();
    return done.future();
  }

  /** The state of one {@code bindAll}. */
  private final class Binding {
    final String option;
    final PortBinder binder;
    final List<PortForward> ports = toBind();
    final boolean all = mode == Mode.ALL;
    int next;
    int bound;
    int skipped;
    String last;
    Bound result;

    Binding(String option, PortBinder binder) {
      this.option = option;
      this.binder = binder;
    }

    /** Binds up to {@code max} more ports; true when done ({@link #result} set). */
    boolean step(int max) {
      int end = (int) Math.min(ports.size(), (long) next + max);
      for (; next < end; next++) {
        PortForward p = ports.get(next);
        String why;
        try {
          why = binder.bind(p);
        } catch (DescriptorLimitException e) {
          return finish("Can't open enough sockets for port specifier: "
              + (all ? "all" : Integer.toString(p.port())));
        }
        if (why == null) {
          bound++;
        } else {
          skipped++;
          last = why;
        }
      }
      if (next < ports.size()) return false;
      return finish(bound == 0 && skipped > 0
          ? "Failed to bind any port for '" + option + " " + (all ? "all" : ranges(ports))
              + "': " + last
          : null);
    }

    private boolean finish(String error) {
      result = new Bound(error, bound, skipped);
      return true;
    }
  }

  /** The ports of {@code ports} (sorted) as a port list: {@code 22,80-81}. */
  static String ranges(List<PortForward> ports) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < ports.size()) {
      int first = ports.get(i).port();
      int last = first;
      while (i + 1 < ports.size() && ports.get(i + 1).port() == last + 1) last = ports.get(++i).port();
      if (sb.length() > 0) sb.append(',');
      sb.append(first);
      if (last != first) sb.append('-').append(last);
      i++;
    }
    return sb.toString();
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
