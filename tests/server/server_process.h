// Runs `edgellm serve` as a child process for end-to-end tests: starts it on
// port 0, reads the port it prints ("listening on 127.0.0.1:PORT"), waits
// until the model is loaded ("serving ..."), collects its stderr (one log
// line per request) and stops it with a signal.
//
// Not thread-safe except log() / WaitForLog(), which may be called while the
// reader thread collects output.
#ifndef EDGELLM_TESTS_SERVER_SERVER_PROCESS_H_
#define EDGELLM_TESTS_SERVER_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace edgellm::testing {

// The `edgellm` binary in the test's runfiles ("runtime/cli/edgellm").
std::string EdgellmBinary();
// `edgellm serve` with a forward-pass delay (--step-delay-ms MS), for tests
// that must catch a tiny model mid-generation.
std::string StepDelayBinary();

class ServerProcess {
 public:
  // Runs `binary serve ...` (EdgellmBinary() or StepDelayBinary()).
  explicit ServerProcess(std::string binary = EdgellmBinary())
      : binary_(std::move(binary)) {}
  void set_binary(std::string binary) { binary_ = std::move(binary); }
  ~ServerProcess();  // SIGKILLs a child still running

  // Starts `BINARY serve --listen 127.0.0.1:0 ARGS...` and waits until it
  // serves (or fails). The error carries the server's output.
  absl::Status Start(const std::vector<std::string>& args,
                     absl::Duration timeout = absl::Seconds(30));
  // The same, but returns once the gRPC port is known (the model may still
  // be loading).
  absl::Status StartListening(const std::vector<std::string>& args,
                              absl::Duration timeout = absl::Seconds(30));
  // The port of an "http listening on 127.0.0.1:PORT" (or "metrics ...")
  // line of the log, or 0.
  int LoggedPort(const std::string& what) const;
  int port() const { return port_; }
  // The child's process id while it runs (-1 otherwise).
  pid_t pid() const { return pid_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Sends `signal` and waits for the exit; returns the exit code (128+n if
  // killed by signal n), or -1 on timeout (the child is then killed).
  int Stop(int signal, absl::Duration timeout = absl::Seconds(30));
  // Sends `signal` without waiting.
  void Signal(int signal);

  std::string log() const;
  // Waits until the log contains `text`.
  bool WaitForLog(const std::string& text,
                  absl::Duration timeout = absl::Seconds(10)) const;

 private:
  absl::Status Launch(const std::vector<std::string>& args,
                      absl::Duration timeout, bool until_serving);

  std::string binary_;
  pid_t pid_ = -1;
  int port_ = 0;
  int read_fd_ = -1;
  std::thread reader_;
  mutable absl::Mutex mu_;
  std::string log_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace edgellm::testing

#endif  // EDGELLM_TESTS_SERVER_SERVER_PROCESS_H_
