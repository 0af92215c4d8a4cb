/**
 * The SCTP prototype plugin: guest packets of IP protocol 132 (RFC 9260), through the public SPI
 * only.
 *
 * <h2>Theory of operation</h2>
 * Every SCTP packet from the guest is checked first: the 12-byte common header, then each chunk
 * header (type, flags, length of at least 4, the chunk within the packet, padding to 4 bytes),
 * then the CRC32c checksum. What fails is dropped and counted under a fixed reason ("short SCTP
 * common header", "no SCTP chunks", "truncated SCTP chunk header", "bad SCTP chunk length",
 * "truncated SCTP chunk", "bad SCTP checksum"), as a host stack silently discards it.
 *
 * <p>At start the handler asks {@link io.passt4j.spi.HostSockets#supports(int)} whether the host
 * kernel has SCTP sockets. When it does not (the machines this was built on), a valid packet is
 * answered with ICMP destination unreachable, protocol unreachable (IPv4) or ICMPv6 parameter
 * problem, unrecognized next header (IPv6), through {@link
 * io.passt4j.spi.HandlerContext#sendIcmpError}, exactly what a host without SCTP answers; the
 * log says so once.
 *
 * <p><b>Not built:</b> where the kernel has SCTP, each guest association should map to a host
 * SCTP socket as the TCP handler maps connections (INIT/INIT-ACK/COOKIE, DATA and SACK,
 * SHUTDOWN, ABORT), which needs SCTP sockets in the SPI's {@code HostSockets}. That path could
 * not be tested here and is not written: with a kernel that has SCTP the plugin still answers
 * ICMP unreachable, and warns once that the mapping is missing.
 */
package io.passt4j.plugins.sctp;
