/**
 * Forwarding: passt's port SPEC grammar ({@link io.passt4j.fwd.PortSpec}) expanded to {@link
 * io.passt4j.fwd.ForwardRules}, and the address translation between the guest's view and the
 * host's ({@link io.passt4j.fwd.AddressMap}: gateway to the host's loopback, DNS forwarding,
 * {@code --map-host-loopback}, {@code --map-guest-addr}); the sockets of forwarded ports by port
 * ({@link io.passt4j.fwd.ForwardSockets}), which pasta's automatic forwarding adds and removes.
 */
package io.passt4j.fwd;
