/* Text for the SGW_E* codes, for log lines and error responses. */
#include "signgw/error.h"

const char *sgw_strerror(int err) {
  switch (err) {
  case SGW_OK:
    return "success";
  case SGW_ENOMEM:
    return "out of memory";
  case SGW_EINVAL:
    return "invalid argument";
  case SGW_ECRYPTO:
    return "cryptographic library failure";
  case SGW_ERANGE:
    return "value out of range";
  case SGW_ENOENT:
    return "not found";
  case SGW_EIO:
    return "I/O error";
  case SGW_ETIMEDOUT:
    return "timed out";
  case SGW_ECONN:
    return "connection failed";
  case SGW_ETLS:
    return "TLS failure";
  case SGW_ETOOBIG:
    return "too large";
  case SGW_EBUSY:
    return "too many at once";
  case SGW_ECANCELED:
    return "cancelled";
  case SGW_EPROTO:
    return "protocol error";
  default:
    /* Never NULL: callers pass the result straight to printf("%s"). */
    return "unknown error";
  }
}
