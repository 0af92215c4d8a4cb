package io.passt4j.cli;

import io.passt4j.PasstConfig.Mode;

/** The {@code --help} text, laid out like passt's: option, a tab, what it does; defaults below. */
public final class Usage {

  private Usage() {}

  /** Usage text for {@code mode}, programs called {@code name}; lines end with '\n'. */
  public static String text(Mode mode, String name) {
    boolean pasta = mode == Mode.PASTA;
    StringBuilder b = new StringBuilder();
    if (pasta) {
      line(b, "Usage: " + name + " [OPTION]... [COMMAND] [ARGS]...");
      line(b, "       " + name + " [OPTION]... PID");
      line(b, "       " + name + " [OPTION]... --netns [PATH|NAME]");
      line(b, "");
      line(b, "Without PID or --netns, run COMMAND, or a shell, in a new user and");
      line(b, "network namespace connected through pasta.");
    } else {
      line(b, "Usage: " + name + " [OPTION]...");
    }
    line(b, "");
    line(b, "  -d, --debug\t\tBe verbose");
    line(b, "      --trace\t\tBe extra verbose, implies --debug");
    line(b, "  -q, --quiet\t\tDon't print informational messages");
    line(b, "  -f, --foreground\tDon't run in background");
    line(b, "    default: run in background if started from a TTY");
    line(b, "  -e, --stderr\t\tLog to stderr too");
    line(b, "    default: system logger only when started from a TTY");
    line(b, "  -l, --log-file PATH\tLog to PATH only");
    line(b, "  --log-size BYTES\tLog file size limit");
    line(b, "    default: 1 MiB");
    line(b, "  --runas UID|UID:GID \tRun as UID and GID, numeric or");
    line(b, "    login and group names");
    line(b, "    default: drop to user \"nobody\"");
    line(b, "  -h, --help\t\tShow this help and exit");
    line(b, "  --version\t\tShow the version and exit");
    line(b, "  --list-plugins\tShow the protocol plugins found, enabled or");
    line(b, "    not, and the frames each takes, and exit");
    line(b, "  --plugin-dir DIR\tAlso load protocol plugins from the jars in DIR");
    line(b, "  --plugin-opt NAME.KEY=VALUE  Give plugin NAME option KEY");
    line(b, "    (--list-plugins shows the options each plugin takes)");
    if (pasta) {
      line(b, "  -I, --ns-ifname NAME\tTap interface name in the namespace");
      line(b, "    default: name of the template interface");
    } else {
      line(b, "  -s, --socket PATH\tUNIX domain socket path");
      line(b, "    default: first free of /tmp/passt_1.socket ... /tmp/passt_64.socket");
    }
    line(b, "  -F, --fd FD\t\tUse FD, an already connected socket");
    line(b, "  -p, --pcap FILE\tCapture tap-side traffic to FILE (pcap)");
    line(b, "  -P, --pid FILE\tWrite our PID to FILE");
    line(b, "  -m, --mtu MTU\tAdvertise MTU via DHCP/NDP, 0 for none");
    line(b, "    default: 65520");
    line(b, "  -a, --address ADDR\tAssign IPv4 or IPv6 ADDR");
    line(b, "    once per IP version");
    line(b, "    default: address of the template interface");
    line(b, "  -n, --netmask MASK\tAssign IPv4 MASK, dot-decimal or bits");
    line(b, "    default: prefix length of the host's address");
    line(b, "  -M, --mac-addr ADDR\tOur MAC address ADDR");
    line(b, "    default: MAC address of the template interface");
    line(b, "  -g, --gateway ADDR\tIPv4 or IPv6 gateway ADDR");
    line(b, "    default: gateway of the template interface");
    line(b, "  -i, --interface NAME\tTemplate interface for addresses and routes");
    line(b, "    default: --outbound-if4 and --outbound-if6, if given,");
    line(b, "             else the interface of the first default route");
    line(b, "  -o, --outbound ADDR\tSource address of outbound sockets");
    line(b, "    once per IP version");
    line(b, "    default: chosen by the routing tables");
    line(b, "  --outbound-if4 NAME\tBind IPv4 outbound sockets to NAME");
    line(b, "    default: interface of the default route");
    line(b, "  --outbound-if6 NAME\tBind IPv6 outbound sockets to NAME");
    line(b, "    default: interface of the default route");
    line(b, "  -D, --dns ADDR\tIPv4 or IPv6 resolver ADDR");
    line(b, "    can be given many times; 'none' for no resolvers");
    line(b, pasta ? "    default: no resolvers" : "    default: resolvers from /etc/resolv.conf");
    line(b, "  -S, --search LIST\tSpace-separated search domains");
    line(b, "    'none' for no search list");
    line(b, pasta ? "    default: no search list" : "    default: search list from /etc/resolv.conf");
    if (pasta) {
      line(b, "  --dhcp-dns\t\tAdvertise resolvers via DHCP/DHCPv6/NDP");
      line(b, "  --dhcp-search\tAdvertise the search list via DHCP/DHCPv6/NDP");
    } else {
      line(b, "  --no-dhcp-dns\tDon't advertise resolvers via DHCP/DHCPv6/NDP");
      line(b, "  --no-dhcp-search\tDon't advertise the search list");
    }
    line(b, "  --dns-forward ADDR\tSend DNS queries for ADDR to the first resolver");
    line(b, "    once per IP version");
    line(b, "    default: none");
    line(b, "  --dns-host ADDR\tHost resolver --dns-forward queries go to");
    line(b, "  --map-host-loopback ADDR\tGuest-side ADDR reaches the host's loopback");
    line(b, "  --map-guest-addr ADDR\tGuest-side ADDR reaches the guest's own address");
    line(b, "  --no-tcp\t\tNo TCP handler");
    line(b, "  --no-udp\t\tNo UDP handler");
    line(b, "  --no-icmp\t\tNo ICMP/ICMPv6 echo handler");
    line(b, "  --no-dhcp\t\tNo DHCP server");
    line(b, "  --no-ndp\t\tNo NDP responses");
    line(b, "  --no-dhcpv6\t\tNo DHCPv6 server");
    line(b, "  --no-ra\t\tNo router advertisements");
    line(b, "  --no-map-gw\t\tDon't map the gateway address to the host");
    line(b, "  --no-splice\t\tNo loopback splice path");
    line(b, "  -4, --ipv4-only\tIPv4 only");
    line(b, "  -6, --ipv6-only\tIPv6 only");
    String where = pasta ? "namespace" : "guest";
    if (!pasta) line(b, "  -1, --one-off\tQuit when the first client disconnects");
    line(b, "  -t, --tcp-ports SPEC\tTCP ports to forward to the " + where);
    line(b, "    can be given many times; SPEC is one of:");
    line(b, "      'none': no ports");
    line(b, pasta ? "      'auto': ports bound in the namespace, rescanned every second"
        : "      'all': every unbound, non-ephemeral port");
    line(b, "      a comma-separated list of PORT or FIRST-LAST, each optionally");
    line(b, "        followed by ':' and the target port or range, optionally");
    line(b, "        preceded by ADDR/ or ADDR%IF/ to bind; items prefixed by '~'");
    line(b, "        are excluded; exclusions only mean all other ports");
    line(b, "      -t 22\t\tPort 22 to port 22");
    line(b, "      -t 2222:22\tPort 2222 to port 22");
    line(b, "      -t 22-80:32-90\tPorts 22 to 80 to ports 32 to 90");
    line(b, "      -t 192.0.2.1/22\tPort 22 of 192.0.2.1");
    line(b, "      -t 5-25,~10-20\tPorts 5 to 9 and 21 to 25");
    line(b, "      -t ~25\t\tAll ports but 25");
    line(b, pasta ? "    default: auto" : "    default: none");
    line(b, "  -u, --udp-ports SPEC\tUDP ports to forward to the " + where);
    line(b, "    SPEC as for -t; without -u, UDP follows -t (untranslated)");
    line(b, pasta ? "    default: auto" : "    default: none");
    if (pasta) {
      line(b, "  -T, --tcp-ns SPEC\tTCP ports to forward to the init namespace");
      line(b, "    default: auto");
      line(b, "  -U, --udp-ns SPEC\tUDP ports to forward to the init namespace");
      line(b, "    default: auto");
      line(b, "  --userns NSPATH \tUser namespace to join");
      line(b, "  --netns PATH|NAME\tNetwork namespace to join");
      line(b, "  --netns-only\t\tDon't join a user namespace");
      line(b, "    implied by PATH or NAME without --userns");
      line(b, "  --no-netns-quit\tKeep running when a bound namespace is deleted");
      line(b, "  --config-net\t\tConfigure the tap interface in the namespace");
      line(b, "  --ns-mac-addr ADDR\tMAC address of the tap interface");
    }
    return b.toString();
  }

  private static void line(StringBuilder b, String s) {
    b.append(s).append('\n');
  }
}
