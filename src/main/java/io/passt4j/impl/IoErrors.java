package io.passt4j.impl;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Why an I/O operation failed, in the words of {@code strerror(3)}, as passt prints them after
 * the path ("Failed to open pcap file /x: Permission denied"). The JDK's file exceptions carry
 * the path as their message and the reason in their type, or in {@link
 * FileSystemException#getReason()} for the errors without a type of their own.
 */
public final class IoErrors {

  private IoErrors() {}

  /** The reason of {@code e}, never the path it names. */
  public static String reason(IOException e) {
    if (e instanceof FileSystemException f) {
      if (f.getReason() != null) return f.getReason();
      if (e instanceof AccessDeniedException) return "Permission denied";
      if (e instanceof NoSuchFileException) return "No such file or directory";
      if (e instanceof FileAlreadyExistsException) return "File exists";
      if (e instanceof NotDirectoryException) return "Not a directory";
      return e.getClass().getSimpleName();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
