/**
 * TCP: connections the guest opens are reflected onto host TCP sockets, one each, with no TCP
 * stack of our own in between: what the guest is acknowledged is what the host kernel took, and
 * what the guest is sent is what its window allows.
 *
 * <h2>Theory of operation</h2>
 *
 * <p><b>Opening.</b> A guest SYN (checksum verified, flags sane, options well formed) opens a
 * non-blocking host socket ({@link io.passt4j.spi.HostSockets#tcpConnect}) to the destination as
 * {@link io.passt4j.fwd.AddressMap#toHost} maps it (the gateway or {@code --map-host-loopback}
 * address to the host's loopback unless {@code --no-map-gw}; {@code --map-guest-addr}), bound to
 * {@code -o} and {@code --outbound-if4/6} unless the destination is loopback. When the connect
 * completes the guest gets the SYN-ACK: our initial sequence number per RFC 6528 (SipHash-2-4 of
 * the addresses and ports under a per-instance random key, plus a 4-microsecond clock), our MSS
 * (the MTU less 40 or 60 bytes) and, when the guest offered window scaling, ours (7). A refused,
 * unreachable or timed-out connect answers RST. The guest's MSS option is raised to at least
 * {@link io.passt4j.proto.tcp.TcpHandler#MIN_MSS} (Debian's passt divides by zero on an MSS
 * below 4). Segments of a connection whose connect is still pending are dropped (a repeated SYN
 * is ignored, a RST ends it), so a SYN followed in the same batch by another segment of the flow
 * cannot wedge it (Debian's passt hangs there).
 *
 * <p><b>Host-initiated ({@code -t}).</b> At start the handler listens for each forwarded port:
 * without a bind address and with both families, on one dual-stack socket ({@link
 * io.passt4j.spi.HostSockets#tcpListenDualStack}, IPv4 clients arrive IPv4-mapped), as passt,
 * which needs one file descriptor per port; else, or when that fails (the port taken in one
 * family), on the wildcard of each enabled family (IPv6 only) or on the given bind address;
 * bound to the interface when one is given. A listed port that can't be bound in any family
 * is skipped with a warning; none bound fails the start ({@code Failed to bind any port for '-t
 * PORTS'}), as passt. {@code -t all} listens on every non-ephemeral port, 1 to 49151 (passt
 * binds port 0 too, which the kernel makes a random port), that can be bound, skipping the rest
 * quietly (in use, or privileged for a regular user: the command line binds before dropping
 * root, as passt), and fails only when none could be, or with passt's {@code Can't open enough
 * sockets for port specifier: all} when out of file descriptors (the JVM raises its soft limit
 * to the hard one at start, as passt does). Binding tens of thousands of sockets runs in slices,
 * so the event loop is never blocked long. Unlike a port list, {@code -t all} does not bring UDP
 * along (as Debian's passt; it would take two more descriptors per port). An accepted socket becomes a connection in state {@code SYN_SENT}:
 * a SYN (our MSS, window scale 7) to the guest's target port at the address the guest last used
 * ({@link io.passt4j.spi.GuestState}, passt's "addr_seen": as in passt, a guest that has not
 * sent anything from its SLAAC address yet is addressed at the configured one), from the peer's address as {@link
 * io.passt4j.fwd.AddressMap#toGuest} shows it (loopback and the host's own address as the
 * gateway, any other address unchanged: no NAT). The SYN is repeated every {@code ackMs}; the
 * guest's SYN-ACK sets MSS and window scaling (none unless both offered it) and the connection
 * is ESTABLISHED, after which it is the same as a guest-initiated one (nothing is read from the
 * host socket before). A guest RST, or no SYN-ACK within the SYN timeout, resets the host peer.
 * In pasta the listeners have a loopback port ({@link
 * io.passt4j.spi.HostSockets#tcpListen(java.net.InetSocketAddress, String,
 * io.passt4j.spi.TcpAcceptor, int)}): a connection from a loopback address never reaches this
 * handler, it is spliced to the namespace's loopback ({@code io.passt4j.impl.splice}) unless
 * {@code --no-splice}; with {@code -t auto} the ports come and go as pasta's scan of the
 * namespace finds them ({@link io.passt4j.spi.HandlerContext#autoForwarded}).
 *
 * <p><b>Guest to host.</b> In-order data is written to the host socket as a slice of the guest's
 * frame; what the kernel does not take at once waits, in order, in the socket's output queue,
 * bounded by {@link io.passt4j.proto.tcp.TcpHandler.Limits#guestQueueMax} (4 MiB). The ACK
 * number we send covers what the kernel and that queue took (queued bytes are written unless the
 * connection dies, and then the guest gets a RST); our window is what the queue can still take,
 * so a host peer that stops reading closes the guest's window, and the window's right edge never
 * moves left. A segment partly beyond the window keeps what fits; a segment beyond the next
 * expected byte is dropped and answered with a duplicate ACK (the guest retransmits); a
 * duplicate is re-acknowledged and only its new part, if any, written; an ACK of data we never
 * sent drops the segment. A guest FIN becomes {@code shutdown(SHUT_WR)} once the queue is empty,
 * and only then is the FIN acknowledged; data after it is dropped.
 *
 * <p><b>Host to guest.</b> Nothing is read from a host socket unless the guest's window (and the
 * bound {@link io.passt4j.proto.tcp.TcpHandler.Limits#sendBufMax}, 2 MiB) has room, so the host
 * peer sees the guest's real window through the kernel's. Bytes read are kept, in the buffers
 * the socket read them into, until the guest acknowledges them; they go out in segments of at
 * most the negotiated MSS within the guest's window, and again after {@link
 * io.passt4j.proto.tcp.TcpHandler.Limits#ackMs} (passt's 2 s) without progress or on the third
 * duplicate ACK (a pure ACK, same number and window, data outstanding: the guest's data segments
 * never count), go-back-N from the oldest unacknowledged byte, as passt does. A zero window is
 * probed every {@code ackMs} from when it is seen. After {@link
 * io.passt4j.proto.tcp.TcpHandler#MAX_RETRANS} (7, passt's) retransmissions without progress the
 * connection is reset at the next timeout. The host's EOF becomes our FIN after the last byte.
 *
 * <p><b>Memory bound per connection:</b> at most {@code guestQueueMax} payload bytes towards the
 * host (what the kernel did not take at once, copied out of the guest's frames into the socket's
 * output queue), at most {@code sendBufMax} bytes towards the guest; nothing else is read from
 * the host socket, also after the peer closed (see {@link io.passt4j.spi.HostStreamSocket}).
 *
 * <p><b>Closing and timeouts.</b> Half-close either way; the connection is forgotten (socket
 * closed) once both FINs went through and ours is acknowledged. A guest RST resets the host
 * socket ({@code SO_LINGER} 0): in any state before ESTABLISHED, after only within the window. A
 * host reset or error sends RST to the guest, in every state, also after the host's FIN: the
 * socket's error event reports it (as passt sees EPOLLERR). passt's timeouts, on the handler's clock: handshake 10 s (our SYN or
 * SYN-ACK repeated every {@code ackMs} meanwhile), FIN 60 s once both sides sent FIN (as passt's
 * FIN_TIMEOUT: a half-closed connection lives as long as it is active), idle 2 h without a
 * segment either way; each resets both sides. Segments for no connection are answered with RST
 * (RFC 9293 3.10.7.1).
 *
 * <p><b>Segments a correct stack ignores.</b> On a synchronized connection a segment none of whose
 * sequence space lies between the ACK we sent and what the queue towards the host could still
 * take is answered with an ACK and dropped before its ACK field or window counts (RFC 9293
 * 3.10.7.4; counted as {@code segment outside the window}, or {@code duplicate segment} when it
 * is entirely old), so forged or stale segments cannot acknowledge data the guest never got. A
 * SYN on an established connection gets a challenge ACK (RFC 5961 4.2), not a reset: a guest
 * that really lost the connection answers it with a RST in the window, then tries again. A RST
 * outside the window is dropped. (Debian's passt closes a connection on any RST and takes any
 * ACK.)
 *
 * <p><b>Bounds.</b> At most {@link io.passt4j.proto.tcp.TcpHandler.Limits#maxConns} (8192)
 * connections, each with one host socket (one descriptor). When a new one (a guest SYN, or a
 * host peer accepted on a {@code -t} port) finds the table full, the oldest half-open connection
 * is evicted: one the guest opened whose handshake is not done is reset towards the guest, one
 * from a {@code -t} port the guest has not answered is reset towards the host peer (counted as
 * {@code half-open connection evicted}, flow event reason {@code evicted}). That is what a SYN
 * flood fills the table with, so legitimate connections still get in during one. Established
 * connections are never evicted: when every slot holds one, a guest SYN is answered with RST and
 * a host peer is closed ({@code connection table full}). (Debian's passt has 128k slots and
 * silently ignores SYNs beyond them.) Half-open connections also end at the handshake timeout
 * (10 s). Memory per connection, heap after GC in {@code FloodTest}: 3.4 KiB per half-open
 * guest connection at the peak of the SYN flood (8192 of them), 0.8 KiB per connection from a
 * {@code -t} port (its host socket is a bare descriptor, see {@code impl.EpollTcpSocket}), plus
 * the buffers above; all connections together are not bounded beyond
 * that, so a guest that opens the maximum of connections to host peers that send and then never
 * acknowledges could make us hold up to 8192 x 3 MiB of direct memory for the retransmission
 * time (7 retransmissions, 2 s apart): the JVM's direct-memory limit ({@code
 * -XX:MaxDirectMemorySize}, by default the heap's limit) is then the bound, and reads fail (the
 * connection is reset) while it is reached.
 * A global budget is future work. Descriptors: the process needs room for 8192 TCP, 4096 UDP
 * and 1024 ICMP sockets besides its own; a connect that finds no descriptor free is answered
 * with RST ({@code host socket failed}).
 *
 * <p><b>Dropped.</b> Bad checksums, SYN with FIN or RST, segments with neither SYN, RST nor ACK,
 * malformed option lists (a length below 2 or past the header, MSS or window scale of the wrong
 * length), headers cut short or whose data offset lies, port 0 and unusable addresses are
 * dropped and counted.
 *
 * <p><b>When the guest goes.</b> As in passt, connections outlive the qemu connection (qemu may
 * reconnect with the same guest): their segments go to the next client, whose kernel resets the
 * ones it does not know; with no client they are dropped ({@code no client}) and the connection
 * ends after its retransmissions (7, 2 s apart) or at the idle timeout.
 *
 * <p><b>Not done yet.</b> ICMP errors instead of RST for unreachable destinations; SACK, timestamps and RTT-based timers (a fixed 2 s); reflecting {@code TCP_INFO}
 * windows; link-local IPv6 destinations other than the mapped gateway; keeping segments that
 * arrive after a hole (they are dropped, the guest sends them again); seeing a reset that follows
 * the host's FIN at once (it is polled for, every 200 ms).
 */
package io.passt4j.proto.tcp;
