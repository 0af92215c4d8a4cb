/**
 * ICMP and ICMPv6 echo proxy: the guest's pings go out through unprivileged host "ping" sockets.
 *
 * <h2>Theory of operation</h2>
 *
 * <p><b>Flows.</b> An echo request from the guest (ICMP type 8, ICMPv6 type 128) is keyed by
 * (IP version, echo identifier), as in passt's {@code icmp.c}. The first request of a key opens a
 * ping socket ({@code socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)} or its ICMPv6 counterpart)
 * bound to the guest's identifier when that is free, else to one the kernel picks, and to the
 * {@code -o} source address when one is configured; later requests with that identifier reuse
 * it. The kernel builds the IP header, overwrites the identifier with the socket's bound one and
 * recomputes the checksum; we send the guest's ICMP message (header and data) unchanged.
 *
 * <p><b>Destination.</b> The guest's destination address, translated by {@link
 * io.passt4j.fwd.AddressMap}: the address standing for the host (the gateway, or {@code
 * --map-host-loopback}) goes to 127.0.0.1 or ::1 unless {@code --no-map-gw}, a {@code
 * --map-guest-addr} address to the host's own address. Debian's passt (2023) sends ICMP to the
 * gateway address itself, never to the host; passt since 2024 translates ICMP like TCP and UDP,
 * which is what we do: a guest pinging its gateway measures the path to passt, not to a router
 * it cannot otherwise reach.
 *
 * <p><b>Replies.</b> What the socket receives is the echo reply without IP header, carrying the
 * socket's identifier: we restore the guest's identifier, and build the frame with source = the
 * address the reply came from, shown as the guest addressed it (the loopback answer to a ping of
 * the gateway comes from the gateway), destination = the address the guest used, TTL 255, and
 * recomputed checksums. Only echo replies are delivered; anything else a ping socket might
 * return is counted and dropped.
 *
 * <p><b>Limits and timeouts.</b> At most {@link io.passt4j.proto.icmp.IcmpHandler#MAX_SOCKETS}
 * sockets (identifiers) at once; when full, the least recently used one is closed (counted as
 * {@code evicted}). A socket unused for {@link
 * io.passt4j.proto.icmp.IcmpHandler#IDLE_TIMEOUT_MS} (passt's {@code ICMP_ECHO_TIMEOUT}, 60 s) is
 * closed by a timer that scans every {@link io.passt4j.proto.icmp.IcmpHandler#SCAN_INTERVAL_MS}.
 *
 * <p><b>Hostile input.</b> Short messages, bad checksums (ICMP over the message, ICMPv6 with the
 * pseudo-header), other types and non-zero codes (the kernel refuses to send them) are dropped
 * with a counted reason. Guest source addresses are recorded in the guest state.
 *
 * <p><b>Deliberately not done.</b> No echo replies from the guest (ping sockets cannot send
 * them; passt drops them too), no ICMP errors in either direction (ping sockets do not report
 * them unless {@code IP_RECVERR}, which passt 2023 does not use either), no raw sockets. If ping
 * sockets are not allowed ({@code net.ipv4.ping_group_range} excludes our group, which also
 * governs ICMPv6), requests are dropped and a warning says which sysctl to set, once.
 */
package io.passt4j.proto.icmp;
