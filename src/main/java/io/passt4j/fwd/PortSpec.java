package io.passt4j.fwd;

import io.passt4j.PasstConfig;
import io.passt4j.impl.host.InetLiteral;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The port SPEC grammar of {@code -t -u -T -U}, as passt's conf_ports() reads it, accumulated
 * over repeated options of one kind and expanded to {@link ForwardRules}.
 *
 * <pre>
 *   SPEC   := "none" | "all" (passt) | "auto" (pasta) | [ADDR [%IF] "/"] ITEM ("," ITEM)*
 *   ITEM   := RANGE [":" RANGE]   forward, optionally translated (ranges of equal length)
 *           | "~" RANGE           exclude from the other items
 *   RANGE  := PORT ["-" PORT]
 * </pre>
 *
 * Exclusions only ({@code ~20000-20010}) forward every non-ephemeral port (below {@link
 * #EPHEMERAL_MIN}) but the excluded ones. A port given twice, across options too, is an
 * overlap. Errors carry passt's wording: {@code Invalid port specifier 70000}. Port 0, which
 * passt would bind as "any port", is refused as invalid.
 */
public final class PortSpec {

  /** First ephemeral port (RFC 6335), passt's PORT_EPHEMERAL_MIN. */
  public static final int EPHEMERAL_MIN = (1 << 15) + (1 << 14);
  /** Longest interface name: IFNAMSIZ less the terminator. */
  private static final int IFNAMSIZ = 16;

  private final char optname;
  private final PasstConfig.Mode mode;
  private ForwardRules.Mode fwdMode; // null until an option of this kind was given
  private final BitSet map = new BitSet(1 << 16);
  private final Map<Integer, PortForward> ports = new TreeMap<>();

  /**
   * @param optname {@code t}, {@code u}, {@code T} or {@code U}: which option, for messages and
   *     for the rule that binding addresses only apply to {@code -t} and {@code -u}
   * @param mode passt or pasta: {@code all} and {@code auto} belong to one each
   */
  public PortSpec(char optname, PasstConfig.Mode mode) {
    this.optname = optname;
    this.mode = mode;
  }

  /** Parses every spec, in order, into one set of rules. */
  public static ForwardRules parse(char optname, PasstConfig.Mode mode, String... specs) {
    PortSpec p = new PortSpec(optname, mode);
    for (String s : specs) p.add(s);
    return p.rules();
  }

  /** Whether any option of this kind was given. */
  public boolean given() {
    return fwdMode != null;
  }

  /** The accumulated rules; {@link ForwardRules#NONE} when nothing was given. */
  public ForwardRules rules() {
    if (fwdMode == null) return ForwardRules.NONE;
    return switch (fwdMode) {
      case NONE -> ForwardRules.NONE;
      case AUTO -> ForwardRules.AUTO;
      case ALL -> new ForwardRules(ForwardRules.Mode.ALL, List.of());
      case SPEC -> new ForwardRules(ForwardRules.Mode.SPEC, new ArrayList<>(ports.values()));
    };
  }

  /**
   * The man page's rule: unless {@code -u}/{@code -U} is given, UDP ports matching the forwarded
   * TCP ports are forwarded too, without translation.
   */
  public static ForwardRules udpFollowing(ForwardRules tcp) {
    if (tcp.mode() != ForwardRules.Mode.SPEC) return tcp;
    List<PortForward> l = new ArrayList<>();
    for (PortForward p : tcp.ports())
      l.add(new PortForward(p.bindAddress(), p.bindInterface(), p.port(), p.port()));
    return new ForwardRules(ForwardRules.Mode.SPEC, l);
  }

  /** Adds one option's SPEC; throws {@link IllegalArgumentException} with passt's message. */
  public void add(String spec) {
    switch (spec) {
      case "none" -> {
        if (fwdMode != null) throw conflict(spec);
        fwdMode = ForwardRules.Mode.NONE;
        return;
      }
      case "auto" -> {
        if (fwdMode != null) throw conflict(spec);
        if (mode != PasstConfig.Mode.PASTA)
          throw new IllegalArgumentException("'auto' port forwarding is only allowed for pasta");
        fwdMode = ForwardRules.Mode.AUTO;
        return;
      }
      case "all" -> {
        if (fwdMode != null) throw conflict(spec);
        if (mode != PasstConfig.Mode.PASST)
          throw new IllegalArgumentException("'all' port forwarding is only allowed for passt");
        fwdMode = ForwardRules.Mode.ALL;
        map.set(0, EPHEMERAL_MIN);
        return;
      }
      default -> {}
    }
    if (fwdMode != null && fwdMode != ForwardRules.Mode.SPEC)
      throw new IllegalArgumentException(
          "Specific ports cannot be specified together with all/none/auto");
    fwdMode = ForwardRules.Mode.SPEC;

    String addr = null, ifname = null, list = spec;
    int slash = spec.indexOf('/');
    if (slash >= 0) {
      if (optname != 't' && optname != 'u') throw bad(spec);
      String host = spec.substring(0, slash);
      list = spec.substring(slash + 1);
      int pct = host.indexOf('%');
      if (pct >= 0) {
        ifname = host.substring(pct + 1);
        host = host.substring(0, pct);
        if (ifname.isEmpty() || ifname.length() >= IFNAMSIZ - 1) throw bad(spec);
      }
      if (host.isEmpty() && ifname != null) {
        host = null; // "%IF/": interface only, as later passt versions accept
      } else if (InetLiteral.parse(host) == null) {
        throw bad(spec);
      }
      addr = host;
    }

    String[] items = list.split(",", -1);
    // exclusions first: they may follow the ranges they cut
    BitSet exclude = new BitSet(1 << 16);
    boolean excludeOnly = true;
    for (String item : items) {
      if (!item.startsWith("~")) {
        excludeOnly = false;
        continue;
      }
      int[] r = range(item.substring(1), spec, true);
      for (int i = r[0]; i <= r[1]; i++) {
        if (exclude.get(i)) throw overlap(spec);
        exclude.set(i);
      }
    }

    if (excludeOnly) {
      for (int i = 1; i < EPHEMERAL_MIN; i++) {
        if (exclude.get(i)) continue;
        map.set(i);
        ports.put(i, new PortForward(addr, ifname, i, i));
      }
      return;
    }

    for (String item : items) {
      if (item.startsWith("~")) continue;
      int colon = item.indexOf(':');
      int[] orig = range(colon < 0 ? item : item.substring(0, colon), spec, false);
      int[] mapped = orig;
      if (colon >= 0) {
        mapped = range(item.substring(colon + 1), spec, false);
        if (mapped[1] - mapped[0] != orig[1] - orig[0]) throw bad(spec);
      }
      for (int i = orig[0]; i <= orig[1]; i++) {
        if (map.get(i)) throw overlap(spec);
        if (exclude.get(i)) continue;
        map.set(i);
        ports.put(i, new PortForward(addr, ifname, i, i - orig[0] + mapped[0]));
      }
    }
  }

  /** {@code first[-last]}, wholly; port 0 only allowed in exclusions. */
  private static int[] range(String s, String spec, boolean exclusion) {
    int dash = s.indexOf('-');
    String a = dash < 0 ? s : s.substring(0, dash);
    String b = dash < 0 ? s : s.substring(dash + 1);
    long first = port(a), last = port(b);
    if (first < 0 || last < 0 || last < first || last >= (1 << 16)) throw bad(spec);
    if (first == 0 && !exclusion) throw bad(spec);
    return new int[] {(int) first, (int) last};
  }

  /** Decimal digits (strtoul also takes a '+'), -1 when nothing parses. */
  private static long port(String s) {
    if (s.startsWith("+")) s = s.substring(1);
    if (s.isEmpty() || s.length() > 6) return s.matches("[0-9]+") ? 1 << 16 : -1;
    for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return -1;
    return Long.parseLong(s);
  }

  private static IllegalArgumentException bad(String spec) {
    return new IllegalArgumentException("Invalid port specifier " + spec);
  }

  private static IllegalArgumentException overlap(String spec) {
    return new IllegalArgumentException("Overlapping port specifier " + spec);
  }

  private static IllegalArgumentException conflict(String spec) {
    return new IllegalArgumentException(
        "Port forwarding mode '" + spec + "' conflicts with previous mode");
  }
}
