/**
 * The command-line program behind {@code scripts/passt} and {@code scripts/pasta}: passt's
 * options with getopt semantics and passt's error wording, the startup summary, dropping root,
 * and telling the launcher when the daemon is ready. Knows only options and the embedding API.
 */
package io.passt4j.cli;
