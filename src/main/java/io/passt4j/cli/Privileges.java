package io.passt4j.cli;

import io.passt4j.impl.Logging;
import io.passt4j.impl.nat.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Dropping root, as passt does: {@code --runas UID|UID:GID|LOGIN|LOGIN:GROUP}, else "nobody"
 * when started as root. glibc's setuid/setgid change every thread of the JVM (DESIGN.md §3.11);
 * supplementary groups go first.
 */
public final class Privileges {

  private Privileges() {}

  /** Thrown with passt's wording when the identity can't be resolved or set. */
  public static final class Failure extends Exception {
    public Failure(String msg) {
      super(msg);
    }
  }

  /** A resolved user and group. */
  public record Ids(int uid, int gid) {}

  /**
   * Drops to {@code runas} (or nobody, when root and {@code runas} is null). Does nothing for a
   * non-root user without {@code --runas}, and for root inside a user namespace that doesn't map
   * the real root, where "nobody" is not mapped and there is nothing to protect.
   */
  public static void drop(String runas) throws Failure {
    LibC c = LibC.INSTANCE;
    if (runas == null) {
      if (c.geteuid() != 0) return;
      if (!initialUserNamespace()) {
        Logging.log(Logging.DEBUG, "Running as root in a user namespace, not changing user");
        return;
      }
      Logging.log(Logging.WARN, "Don't run as root. Changing to nobody...");
    }
    Ids ids = runas != null ? resolve(runas) : nobody();
    if (c.geteuid() == ids.uid() && c.getgid() == ids.gid()) return;
    if (c.setgroups(0, new int[0]) != 0 && c.geteuid() == 0) {
      throw new Failure("Can't drop supplementary groups: " + LibC.lastError());
    }
    if (c.setgid(ids.gid()) != 0) {
      throw new Failure("Can't set GID to " + ids.gid() + ": " + LibC.lastError());
    }
    if (c.setuid(ids.uid()) != 0) {
      throw new Failure("Can't set UID to " + ids.uid() + ": " + LibC.lastError());
    }
  }

  /** nobody from /etc/passwd, else 65534:65534, as Debian's passt (the common value). */
  static Ids nobody() {
    try {
      return resolve("nobody");
    } catch (Failure e) {
      return new Ids(65534, 65534);
    }
  }

  /**
   * Resolves {@code UID[:GID]} or {@code LOGIN[:GROUP]} from /etc/passwd and /etc/group; fails
   * with passt's "Invalid --runas option: SPEC" (passt prints only what precedes the colon, as
   * its parser cuts the string there; we print the whole value).
   */
  public static Ids resolve(String spec) throws Failure {
    String user = spec;
    String group = null;
    int colon = spec.indexOf(':');
    if (colon >= 0) {
      user = spec.substring(0, colon);
      group = spec.substring(colon + 1);
    }
    int uid;
    int gid;
    List<String[]> passwd = read("/etc/passwd");
    if (user.matches("\\d+")) {
      uid = Integer.parseInt(user);
      String[] pw = find(passwd, 2, user);
      gid = pw != null ? Integer.parseInt(pw[3]) : uid;
    } else {
      String[] pw = find(passwd, 0, user);
      if (pw == null) throw new Failure("Invalid --runas option: " + spec);
      uid = Integer.parseInt(pw[2]);
      gid = Integer.parseInt(pw[3]);
    }
    if (group != null) {
      if (group.matches("\\d+")) {
        gid = Integer.parseInt(group);
      } else {
        String[] gr = find(read("/etc/group"), 0, group);
        if (gr == null) throw new Failure("Invalid --runas option: " + spec);
        gid = Integer.parseInt(gr[2]);
      }
    }
    return new Ids(uid, gid);
  }

  private static List<String[]> read(String file) {
    try {
      return Files.readAllLines(Path.of(file)).stream().map(l -> l.split(":", -1)).toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String[] find(List<String[]> rows, int col, String value) {
    for (String[] r : rows) if (r.length > 3 && r[col].equals(value)) return r;
    return null;
  }

  /** Whether we are in the initial user namespace (uid_map maps the whole range onto itself). */
  static boolean initialUserNamespace() {
    try {
      String m = Files.readString(Path.of("/proc/self/uid_map")).trim();
      return m.matches("0\\s+0\\s+4294967295");
    } catch (IOException e) {
      return true;
    }
  }
}
