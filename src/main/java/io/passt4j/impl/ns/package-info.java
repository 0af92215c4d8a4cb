/**
 * pasta's namespace side: the command's namespaces (made by a child, as a JVM cannot make its
 * own, DESIGN.md §3.1), the one thread that lives in the network namespace, and what is done
 * there once: the tap device, {@code lo} up, {@code ping_group_range}, {@code --config-net}.
 *
 * <p>Order, as Debian's pasta: the command's namespaces exist first (the child blocks on a FIFO
 * before it execs the command), then the namespace thread joins the network namespace and makes
 * and configures the tap device; only when passt4j is ready to read from the tap is the FIFO
 * written and the command run. Joining an existing namespace ({@code --netns}, a PID) does the
 * same without a child.
 */
package io.passt4j.impl.ns;
