// Whether an HTTP client is still connected, for a handler that waits for
// the engine. cpp-httplib 0.11 (Debian 12's) gives handlers neither the
// socket nor a "connection closed" signal, and its DataSink::is_writable()
// stays true for a socket whose peer has gone; a request's socket is found
// instead by its addresses (httplib::Request's local and remote address and
// port) among the process's open descriptors, and asked with poll(2) for
// POLLRDHUP, which a peer's close (FIN or RST) raises and a client that
// merely waits does not.
//
// Not thread-safe; one per request.
#ifndef EDGELLM_RUNTIME_SERVER_HTTP_PEER_CONNECTION_H_
#define EDGELLM_RUNTIME_SERVER_HTTP_PEER_CONNECTION_H_

#include <string>

namespace edgellm::server::http {

class PeerConnection {
 public:
  // The connected TCP socket with these addresses (numeric hosts, as
  // httplib reports them), or one that never reports closed if none is
  // found.
  static PeerConnection Find(const std::string& local_addr, int local_port,
                             const std::string& remote_addr, int remote_port);
  // From a known descriptor (tests).
  explicit PeerConnection(int fd) : fd_(fd) {}

  bool found() const { return fd_ >= 0; }
  // True once the peer has closed or reset the connection.
  bool Closed() const;

 private:
  int fd_ = -1;
};

}  // namespace edgellm::server::http

#endif  // EDGELLM_RUNTIME_SERVER_HTTP_PEER_CONNECTION_H_
