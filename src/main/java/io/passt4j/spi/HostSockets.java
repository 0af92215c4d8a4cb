package io.passt4j.spi;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Host sockets for a handler, on native epoll, registered on the handler's event loop: their
 * receive callbacks run on that thread. Every socket must be closed by the handler that opened
 * it (passt4j closes leftovers when the handler stops).
 */
public interface HostSockets {

  /**
   * A UDP socket bound to {@code bind} (port 0 picks one). IPv6 sockets are IPv6 only
   * ({@code IPV6_V6ONLY}), as in passt: bind one socket per family to cover both.
   *
   * @param bindInterface interface to bind to ({@code SO_BINDTODEVICE}), or null
   * @throws DescriptorLimitException when out of file descriptors
   * @throws IOException when the socket cannot be created or bound (for instance, the port is
   *     in use)
   */
  HostDatagramSocket udp(InetSocketAddress bind, String bindInterface, DatagramReceiver receiver)
      throws IOException;

  /**
   * An ICMP ("ping") socket: {@code socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)} or its ICMPv6
   * counterpart. Datagrams sent and received are ICMP messages without IP header; the kernel
   * rewrites the echo identifier to the socket's "port", which is {@code identifier} when that
   * could be bound, else one the kernel picked (see {@link HostDatagramSocket#localAddress()}).
   *
   * @param ipVersion 4 or 6
   * @param bindAddress source address to bind, or null for the wildcard
   * @throws IOException when ping sockets are not allowed ({@code ping_group_range}) or fail
   */
  HostDatagramSocket ping(int ipVersion, java.net.InetAddress bindAddress, int identifier,
      DatagramReceiver receiver) throws IOException;

  /**
   * A TCP connection to {@code remote}, started now on native epoll and registered on this
   * handler's event loop; the outcome arrives through {@code callbacks} ({@link
   * TcpCallbacks#connected} or {@link TcpCallbacks#failed}), never from within this call. The
   * socket reads nothing until asked ({@link HostStreamSocket#read(int)}): see {@link
   * HostStreamSocket} for backpressure, threading and ownership. The connect itself has no
   * timeout of its own beyond the kernel's: the handler aborts it when it waited long enough.
   *
   * @param bind local address to bind first, or null
   * @param bindInterface interface to bind to ({@code SO_BINDTODEVICE}), or null
   * <p>The default implementation (for test doubles written before TCP existed) refuses.
   *
   * @throws IOException when the socket cannot be created, bound or registered
   */
  default HostStreamSocket tcpConnect(InetSocketAddress remote, InetSocketAddress bind,
      String bindInterface, TcpCallbacks callbacks) throws IOException {
    throw new IOException("TCP sockets not supported by " + getClass().getName());
  }

  /**
   * Whether the host kernel offers sockets of IP protocol {@code ipProtocol} to this process:
   * {@code socket(AF_INET, SOCK_STREAM, ipProtocol)} (then {@code AF_INET6}) is tried once and
   * closed at once; the answer is cached for the process. For instance {@code supports(132)}
   * tells a plugin whether the kernel has SCTP. Cheap after the first call; may be called on the
   * event loop.
   *
   * <p>The default implementation (for test doubles) says no.
   */
  default boolean supports(int ipProtocol) {
    return false;
  }

  /**
   * A listening TCP socket bound to {@code bind}, on native epoll and this handler's event loop,
   * with {@code SO_REUSEADDR}. IPv6 sockets are IPv6 only ({@code IPV6_V6ONLY}), as in passt.
   * Each accepted connection is offered to {@code acceptor}; accepted sockets follow {@link
   * HostStreamSocket}'s rules (nothing read until asked).
   *
   * <p>The default implementation (for test doubles written before listeners existed) refuses.
   *
   * @param bindInterface interface to bind to ({@code SO_BINDTODEVICE}), or null
   * @throws DescriptorLimitException when out of file descriptors
   * @throws IOException when the socket cannot be created, bound or put to listen (for instance,
   *     the port is in use)
   */
  default HostTcpListener tcpListen(InetSocketAddress bind, String bindInterface,
      TcpAcceptor acceptor) throws IOException {
    throw new IOException("TCP listeners not supported by " + getClass().getName());
  }

  /**
   * One listening TCP socket for both families: the IPv6 wildcard with {@code IPV6_V6ONLY} off,
   * so IPv4 clients arrive as IPv4-mapped addresses (passt's "dual stack" socket, one file
   * descriptor per port instead of two). Otherwise as {@link #tcpListen}.
   *
   * <p>The default implementation refuses: the caller then binds one socket per family.
   *
   * @throws DescriptorLimitException when out of file descriptors
   * @throws IOException when the socket cannot be created, bound or put to listen
   */
  default HostTcpListener tcpListenDualStack(int port, String bindInterface,
      TcpAcceptor acceptor) throws IOException {
    throw new IOException("dual-stack TCP listeners not supported by " + getClass().getName());
  }

  /**
   * A listening socket for a forwarded port, as {@link #tcpListen(InetSocketAddress, String,
   * TcpAcceptor)}, with pasta's loopback bypass: in pasta (unless {@code --no-splice}), a
   * connection from a loopback address never reaches {@code acceptor}; passt4j connects a
   * socket of its own to {@code loopbackPort} on the namespace's loopback and moves the bytes
   * between the two with {@code splice(2)}. Elsewhere this is the three-argument form.
   *
   * @param loopbackPort the port on the other side's loopback (the forward's target port)
   */
  default HostTcpListener tcpListen(InetSocketAddress bind, String bindInterface,
      TcpAcceptor acceptor, int loopbackPort) throws IOException {
    return tcpListen(bind, bindInterface, acceptor);
  }

  /**
   * {@link #tcpListenDualStack(int, String, TcpAcceptor)} with pasta's loopback bypass, as
   * {@link #tcpListen(InetSocketAddress, String, TcpAcceptor, int)}: an IPv4 client from
   * 127.0.0.0/8 (an IPv4-mapped address here) goes to the namespace's 127.0.0.1.
   */
  default HostTcpListener tcpListenDualStack(int port, String bindInterface,
      TcpAcceptor acceptor, int loopbackPort) throws IOException {
    return tcpListenDualStack(port, bindInterface, acceptor);
  }

  /**
   * A UDP socket for a forwarded port, as {@link #udp(InetSocketAddress, String,
   * DatagramReceiver)}, with pasta's loopback bypass: in pasta (unless {@code --no-splice}), a
   * datagram from a loopback address never reaches {@code receiver}; passt4j relays it from a
   * socket of its own to {@code loopbackPort} on the namespace's loopback, and the answers back
   * from this socket. Elsewhere this is the three-argument form.
   *
   * @param loopbackPort the port on the other side's loopback (the forward's target port)
   */
  default HostDatagramSocket udp(InetSocketAddress bind, String bindInterface,
      DatagramReceiver receiver, int loopbackPort) throws IOException {
    return udp(bind, bindInterface, receiver);
  }
}
