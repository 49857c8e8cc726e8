#include "tests/server/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>

#include "absl/strings/str_cat.h"

namespace edgellm::testing {

std::string EdgellmBinary() {
  // Bazel runs tests in the runfiles tree of the main repository.
  return "runtime/cli/edgellm";
}

std::string StepDelayBinary() { return "tests/server/edgellm_with_step_delay"; }

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
  if (read_fd_ >= 0) close(read_fd_);
}

absl::Status ServerProcess::Start(const std::vector<std::string>& args,
                                  absl::Duration timeout) {
  return Launch(args, timeout, /*until_serving=*/true);
}

absl::Status ServerProcess::StartListening(const std::vector<std::string>& args,
                                           absl::Duration timeout) {
  return Launch(args, timeout, /*until_serving=*/false);
}

int ServerProcess::LoggedPort(const std::string& what) const {
  const std::regex line(what + " listening on 127\\.0\\.0\\.1:([0-9]+)");
  absl::MutexLock lock(&mu_);
  std::smatch m;
  if (!std::regex_search(log_, m, line)) return 0;
  return std::atoi(m[1].str().c_str());
}

absl::Status ServerProcess::Launch(const std::vector<std::string>& args,
                                   absl::Duration timeout, bool until_serving) {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> argv_strings = {binary_, "serve", "--listen",
                                           "127.0.0.1:0"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork failed");
  if (pid_ == 0) {
    dup2(fds[1], STDERR_FILENO);
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  read_fd_ = fds[0];
  reader_ = std::thread([this] {
    char buffer[4096];
    while (true) {
      const ssize_t n = read(read_fd_, buffer, sizeof(buffer));
      if (n <= 0) break;
      absl::MutexLock lock(&mu_);
      log_.append(buffer, n);
    }
    absl::MutexLock lock(&mu_);
    eof_ = true;
  });
  const absl::Time end = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  static const std::regex kListening("listening on 127\\.0\\.0\\.1:([0-9]+)");
  while (true) {
    std::smatch m;
    if (port_ == 0 && std::regex_search(log_, m, kListening)) {
      port_ = std::atoi(m[1].str().c_str());
    }
    if (port_ != 0 && (!until_serving || log_.find("edgellm serve: serving ") !=
                                             std::string::npos)) {
      return absl::OkStatus();
    }
    if (eof_) {
      return absl::InternalError(
          absl::StrCat("the server exited while starting:\n", log_));
    }
    if (absl::Now() >= end) {
      return absl::DeadlineExceededError(
          absl::StrCat("the server did not start in time:\n", log_));
    }
    mu_.Unlock();
    absl::SleepFor(absl::Milliseconds(10));
    mu_.Lock();
  }
}

void ServerProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int ServerProcess::Stop(int signal, absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  const absl::Time end = absl::Now() + timeout;
  int status = 0;
  while (true) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (absl::Now() >= end) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string ServerProcess::log() const {
  absl::MutexLock lock(&mu_);
  return log_;
}

bool ServerProcess::WaitForLog(const std::string& text,
                               absl::Duration timeout) const {
  const absl::Time end = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  while (log_.find(text) == std::string::npos) {
    if (absl::Now() >= end) return false;
    mu_.Unlock();
    absl::SleepFor(absl::Milliseconds(10));
    mu_.Lock();
  }
  return true;
}

}  // namespace edgellm::testing
