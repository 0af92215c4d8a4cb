/**
 * UDP: the guest's datagrams go out through host UDP sockets; datagrams for forwarded ports
 * ({@code -u}) come in through sockets bound at start.
 *
 * <h2>Theory of operation</h2>
 *
 * <p><b>Flows.</b> A flow is keyed by (IP version, guest address, guest port), as passt's
 * per-port tracking in {@code udp.c}. The first datagram from a guest port opens the flow's own
 * host socket, bound to the same port number when it is free (host-side peers then see the
 * guest's port, as with passt) and to an ephemeral port otherwise (counted as {@code ephemeral
 * port}); bound to the {@code -o} address and {@code --outbound-if4/6} interface unless the
 * destination is the host's loopback. IPv6 sockets are IPv6-only, so each family has its own.
 *
 * <p><b>Peers.</b> Each flow remembers, for up to {@link
 * io.passt4j.proto.udp.UdpHandler#MAX_PEERS} remote endpoints (least recently used replaced),
 * the pair (address:port as the guest sees it, address:port on the host) and the host socket the
 * pair uses. A guest datagram to a known guest-side endpoint goes to its host side through that
 * socket; to a new one, through the flow's own socket to the translated destination ({@link
 * io.passt4j.fwd.AddressMap#toHost}: the gateway or {@code --map-host-loopback} address to host
 * loopback unless {@code --no-map-gw}; {@code --map-guest-addr} to the host's own address;
 * {@code --dns-forward}:53 to the first resolver, {@code dnsHost} when set; the gateway:53 to a
 * loopback {@code dnsHost}). A host datagram from a known host-side endpoint shows its guest-side
 * address; from a new one, {@link io.passt4j.fwd.AddressMap#toGuest} decides (loopback appears
 * as the gateway, the resolver's port 53 as the {@code --dns-forward} address) and the pair is
 * remembered, so the guest's answer takes the exact way back.
 *
 * <p>This is where we differ from Debian's passt (0.0~git20230309), on purpose: (a) a reply to a
 * guest datagram sent to the IPv6 gateway comes back from the gateway address, not from our
 * link-local address, so a connected socket in the guest accepts it; (b) the guest's reply to a
 * datagram forwarded in from ::1 goes back to ::1 (through the listening socket), where passt
 * sent it to the guest's address or dropped it.
 *
 * <p><b>Forwarding ({@code -u}).</b> At start, for each forwarded port, one socket per enabled
 * family (0.0.0.0 and [::], IPv6-only, as passt binds one set per family) or one for the given
 * bind address, optionally bound to an interface. A datagram arriving on port P goes to the
 * guest's address (the last it used, else the configured one) and target port, from the sender
 * as {@code toGuest} shows it, and creates or refreshes the flow (guest address, target port)
 * with a peer whose socket is the listening one: the guest's reply leaves from port P to the
 * original sender. Listening sockets live until the handler stops; start fails when a listed
 * port can be bound for no family. {@code -u all} binds every non-ephemeral port (1 to 49151,
 * two sockets each, as passt; not port 0, which passt binds too) that can be bound, skipping the
 * rest quietly (in use, privileged), and fails only when none could be, or with passt's "Can't
 * open enough sockets for port specifier: all" when out of file descriptors; the binding runs
 * in slices of the event loop ({@link io.passt4j.fwd.ForwardRules#bindAll}).
 *
 * <p><b>Limits and timeouts.</b> At most {@link io.passt4j.proto.udp.UdpHandler#MAX_FLOWS} flows
 * (each with at most one socket of its own); a new flow beyond that evicts the least recently
 * used one (counted as {@code flow evicted}). A flow idle for {@link
 * io.passt4j.proto.udp.UdpHandler#IDLE_TIMEOUT_MS} (passt's {@code UDP_CONN_TIMEOUT}, 180 s) in
 * both directions is closed by a timer scanning every {@link
 * io.passt4j.proto.udp.UdpHandler#SCAN_INTERVAL_MS}.
 *
 * <p><b>Hostile input.</b> Datagrams are validated with the {@link io.passt4j.packet.Udp} view:
 * a length beyond the IP payload, port 0, a bad checksum (passt does not check; it costs one pass
 * over the payload, and a zero IPv4 checksum is accepted as "none"), unspecified, multicast or
 * broadcast sources, and multicast, broadcast (limited and the directed broadcast of the guest's
 * subnet), loopback or unspecified destinations are dropped with a counted reason. Payloads go to
 * the host as slices of the guest's frame, not copies.
 *
 * <p><b>pasta.</b> The forwarded ports' sockets are opened with a loopback port ({@link
 * io.passt4j.spi.HostSockets#udp(java.net.InetSocketAddress, String,
 * io.passt4j.spi.DatagramReceiver, int)}): datagrams from loopback senders never reach this
 * handler, passt4j relays them to the namespace's loopback ({@code io.passt4j.impl.splice});
 * the others come here and go over the tap as in passt mode. With {@code -u auto} the ports
 * come and go as pasta's scan of the namespace finds them ({@link
 * io.passt4j.spi.HandlerContext#autoForwarded}).
 *
 * <p><b>Deliberately not done.</b> No multicast or broadcast forwarding, no ICMP port-unreachable
 * to the guest when the host refuses a datagram (counted as a host socket error).
 */
package io.passt4j.proto.udp;
