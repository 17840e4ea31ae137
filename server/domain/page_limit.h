// d06::PageLimit: when a list page is full. A page holds at most its page size of items
// and stops once their encoded size reaches kMaxPageBytes (limits.h), whichever comes
// first; so a page of the largest items stays far below gRPC's 4 MiB receive limit and
// the server's memory per reader stays small. The list contract already says a page may
// hold fewer items than asked although more follow.
//
//   PageLimit limit(PageSize(request.page_size()));
//   while (!limit.Full(out.size()) && cursor.Next(&item)) {
//     limit.Add(item);
//     out.push_back(item);
//   }
#ifndef D06_SERVER_DOMAIN_PAGE_LIMIT_H_
#define D06_SERVER_DOMAIN_PAGE_LIMIT_H_

#include <cstddef>

#include "common/limits.h"
#include "google/protobuf/message.h"

namespace d06 {

class PageLimit {
 public:
  explicit PageLimit(int page_size, size_t max_bytes = kMaxPageBytes)
      : page_size_(page_size), max_bytes_(max_bytes) {}

  // Whether a page of `items` items (those passed to Add) takes no more.
  bool Full(int items) const { return items >= page_size_ || bytes_ >= max_bytes_; }
  // Counts an item put on the page.
  void Add(const google::protobuf::Message& item) { bytes_ += item.ByteSizeLong(); }

 private:
  int page_size_;
  size_t max_bytes_;
  size_t bytes_ = 0;
};

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_PAGE_LIMIT_H_
