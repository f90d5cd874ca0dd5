#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signgw/error.h"

static int file_open_error(const char *path, int e, char *err, size_t errlen) {
  snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
  return e == ENOENT || e == ENOTDIR ? SGW_ENOENT : SGW_EIO;
}

int sgw_file_read(const char *path, size_t max, char **text, size_t *len,
                  char *err, size_t errlen) {
  struct stat st;
  char *buf = NULL;
  size_t n = 0;
  int fd = -1, rc;

  *text = NULL;
  *len = 0;
  /* Refused before open(): opening a FIFO for reading waits for a writer. */
  if (stat(path, &st) < 0)
    return file_open_error(path, errno, err, errlen);
  if (!S_ISREG(st.st_mode))
    goto not_regular;
  /* It may have been swapped since: O_NONBLOCK keeps even that from
   * waiting, and fstat checks what was opened. */
  if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
    return file_open_error(path, errno, err, errlen);
  if (fstat(fd, &st) < 0) {
    rc = file_open_error(path, errno, err, errlen);
    goto fail;
  }
  if (!S_ISREG(st.st_mode))
    goto not_regular;
  if ((size_t)st.st_size > max) {
    snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
    rc = SGW_ERANGE;
    goto fail;
  }
  if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
    snprintf(err, errlen, "out of memory reading %s", path);
    rc = SGW_ENOMEM;
    goto fail;
  }
  /* Read what is there; a file that grows meanwhile is cut at its size
   * from fstat (the next reload sees the rest). */
  while (n < (size_t)st.st_size) {
    ssize_t got = read(fd, buf + n, (size_t)st.st_size - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
      rc = SGW_EIO;
      goto fail;
    }
    if (got == 0)
      break;
    n += (size_t)got;
  }
  close(fd);
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;

not_regular:
  snprintf(err, errlen, "%s: not a regular file", path);
  rc = SGW_EIO;
fail:
  if (buf != NULL) {
    memset(buf, 0, n); /* it may hold a secret */
    free(buf);
  }
  if (fd >= 0)
    close(fd);
  return rc;
}
