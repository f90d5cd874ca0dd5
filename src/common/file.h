/* Reading a whole small file that must be a regular file.
 *
 * The type is checked before the file is opened, and the open does not
 * wait (O_NONBLOCK), so a FIFO, a device or a directory named as a config
 * or key file is refused at once instead of hanging start-up or a reload. */
#ifndef SGW_FILE_H
#define SGW_FILE_H

#include <stddef.h>

/* Reads `path` (at most `max` bytes) into *text, NUL-terminated, length in
 * *len; the caller frees *text. Returns 0, or a negative SGW_E* code with
 * a message naming the path in `err`: SGW_ENOENT when it does not exist,
 * SGW_EIO when it cannot be read or is not a regular file, SGW_ERANGE
 * when it is larger than `max`, SGW_ENOMEM. */
int sgw_file_read(const char *path, size_t max, char **text, size_t *len,
                  char *err, size_t errlen);

#endif
