/* libetpan streams for IMAP connections that wait with poll(): libetpan's own socket and TLS
 * streams wait with select() on the socket and on a cancel pipe per connection, so a process
 * with a descriptor at or above FD_SETSIZE aborts and every connection costs three
 * descriptors. These cost one, have no such limit, and keep libetpan's read and write
 * semantics: each call waits up to the stream's timeout, and a signal ends the wait with an
 * error (a cancelled worker job is interrupted so, see src/sync/README). */
#ifndef PROVIDERS_IMAP_STREAM_H
#define PROVIDERS_IMAP_STREAM_H

#include <stddef.h>

#include <libetpan/libetpan.h>

/* A stream over the connected socket fd: plain, or TLS (GnuTLS, with sni as the server name
 * unless it is an address; the certificate is checked by the caller through
 * mailstream_get_certificate_chain). timeout_s bounds each wait when the stream has no
 * timeout of its own, and the TLS handshake. NULL with err set on failure; fd is the
 * stream's from the call on (closed on failure). */
mailstream *imap_stream_open(int fd, int tls, const char *sni, int timeout_s, char *err,
    size_t errlen);

#endif
