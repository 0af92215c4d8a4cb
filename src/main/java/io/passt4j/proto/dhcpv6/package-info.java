/**
 * DHCPv6 server: leases the one configured IPv6 address to the guest, forever, and hands out
 * resolvers and the search list.
 *
 * <p>Theory of operation. One client, one address, no lease table, as in Debian's passt
 * 7c7625d ({@code dhcpv6.c}). The server identifier is a DUID-LLT made of our MAC address and
 * the seconds since 2000-01-01 00:00 UTC when the handler started. SOLICIT (without server
 * identifier) gets ADVERTISE; REQUEST and RENEW (with our server identifier), CONFIRM (without
 * one), REBIND and INFORMATION-REQUEST get REPLY. Rapid commit, RELEASE, DECLINE, relays and
 * unicast are not supported: those messages are dropped, as is anything not sent to a
 * multicast address.
 *
 * <p>A reply carries, in passt's order: server identifier, the IA_NA of the request (its IAID,
 * T1 and T2 0xffffffff) with an IAADDR for {@code addr6} (preferred and valid lifetime
 * 0xffffffff), the client identifier echoed, then DNS servers (option 23) and the domain list
 * (option 24, uncompressed names) when the client's ORO asks for them and they are not switched
 * off. When REQUEST, RENEW or CONFIRM names an address that is not ours, the REPLY instead holds
 * the server identifier, the client's IA (its own IAID, T1, T2) with a NotOnLink status code
 * inside, and the client identifier; a CONFIRM for our address gets the full reply, as passt.
 *
 * <p>Addressing: from the gateway address when it is link-local, else from the host's link-local
 * address, port 547, to the request's source address port 546 and the MAC address it came from;
 * hop limit 255, and the flow label made of the transaction id bytes as passt does (byte 3,
 * byte 2, byte 1, the top nibble cut: xid 0a0b01 gives flow label 0x10b0a).
 *
 * <p>Deliberate differences, where passt is wrong: REBIND without server identifier (RFC 8415
 * 16.8: a Rebind must not carry one) gets a REPLY, which passt drops (one carrying our own
 * identifier is still answered, for passt's sake); INFORMATION-REQUEST may come without client
 * identifier (RFC 8415 16.12) and its REPLY holds no IA_NA (passt sends a stale one from its
 * static buffer); a SOLICIT without IA_NA gets no IA_NA back; the domain list is encoded afresh
 * for every reply (passt corrupts the root label of the first name from the second reply on);
 * options 23 and 24 only when requested in the ORO (passt always sends them). Options must tile
 * the message exactly; an IA_NA shorter than 12 bytes or an IAADDR shorter than 24 is dropped.
 */
package io.passt4j.proto.dhcpv6;
