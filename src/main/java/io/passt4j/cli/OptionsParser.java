package io.passt4j.cli;

import io.passt4j.PasstConfig;
import io.passt4j.PasstConfig.Mode;
import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortSpec;
import io.passt4j.impl.host.InetLiteral;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The command line of passt and pasta (0.0~git20230309), read the way its conf.c does: one
 * option table, getopt_long semantics (clustered short options, {@code -sPATH}, {@code
 * --opt=value}, unambiguous abbreviations, argument permutation, {@code --}), then the checks
 * passt makes after the option loop, in its order, with its wording.
 *
 * <p>Differences, each deliberate: long forms of options the other mode's getopt string lacks
 * ({@code --socket} in pasta, {@code --ns-ifname}, {@code --tcp-ns}... in passt) are refused
 * with passt's "is for X mode only" wording instead of being silently taken; {@code -n}
 * without {@code -a} overrides the prefix length (passt 2023 made IPv4 unusable); {@code -S}
 * splits its value at blanks; a few options of later passt versions are accepted; features we
 * don't have yet are refused by {@link #NOT_SUPPORTED_YET}.
 */
public final class OptionsParser {

  /**
   * Features parsed but refused for now, each with "not supported yet: NAME" and exit 1. Remove a
   * name here when the feature lands.
   */
  public static final Set<String> NOT_SUPPORTED_YET;

  /** Backing set of {@link #NOT_SUPPORTED_YET}; tests lift entries to exercise parsing. */
  static final Set<String> notSupportedYet =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    notSupportedYet.addAll(List.of("pasta --fd"));
    NOT_SUPPORTED_YET = java.util.Collections.unmodifiableSet(notSupportedYet);
  }

  /** Most resolvers and search domains passt keeps (MAXNS + 1, MAXDNSRCH). */
  private static final int MAX_DNS = 4, MAX_SEARCH = 6, MAX_DNAME = 1024;
  private static final int IFNAMSIZ = 16, UNIX_PATH_MAX = 108, PATH_MAX = 4096;
  private static final int ETH_MIN_MTU = 68, ETH_MAX_MTU = 65535;

  private interface Handler {
    void handle(State s, String arg);
  }

  /** One option: long name, short letter (0 if none), argument, mode it is limited to. */
  private record Opt(String name, char letter, boolean hasArg, Mode only, Handler handler) {}

  private static Opt opt(String name, char letter, boolean hasArg, Mode only, Handler h) {
    return new Opt(name, letter, hasArg, only, h);
  }

  /** The option table, in passt's order (its ambiguity messages list them so). */
  private static final List<Opt> OPTIONS = List.of(
      opt("debug", 'd', false, null, (s, a) -> {
        if (s.o.debug) s.die("Multiple --debug options given");
        if (s.o.quiet) s.die("Either --debug or --quiet");
        s.o.debug = true;
      }),
      opt("quiet", 'q', false, null, (s, a) -> {
        if (s.o.quiet) s.die("Multiple --quiet options given");
        if (s.o.debug) s.die("Either --debug or --quiet");
        s.o.quiet = true;
      }),
      opt("foreground", 'f', false, null, (s, a) -> {
        if (s.o.foreground) s.die("Multiple --foreground options given");
        s.o.foreground = true;
      }),
      opt("stderr", 'e', false, null, (s, a) -> {
        if (s.o.logFile != null) s.die("Can't log to both file and stderr");
        if (s.o.stderr) s.die("Multiple --stderr options given");
        s.o.stderr = true;
      }),
      opt("log-file", 'l', true, null, (s, a) -> {
        if (s.o.stderr) s.die("Can't log to both stderr and file");
        if (s.o.logFile != null) s.die("Multiple --log-file options given");
        s.o.logFile = a;
      }),
      opt("help", 'h', false, null, (s, a) -> s.o.help = true),
      opt("socket", 's', true, Mode.PASST, (s, a) -> {
        if (s.c.socketPath != null) s.die("Multiple --socket options given");
        if (a.isEmpty() || a.length() >= UNIX_PATH_MAX - 1) s.die("Invalid socket path: " + a);
        s.c.socketPath = a;
      }),
      opt("fd", 'F', true, null, (s, a) -> {
        if (s.c.fd >= 0) s.die("Multiple --fd options given");
        Strtol v = Strtol.parse(a);
        if (v.value < 0 || v.value > Integer.MAX_VALUE || v.overflow) s.die("Invalid --fd: " + a);
        s.c.fd = (int) v.value;
        s.c.oneOff = true;
      }),
      opt("ns-ifname", 'I', true, Mode.PASTA, (s, a) -> {
        if (s.o.nsIfname != null) s.die("Multiple --ns-ifname options given");
        if (a.isEmpty() || a.length() >= IFNAMSIZ - 1) s.die("Invalid interface name: " + a);
        s.o.nsIfname = a;
      }),
      opt("pcap", 'p', true, null, (s, a) -> {
        if (s.c.pcapPath != null) s.die("Multiple --pcap options given");
        if (a.isEmpty() || a.length() >= PATH_MAX) s.die("Invalid pcap path: " + a);
        s.c.pcapPath = a;
      }),
      opt("pid", 'P', true, null, (s, a) -> {
        if (s.o.pidFile != null) s.die("Multiple --pid options given");
        if (a.isEmpty() || a.length() >= PATH_MAX) s.die("Invalid PID file: " + a);
        s.o.pidFile = a;
      }),
      opt("mtu", 'm', true, null, (s, a) -> {
        if (s.o.mtu != null) s.die("Multiple --mtu options given");
        Strtol v = Strtol.parse(a);
        if (v.value == 0 && !v.overflow) {
          s.o.mtu = a;
          s.c.mtu = 0; // no MTU advertised
          return;
        }
        if (v.value < ETH_MIN_MTU || v.value > ETH_MAX_MTU || v.overflow) s.die("Invalid MTU: " + a);
        s.o.mtu = a;
        s.c.mtu = (int) v.value;
      }),
      opt("address", 'a', true, null, (s, a) -> {
        Inet6Address v6 = InetLiteral.parse6(a);
        if (s.c.addr6 == null && v6 != null && !v6.isAnyLocalAddress() && !v6.isLoopbackAddress()
            && !InetLiteral.isV4Mapped(v6) && !InetLiteral.isV4Compat(v6)
            && !v6.isMulticastAddress()) {
          s.c.addr6 = v6;
        } else {
          Inet4Address v4 = InetLiteral.parse4(a);
          if (s.c.addr4 == null && v4 != null && !v4.isAnyLocalAddress()
              && !InetLiteral.isBroadcast4(v4) && !v4.isLoopbackAddress()
              && !v4.isMulticastAddress()) {
            s.c.addr4 = v4;
          } else {
            s.die("Invalid address: " + a);
          }
        }
        s.o.addresses.add(a);
      }),
      opt("netmask", 'n', true, null, (s, a) -> {
        int len = ip4Prefix(a);
        if (len < 0) s.die("Invalid netmask: " + a);
        s.c.prefixLen4 = len;
        s.o.netmask = len == 0 ? null : a; // 0: derive, as passt does
      }),
      opt("mac-addr", 'M', true, null, (s, a) -> {
        s.c.ourMac = mac(s, a);
        s.o.macAddr = a;
      }),
      opt("gateway", 'g', true, null, (s, a) -> {
        Inet6Address v6 = InetLiteral.parse6(a);
        if (s.c.gateway6 == null && v6 != null && !v6.isAnyLocalAddress()
            && !v6.isLoopbackAddress()) {
          s.c.gateway6 = v6;
        } else {
          Inet4Address v4 = InetLiteral.parse4(a);
          if (s.c.gateway4 == null && v4 != null && !v4.isAnyLocalAddress()
              && !InetLiteral.isBroadcast4(v4) && !v4.isLoopbackAddress()) {
            s.c.gateway4 = v4;
          } else {
            s.die("Invalid gateway address: " + a);
          }
        }
        s.o.gateways.add(a);
      }),
      opt("interface", 'i', true, null, (s, a) -> {
        if (s.o.iface != null) s.die("Redundant interface: " + a);
        s.o.iface = a; // existence: checked by host detection, with passt's wording
      }),
      opt("outbound", 'o', true, null, (s, a) -> {
        Inet6Address v6 = InetLiteral.parse6(a);
        if (s.c.outbound6 == null && v6 != null && !v6.isAnyLocalAddress()
            && !v6.isLoopbackAddress() && !InetLiteral.isV4Mapped(v6)
            && !InetLiteral.isV4Compat(v6) && !v6.isMulticastAddress()) {
          s.c.outbound6 = v6;
        } else {
          Inet4Address v4 = InetLiteral.parse4(a);
          if (s.c.outbound4 == null && v4 != null && !v4.isAnyLocalAddress()
              && !InetLiteral.isBroadcast4(v4) && !v4.isMulticastAddress()) {
            s.c.outbound4 = v4;
          } else {
            s.die("Invalid or redundant outbound address: " + a);
          }
        }
        s.o.outbound.add(a);
      }),
      opt("dns", 'D', true, null, (s, a) -> {
        s.o.dns.add(a);
        if (a.equals("none")) {
          if (s.o.dnsNone) s.die("Redundant DNS options");
          if (!s.c.dns4.isEmpty() || !s.c.dns6.isEmpty()) s.die("Conflicting DNS options");
          s.o.dnsNone = true;
          return;
        }
        if (s.o.dnsNone) s.die("Conflicting DNS options");
        Inet4Address v4 = InetLiteral.parse4(a);
        if (s.c.dns4.size() < MAX_DNS && v4 != null) {
          s.c.dns4.add(v4);
          return;
        }
        Inet6Address v6 = InetLiteral.parse6(a);
        if (s.c.dns6.size() < MAX_DNS && v6 != null) {
          s.c.dns6.add(v6);
          return;
        }
        s.die("Cannot use DNS address " + a);
      }),
      opt("search", 'S', true, null, (s, a) -> {
        s.o.search.add(a);
        if (a.equals("none")) {
          if (s.o.searchNone) s.die("Redundant DNS search options");
          if (!s.c.searchDomains.isEmpty()) s.die("Conflicting DNS search options");
          s.o.searchNone = true;
          return;
        }
        if (s.o.searchNone) s.die("Conflicting DNS search options");
        String[] names = a.trim().split("[ \t]+");
        for (String n : names) {
          if (s.c.searchDomains.size() >= MAX_SEARCH || n.isEmpty() || n.length() > MAX_DNAME)
            s.die("Cannot use DNS search domain " + a);
          s.c.searchDomains.add(n);
        }
      }),
      opt("no-tcp", (char) 0, false, null, (s, a) -> s.c.disabledHandlers.add("tcp")),
      opt("no-udp", (char) 0, false, null, (s, a) -> s.c.disabledHandlers.add("udp")),
      opt("no-icmp", (char) 0, false, null, (s, a) -> s.c.disabledHandlers.add("icmp")),
      opt("no-dhcp", (char) 0, false, null, (s, a) -> s.c.disabledHandlers.add("dhcp")),
      opt("no-dhcpv6", (char) 0, false, null, (s, a) -> s.c.disabledHandlers.add("dhcpv6")),
      opt("no-ndp", (char) 0, false, null, (s, a) -> s.c.disabledHandlers.add("ndp")),
      opt("no-ra", (char) 0, false, null, (s, a) -> s.c.noRa = true),
      opt("no-map-gw", (char) 0, false, null, (s, a) -> s.c.noMapGw = true),
      opt("ipv4-only", '4', false, null, (s, a) -> s.o.ipv4Only = true),
      opt("ipv6-only", '6', false, null, (s, a) -> s.o.ipv6Only = true),
      opt("one-off", '1', false, Mode.PASST, (s, a) -> {
        if (s.oneOffGiven) s.die("Redundant --one-off option");
        s.oneOffGiven = true;
        s.c.oneOff = true;
      }),
      opt("tcp-ports", 't', true, null, (s, a) -> s.port('t', a)),
      opt("udp-ports", 'u', true, null, (s, a) -> s.port('u', a)),
      opt("tcp-ns", 'T', true, Mode.PASTA, (s, a) -> s.port('T', a)),
      opt("udp-ns", 'U', true, Mode.PASTA, (s, a) -> s.port('U', a)),
      opt("userns", (char) 0, true, Mode.PASTA, (s, a) -> {
        if (a.isEmpty() || a.length() >= PATH_MAX) s.die("Invalid userns: " + a);
        s.o.userns = a;
        s.usernsGiven = true;
      }),
      opt("netns", (char) 0, true, Mode.PASTA, (s, a) -> {
        String p = a.indexOf('/') < 0 ? "/run/netns/" + a : a;
        if (a.isEmpty() || p.length() >= PATH_MAX)
          s.die("Network namespace name/path " + a + " too long");
        s.o.netns = p;
      }),
      opt("netns-only", (char) 0, false, Mode.PASTA, (s, a) -> s.o.netnsOnly = true),
      opt("config-net", (char) 0, false, Mode.PASTA, (s, a) -> s.o.configNet = true),
      opt("ns-mac-addr", (char) 0, true, Mode.PASTA, (s, a) -> s.o.nsMacAddr = mac(s, a)),
      opt("dhcp-dns", (char) 0, false, Mode.PASTA, (s, a) -> s.o.dhcpDns = true),
      opt("no-dhcp-dns", (char) 0, false, Mode.PASST, (s, a) -> s.c.noDhcpDns = true),
      opt("dhcp-search", (char) 0, false, Mode.PASTA, (s, a) -> s.o.dhcpSearch = true),
      opt("no-dhcp-search", (char) 0, false, Mode.PASST, (s, a) -> s.c.noDhcpSearch = true),
      opt("dns-forward", (char) 0, true, null, (s, a) -> {
        Inet6Address v6 = InetLiteral.parse6(a);
        if (s.c.dnsForward6 == null && v6 != null && !v6.isAnyLocalAddress()
            && !v6.isLoopbackAddress()) {
          s.c.dnsForward6 = v6;
          return;
        }
        Inet4Address v4 = InetLiteral.parse4(a);
        if (s.c.dnsForward4 == null && v4 != null && !v4.isAnyLocalAddress()
            && !InetLiteral.isBroadcast4(v4) && !v4.isLoopbackAddress()) {
          s.c.dnsForward4 = v4;
          return;
        }
        s.die("Invalid DNS forwarding address: " + a);
      }),
      opt("no-netns-quit", (char) 0, false, Mode.PASTA, (s, a) -> s.o.noNetnsQuit = true),
      opt("trace", (char) 0, false, null, (s, a) -> {
        if (s.o.trace) s.die("Multiple --trace options given");
        if (s.o.quiet) s.die("Either --trace or --quiet");
        s.o.trace = s.o.debug = true;
      }),
      opt("runas", (char) 0, true, null, (s, a) -> {
        if (s.o.runas != null) s.die("Multiple --runas options given");
        s.o.runas = a;
      }),
      opt("log-size", (char) 0, true, null, (s, a) -> {
        if (s.logSizeGiven) s.die("Multiple --log-size options given");
        s.logSizeGiven = true;
        Strtol v = Strtol.parse(a);
        if (v.value < Options.MIN_LOG_SIZE || v.overflow) s.die("Invalid --log-size: " + a);
        s.o.logSize = v.value;
      }),
      opt("version", (char) 0, false, null, (s, a) -> s.o.version = true),
      opt("outbound-if4", (char) 0, true, null, (s, a) -> {
        if (s.c.outboundIf4 != null) s.die("Redundant outbound interface: " + a);
        if (a.isEmpty() || a.length() >= IFNAMSIZ) s.die("Invalid interface name: " + a);
        s.c.outboundIf4 = a;
      }),
      opt("outbound-if6", (char) 0, true, null, (s, a) -> {
        if (s.c.outboundIf6 != null) s.die("Redundant outbound interface: " + a);
        if (a.isEmpty() || a.length() >= IFNAMSIZ) s.die("Invalid interface name: " + a);
        s.c.outboundIf6 = a;
      }),
      // ---- later passt versions, as integrators pass them
      opt("map-guest-addr", (char) 0, true, null, (s, a) -> {
        InetAddress x = natAddress(s, a);
        if (x instanceof Inet6Address) s.c.mapGuestAddr6 = x;
        else if (x != null) s.c.mapGuestAddr4 = x;
        else s.c.mapGuestAddr4 = s.c.mapGuestAddr6 = null;
      }),
      opt("map-host-loopback", (char) 0, true, null, (s, a) -> {
        InetAddress x = natAddress(s, a);
        if (x instanceof Inet6Address) s.c.mapHostLoopback6 = x;
        else if (x != null) s.c.mapHostLoopback4 = x;
        else {
          s.c.mapHostLoopback4 = s.c.mapHostLoopback6 = null;
          s.c.noMapGw = true;
        }
      }),
      opt("dns-host", (char) 0, true, null, (s, a) -> {
        InetAddress x = InetLiteral.parse(a);
        if (x == null || x.isAnyLocalAddress() || x.isMulticastAddress())
          s.die("Invalid host nameserver address: " + a);
        if (x instanceof Inet6Address v6) s.c.dnsHost6 = v6;
        else s.c.dnsHost4 = (Inet4Address) x;
      }),
      opt("no-splice", (char) 0, false, null, (s, a) -> s.o.noSplice = s.c.noSplice = true),
      // ---- passt4j's own
      opt("list-plugins", (char) 0, false, null, (s, a) -> s.o.listPlugins = true),
      opt("plugin-dir", (char) 0, true, null, (s, a) -> {
        if (s.o.pluginDir != null) s.die("Multiple --plugin-dir options given");
        if (a.isEmpty() || !java.nio.file.Files.isDirectory(java.nio.file.Path.of(a)))
          s.die("--plugin-dir: not a directory: " + a);
        s.o.pluginDir = a;
      }),
      opt("plugin-opt", (char) 0, true, null, (s, a) -> {
        int dot = a.indexOf('.');
        int eq = a.indexOf('=');
        if (dot <= 0 || eq <= dot + 1) s.die("--plugin-opt: expected NAME.KEY=VALUE: " + a);
        String name = a.substring(0, dot);
        String key = a.substring(dot + 1, eq);
        io.vertx.core.json.JsonObject opts =
            s.c.pluginOptions.computeIfAbsent(name, k -> new io.vertx.core.json.JsonObject());
        if (opts.containsKey(key)) s.die("--plugin-opt: " + name + "." + key + " given twice");
        opts.put(key, a.substring(eq + 1));
      }));

  private OptionsParser() {}

  /** Prints the usage text for {@code mode} (what {@code -h} asks for). */
  public static void usage(Mode mode, java.io.PrintStream out) {
    out.print(Usage.text(mode, mode == Mode.PASTA ? "pasta" : "passt"));
    out.flush();
  }

  /** Parses {@code args} (without argv[0]) for {@code mode}, named passt or pasta. */
  public static Options parse(Mode mode, String[] args) {
    return parse(mode, mode == Mode.PASTA ? "pasta" : "passt", args);
  }

  /** Parses {@code args}; {@code programName} prefixes getopt's messages, as argv[0] does. */
  public static Options parse(Mode mode, String programName, String[] args) {
    State s = new State(mode, programName);
    List<String> positional = new ArrayList<>();
    int i = 0;
    while (i < args.length) {
      String a = args[i++];
      if (a.equals("--")) {
        while (i < args.length) positional.add(args[i++]);
        break;
      }
      if (a.startsWith("--")) {
        i = longOption(s, a, args, i);
      } else if (a.startsWith("-") && a.length() > 1) {
        i = shortOptions(s, a, args, i);
      } else {
        positional.add(a); // GNU getopt permutes: options may follow
      }
      if (s.o.help || s.o.version) return s.o; // passt prints and exits right there
    }
    finish(s, positional);
    return s.o;
  }

  // ---- getopt_long

  private static int longOption(State s, String a, String[] args, int i) {
    String body = a.substring(2);
    int eq = body.indexOf('=');
    String name = eq < 0 ? body : body.substring(0, eq);
    Opt found = null;
    List<Opt> candidates = new ArrayList<>();
    for (Opt o : OPTIONS) {
      if (o.name.equals(name)) {
        found = o;
        break;
      }
      if (o.name.startsWith(name)) candidates.add(o);
    }
    if (found == null) {
      if (candidates.isEmpty() || name.isEmpty())
        s.usage("unrecognized option '" + a + "'");
      if (candidates.size() > 1) {
        StringBuilder sb = new StringBuilder("option '" + a + "' is ambiguous; possibilities:");
        for (Opt o : candidates) sb.append(" '--").append(o.name).append('\'');
        s.usage(sb.toString());
      }
      found = candidates.get(0);
    }
    String arg = null;
    if (found.hasArg) {
      if (eq >= 0) arg = body.substring(eq + 1);
      else if (i < args.length) arg = args[i++];
      else s.usage("option '--" + found.name + "' requires an argument");
    } else if (eq >= 0) {
      s.usage("option '--" + found.name + "' doesn't allow an argument");
    }
    run(s, found, arg, "--" + found.name);
    return i;
  }

  private static int shortOptions(State s, String a, String[] args, int i) {
    for (int k = 1; k < a.length(); k++) {
      char ch = a.charAt(k);
      Opt found = null;
      for (Opt o : OPTIONS)
        if (o.letter == ch && (o.only == null || o.only == s.mode)) found = o;
      if (found == null) s.usage("invalid option -- '" + ch + "'");
      String arg = null;
      if (found.hasArg) {
        if (k + 1 < a.length()) arg = a.substring(k + 1);
        else if (i < args.length) arg = args[i++];
        else s.usage("option requires an argument -- '" + ch + "'");
        run(s, found, arg, "-" + ch);
        return i;
      }
      run(s, found, null, "-" + ch);
      if (s.o.help || s.o.version) return i;
    }
    return i;
  }

  private static void run(State s, Opt o, String arg, String spelled) {
    if (o.only != null && o.only != s.mode)
      s.die("--" + o.name + " is for " + (o.only == Mode.PASTA ? "pasta" : "passt") + " mode only");
    o.handler.handle(s, arg);
  }

  // ---- after the option loop, in conf.c's order

  private static void finish(State s, List<String> positional) {
    Options o = s.o;
    PasstConfig c = s.c;
    if (o.ipv4Only && o.ipv6Only) s.die("Options ipv4-only and ipv6-only are mutually exclusive");
    if (c.socketPath != null && c.fd >= 0) s.die("Options --socket and --fd are mutually exclusive");
    c.ipv4 = !o.ipv6Only;
    c.ipv6 = !o.ipv4Only;

    PortSpec t = new PortSpec('t', s.mode), u = new PortSpec('u', s.mode);
    PortSpec tNs = new PortSpec('T', s.mode), uNs = new PortSpec('U', s.mode);
    for (String[] p : s.ports) {
      PortSpec target = switch (p[0]) {
        case "t" -> t;
        case "u" -> u;
        default -> null;
      };
      if (target != null) addSpec(s, target, p[1]);
    }

    if (s.mode == Mode.PASTA) {
      if (o.netnsOnly && o.userns != null) s.die("Both --userns and --netns-only given");
      if (o.netns != null && !positional.isEmpty()) s.die("Both --netns and PID or command given");
      if (positional.size() == 1) {
        Strtol v = Strtol.parse(positional.get(0));
        if (v.end == positional.get(0).length() && v.end > 0) {
          if (v.value < 0 || v.value > Integer.MAX_VALUE || v.overflow)
            s.die("Invalid PID " + positional.get(0));
          o.targetPid = (int) v.value;
          o.netns = "/proc/" + v.value + "/ns/net";
          if (o.userns == null) o.userns = "/proc/" + v.value + "/ns/user";
        }
      }
      if (o.targetPid < 0) o.command.addAll(positional);
      if (o.netns != null && o.userns == null) o.netnsOnly = true;
    } else if (!positional.isEmpty()) {
      s.die("Extra non-option argument: " + positional.get(0));
    }

    for (String[] p : s.ports) {
      if (p[0].equals("T")) addSpec(s, tNs, p[1]);
      else if (p[0].equals("U")) addSpec(s, uNs, p[1]);
    }

    ForwardRules byDefault = s.mode == Mode.PASTA ? ForwardRules.AUTO : ForwardRules.NONE;
    c.tcpIn = t.given() ? t.rules() : byDefault;
    c.udpIn = u.given() ? u.rules() : follow(c.tcpIn, byDefault);
    c.tcpOut = tNs.given() ? tNs.rules() : byDefault;
    c.udpOut = uNs.given() ? uNs.rules() : follow(c.tcpOut, byDefault);

    if (s.mode == Mode.PASTA) {
      c.noDhcpDns = !o.dhcpDns;
      c.noDhcpSearch = !o.dhcpSearch;
      if (o.configNet) c.noRa = true;
    }

    refuseNotYetSupported(s);
  }

  /**
   * Unless -u/-U is given, UDP follows TCP's listed ports (untranslated); else the mode's
   * default. Not {@code -t all}: Debian's passt binds no UDP port then, and following would take
   * two more file descriptors per port (147,453 for the whole range, where passt needs 49,151).
   */
  private static ForwardRules follow(ForwardRules tcp, ForwardRules byDefault) {
    return tcp.mode() == ForwardRules.Mode.SPEC ? PortSpec.udpFollowing(tcp) : byDefault;
  }

  private static void addSpec(State s, PortSpec p, String spec) {
    try {
      p.add(spec);
    } catch (IllegalArgumentException e) {
      s.die(e.getMessage());
    }
  }

  private static void refuseNotYetSupported(State s) {
    if (s.o.listPlugins) return; // listing what is there works in every mode
    if (s.mode != Mode.PASTA) return;
    if (s.c.fd >= 0 && NOT_SUPPORTED_YET.contains("pasta --fd"))
      s.die("not supported yet: --fd (pasta mode)");
  }

  // ---- value parsers

  /** conf_ip4_prefix(): dotted netmask (contiguous; /32 refused, as passt on x86) or bits. */
  static int ip4Prefix(String a) {
    Inet4Address m = InetLiteral.parse4(a);
    if (m != null) {
      byte[] b = m.getAddress();
      int h = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
      int len = Integer.bitCount(h);
      if (len == 32 || (h << len) != 0) return -1;
      return len;
    }
    Strtol v = Strtol.parse(a);
    if (v.value < 0 || v.value > 32 || v.overflow) return -1;
    return (int) v.value;
  }

  private static byte[] mac(State s, String a) {
    if (!a.matches("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")) s.die("Invalid MAC address: " + a);
    return PasstConfig.parseMac(a);
  }

  /** conf_nat() of later passt: "none" (null), or a unicast, non-loopback address. */
  private static InetAddress natAddress(State s, String a) {
    if (a.equals("none")) return null;
    InetAddress x = InetLiteral.parse(a);
    if (x == null || x.isAnyLocalAddress() || x.isLoopbackAddress() || x.isMulticastAddress())
      s.die("Invalid address to remap to host: " + a);
    return x;
  }

  /** strtol(s, &end, 0): base prefixes, sign, leading blanks; value 0 when nothing parses. */
  record Strtol(long value, int end, boolean overflow) {
    static Strtol parse(String s) {
      int i = 0, n = s.length();
      while (i < n && Character.isWhitespace(s.charAt(i))) i++;
      boolean neg = false;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) neg = s.charAt(i++) == '-';
      int base = 10;
      if (i + 1 < n && s.charAt(i) == '0' && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')
          && i + 2 < n && Character.digit(s.charAt(i + 2), 16) >= 0) {
        base = 16;
        i += 2;
      } else if (i < n && s.charAt(i) == '0') {
        base = 8;
      }
      int start = i;
      java.math.BigInteger v = java.math.BigInteger.ZERO;
      while (i < n && Character.digit(s.charAt(i), base) >= 0) {
        v = v.multiply(java.math.BigInteger.valueOf(base))
            .add(java.math.BigInteger.valueOf(Character.digit(s.charAt(i), base)));
        i++;
      }
      if (i == start) return new Strtol(0, 0, false);
      if (neg) v = v.negate();
      boolean overflow = v.bitLength() > 63;
      return new Strtol(overflow ? (neg ? Long.MIN_VALUE : Long.MAX_VALUE) : v.longValue(), i,
          overflow);
    }
  }

  /** Parser state: the options being built and what passt tracks on the side. */
  private static final class State {
    final Mode mode;
    final Options o = new Options();
    final PasstConfig c = o.config;
    final List<String[]> ports = new ArrayList<>();
    boolean oneOffGiven, logSizeGiven, usernsGiven;

    State(Mode mode, String programName) {
      this.mode = mode;
      o.mode = mode;
      o.programName = programName;
      c.mode = mode;
    }

    void port(char kind, String spec) {
      ports.add(new String[] {String.valueOf(kind), spec});
      switch (kind) {
        case 't' -> o.tcpPorts.add(spec);
        case 'u' -> o.udpPorts.add(spec);
        case 'T' -> o.tcpNsPorts.add(spec);
        default -> o.udpNsPorts.add(spec);
      }
    }

    void die(String message) {
      throw new OptionsException(message, 1);
    }

    /** getopt's complaint, then the usage text, exit 1, as passt's usage(). */
    void usage(String getoptMessage) {
      throw new OptionsException(
          o.programName + ": " + getoptMessage + "\n" + Usage.text(mode, o.programName), 1);
    }
  }
}
