// Text search (ListTasks.query, server/core/search.h) against an oracle: the fuzzer's
// bytes are the query (skipped unless UTF-8: protobuf will not send other strings; the
// server's refusal of them is fuzz_grpc's part), run over tasks whose titles and contents
// mix words with and without diacritics. Every page is read (two tasks a page, so the
// cursor crosses both phases). The query is refused with INVALID_ARGUMENT exactly when
// NormalizeField refuses it or it has no words; otherwise the tasks found are each found
// once, and are exactly those whose folded words include every folded word of the query.
// Seeds: tests/fuzz/corpus/search.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/limits.h"
#include "server/domain/text.h"
#include "tests/fuzz/fuzz_server.h"

namespace {

[[noreturn]] void Fail(const std::string& query, const std::string& why) {
  std::fprintf(stderr, "query \"%s\": %s\n", query.c_str(), why.c_str());
  std::abort();
}

d06::Client& SearchClient() {
  static d06::Client* client = [] {
    d06::ClientOptions options;
    options.target = "127.0.0.1:" + std::to_string(d06::fuzz::FuzzServer().port());
    options.actor = "fuzz";
    d06::Client* made = d06::Client::Connect(options)->release();
    const std::pair<const char*, const char*> tasks[] = {
        {"Đề án 06 triển khai", "Dữ liệu dân cư, định danh và xác thực điện tử"},
        {"de an 06 trien khai", "du lieu dan cu"},
        {"Thu thập dữ liệu dân cư", "Làm sạch dữ liệu; đối soát với CSDL quốc gia"},
        {"Xác thực điện tử VNeID", "Kích hoạt tài khoản định danh mức 2"},
        {"Rà soát thủ tục hành chính", "Cắt giảm giấy tờ: căn cước thay sổ hộ khẩu"},
        {"ĐỀ ÁN 06 – BÁO CÁO", "Báo cáo tháng 6/2026 (Đề án 06)"},
    };
    for (const auto& [title, content] : tasks) {
      d06::v1::CreateTaskRequest request;
      request.mutable_task()->set_title(title);
      request.mutable_task()->set_content(content);
      request.mutable_task()->set_kind(d06::v1::TASK_KIND_ONE_OFF);
      request.mutable_task()->set_assigning_unit("units/H01");
      d06::v1::Assignment* lead = request.add_assignments();
      lead->set_unit("units/H01.01");
      lead->set_role(d06::v1::ASSIGNMENT_ROLE_LEAD);
      if (!made->CreateTask(request).ok()) std::abort();
    }
    return made;
  }();
  return *client;
}

// Every task of the server (the fuzz server's and the ones above), by name: the folded
// words of its title and content.
const std::map<std::string, std::set<std::string>>& AllTasks() {
  static const std::map<std::string, std::set<std::string>> all = [] {
    std::map<std::string, std::set<std::string>> out;
    d06::v1::ListTasksRequest list;
    list.set_page_size(100);
    absl::StatusOr<d06::v1::ListTasksResponse> page = SearchClient().ListTasks(list);
    if (!page.ok() || !page->next_page_token().empty()) std::abort();
    for (const d06::v1::Task& task : page->tasks()) {
      for (const std::string& word : d06::Tokenize(task.title() + "\n" + task.content())) {
        out[task.name()].insert(d06::Fold(word));
      }
    }
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string query(reinterpret_cast<const char*>(data), size);
  if (!d06::IsValidUtf8(query)) return 0;
  const std::map<std::string, std::set<std::string>>& all = AllTasks();

  // What the server should do.
  absl::StatusOr<std::string> normal = d06::NormalizeField("query", query, d06::kMaxQuery);
  std::set<std::string> words;
  if (normal.ok()) {
    for (const std::string& word : d06::Tokenize(*normal)) words.insert(d06::Fold(word));
  }
  const bool refused = !normal.ok() || (!query.empty() && words.empty());
  std::set<std::string> expected;
  for (const auto& [name, folded] : all) {
    bool has_all = true;
    for (const std::string& word : words) has_all = has_all && folded.count(word) > 0;
    if (has_all) expected.insert(name);
  }

  // What it does.
  d06::v1::ListTasksRequest list;
  list.set_query(query);
  list.set_page_size(2);
  std::set<std::string> found;
  for (int pages = 0;; ++pages) {
    absl::StatusOr<d06::v1::ListTasksResponse> page = SearchClient().ListTasks(list);
    if (!page.ok()) {
      if (refused && pages == 0 && absl::IsInvalidArgument(page.status())) return 0;
      Fail(query, "answered " + page.status().ToString());
    }
    if (refused) Fail(query, "was not refused");
    for (const d06::v1::Task& task : page->tasks()) {
      if (!found.insert(task.name()).second) Fail(query, task.name() + " found twice");
    }
    if (page->next_page_token().empty()) break;
    if (pages > 2 * static_cast<int>(all.size()) + 4) Fail(query, "pages without end");
    list.set_page_token(page->next_page_token());
  }
  if (found != expected) {
    std::string why = "found";
    for (const std::string& name : found) why += " " + name;
    why += "; expected";
    for (const std::string& name : expected) why += " " + name;
    Fail(query, why);
  }
  return 0;
}
