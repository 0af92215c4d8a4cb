/**
 * The protocol plugin SPI: what a plugin implements ({@link io.passt4j.spi.ProtocolPlugin},
 * {@link io.passt4j.spi.ProtocolHandler}) and what it is given ({@link
 * io.passt4j.spi.HandlerContext} and the host sockets behind it).
 *
 * <h2>Lifecycle</h2>
 * At start passt4j finds every {@code ProtocolPlugin} with {@link java.util.ServiceLoader} (the
 * thread's context class loader, then its own), keeps those enabled for the configuration, and
 * deploys one verticle per plugin running the handler the plugin creates: {@code start} once,
 * then {@code handleFrame} for each guest frame its {@link io.passt4j.spi.FrameSelector}s take,
 * then {@code stop} once at shutdown, after which passt4j closes the host sockets the handler
 * left open.
 *
 * <h2>Threading</h2>
 * Each handler runs on its verticle's event loop: {@code start}, {@code handleFrame}, host socket
 * callbacks and Vert.x timers set through {@code context.vertx()} all run on that one thread,
 * never concurrently. Nothing may block it. The command-line program puts the endpoint and every
 * handler on one event loop, so a frame never changes threads.
 *
 * <h2>Frames</h2>
 * A {@link io.passt4j.packet.Frame} is an Ethernet frame in a reference-counted Netty buffer,
 * passed by reference over the event bus, never copied. The handler owns each frame it is given
 * and must {@code release()} it. Frames to the guest are complete Ethernet frames in buffers from
 * {@link io.passt4j.spi.HandlerContext#allocate(int)}, handed over with {@link
 * io.passt4j.spi.HandlerContext#sendToGuest}; the header writers in {@link
 * io.passt4j.packet.Packets} fill Ethernet, IP and transport headers and checksums.
 *
 * <h2>Hostile input</h2>
 * Guest frames are untrusted: check every header view with its {@code isValid} before reading
 * it, and drop what does not parse with {@link io.passt4j.spi.HandlerContext#drop(String)} (a
 * counted reason), never an exception.
 */
package io.passt4j.spi;
