// A gRPC server and client exchange a server-streamed message over a loopback
// port chosen by the OS, using the edgellm.v1 generated stubs.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "edgellm/v1/edgellm.grpc.pb.h"
#include "gtest/gtest.h"

namespace {

using edgellm::v1::EdgeLlm;
using edgellm::v1::GenerateRequest;
using edgellm::v1::GenerateResponse;

// Streams the prompt back one character per message, then a final message.
class EchoService final : public EdgeLlm::Service {
  grpc::Status Generate(grpc::ServerContext*, const GenerateRequest* request,
                        grpc::ServerWriter<GenerateResponse>* writer) override {
    for (char c : request->prompt()) {
      GenerateResponse piece;
      piece.set_text(std::string(1, c));
      if (!writer->Write(piece)) return grpc::Status::CANCELLED;
    }
    GenerateResponse last;
    last.set_finish_reason(edgellm::v1::FINISH_REASON_LENGTH);
    writer->Write(last);
    return grpc::Status::OK;
  }
};

TEST(GrpcStreamSmokeTest, ServerStreamsEveryMessageToClient) {
  EchoService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0) << "the OS chose no port";

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::InsecureChannelCredentials());
  auto stub = EdgeLlm::NewStub(channel);
  grpc::ClientContext context;
  GenerateRequest request;
  request.set_prompt("hello");
  auto reader = stub->Generate(&context, request);
  std::string text;
  int messages = 0;
  edgellm::v1::FinishReason finish = edgellm::v1::FINISH_REASON_UNSPECIFIED;
  GenerateResponse response;
  while (reader->Read(&response)) {
    ++messages;
    text += response.text();
    finish = response.finish_reason();
  }
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(text, "hello");
  EXPECT_EQ(messages, 6);
  EXPECT_EQ(finish, edgellm::v1::FINISH_REASON_LENGTH);
  server->Shutdown();
}

}  // namespace
