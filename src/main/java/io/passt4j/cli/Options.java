package io.passt4j.cli;

import io.passt4j.PasstConfig;
import io.passt4j.impl.host.HostOverrides;
import java.util.ArrayList;
import java.util.List;

/**
 * The parsed command line: the network part in {@link #config}, the process and pasta fields
 * beside it, and the raw values of the options host detection may override, as given.
 */
public final class Options {

  /** Default and minimum of {@code --log-size}, as passt's log.h. */
  public static final long DEFAULT_LOG_SIZE = 1024 * 1024;
  public static final long MIN_LOG_SIZE = 5L * 8192;

  /** Network configuration; host detection completes it. */
  public final PasstConfig config = new PasstConfig();
  /** passt or pasta (from the program name). */
  public PasstConfig.Mode mode = PasstConfig.Mode.PASST;
  /** Name used in getopt-style messages and the usage text. */
  public String programName = "passt";

  // ---- process

  /** {@code -f}: don't daemonize. */
  public boolean foreground;
  /** {@code -e}: log to stderr too. */
  public boolean stderr;
  /** {@code -l}: log file, or null. */
  public String logFile;
  /** {@code --log-size}: log file size limit in bytes. */
  public long logSize = DEFAULT_LOG_SIZE;
  /** {@code -q}. */
  public boolean quiet;
  /** {@code -d} (also set by {@code --trace}). */
  public boolean debug;
  /** {@code --trace}. */
  public boolean trace;
  /** {@code -P}: PID file, or null. */
  public String pidFile;
  /** {@code --runas}: UID|UID:GID|LOGIN|LOGIN:GROUP as given, or null. */
  public String runas;
  /** {@code -h}: print the usage text and exit; nothing after it was parsed. */
  public boolean help;
  /** {@code --version}: print the version and exit; nothing after it was parsed. */
  public boolean version;
  /** {@code --list-plugins}: print the protocol plugins found and exit. */
  public boolean listPlugins;
  /** {@code --plugin-dir}: directory whose jars are searched for plugins, or null. */
  public String pluginDir;

  // ---- pasta

  /** {@code --netns}, or /proc/PID/ns/net for a PID argument; null to create one. */
  public String netns;
  /** {@code --userns}, or /proc/PID/ns/user for a PID argument; null when none. */
  public String userns;
  /** {@code --netns-only}, implied by a namespace without {@code --userns}. */
  public boolean netnsOnly;
  /** {@code --no-netns-quit}. */
  public boolean noNetnsQuit;
  /** {@code --config-net}. */
  public boolean configNet;
  /** {@code -I}: tap name in the namespace; null for the template interface's name. */
  public String nsIfname;
  /** {@code --ns-mac-addr}: MAC of the namespace's tap, or null. */
  public byte[] nsMacAddr;
  /** PID given as the only non-option argument, or -1. */
  public int targetPid = -1;
  /** COMMAND [ARG]... to run in the new namespace; empty for the default shell. */
  public List<String> command = new ArrayList<>();
  /** {@code --dhcp-dns}: pasta advertises resolvers. */
  public boolean dhcpDns;
  /** {@code --dhcp-search}: pasta advertises the search list. */
  public boolean dhcpSearch;
  /**
   * {@code --no-splice} (newer passt): loopback traffic on forwarded host ports goes over the
   * tap instead of the splice path; also {@link io.passt4j.PasstConfig#noSplice}.
   */
  public boolean noSplice;

  // ---- raw values, as given

  /** {@code -a}, up to one per family. */
  public final List<String> addresses = new ArrayList<>();
  /** {@code -n}, last one given, or null. */
  public String netmask;
  /** {@code -g}, up to one per family. */
  public final List<String> gateways = new ArrayList<>();
  /** {@code -M}, or null. */
  public String macAddr;
  /** {@code -D}, as given (may be "none"). */
  public final List<String> dns = new ArrayList<>();
  /** {@code -S}, as given (may be "none"). */
  public final List<String> search = new ArrayList<>();
  /** {@code -m}, or null. */
  public String mtu;
  /** {@code -i}, or null. */
  public String iface;
  /** {@code -o}, up to one per family. */
  public final List<String> outbound = new ArrayList<>();
  /** {@code -t}, {@code -u}, {@code -T}, {@code -U} specs, in order. */
  public final List<String> tcpPorts = new ArrayList<>();
  public final List<String> udpPorts = new ArrayList<>();
  public final List<String> tcpNsPorts = new ArrayList<>();
  public final List<String> udpNsPorts = new ArrayList<>();
  /** {@code -4}. */
  public boolean ipv4Only;
  /** {@code -6}. */
  public boolean ipv6Only;
  /** {@code -D none}. */
  public boolean dnsNone;
  /** {@code -S none}. */
  public boolean searchNone;

  /** passt or pasta from argv[0]'s basename, as passt.c does; anything else is passt. */
  public static PasstConfig.Mode modeFromProgramName(String argv0) {
    if (argv0 == null) return PasstConfig.Mode.PASST;
    String base = argv0.substring(argv0.lastIndexOf('/') + 1);
    return base.contains("pasta") ? PasstConfig.Mode.PASTA : PasstConfig.Mode.PASST;
  }

  /** What host detection needs beyond {@link #config}. */
  public HostOverrides hostOverrides() {
    return new HostOverrides(iface, ipv4Only, ipv6Only, macAddr != null, netmask != null,
        dnsNone, searchNone);
  }
}
