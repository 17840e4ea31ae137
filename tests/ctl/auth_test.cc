// The client side of authentication: how the C++ client and d06ctl present a token, and
// d06ctl's contexts.
//   * pure: flag/environment/context precedence, the transport rule, the config file's
//     round trip and mode, loopback detection, the token file read again when it changes;
//   * against a fake AccessService in this process (plaintext on 127.0.0.1) that records
//     the authorization metadata: the token travels over local credentials, never over
//     plaintext credentials of the caller's own, a rotated token file is picked up, d06ctl sends
//     --token, D06_TOKEN,
//     --token_file and a context's token file;
//   * against the real d06d with authentication required (the default), its first
//     administrator made by `d06d bootstrap-admin`: no token is UNAUTHENTICATED/
//     CREDENTIAL_MISSING, the bootstrap token is the admin, a token created with
//     `d06ctl access create-token` (its secret shown once) works until it is revoked.
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/credentials.h"
#include "client/ctl/config.h"
#include "client/ctl/global_options.h"
#include "d06/v1/access.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/ctl/spawn.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_ca.h"

namespace d06::ctl {
namespace {

using proc::EnvironWith;
using proc::ReadFile;
using proc::Result;
using proc::Spawn;
using proc::WaitExit;
using ::testing::HasSubstr;
using ::testing::Not;

// Runs d06ctl with `args` and the environment changed by `env` (D06_* and D06CONFIG
// always set or cleared here, so that the caller's own never count).
Result RunD06ctl(const std::string& dir, const std::vector<std::string>& args,
                 std::map<std::string, std::string> env) {
  for (const char* name : {"D06_ADDRESS", "D06_ACTOR", "D06_TOKEN", "D06_CONTEXT", "D06_TIMEOUT"}) {
    env.emplace(name, "");
  }
  env.emplace("D06CONFIG", dir + "/no-config.json");
  std::vector<std::string> argv = {D06CTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::vector<std::string> environment = EnvironWith(env);
  return proc::Run(argv, dir, &environment);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

const char* NoEnv(const char*) { return nullptr; }

std::map<std::string, std::string>* fake_env = nullptr;
const char* FakeGetenv(const char* name) {
  auto it = fake_env->find(name);
  return it == fake_env->end() ? nullptr : it->second.c_str();
}

// ---- precedence and the transport rule -------------------------------------------------

TEST(CtlOptionsTest, FlagsOverEnvironmentOverContextFieldByField) {
  std::map<std::string, std::string> env = {{"D06_ADDRESS", "127.0.0.2:7000"},
                                            {"D06_TOKEN", "d06_fromenv"}};
  fake_env = &env;
  absl::StatusOr<ParsedCommandLine> parsed =
      ParseGlobalOptions({"units", "list", "--token_file=/run/t", "--actor", "an"}, FakeGetenv);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->words, ::testing::ElementsAre("units", "list"));

  CtlContext context;
  context.set_name("c");
  context.set_address("d06.example.gov.vn:443");
  context.set_tls_ca("ca.pem");
  context.set_tls_server_name("d06.internal");
  context.set_token_file("context.token");
  const ConnectionSettings from_context = SettingsOf(context, "/etc/d06");
  EXPECT_EQ(from_context.tls_ca, "/etc/d06/ca.pem");  // relative to the config's directory
  const ConnectionSettings merged =
      Merge({&from_context, &parsed->options.env, &parsed->options.flags});
  EXPECT_EQ(merged.address, "127.0.0.2:7000");  // env over context
  EXPECT_EQ(merged.token_file, "/run/t");       // flag over env and context
  EXPECT_FALSE(merged.token.has_value());       // ... dropping the env's token
  EXPECT_EQ(merged.tls_ca, "/etc/d06/ca.pem");  // only the context says it
  EXPECT_EQ(merged.tls_server_name, "d06.internal");
  EXPECT_EQ(merged.actor, "an");

  absl::StatusOr<ClientOptions> options = ToClientOptions(merged, absl::Seconds(3));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->target, "127.0.0.2:7000");
  EXPECT_EQ(options->token_file, "/run/t");
  EXPECT_EQ(options->token, "");
  EXPECT_EQ(options->tls_ca, "/etc/d06/ca.pem");
  EXPECT_EQ(options->default_timeout, absl::Seconds(3));

  // The environment's token when no flag names one.
  parsed = ParseGlobalOptions({"units", "list"}, FakeGetenv);
  ASSERT_TRUE(parsed.ok());
  const ConnectionSettings env_token =
      Merge({&from_context, &parsed->options.env, &parsed->options.flags});
  EXPECT_EQ(env_token.token, "d06_fromenv");
  EXPECT_FALSE(env_token.token_file.has_value());
}

TEST(CtlOptionsTest, PlaintextAndTlsReplaceEachOtherAcrossLayers) {
  ConnectionSettings context;
  context.address = "d06.example.gov.vn:443";
  context.tls_ca = "/etc/d06/ca.pem";
  context.tls_cert = "/etc/d06/me.pem";
  context.tls_key = "/etc/d06/me.key";
  ConnectionSettings flags;
  flags.plaintext = true;
  ConnectionSettings merged = Merge({&context, &flags});
  EXPECT_FALSE(merged.tls_ca || merged.tls_cert || merged.tls_key);
  absl::StatusOr<ClientOptions> options = ToClientOptions(merged, absl::Seconds(1));
  ASSERT_TRUE(options.ok()) << options.status();  // explicit plaintext: allowed (a mesh)
  EXPECT_FALSE(options->tls);
  EXPECT_EQ(options->tls_ca, "");

  ConnectionSettings plaintext_context;
  plaintext_context.address = "10.0.0.5:50051";
  plaintext_context.plaintext = true;
  ConnectionSettings tls_flag;
  tls_flag.tls = true;
  merged = Merge({&plaintext_context, &tls_flag});
  EXPECT_FALSE(merged.plaintext.has_value());
  options = ToClientOptions(merged, absl::Seconds(1));
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->tls);
}

TEST(CtlOptionsTest, PlaintextToANonLoopbackAddressNeedsAFlag) {
  ConnectionSettings settings;
  settings.address = "d06.example.gov.vn:50051";
  absl::StatusOr<ClientOptions> options = ToClientOptions(settings, absl::Seconds(1));
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("--tls_ca"));
  EXPECT_THAT(options.status().message(), HasSubstr("--plaintext"));

  settings.address = "127.0.0.1:50051";  // loopback: plaintext without a flag
  EXPECT_TRUE(ToClientOptions(settings, absl::Seconds(1)).ok());
  settings.address = "localhost:50051";
  settings.token = "d06_x";
  EXPECT_TRUE(ToClientOptions(settings, absl::Seconds(1)).ok());

  // A token never goes in plaintext beyond loopback, even with --plaintext.
  settings.address = "10.0.0.5:50051";
  settings.plaintext = true;
  options = ToClientOptions(settings, absl::Seconds(1));
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("never sent in plaintext"));
}

TEST(CtlOptionsTest, ContradictoryFlagsAreUsageErrors) {
  EXPECT_FALSE(ParseGlobalOptions({"--token", "a", "--token_file", "f"}, NoEnv).ok());
  EXPECT_FALSE(ParseGlobalOptions({"--plaintext", "--tls_ca=ca.pem"}, NoEnv).ok());
  EXPECT_FALSE(ParseGlobalOptions({"--tls=maybe"}, NoEnv).ok());
  absl::StatusOr<ParsedCommandLine> parsed =
      ParseGlobalOptions({"--plaintext=false", "--tls", "--token.display_name", "x"}, NoEnv);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.flags.plaintext, false);
  EXPECT_EQ(parsed->options.flags.tls, true);
  // A request field under "token." is the command's, not the bearer token.
  EXPECT_FALSE(parsed->options.flags.token.has_value());
  EXPECT_THAT(parsed->words, ::testing::ElementsAre("--token.display_name", "x"));
}

// ---- the config file --------------------------------------------------------------------

TEST(CtlConfigTest, RoundTripWithMode0600) {
  d06::testing::TempDir dir("d06-ctl-config");
  const std::string path = dir.path() + "/sub/dir/config";
  absl::StatusOr<CtlConfig> empty = LoadConfig(path);
  ASSERT_TRUE(empty.ok()) << empty.status();  // a missing file is an empty config
  EXPECT_EQ(empty->contexts_size(), 0);

  CtlConfig config;
  config.set_current_context("nghean");
  CtlContext* c = config.add_contexts();
  c->set_name("nghean");
  c->set_address("d06.nghean.gov.vn:443");
  c->set_tls_ca("/etc/d06/ca.pem");
  c->set_token_file("/home/an/.config/d06/nghean.token");
  c = config.add_contexts();
  c->set_name("dev");
  c->set_address("127.0.0.1:50051");
  c->set_plaintext(true);
  c->set_actor("Nguyễn Văn An");
  ASSERT_TRUE(SaveConfig(path, config).ok());

  struct stat st = {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir.path() + "/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string text = ReadFile(path);
  EXPECT_THAT(text, HasSubstr("\"current_context\": \"nghean\""));  // proto field names
  EXPECT_THAT(text, HasSubstr("\"token_file\""));

  absl::StatusOr<CtlConfig> loaded = LoadConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->SerializeAsString(), config.SerializeAsString());

  WriteFile(path, "{\"contexts\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}");
  EXPECT_THAT(LoadConfig(path).status().message(), HasSubstr("two contexts called \"a\""));
  WriteFile(path, "{\"contexts\": [{\"nmae\": \"a\"}]}");
  EXPECT_TRUE(absl::IsInvalidArgument(LoadConfig(path).status()));
}

// ---- credentials ---------------------------------------------------------------------------

TEST(ClientCredentialsTest, LoopbackTargets) {
  for (const char* target : {"127.0.0.1:50051", "localhost:1", "[::1]:50051", "::1",
                             "dns:///localhost:50051", "ipv4:127.0.0.9:5", "unix:/run/d06.sock"}) {
    EXPECT_TRUE(client::IsLoopbackTarget(target)) << target;
  }
  for (const char* target : {"10.0.0.5:50051", "d06.example.gov.vn:443", "128.0.0.1:1",
                             "127.0.0.1.example.com:5", "dns:///d06.example.gov.vn"}) {
    EXPECT_FALSE(client::IsLoopbackTarget(target)) << target;
  }
}

TEST(ClientCredentialsTest, TokenFileIsReadAgainWhenItChanges) {
  d06::testing::TempDir dir("d06-token-file");
  const std::string path = dir.path() + "/token";
  std::shared_ptr<client::TokenSource> source = client::TokenSource::File(path);
  EXPECT_TRUE(absl::IsFailedPrecondition(source->Current().status()));  // no file yet
  WriteFile(path, "d06_first\n");
  EXPECT_EQ(source->Current().value_or(""), "d06_first");
  WriteFile(path, "  d06_second_token  \n");  // another size: read again
  EXPECT_EQ(source->Current().value_or(""), "d06_second_token");
  WriteFile(path, "");
  absl::StatusOr<std::string> empty = source->Current();
  EXPECT_TRUE(absl::IsFailedPrecondition(empty.status()));
  EXPECT_THAT(empty.status().message(), HasSubstr(path));
  WriteFile(path, "d06_a b");
  EXPECT_TRUE(absl::IsInvalidArgument(source->Current().status()));
  EXPECT_THAT(source->Current().status().message(), Not(HasSubstr("d06_a")));  // never the token
  // Renamed over (as a rotation script does): another inode.
  WriteFile(path + ".new", "d06_third\n");
  ASSERT_EQ(rename((path + ".new").c_str(), path.c_str()), 0);
  EXPECT_EQ(source->Current().value_or(""), "d06_third");
}

TEST(ClientCredentialsTest, ConnectRefusesWhatCannotWork) {
  ClientOptions options;
  options.token = "d06_x";
  options.target = "d06.example.gov.vn:50051";  // plaintext beyond loopback
  EXPECT_TRUE(absl::IsInvalidArgument(Client::Connect(options).status()));
  options.target = "127.0.0.1:1";
  options.token_file = "/nonexistent/token";  // both
  EXPECT_TRUE(absl::IsInvalidArgument(Client::Connect(options).status()));
  options.token.clear();
  EXPECT_TRUE(absl::IsFailedPrecondition(Client::Connect(options).status()));
  options.token_file.clear();
  options.tls_cert = "-----BEGIN CERTIFICATE-----\n";  // without its key
  EXPECT_TRUE(absl::IsInvalidArgument(Client::Connect(options).status()));
  options.tls_cert.clear();
  options.tls_ca = "/nonexistent/ca.pem";
  EXPECT_THAT(Client::Connect(options).status().message(), HasSubstr("/nonexistent/ca.pem"));
}

// An AccessService that answers WhoAmI with the authorization metadata it received.
class RecordingAccessService final : public v1::AccessService::Service {
 public:
  grpc::Status WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest*,
                      v1::WhoAmIResponse* response) override {
    std::string authorization;
    for (const auto& [key, value] : context->client_metadata()) {
      if (key == v1::kAuthorizationMetadataKey) {
        authorization = std::string(value.data(), value.size());
      }
    }
    {
      absl::MutexLock lock(&mu_);
      seen_.push_back(authorization);
    }
    response->set_method(authorization.empty() ? "none" : "token");
    response->mutable_principal()->set_display_name(authorization);
    return grpc::Status::OK;
  }

  std::vector<std::string> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

class FakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override { server_->Shutdown(); }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

  d06::testing::TempDir dir_{"d06-fake-server"};
  RecordingAccessService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(FakeServerTest, ClientSendsTheTokenOverPlaintextLoopback) {
  ClientOptions options;
  options.target = address();
  options.token = "d06_fixedtoken";
  options.max_retries = 0;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<v1::WhoAmIResponse> me = (*client)->WhoAmI({});
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->principal().display_name(), "Bearer d06_fixedtoken");

  // Without a token: nothing.
  options.token.clear();
  client = Client::Connect(options);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->WhoAmI({}).ok());
  EXPECT_EQ(service_.seen().back(), "");
}

// Credentials of the caller's own are not checked by Connect: the token then goes as a
// call credential, which gRPC attaches only to a channel with privacy and integrity.
TEST_F(FakeServerTest, ATokenNeverTravelsOverPlaintextCredentialsOfTheCallersOwn) {
  ClientOptions options;
  options.target = address();
  options.token = "d06_fixedtoken";
  options.credentials = grpc::InsecureChannelCredentials();
  options.max_retries = 0;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_FALSE((*client)->WhoAmI({}).ok());
  for (const std::string& seen : service_.seen()) EXPECT_EQ(seen, "");
}

TEST_F(FakeServerTest, ClientUsesARotatedTokenFileFromTheNextCall) {
  const std::string path = dir_.path() + "/token";
  WriteFile(path, "d06_before\n");
  ClientOptions options;
  options.target = address();
  options.token_file = path;
  options.max_retries = 0;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->WhoAmI({}).ok());
  WriteFile(path + ".new", "d06_after_rotation\n");
  ASSERT_EQ(rename((path + ".new").c_str(), path.c_str()), 0);
  ASSERT_TRUE((*client)->WhoAmI({}).ok());
  EXPECT_THAT(service_.seen(),
              ::testing::ElementsAre("Bearer d06_before", "Bearer d06_after_rotation"));

  // A file that went away fails the call before anything is sent.
  ASSERT_EQ(unlink(path.c_str()), 0);
  absl::StatusOr<v1::WhoAmIResponse> me = (*client)->WhoAmI({});
  EXPECT_FALSE(me.ok());
  EXPECT_THAT(me.status().message(), HasSubstr(path));
  EXPECT_EQ(service_.seen().size(), 2u);
}

TEST_F(FakeServerTest, CtlSendsTokenFromFlagEnvironmentFileAndContext) {
  const std::string dir = dir_.path();
  auto who = [&](std::vector<std::string> args, std::map<std::string, std::string> env) {
    args.insert(args.end(), {"access", "who-am-i", "-o", "json"});
    Result result = RunD06ctl(dir, args, std::move(env));
    EXPECT_EQ(result.code, 0) << result.err;
    v1::WhoAmIResponse response;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &response).ok())
        << result.out;
    return response.principal().display_name();
  };
  EXPECT_EQ(who({"--address", address(), "--token", "d06_flag"}, {}), "Bearer d06_flag");
  EXPECT_EQ(who({"--address", address()}, {{"D06_TOKEN", "d06_env"}}), "Bearer d06_env");
  WriteFile(dir + "/token", "d06_file\n");
  EXPECT_EQ(
      who({"--address", address(), "--token_file", dir + "/token"}, {{"D06_TOKEN", "d06_env"}}),
      "Bearer d06_file");  // the flag over the environment
  EXPECT_EQ(who({"--address", address()}, {}), "");

  // A context with the address and the token file; flags and environment over it.
  const std::string config = dir + "/config";
  Result set = RunD06ctl(
      dir,
      {"config", "set-context", "fake", "--address", address(), "--token_file", dir + "/token"},
      {{"D06CONFIG", config}});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_THAT(set.out, HasSubstr("it is the current context"));
  EXPECT_EQ(who({}, {{"D06CONFIG", config}}), "Bearer d06_file");
  EXPECT_EQ(who({"--token", "d06_flag"}, {{"D06CONFIG", config}}), "Bearer d06_flag");
  EXPECT_EQ(who({}, {{"D06CONFIG", config}, {"D06_TOKEN", "d06_env"}}), "Bearer d06_env");
}

TEST(CtlConfigCommandTest, SetUseGetCurrentDeleteContexts) {
  d06::testing::TempDir dir("d06-ctl-contexts");
  const std::map<std::string, std::string> env = {{"D06CONFIG", dir.path() + "/config"}};
  auto ctl = [&](const std::vector<std::string>& args) { return RunD06ctl(dir.path(), args, env); };

  EXPECT_EQ(ctl({"config", "current-context"}).code, 5);  // none yet
  ASSERT_EQ(ctl({"config", "set-context", "prod", "--address", "d06.nghean.gov.vn:443", "--tls_ca",
                 "ca.pem", "--token_file", "~/prod.token"})
                .code,
            0);
  ASSERT_EQ(
      ctl({"config", "set-context", "dev", "--address", "127.0.0.1:50051", "--plaintext"}).code, 0);
  EXPECT_EQ(ctl({"config", "current-context"}).out, "prod\n");  // the first one
  ASSERT_EQ(ctl({"config", "use-context", "dev"}).code, 0);
  EXPECT_EQ(ctl({"config", "current-context"}).out, "dev\n");
  const std::string table = ctl({"config", "get-contexts"}).out;
  EXPECT_THAT(table, HasSubstr("CURRENT  NAME"));
  EXPECT_THAT(table, HasSubstr("*        dev   127.0.0.1:50051"));
  EXPECT_THAT(table, HasSubstr("prod  d06.nghean.gov.vn:443"));

  // Paths are stored absolute; only the settings given change.
  ASSERT_EQ(ctl({"config", "set-context", "prod", "--tls_server_name", "d06.internal"}).code, 0);
  absl::StatusOr<CtlConfig> config = LoadConfig(dir.path() + "/config");
  ASSERT_TRUE(config.ok());
  const CtlContext* prod = FindContext(*config, "prod");
  ASSERT_NE(prod, nullptr);
  EXPECT_EQ(prod->address(), "d06.nghean.gov.vn:443");
  EXPECT_EQ(prod->tls_server_name(), "d06.internal");
  EXPECT_TRUE(absl::StartsWith(prod->tls_ca(), "/") && absl::EndsWith(prod->tls_ca(), "/ca.pem"))
      << prod->tls_ca();
  EXPECT_FALSE(absl::StartsWith(prod->token_file(), "~")) << prod->token_file();

  // The context's transport rule applies: prod is TLS with a CA that does not exist.
  Result refused = ctl({"--context", "prod", "units", "list"});
  EXPECT_EQ(refused.code, 64);
  EXPECT_THAT(refused.err, HasSubstr("ca.pem"));
  EXPECT_EQ(ctl({"--context", "nope", "units", "list"}).code, 64);
  Result token = ctl({"config", "set-context", "dev", "--token", "d06_x"});
  EXPECT_EQ(token.code, 64);
  EXPECT_THAT(token.err, HasSubstr("--token_file"));
  EXPECT_THAT(ReadFile(dir.path() + "/config"), Not(HasSubstr("d06_x")));

  ASSERT_EQ(ctl({"config", "delete-context", "dev"}).code, 0);
  EXPECT_EQ(ctl({"config", "current-context"}).code, 5);
  EXPECT_EQ(ctl({"config", "use-context", "dev"}).code, 5);
  EXPECT_EQ(ctl({"config", "set-context", "bad name"}).code, 64);
}

TEST(CtlTransportTest, NonLoopbackWithoutTlsOrPlaintextIsRefusedNamingTheFlags) {
  d06::testing::TempDir dir("d06-ctl-transport");
  Result result =
      RunD06ctl(dir.path(), {"--address", "d06.example.gov.vn:50051", "units", "list"}, {});
  EXPECT_EQ(result.code, 64);
  EXPECT_THAT(result.err, HasSubstr("--tls_ca"));
  EXPECT_THAT(result.err, HasSubstr("--plaintext"));
}

// ---- against d06d with authentication required ---------------------------------------------

// A child d06d on a data directory of `dir` whose first administrator `d06d
// bootstrap-admin` made; `flags` are added to its command line.
struct ChildServer {
  pid_t pid = -1;
  std::string address;
  std::string admin_token;

  void Start(const std::string& dir, const std::vector<std::string>& flags) {
    const std::string data = dir + "/data";
    // The first administrator, before the server runs on the directory.
    const pid_t bootstrap =
        Spawn({D06D_PATH, "bootstrap-admin", "--data_dir=" + data, "--name=Quản trị viên"},
              dir + "/bootstrap.out", dir + "/bootstrap.err");
    ASSERT_EQ(WaitExit(bootstrap), 0) << ReadFile(dir + "/bootstrap.err");
    admin_token = std::string(absl::StripAsciiWhitespace(ReadFile(dir + "/bootstrap.out")));
    ASSERT_TRUE(absl::StartsWith(admin_token, v1::kTokenPrefix)) << admin_token;

    const std::string log = dir + "/d06d.log";
    // No --auth flag: authentication required is the default.
    std::vector<std::string> argv = {D06D_PATH, "--listen=127.0.0.1:0",
                                     "--http_listen=", "--metrics_listen=", "--data_dir=" + data};
    argv.insert(argv.end(), flags.begin(), flags.end());
    pid = Spawn(argv, dir + "/d06d.out", log);
    ASSERT_GT(pid, 0);
    const std::string port = proc::WaitForGrpcPort(log);
    ASSERT_FALSE(port.empty()) << ReadFile(log);
    address = absl::StrCat("127.0.0.1:", port);
  }

  void Stop() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      WaitExit(pid);
      pid = -1;
    }
  }
};

class CtlAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new d06::testing::TempDir("d06-ctl-auth");
    server_ = new ChildServer;
    server_->Start(dir_->path(), {});
    address_ = server_->address;
    admin_token_ = server_->admin_token;
  }

  static void TearDownTestSuite() {
    server_->Stop();
    delete server_;
    delete dir_;
  }

  static Result Ctl(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    env.emplace("D06_ADDRESS", address_);
    return RunD06ctl(dir_->path(), args, std::move(env));
  }

  static d06::testing::TempDir* dir_;
  static ChildServer* server_;
  static std::string address_;
  static std::string admin_token_;
};

d06::testing::TempDir* CtlAuthTest::dir_ = nullptr;
ChildServer* CtlAuthTest::server_ = nullptr;
std::string CtlAuthTest::address_;
std::string CtlAuthTest::admin_token_;

TEST_F(CtlAuthTest, WithoutATokenIsUnauthenticatedCredentialMissing) {
  Result result = Ctl({"units", "list"});
  EXPECT_EQ(result.code, 16) << result.err;
  EXPECT_THAT(result.err, HasSubstr("UNAUTHENTICATED (CREDENTIAL_MISSING"));
  result = Ctl({"units", "list", "--token", "d06_notarealtoken"});
  EXPECT_EQ(result.code, 16) << result.err;
  EXPECT_THAT(result.err, HasSubstr("UNAUTHENTICATED (TOKEN_"));
}

TEST_F(CtlAuthTest, BootstrapTokenIsTheAdministrator) {
  Result result = Ctl({"access", "who-am-i", "-o", "json"}, {{"D06_TOKEN", admin_token_}});
  ASSERT_EQ(result.code, 0) << result.err;
  v1::WhoAmIResponse me;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &me).ok()) << result.out;
  EXPECT_EQ(me.method(), "token");
  EXPECT_EQ(me.principal().display_name(), "Quản trị viên");

  // Through a context's token file, with no flag at all.
  const std::string token_file = dir_->path() + "/admin.token";
  WriteFile(token_file, admin_token_ + "\n");
  const std::map<std::string, std::string> env = {{"D06CONFIG", dir_->path() + "/config"}};
  ASSERT_EQ(RunD06ctl(dir_->path(),
                      {"config", "set-context", "local", "--address", address_, "--token_file",
                       token_file},
                      env)
                .code,
            0);
  result = RunD06ctl(dir_->path(), {"access", "who-am-i"}, env);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Quản trị viên"));
  EXPECT_THAT(result.out, HasSubstr("token"));
}

TEST_F(CtlAuthTest, CreatedTokenIsShownOnceAndWorksUntilRevoked) {
  const std::map<std::string, std::string> admin = {{"D06_TOKEN", admin_token_}};
  Result result = Ctl({"units", "create", "--unit.code", "A01", "--unit.display_name", "Tỉnh A01",
                       "--unit.kind", "PROVINCE"},
                      admin);
  ASSERT_EQ(result.code, 0) << result.err;
  result = Ctl(
      {"access", "create-principal", "--principal_id", "nguyen-van-an", "--principal.display_name",
       "Nguyễn Văn An", "--principal.kind", "PERSON", "--principal.unit", "units/A01",
       // A repeated message field as proto JSON, as README's Production section.
       R"(--principal.bindings=[{"role": "ROLE_VIEWER", "unit": "units/A01"}])"},
      admin);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, ::testing::ContainsRegex("bindings\\[0\\]\\.role: +VIEWER"));
  const std::string expire =
      absl::FormatTime(absl::RFC3339_sec, absl::Now() + absl::Hours(24), absl::UTCTimeZone());
  result = Ctl({"access", "create-token", "principals/nguyen-van-an", "--token.display_name",
                "d06ctl trên máy của An", "--token.expire_time", expire},
               admin);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("shown only this once"));
  EXPECT_THAT(result.out, Not(HasSubstr("secret:")));
  std::string secret;
  for (absl::string_view line : absl::StrSplit(result.out, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(line, v1::kTokenPrefix)) secret = std::string(line);
  }
  ASSERT_FALSE(secret.empty()) << result.out;
  std::string token_name;
  for (absl::string_view line : absl::StrSplit(result.out, '\n')) {
    if (absl::ConsumePrefix(&line, "token.name:"))
      token_name = std::string(absl::StripAsciiWhitespace(line));
  }
  ASSERT_TRUE(absl::StartsWith(token_name, "principals/nguyen-van-an/tokens/")) << result.out;

  result = Ctl({"access", "who-am-i", "-o", "json"}, {{"D06_TOKEN", secret}});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Nguyễn Văn An"));

  ASSERT_EQ(Ctl({"access", "revoke-token", token_name}, admin).code, 0);
  result = Ctl({"access", "who-am-i"}, {{"D06_TOKEN", secret}});
  EXPECT_EQ(result.code, 16);
  EXPECT_THAT(result.err, HasSubstr("TOKEN_REVOKED"));
}

// The principal's rate budget (d06d --rate_limits): d06ctl sits out a short wait by
// itself, and shows a long one on its error line, with the delay.
TEST(CtlRateLimitTest, ShortWaitsAreSatOutLongOnesShown) {
  for (const bool long_wait : {false, true}) {
    d06::testing::TempDir dir("d06-ctl-rate");
    ChildServer server;
    // The administrator's reads: 2 at once, then one a second (sat out) or one every 100 s.
    ASSERT_NO_FATAL_FAILURE(server.Start(dir.path(), {long_wait ? "--rate_limits=admin=0.01/2:1/10"
                                                                : "--rate_limits=admin=1/2:1/10"}));
    const std::map<std::string, std::string> env = {{"D06_ADDRESS", server.address},
                                                    {"D06_TOKEN", server.admin_token}};
    Result result = RunD06ctl(dir.path(), {"access", "who-am-i"}, env);
    for (int i = 1; i < 4 && result.code == 0; ++i) {
      result = RunD06ctl(dir.path(), {"access", "who-am-i"}, env);
    }
    if (long_wait) {
      EXPECT_EQ(result.code, 8) << result.err;  // RESOURCE_EXHAUSTED
      EXPECT_THAT(result.err,
                  ::testing::ContainsRegex("^d06ctl: RESOURCE_EXHAUSTED \\(RATE_LIMITED, "
                                           "budget=reads, retry_after_ms=[0-9]+\\): "
                                           "principals/admin has used its budget of reads "
                                           "\\(admin: 0.01 a second, bursts of 2\\); retry in "));
    } else {
      EXPECT_EQ(result.code, 0) << result.err;
    }
    server.Stop();
  }
}

// ---- mutual TLS against d06d with --tls_cert, --tls_key and --client_ca ----------------

TEST(CtlMtlsTest, TheCertificateOfASystemPrincipalAuthenticatesIt) {
  d06::testing::TempDir dir("d06-ctl-mtls");
  d06::testing::TestPki pki(dir.path());
  const std::string client_cert = pki.Write("client.pem", pki.client().cert_pem);
  const std::string client_key = pki.Write("client.key", pki.client().key_pem);
  const std::string unknown_cert = pki.Write("unknown.pem", pki.unknown_client().cert_pem);
  const std::string unknown_key = pki.Write("unknown.key", pki.unknown_client().key_pem);
  ChildServer server;
  server.Start(dir.path(), {"--tls_cert=" + pki.server_cert_file(),
                            "--tls_key=" + pki.server_key_file(), "--client_ca=" + pki.ca_file()});
  const std::string tls_ca = "--tls_ca=" + pki.ca_file();
  auto ctl = [&](std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    env.emplace("D06_ADDRESS", server.address);
    return RunD06ctl(dir.path(), args, std::move(env));
  };

  // The administrator (a token over TLS) makes the agency system's principal.
  Result result = ctl(
      {"access", "create-principal", tls_ca, "--principal_id", "he-thong-h40",
       "--principal.display_name", "Hệ thống tỉnh H40", "--principal.kind", "SYSTEM",
       // A repeated field's flag, once per value.
       "--principal.certificate_subjects", absl::StrCat("URI:", d06::testing::TestPki::kClientUri)},
      {{"D06_TOKEN", server.admin_token}});
  ASSERT_EQ(result.code, 0) << result.err;

  // Its certificate, no token.
  result = ctl({"access", "who-am-i", "-o", "json", tls_ca, "--tls_cert=" + client_cert,
                "--tls_key=" + client_key});
  ASSERT_EQ(result.code, 0) << result.err;
  v1::WhoAmIResponse me;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &me).ok()) << result.out;
  EXPECT_EQ(me.principal().name(), "principals/he-thong-h40");
  EXPECT_EQ(me.method(), "certificate");

  // A certificate of the same CA whose subject no principal has.
  result =
      ctl({"access", "who-am-i", tls_ca, "--tls_cert=" + unknown_cert, "--tls_key=" + unknown_key});
  EXPECT_EQ(result.code, 16) << result.err;
  EXPECT_THAT(result.err, HasSubstr("CERTIFICATE_UNKNOWN"));

  // Plaintext to the TLS port: no answer at all, and an error that says so.
  result = ctl({"access", "who-am-i", "--plaintext", "--timeout=3s"},
               {{"D06_TOKEN", server.admin_token}});
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(result.out, Not(HasSubstr("he-thong")));
  server.Stop();
}

}  // namespace
}  // namespace d06::ctl
