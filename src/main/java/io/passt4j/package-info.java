/**
 * passt4j's embedding API: {@link io.passt4j.Passt4jVerticle}, the verticle a Vert.x application
 * deploys, and {@link io.passt4j.PasstConfig}, its one configuration object (JSON both ways).
 * Everything else a host needs is reached through these two.
 */
package io.passt4j;
