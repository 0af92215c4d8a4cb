/**
 * Packets: allocation-free header views over Netty buffers (Ethernet, ARP, IPv4, IPv6, UDP,
 * ICMP/ICMPv6, DHCP, DHCPv6, NDP options) with RFC field names and an {@code isValid} contract for
 * untrusted input; checksums composed from partial sums; {@link io.passt4j.packet.Frame}, a frame
 * and what classification learned of it; and the header writers of frames to the guest ({@link
 * io.passt4j.packet.Packets}), with the header values passt uses. Open sets of wire numbers
 * ({@link io.passt4j.packet.EtherType}, {@link io.passt4j.packet.IpProtocol}) are value classes.
 */
package io.passt4j.packet;
