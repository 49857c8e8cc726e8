#include "runtime/server/http/peer_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace edgellm::server::http {
namespace {

int Port(int fd, bool peer) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (peer) {
    getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  } else {
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  }
  return ntohs(addr.sin_port);
}

// A loopback TCP connection: the server's accepted socket and the client's.
struct Connection {
  int listener = -1, server = -1, client = -1;
  Connection() {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listener, 1);
    socklen_t len = sizeof(addr);
    getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    client = socket(AF_INET, SOCK_STREAM, 0);
    connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    server = accept(listener, nullptr, nullptr);
  }
  ~Connection() {
    for (int fd : {listener, server, client}) {
      if (fd >= 0) close(fd);
    }
  }
};

TEST(PeerConnectionTest, FindsTheAcceptedSocketByItsAddresses) {
  Connection c;
  ASSERT_GE(c.server, 0);
  const PeerConnection found = PeerConnection::Find(
      "127.0.0.1", Port(c.server, false), "127.0.0.1", Port(c.server, true));
  ASSERT_TRUE(found.found());
  EXPECT_FALSE(found.Closed());
  // Another remote port is another connection: not found, never closed.
  const PeerConnection other =
      PeerConnection::Find("127.0.0.1", Port(c.server, false), "127.0.0.1",
                           Port(c.server, true) == 1 ? 2 : 1);
  EXPECT_FALSE(other.found());
  EXPECT_FALSE(other.Closed());
}

TEST(PeerConnectionTest, ClosedOnceThePeerHangsUp) {
  Connection c;
  const PeerConnection peer = PeerConnection::Find(
      "127.0.0.1", Port(c.server, false), "127.0.0.1", Port(c.server, true));
  ASSERT_TRUE(peer.found());
  // Data from a client still there (a pipelined request) is not a close.
  ASSERT_EQ(write(c.client, "x", 1), 1);
  usleep(20000);
  EXPECT_FALSE(peer.Closed());
  close(c.client);
  c.client = -1;
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    closed = peer.Closed();
    if (!closed) usleep(10000);
  }
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace edgellm::server::http
