package io.passt4j;

import io.passt4j.fwd.ForwardRules;
import io.passt4j.spi.PluginOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The one configuration object of a passt4j instance: what the command line (or an embedding
 * host's JSON) resolved to, after host detection. Plain fields, one doc line each; {@link
 * #toJson()} and {@link #fromJson(JsonObject)} convert both ways.
 */
public final class PasstConfig {

  /** Which program we are. */
  public enum Mode {
    /** qemu connects over a UNIX stream socket. */
    PASST,
    /** a tap device in a network namespace. */
    PASTA
  }

  /** MTU passt uses when none is given: 65535 less the Ethernet header, rounded down to 4. */
  public static final int DEFAULT_MTU = 65520;

  /** passt or pasta. */
  public Mode mode = Mode.PASST;

  // ---- address families

  /** IPv4 is handled (false with {@code -6} or without a usable IPv4 interface). */
  public boolean ipv4 = true;
  /** IPv6 is handled (false with {@code -4} or without a usable IPv6 interface). */
  public boolean ipv6 = true;

  // ---- Layer 2

  /** Our MAC address: source of every frame we send to the guest ({@code -M}). */
  public byte[] ourMac = parseMac("9a:55:9a:55:9a:55");
  /** MTU advertised by DHCP and NDP, and used for MSS ({@code -m}); 0 advertises none. */
  public int mtu = DEFAULT_MTU;

  // ---- IPv4

  /** Host interface the IPv4 configuration was taken from ({@code -i}, {@code --outbound-if4}). */
  public String ifname4;
  /** Address assigned to the guest by DHCP ({@code -a}). */
  public Inet4Address addr4;
  /** Prefix length of {@link #addr4} ({@code -n}). */
  public int prefixLen4;
  /** Default gateway given to the guest, and the address mapped to the host ({@code -g}). */
  public Inet4Address gateway4;
  /** Resolvers given to the guest by DHCP ({@code -D}, else {@code /etc/resolv.conf}). */
  public List<Inet4Address> dns4 = new ArrayList<>();
  /** Guest-side address whose port 53 goes to the first host resolver ({@code --dns-forward}). */
  public Inet4Address dnsForward4;
  /** Host resolver that {@link #dnsForward4} and a loopback resolver are sent to. */
  public Inet4Address dnsHost4;
  /** Source address of outbound IPv4 sockets ({@code -o}), or null. */
  public Inet4Address outbound4;
  /** Interface outbound IPv4 sockets are bound to ({@code --outbound-if4}), or null. */
  public String outboundIf4;

  // ---- IPv6

  /** Host interface the IPv6 configuration was taken from. */
  public String ifname6;
  /** Address assigned to the guest by DHCPv6, prefix source of RAs ({@code -a}). */
  public Inet6Address addr6;
  /** Prefix length of the host's address ({@link #addr6}); RAs always announce a /64. */
  public int prefixLen6 = 64;
  /** Host's link-local address: our source for NDP, DHCPv6 and gateway traffic by default. */
  public Inet6Address addrLinkLocal6;
  /** IPv6 default gateway ({@code -g}); mapped to the host's loopback. */
  public Inet6Address gateway6;
  /** Resolvers given by RA RDNSS and DHCPv6 ({@code -D}, else {@code /etc/resolv.conf}). */
  public List<Inet6Address> dns6 = new ArrayList<>();
  /** Guest-side IPv6 address whose port 53 goes to the first host resolver. */
  public Inet6Address dnsForward6;
  /** Host IPv6 resolver that {@link #dnsForward6} and a loopback resolver are sent to. */
  public Inet6Address dnsHost6;
  /** Source address of outbound IPv6 sockets ({@code -o}), or null. */
  public Inet6Address outbound6;
  /** Interface outbound IPv6 sockets are bound to ({@code --outbound-if6}), or null. */
  public String outboundIf6;

  // ---- DNS search list and what is advertised

  /** DNS search list ({@code -S}, else {@code /etc/resolv.conf}). */
  public List<String> searchDomains = new ArrayList<>();
  /** Don't advertise resolvers ({@code --no-dhcp-dns}; pasta default unless {@code --dhcp-dns}). */
  public boolean noDhcpDns;
  /** Don't advertise the search list ({@code --no-dhcp-search}). */
  public boolean noDhcpSearch;

  // ---- handlers

  /** Handler names switched off: tcp udp icmp dhcp ndp dhcpv6 ({@code --no-*}). */
  public Set<String> disabledHandlers = new LinkedHashSet<>();
  /** Don't answer router solicitations ({@code --no-ra}). */
  public boolean noRa;
  /** Don't map the gateway address to the host's loopback ({@code --no-map-gw}). */
  public boolean noMapGw;
  /** Guest-side address mapped to the host's loopback ({@code --map-host-loopback}), or null. */
  public InetAddress mapHostLoopback4;
  /** Guest-side IPv6 address mapped to the host's loopback, or null. */
  public InetAddress mapHostLoopback6;
  /** Guest-side address mapped to the guest's own assigned address ({@code --map-guest-addr}). */
  public InetAddress mapGuestAddr4;
  /** Guest-side IPv6 address mapped to the guest's own address. */
  public InetAddress mapGuestAddr6;

  // ---- forwarding

  /** TCP ports forwarded from the host into the guest ({@code -t}). */
  public ForwardRules tcpIn = ForwardRules.NONE;
  /** UDP ports forwarded from the host into the guest ({@code -u}). */
  public ForwardRules udpIn = ForwardRules.NONE;
  /** TCP ports forwarded from the namespace to the host (pasta {@code -T}). */
  public ForwardRules tcpOut = ForwardRules.NONE;
  /** UDP ports forwarded from the namespace to the host (pasta {@code -U}). */
  public ForwardRules udpOut = ForwardRules.NONE;

  /**
   * pasta: loopback traffic on forwarded host ports goes over the tap like any other, not
   * through the splice path ({@code --no-splice}).
   */
  public boolean noSplice;

  // ---- endpoint (passt)

  /** UNIX socket path qemu connects to ({@code -s}); null probes /tmp/passt_N.socket. */
  public String socketPath;
  /** An already connected socket ({@code -F}); -1 when none. */
  public int fd = -1;
  /** Quit after the first client disconnects ({@code -1}, implied by {@code -F}). */
  public boolean oneOff;
  /** pcap file of guest-facing frames ({@code -p}), or null. */
  public String pcapPath;

  // ---- embedding

  /**
   * Name of this instance: the middle of its event-bus addresses ({@link Passt4jEvents}); null
   * picks a random one at start ({@link Passt4jVerticle#instanceName()} tells which).
   */
  public String instanceName;
  /** Seconds between counter events ({@link Passt4jEvents#countersAddress}); 0 publishes none. */
  public int countersInterval = 10;
  /**
   * Whether handlers publish flow events ({@link Passt4jEvents#flowAddress}). The command line
   * turns them off: nothing can listen on its event bus, and each event costs a JSON object and
   * a delivery (about 6 % of the event loop's time in a connect-request-close loop).
   */
  public boolean flowEvents = true;

  // ---- plugins

  /**
   * Options for plugins by plugin name ({@code --plugin-opt NAME.KEY=VALUE}); read them with
   * {@link #pluginOptions(String)}.
   */
  public Map<String, JsonObject> pluginOptions = new LinkedHashMap<>();

  /** The options given to the plugin called {@code name} (none: empty). */
  public PluginOptions pluginOptions(String name) {
    return new PluginOptions(name, pluginOptions.get(name));
  }

  // ---- endpoint (pasta)

  /** An open tap device (blocking, {@code IFF_TAP | IFF_NO_PI}) to serve; -1 when none. */
  public int tapFd = -1;
  /**
   * The guest's MAC address when known in advance (pasta: the tap device's), else null and
   * learned from its first frame.
   */
  public byte[] guestMac;

  /** A copy, through JSON. */
  public PasstConfig copy() {
    return fromJson(toJson());
  }

  /** Whether the handler called {@code name} should run. */
  public boolean handlerEnabled(String name) {
    return !disabledHandlers.contains(name);
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.put("mode", mode.name()).put("ipv4", ipv4).put("ipv6", ipv6);
    o.put("ourMac", formatMac(ourMac)).put("mtu", mtu);
    o.put("ifname4", ifname4).put("addr4", str(addr4)).put("prefixLen4", prefixLen4);
    o.put("gateway4", str(gateway4)).put("dns4", strs(dns4)).put("dnsForward4", str(dnsForward4));
    o.put("dnsHost4", str(dnsHost4)).put("outbound4", str(outbound4)).put("outboundIf4", outboundIf4);
    o.put("ifname6", ifname6).put("addr6", str(addr6)).put("prefixLen6", prefixLen6);
    o.put("addrLinkLocal6", str(addrLinkLocal6)).put("gateway6", str(gateway6));
    o.put("dns6", strs(dns6)).put("dnsForward6", str(dnsForward6)).put("dnsHost6", str(dnsHost6));
    o.put("outbound6", str(outbound6)).put("outboundIf6", outboundIf6);
    o.put("searchDomains", new JsonArray(new ArrayList<Object>(searchDomains)));
    o.put("noDhcpDns", noDhcpDns).put("noDhcpSearch", noDhcpSearch);
    o.put("disabledHandlers", new JsonArray(new ArrayList<Object>(disabledHandlers)));
    o.put("noRa", noRa).put("noMapGw", noMapGw);
    o.put("mapHostLoopback4", str(mapHostLoopback4)).put("mapHostLoopback6", str(mapHostLoopback6));
    o.put("mapGuestAddr4", str(mapGuestAddr4)).put("mapGuestAddr6", str(mapGuestAddr6));
    o.put("tcpIn", tcpIn.toJson()).put("udpIn", udpIn.toJson());
    o.put("tcpOut", tcpOut.toJson()).put("udpOut", udpOut.toJson()).put("noSplice", noSplice);
    o.put("socketPath", socketPath).put("fd", fd).put("oneOff", oneOff).put("pcapPath", pcapPath);
    o.put("instanceName", instanceName).put("countersInterval", countersInterval)
        .put("flowEvents", flowEvents);
    o.put("tapFd", tapFd).put("guestMac", guestMac == null ? null : formatMac(guestMac));
    JsonObject po = new JsonObject();
    pluginOptions.forEach((k, v) -> po.put(k, v.copy()));
    o.put("pluginOptions", po);
    return o;
  }

  /** Reads what {@link #toJson()} wrote; absent keys keep their defaults. */
  public static PasstConfig fromJson(JsonObject o) {
    PasstConfig c = new PasstConfig();
    c.mode = Mode.valueOf(o.getString("mode", c.mode.name()));
    c.ipv4 = o.getBoolean("ipv4", c.ipv4);
    c.ipv6 = o.getBoolean("ipv6", c.ipv6);
    if (o.getString("ourMac") != null) c.ourMac = parseMac(o.getString("ourMac"));
    c.mtu = o.getInteger("mtu", c.mtu);
    c.ifname4 = o.getString("ifname4");
    c.addr4 = v4(o.getString("addr4"));
    c.prefixLen4 = o.getInteger("prefixLen4", 0);
    c.gateway4 = v4(o.getString("gateway4"));
    c.dns4 = list(o.getJsonArray("dns4"), PasstConfig::v4);
    c.dnsForward4 = v4(o.getString("dnsForward4"));
    c.dnsHost4 = v4(o.getString("dnsHost4"));
    c.outbound4 = v4(o.getString("outbound4"));
    c.outboundIf4 = o.getString("outboundIf4");
    c.ifname6 = o.getString("ifname6");
    c.addr6 = v6(o.getString("addr6"));
    c.prefixLen6 = o.getInteger("prefixLen6", 64);
    c.addrLinkLocal6 = v6(o.getString("addrLinkLocal6"));
    c.gateway6 = v6(o.getString("gateway6"));
    c.dns6 = list(o.getJsonArray("dns6"), PasstConfig::v6);
    c.dnsForward6 = v6(o.getString("dnsForward6"));
    c.dnsHost6 = v6(o.getString("dnsHost6"));
    c.outbound6 = v6(o.getString("outbound6"));
    c.outboundIf6 = o.getString("outboundIf6");
    c.searchDomains = list(o.getJsonArray("searchDomains"), s -> s);
    c.noDhcpDns = o.getBoolean("noDhcpDns", false);
    c.noDhcpSearch = o.getBoolean("noDhcpSearch", false);
    c.disabledHandlers = new LinkedHashSet<>(list(o.getJsonArray("disabledHandlers"), s -> s));
    c.noRa = o.getBoolean("noRa", false);
    c.noMapGw = o.getBoolean("noMapGw", false);
    c.mapHostLoopback4 = addr(o.getString("mapHostLoopback4"));
    c.mapHostLoopback6 = addr(o.getString("mapHostLoopback6"));
    c.mapGuestAddr4 = addr(o.getString("mapGuestAddr4"));
    c.mapGuestAddr6 = addr(o.getString("mapGuestAddr6"));
    c.tcpIn = ForwardRules.fromJson(o.getJsonObject("tcpIn"));
    c.udpIn = ForwardRules.fromJson(o.getJsonObject("udpIn"));
    c.tcpOut = ForwardRules.fromJson(o.getJsonObject("tcpOut"));
    c.udpOut = ForwardRules.fromJson(o.getJsonObject("udpOut"));
    c.noSplice = o.getBoolean("noSplice", false);
    c.socketPath = o.getString("socketPath");
    c.fd = o.getInteger("fd", -1);
    c.oneOff = o.getBoolean("oneOff", false);
    c.pcapPath = o.getString("pcapPath");
    c.instanceName = o.getString("instanceName");
    c.countersInterval = o.getInteger("countersInterval", c.countersInterval);
    c.flowEvents = o.getBoolean("flowEvents", c.flowEvents);
    JsonObject po = o.getJsonObject("pluginOptions");
    if (po != null) {
      for (String k : po.fieldNames()) {
        if (!(po.getValue(k) instanceof JsonObject v)) {
          throw new IllegalArgumentException("pluginOptions." + k + ": not an object: " + po.getValue(k));
        }
        c.pluginOptions.put(k, v.copy());
      }
    }
    c.tapFd = o.getInteger("tapFd", -1);
    if (o.getString("guestMac") != null) c.guestMac = parseMac(o.getString("guestMac"));
    return c;
  }

  /** {@code aa:bb:cc:dd:ee:ff}. */
  public static String formatMac(byte[] mac) {
    return HexFormat.ofDelimiter(":").formatHex(mac);
  }

  /** Parses {@code aa:bb:cc:dd:ee:ff}; throws {@link IllegalArgumentException} when invalid. */
  public static byte[] parseMac(String s) {
    byte[] b = HexFormat.ofDelimiter(":").parseHex(s);
    if (b.length != 6) throw new IllegalArgumentException("invalid MAC address: " + s);
    return b;
  }

  private static String str(InetAddress a) {
    return a == null ? null : a.getHostAddress().replaceAll("%.*", "");
  }

  private static JsonArray strs(List<? extends InetAddress> l) {
    JsonArray a = new JsonArray();
    for (InetAddress x : l) a.add(str(x));
    return a;
  }

  private static <T> List<T> list(JsonArray a, Function<String, T> f) {
    List<T> l = new ArrayList<>();
    if (a != null) for (int i = 0; i < a.size(); i++) l.add(f.apply(a.getString(i)));
    return l;
  }

  private static InetAddress addr(String s) {
    if (s == null) return null;
    try {
      return InetAddress.getByName(s.contains(":") || s.matches("[0-9.]+") ? s : "!" + s);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("invalid address: " + s);
    }
  }

  private static Inet4Address v4(String s) {
    InetAddress a = addr(s);
    if (a != null && !(a instanceof Inet4Address)) throw new IllegalArgumentException("not IPv4: " + s);
    return (Inet4Address) a;
  }

  private static Inet6Address v6(String s) {
    InetAddress a = addr(s);
    if (a == null) return null;
    if (a instanceof Inet6Address v) return v;
    throw new IllegalArgumentException("not IPv6: " + s);
  }
}
