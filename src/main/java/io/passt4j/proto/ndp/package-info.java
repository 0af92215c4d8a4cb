/**
 * NDP responder: neighbor advertisements for every address the guest asks about, and router
 * advertisements with the SLAAC prefix, MTU and resolvers.
 *
 * <p>Theory of operation. As with ARP, everything beyond the guest is reached through us, so a
 * Neighbor Solicitation for any target gets a Neighbor Advertisement (Router, Solicited and
 * Override flags set, our MAC as target link-layer address), exactly as Debian's passt 7c7625d
 * does in {@code ndp.c}: that includes the guest's own addresses when it asks from a configured
 * source, but never a duplicate address detection probe (source ::), so DAD succeeds.
 *
 * <p>A Router Solicitation (unless {@code --no-ra}) gets a Router Advertisement: current hop
 * limit 255, Managed flag (addresses come from our DHCPv6 server), router lifetime 9000 s,
 * reachable time and retransmission timer 0; then a prefix information option for the /64 of
 * {@code addr6} (on-link and autonomous, valid and preferred lifetime 3600 s), the MTU option
 * (unless the MTU is 0), RDNSS with every resolver (lifetime 60 s, unless {@code
 * --no-dhcp-dns}), DNSSL with the search list (lifetime 60 s, unless {@code --no-dhcp-search}),
 * and our source link-layer address. The RA is built once at start.
 *
 * <p>Replies go from the gateway address when it is link-local, else from the host's link-local
 * address ({@code addrLinkLocal6}), to the solicitation's source address (all-nodes for an RS
 * from ::) and to the MAC address the solicitation came from, with hop limit 255.
 *
 * <p>Deliberate differences from passt: we drop what RFC 4861 says to drop (hop limit other than
 * 255, code other than 0, truncated messages, options of length 0 or running past the end,
 * multicast NS targets), where passt answers anything of the right type; DNSSL is padded to 8
 * bytes correctly (passt adds 8 stray bytes when the names fill a multiple of 8) and does not
 * depend on there being resolvers (passt sends DNSSL only together with RDNSS). Checksums are
 * not verified, as passt does not: guests may leave them to offloading.
 */
package io.passt4j.proto.ndp;
