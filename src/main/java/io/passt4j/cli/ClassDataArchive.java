package io.passt4j.cli;

import io.passt4j.impl.Logging;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import javax.management.ObjectName;

/**
 * Writes the class-data-sharing archive the launcher asked for: a JVM started with {@code
 * -XX:+RecordDynamicDumpInfo} and {@code PASST4J_CDS_ARCHIVE=PATH} in its environment dumps the
 * classes it loaded (JDK 17's {@code VM.cds dynamic_dump} diagnostic command) when its run ends,
 * and later JVMs map them with {@code -XX:SharedArchiveFile} instead of reading, parsing and
 * verifying them again: about half the CPU time from start to the namespace's first connection.
 *
 * <p>Dumping here rather than with {@code -XX:ArchiveClassesAtExit} means: only a run that
 * served and carried TCP writes an archive (not {@code --help}, a failed start or a command that
 * never used the network, whose archive would lack the data path), it is written to a temporary
 * file and renamed into place only once complete, and a failure (say, a directory we may no
 * longer write to) is a debug line, not the JVM's exit status 1.
 */
final class ClassDataArchive {

  /** Environment variable naming the archive to write. */
  static final String ENV = "PASST4J_CDS_ARCHIVE";

  private ClassDataArchive() {}

  /** Dumps the archive if the launcher asked for one; never throws. */
  static void dumpIfAsked() {
    String target = System.getenv(ENV);
    if (target == null || target.isEmpty()) return;
    Path dest = Path.of(target);
    Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp" + ProcessHandle.current().pid());
    PrintStream out = System.out;
    try {
      // the dump command prints "Dynamic dump to file ..." on standard output: not ours to say
      System.setOut(new PrintStream(OutputStream.nullOutputStream()));
      ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmCds",
          new Object[] {new String[] {"dynamic_dump", tmp.toString()}},
          new String[] {String[].class.getName()});
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--r--r--"));
      Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Logging.log(Logging.DEBUG, "Class data archive written: " + dest);
    } catch (Exception | Error e) {
      Logging.log(Logging.DEBUG, "Class data archive " + dest + " not written: " + e);
      try {
        Files.deleteIfExists(tmp);
      } catch (Exception ignored) {
        // nothing more to do
      }
    } finally {
      System.setOut(out);
    }
  }
}
