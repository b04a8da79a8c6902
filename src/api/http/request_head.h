// Finding the end of an HTTP/1.1 request head (request line and header fields,
// up to and including the empty line) in bytes that arrive piecemeal, so that
// the HTTP servers' event loop can hold a connection until its head is complete
// without handing it to a worker thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace ecompipe::api::http {

enum class HeadState {
  kIncomplete,  // no CRLF CRLF yet, and fewer than max_head_bytes bytes
  kComplete,    // `head_end` is the offset just past the CRLF CRLF
  kTooLarge,    // max_head_bytes bytes arrived without the head ending
};

// Scans `buffered` (everything the connection sent since its previous request)
// for the end of the head. `scanned` carries the progress between calls over
// the same growing buffer: start it at 0; each byte is looked at a bounded
// number of times however the bytes trickle in. Only CRLF line ends count (as
// cpp-httplib reads them); a head ended by bare LFs never completes.
HeadState ScanRequestHead(std::string_view buffered, size_t max_head_bytes, size_t& scanned,
                          size_t& head_end);

}  // namespace ecompipe::api::http
