/**
 * DHCP server: leases the one configured IPv4 address to the guest, forever.
 *
 * <p>Theory of operation. There is one client and one address, so there is no lease table:
 * DHCPDISCOVER gets a DHCPOFFER and DHCPREQUEST a DHCPACK, both for {@code addr4}, whatever
 * address the client asked for (Debian's passt 7c7625d never sends DHCPNAK, and neither do we;
 * a client in INIT-REBOOT with a stale address simply takes the {@code yiaddr} it is given).
 * Other message types (DECLINE, RELEASE, INFORM) are dropped, as passt does.
 *
 * <p>The reply reuses the request's fixed part (xid, flags, ciaddr, giaddr, chaddr, sname, file
 * are echoed; op becomes BOOTREPLY, secs 0, yiaddr our address) and carries, in ascending option
 * order as passt sends them (its Parameter Request List handling is a no-op): subnet mask,
 * router, DNS servers (unless {@code --no-dhcp-dns}), interface MTU (unless the MTU is 0),
 * lease time 0xffffffff, message type, server identifier (the gateway), domain search list
 * (option 119, unless {@code --no-dhcp-search}), and classless static routes (option 121: a
 * host route to the gateway and a default route through it) when the gateway is outside the
 * assigned subnet; then END, one PAD byte, and padding up to 60 bytes of options. All option
 * bytes are built once at start; only the message type byte changes per reply.
 *
 * <p>Addressing, as passt: always unicast, from the gateway address port 67 to the assigned
 * address port 68 and to the MAC address the request came from, even with the BROADCAST flag
 * set; IPv4 identification 0, no DF, TTL 255, and no UDP checksum (zero, as passt sends).
 *
 * <p>Deliberate difference: passt's option 119 compression is wrong (it points to a name that
 * merely starts with the wanted suffix, so {@code example.org test.example} decodes as {@code
 * example.org test.example.org}); we compress by whole suffixes (RFC 1035 4.1.4, offsets
 * relative to the option data as RFC 3397 says). Options must lie within the message: a
 * truncated option, a missing message type, or anything but a BOOTREQUEST with the magic
 * cookie is dropped.
 */
package io.passt4j.proto.dhcp;
