#include "runtime/server/http/peer_connection.h"

#include <dirent.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string_view>

namespace edgellm::server::http {
namespace {

// The numeric host and the port of a socket address, as httplib formats
// them (getnameinfo with NI_NUMERICHOST).
bool HostAndPort(const sockaddr_storage& addr, socklen_t len, std::string* host,
                 int* port) {
  char buffer[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, buffer,
                  sizeof(buffer), nullptr, 0, NI_NUMERICHOST) != 0) {
    return false;
  }
  *host = buffer;
  if (addr.ss_family == AF_INET) {
    *port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    *port = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  } else {
    return false;
  }
  return true;
}

bool Matches(int fd, const std::string& local_addr, int local_port,
             const std::string& remote_addr, int remote_port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  std::string host;
  int port = 0;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      !HostAndPort(addr, len, &host, &port) || port != remote_port ||
      host != remote_addr) {
    return false;
  }
  len = sizeof(addr);
  return getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
         HostAndPort(addr, len, &host, &port) && port == local_port &&
         host == local_addr;
}

}  // namespace

PeerConnection PeerConnection::Find(const std::string& local_addr,
                                    int local_port,
                                    const std::string& remote_addr,
                                    int remote_port) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return PeerConnection(-1);
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    if (Matches(static_cast<int>(fd), local_addr, local_port, remote_addr,
                remote_port)) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  return PeerConnection(found);
}

bool PeerConnection::Closed() const {
  if (fd_ < 0) return false;
  pollfd p{};
  p.fd = fd_;
  p.events = POLLRDHUP;
  if (poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace edgellm::server::http
