// One pager for every list RPC: follows next_page_token to the end.
//
//   std::vector<v1::Task> all = ListAll(req, [&](const v1::ListTasksRequest& r) {
//     return client.ListTasks(r); }, [](const v1::ListTasksResponse& p) -> auto& {
//     return p.tasks(); }, "ListTasks");
#ifndef D06_TESTS_TESTING_PAGER_H_
#define D06_TESTS_TESTING_PAGER_H_

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace d06::testing {

// Every item of every page of `list(req)`, in order; `items(page)` is a page's repeated
// field. Throws std::runtime_error naming `what` if a page fails, or after 100,000 pages
// (a list that never ends).
template <typename Request, typename List, typename Items>
auto ListAll(Request req, const List& list, const Items& items, const std::string& what) {
  using Page = std::decay_t<decltype(*list(req))>;
  using Item = std::decay_t<decltype(*items(std::declval<const Page&>()).begin())>;
  std::vector<Item> out;
  for (int pages = 0; pages < 100000; ++pages) {
    auto page = list(req);
    if (!page.ok()) throw std::runtime_error(what + " failed: " + page.status().ToString());
    out.insert(out.end(), items(*page).begin(), items(*page).end());
    if (page->next_page_token().empty()) return out;
    req.set_page_token(page->next_page_token());
  }
  throw std::runtime_error(what + ": the list did not end after 100000 pages");
}

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_PAGER_H_
