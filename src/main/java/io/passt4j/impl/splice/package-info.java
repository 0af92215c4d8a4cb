/**
 * pasta's port forwarding between the host and the namespace it serves, beyond the tap device.
 *
 * <h2>The loopback bypass (splice path)</h2>
 *
 * <p>Traffic that arrives from a loopback address on a forwarded port skips the guest's Layer 2
 * entirely, as in Debian's pasta ("Handling of local traffic in pasta" in pasta(1)): passt4j
 * makes a socket of its own on the other side and carries the bytes between the two.
 * <ul>
 *   <li>{@code -t}: the TCP handler's listeners on the host (the same as in passt mode) hand a
 *       connection from 127.0.0.0/8 or ::1 to the {@link io.passt4j.impl.splice.Splicer}, which
 *       connects a socket made in the namespace to the namespace's 127.0.0.1 or ::1 at the
 *       target port; connections from any other address go over the tap with their source
 *       kept, as in passt mode.
 *   <li>{@code -T}: listeners on the namespace's 127.0.0.1 and ::1 ({@link
 *       io.passt4j.impl.splice.PastaForwarder}), each connection connected to the host's
 *       loopback at the target port.
 *   <li>{@code -u}, {@code -U}: the same for UDP, through a relay with one socket per sender on
 *       the other side ({@link io.passt4j.impl.splice.UdpRelay}).
 *   <li>{@code --no-splice} (newer passt's option): connections and datagrams from the host's
 *       loopback take the tap like any other (the namespace sees them from the gateway, as
 *       passt shows the host's loopback); {@code -T} and {@code -U}, which have no other way,
 *       still use the bypass.
 * </ul>
 *
 * <p><b>Which namespace a socket is in.</b> A socket belongs to the network namespace of the
 * thread that creates it (DESIGN.md §3.2): the namespace's sockets are made on pasta's namespace
 * thread ({@link io.passt4j.impl.splice.NetSide}), a few TCP sockets in advance so a connection
 * does not wait for it; from then on every socket is used from the event loop.
 *
 * <p><b>TCP</b> ({@link io.passt4j.impl.splice.TcpSplice}): the two sockets are registered with
 * the event loop's epoll as Netty 4.2 {@code EpollIoHandle}s of our own (level-triggered), and
 * bytes move with {@code splice(2)} through one pipe per direction, never through Java memory.
 * Netty's own {@code spliceTo} is not used: on the peer's FIN it shuts the input down while the
 * pipe may still be full, losing what the socket still holds. What a direction holds is bounded
 * by its pipe (1 MiB asked for, 64 KiB otherwise); half-close goes through each way on its own
 * ({@code shutdown(SHUT_WR)} once the pipe is empty), an error or reset on one socket resets the
 * other, and a connect the other side refuses resets the peer.
 */
package io.passt4j.impl.splice;
