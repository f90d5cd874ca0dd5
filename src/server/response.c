#include "server/response.h"

#include <string.h>

const char *sgw_response_reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Unknown";
  }
}

/* Appends "Name: value\r\n". */
static int head_line(sgw_buf_t *out, const char *name, size_t nlen,
                     const char *value) {
  int rc = sgw_buf_append(out, name, nlen);
  if (rc == 0)
    rc = sgw_buf_appends(out, value);
  return rc == 0 ? sgw_buf_append(out, "\r\n", 2) : rc;
}

/* Built by appends rather than printf: this runs for every response. */
int sgw_response_head(sgw_buf_t *out, int status, const char *date,
                      const char *content_type, size_t content_length,
                      const char *request_id, int keep_alive,
                      const char *extra, size_t extra_len) {
  int rc = sgw_buf_append(out, "HTTP/1.1 ", 9);

  if (rc == 0)
    rc = sgw_buf_append_int(out, status);
  if (rc == 0)
    rc = sgw_buf_appendc(out, ' ');
  if (rc == 0)
    rc = head_line(out, "", 0, sgw_response_reason(status));
  if (rc == 0)
    rc = head_line(out, "Date: ", 6, date);
  if (rc == 0)
    rc = sgw_buf_append(out, "Content-Length: ", 16);
  if (rc == 0)
    rc = sgw_buf_append_int(out, (long long)content_length);
  if (rc == 0)
    rc = head_line(out, "\r\nX-Request-Id: ", 16, request_id);
  if (rc == 0 && content_type != NULL)
    rc = head_line(out, "Content-Type: ", 14, content_type);
  if (rc == 0 && !keep_alive)
    rc = sgw_buf_appends(out, "Connection: close\r\n");
  if (rc == 0 && extra_len > 0)
    rc = sgw_buf_append(out, extra, extra_len);
  if (rc == 0)
    rc = sgw_buf_append(out, "\r\n", 2);
  return rc;
}
