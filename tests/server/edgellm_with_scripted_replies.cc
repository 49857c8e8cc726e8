// `edgellm serve` over an engine whose model answers with scripted text
// (runtime/engine/testing/scripted_replies.h) instead of what its random
// weights would say, so end-to-end tests and the example clients can run a
// tool-calling round trip through the real server: the real template,
// output parser, scheduler, gRPC service and HTTP facade. Test-only.
//
//   edgellm_with_scripted_replies serve --scripted-replies REPLIES.json
//       --model M.gguf --chat-template T.jinja ...
//
// REPLIES.json: [{"when_prompt_contains": "...", "reply": "..."}, ...]; the
// first entry whose text the rendered prompt contains is the reply.
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "runtime/cli/commands.h"
#include "runtime/engine/testing/scripted_replies.h"

int main(int argc, char** argv) {
  std::string replies_path;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--scripted-replies" && i + 1 < argc) {
      replies_path = argv[++i];
      continue;
    }
    args.push_back(argv[i]);
  }
  if (replies_path.empty()) {
    std::cerr << "edgellm_with_scripted_replies: give --scripted-replies "
                 "FILE.json\n";
    return 2;
  }
  absl::StatusOr<std::vector<edgellm::testing::ScriptedReply>> replies =
      edgellm::testing::ReadScriptedReplies(replies_path);
  if (!replies.ok()) {
    std::cerr << "edgellm_with_scripted_replies: " << replies.status() << "\n";
    return 2;
  }
  edgellm::cli::Command serve = edgellm::cli::ServeCommandWith(
      [replies = std::move(*replies)](const edgellm::EngineOptions& options) {
        return edgellm::testing::LoadEngineWithScriptedReplies(options,
                                                               replies);
      });
  return edgellm::cli::RunMain({serve}, static_cast<int>(args.size()),
                               args.data());
}
