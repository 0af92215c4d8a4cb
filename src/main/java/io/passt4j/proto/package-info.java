/**
 * The built-in protocol handlers, one package each (arp, dhcp, dhcpv6, ndp, icmp, udp), each a
 * {@link io.passt4j.spi.ProtocolPlugin} using only the SPI and the packet views, as a third-party
 * plugin would.
 */
package io.passt4j.proto;
