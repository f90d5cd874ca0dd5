/* The dev bucket's data directory (see store.h). */
#include "dev/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signgw/crypto.h"
#include "signgw/error.h"

int sgw_store_key_check(const char *key, size_t len) {
  size_t seg = 0;

  if (key == NULL || len == 0)
    return SGW_EINVAL;
  if (len > SGW_STORE_MAX_KEY)
    return SGW_ERANGE;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && key[i] != '/') {
      unsigned char c = (unsigned char)key[i];
      if (c < 0x20 || c == 0x7f)
        return SGW_EINVAL;
      if (++seg > SGW_STORE_MAX_SEGMENT)
        return SGW_ERANGE;
      continue;
    }
    /* The end of a segment: never empty, ".", or "..". */
    if (seg == 0 || (seg == 1 && key[i - 1] == '.') ||
        (seg == 2 && key[i - 1] == '.' && key[i - 2] == '.'))
      return SGW_EINVAL;
    seg = 0;
  }
  return 0;
}

/* mkdir -p of `path` (a buffer we may write into while walking it). */
static int mkdirs(char *path, mode_t mode) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(path, mode) < 0 && errno != EEXIST) {
      *p = '/';
      return -errno;
    }
    *p = '/';
  }
  if (mkdir(path, mode) < 0 && errno != EEXIST)
    return -errno;
  return 0;
}

static char *join(const char *a, const char *b, size_t blen) {
  size_t alen = strlen(a);
  char *p = malloc(alen + 1 + blen + 1);

  if (p == NULL)
    return NULL;
  memcpy(p, a, alen);
  p[alen] = '/';
  memcpy(p + alen + 1, b, blen);
  p[alen + 1 + blen] = '\0';
  return p;
}

/* Removes what a crash left in tmp/ (only regular files we named). */
static void clean_tmp(const char *tmp) {
  DIR *d = opendir(tmp);
  struct dirent *e;

  if (d == NULL)
    return;
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "up-", 3) == 0)
      unlinkat(dirfd(d), e->d_name, 0);
  closedir(d);
}

int sgw_store_open(sgw_store_t *s, const char *dir, char *err,
                   size_t errlen) {
  char *copy = NULL, real[PATH_MAX];
  int rc;

  memset(s, 0, sizeof(*s));
  if (dir == NULL || dir[0] == '\0' || (copy = strdup(dir)) == NULL) {
    snprintf(err, errlen, "dev bucket: no data directory");
    free(copy);
    return SGW_EINVAL;
  }
  rc = mkdirs(copy, 0755);
  free(copy);
  if (rc < 0 || realpath(dir, real) == NULL) {
    snprintf(err, errlen, "dev bucket: cannot create the data directory "
             "%s: %s", dir, strerror(rc < 0 ? -rc : errno));
    return SGW_EIO;
  }
  s->root = strdup(real);
  s->objects = join(real, "objects", 7);
  s->tmp = join(real, "tmp", 3);
  if (s->root == NULL || s->objects == NULL || s->tmp == NULL) {
    sgw_store_close(s);
    snprintf(err, errlen, "dev bucket: out of memory");
    return SGW_ENOMEM;
  }
  if ((mkdir(s->objects, 0755) < 0 && errno != EEXIST) ||
      (mkdir(s->tmp, 0700) < 0 && errno != EEXIST)) {
    snprintf(err, errlen, "dev bucket: cannot create folders in %s: %s",
             s->root, strerror(errno));
    sgw_store_close(s);
    return SGW_EIO;
  }
  clean_tmp(s->tmp);
  return 0;
}

void sgw_store_close(sgw_store_t *s) {
  free(s->root);
  free(s->objects);
  free(s->tmp);
  memset(s, 0, sizeof(*s));
}

int sgw_store_temp(const sgw_store_t *s, sgw_buf_t *path, int *fd) {
  unsigned char raw[12];
  char hex[2 * sizeof(raw) + 1];

  *fd = -1;
  if (sgw_random_bytes(raw, sizeof(raw)) < 0)
    return SGW_ECRYPTO;
  sgw_hex_encode(raw, sizeof(raw), hex);
  sgw_buf_reset(path);
  if (sgw_buf_appends(path, s->tmp) < 0 ||
      sgw_buf_appends(path, "/up-") < 0 || sgw_buf_appends(path, hex) < 0)
    return SGW_ENOMEM;
  *fd = open(path->base, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
             0644);
  return *fd < 0 ? SGW_EIO : 0;
}

/* Whether `path` (a folder that exists) really lies in `root`. */
static int inside(const char *root, const char *path) {
  char real[PATH_MAX];
  size_t n = strlen(root);

  return realpath(path, real) != NULL && strncmp(real, root, n) == 0 &&
         (real[n] == '\0' || real[n] == '/');
}

int sgw_store_commit(const sgw_store_t *s, const char *tmp, const char *key,
                     size_t len) {
  char *path, *slash;
  int rc = 0;

  if ((rc = sgw_store_key_check(key, len)) < 0)
    return rc;
  if ((path = join(s->objects, key, len)) == NULL)
    return SGW_ENOMEM;
  slash = strrchr(path, '/');
  *slash = '\0';
  /* An object on the way (ENOTDIR/EEXIST) means the key cannot be a
   * path here. */
  if ((rc = mkdirs(path, 0755)) < 0)
    rc = rc == -ENOTDIR || rc == -EEXIST ? SGW_EINVAL : SGW_EIO;
  else if (!inside(s->objects, path))
    rc = SGW_EINVAL;
  *slash = '/';
  if (rc == 0 && rename(tmp, path) < 0)
    rc = errno == EISDIR || errno == ENOTDIR || errno == ENOTEMPTY ||
                 errno == EEXIST
             ? SGW_EINVAL
             : SGW_EIO;
  free(path);
  return rc;
}

int sgw_store_read(const sgw_store_t *s, const char *key, size_t len, int *fd,
                   uint64_t *size, int64_t *mtime) {
  struct stat st;
  char *path, *slash;
  int rc = 0;

  *fd = -1;
  if (sgw_store_key_check(key, len) < 0)
    return SGW_ENOENT;
  if ((path = join(s->objects, key, len)) == NULL)
    return SGW_ENOMEM;
  slash = strrchr(path, '/');
  *slash = '\0';
  if (!inside(s->objects, path))
    rc = SGW_ENOENT;
  *slash = '/';
  if (rc == 0 &&
      (*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
    rc = errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? SGW_ENOENT
                                                               : SGW_EIO;
  free(path);
  if (rc < 0)
    return rc;
  if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(*fd);
    *fd = -1;
    return SGW_ENOENT; /* a folder of other keys, not an object */
  }
  *size = (uint64_t)st.st_size;
  *mtime = (int64_t)st.st_mtime;
  return 0;
}
