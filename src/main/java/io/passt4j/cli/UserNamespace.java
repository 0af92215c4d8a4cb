package io.passt4j.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * pasta's {@code --userns PATH}, and the user namespace of {@code pasta PID}: the namespace whose
 * capabilities pasta needs over the network namespace it joins.
 *
 * <p>A JVM is multithreaded and cannot {@code setns()} into a user namespace (DESIGN.md §3.1), so
 * the launcher does it: the JVM checks the path and, when it is not in that namespace yet, tells
 * the launcher {@code "userns PATH"} through its status file and exits; the launcher runs the JVM
 * again under {@code nsenter --user=PATH} (uid and gid 0 there, which keeps the capabilities
 * across {@code exec}), with {@value #ENV} set to PATH. Real root in the initial user namespace
 * has the capabilities over every network namespace already and stays where it is.
 */
final class UserNamespace {

  /** Set by the launcher when it started the JVM inside the user namespace it was asked for. */
  static final String ENV = "PASST4J_USERNS";

  /** Why the namespace can't be used, in passt's wording. */
  static final class Failure extends Exception {
    Failure(String msg) {
      super(msg);
    }
  }

  private UserNamespace() {}

  /**
   * Whether the launcher must run us again inside {@code path}.
   *
   * @throws Failure when the path can't be opened, or we are not in it after the launcher tried
   */
  static boolean mustEnter(String path) throws Failure {
    // null: from the launcher's own user namespace another one's files can't be looked at; the
    // launcher, outside, can, and nsenter says why when it can't enter
    Object target = identity(path);
    if (target != null && target.equals(identity("/proc/self/ns/user"))) return false;
    if (Privileges.initialUserNamespace() && new com.sun.security.auth.module.UnixSystem().getUid() == 0)
      return false;
    if (path.equals(System.getenv(ENV))) {
      throw new Failure("Couldn't enter user namespace " + path + ": still outside it after nsenter");
    }
    if (System.getenv(Main.STATUS_FILE) == null) {
      throw new Failure("Couldn't enter user namespace " + path
          + ": a JVM can't join one itself, start pasta through scripts/pasta");
    }
    return true;
  }

  /** The namespace's identity (device and inode of its nsfs file), null when access is denied. */
  private static Object identity(String path) throws Failure {
    try {
      Path p = Path.of(path);
      return Files.getAttribute(p, "unix:dev") + ":" + Files.getAttribute(p, "unix:ino");
    } catch (AccessDeniedException e) {
      return null;
    } catch (NoSuchFileException e) {
      throw new Failure("Couldn't open user namespace " + path + ": No such file or directory");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      throw new Failure("Couldn't open user namespace " + path + ": " + e.getMessage());
    }
  }
}
