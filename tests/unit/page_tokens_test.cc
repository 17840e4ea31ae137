// Page tokens are sealed (server/core/paging.h): the cursor cannot be read from a token,
// and a token altered, cut, sent for another list, by another principal or under another
// key is INVALID_PAGE_TOKEN. The key lives in the data directory and outlives the Store.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/core/paging.h"
#include "server/domain/errors.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "tests/testing/temp_dir.h"

namespace d06 {
namespace {

// A cursor as a list keeps one: an index suffix with text and integers in it.
const std::string kCursor = std::string("H29.15\0", 7) + std::string("\0\0\0\0\0\0\x01\x2c", 8) +
                            "ke-hoach-mat-khau-bi-mat";
const std::string kScope = "assignments\ntasks/-\nrole = LEAD";

std::string Key(char fill) { return std::string(PageTokens::kKeyBytes, fill); }

// With authentication off: an actor and no principal.
Caller Actor(const std::string& actor) {
  Caller caller;
  caller.actor = actor;
  return caller;
}

// With authentication on: the principal.
Caller As(const std::string& principal) {
  Caller caller;
  caller.actor = principal;
  auto p = std::make_shared<v1::Principal>();
  p->set_name(principal);
  caller.principal = std::move(p);
  return caller;
}

bool IsInvalidPageToken(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         ErrorReason(status) == "INVALID_PAGE_TOKEN";
}

std::string MustEncode(const PageTokens& tokens, const Caller& caller, const std::string& scope,
                       const std::string& cursor) {
  absl::StatusOr<std::string> token = tokens.Encode(caller, scope, cursor);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.ok() ? *token : "";
}

std::string Raw(const std::string& token) {
  std::string raw;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  return raw;
}

TEST(PageTokenSealTest, RoundTripsWithAFreshNonceEachTime) {
  PageTokens tokens(Key('k'));
  const Caller an = As("principals/an");
  const std::string a = MustEncode(tokens, an, kScope, kCursor);
  const std::string b = MustEncode(tokens, an, kScope, kCursor);
  EXPECT_NE(a, b);
  for (const std::string& token : {a, b}) {
    absl::StatusOr<std::string> cursor = tokens.Decode(an, token, kScope);
    ASSERT_TRUE(cursor.ok()) << cursor.status();
    EXPECT_EQ(*cursor, kCursor);
  }
  // Short: the cursor plus 29 bytes (version, nonce, tag), in base64 without padding.
  EXPECT_EQ(Raw(a).size(), kCursor.size() + 1 + 12 + 16);
  EXPECT_EQ(a.find('='), std::string::npos);
  // No next page, no token; no token, the first page.
  EXPECT_EQ(MustEncode(tokens, an, kScope, ""), "");
  absl::StatusOr<std::string> first = tokens.Decode(an, "", kScope);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "");
}

TEST(PageTokenSealTest, NoPartOfTheCursorShows) {
  PageTokens tokens(Key('k'));
  for (int i = 0; i < 20; ++i) {
    const std::string token = MustEncode(tokens, Caller{}, kScope, kCursor);
    const std::string raw = Raw(token);
    for (size_t at = 0; at + 4 <= kCursor.size(); ++at) {
      const std::string part = kCursor.substr(at, 4);
      EXPECT_FALSE(absl::StrContains(raw, part)) << "bytes " << at;
      EXPECT_FALSE(absl::StrContains(token, part)) << "text " << at;
    }
    // Nor the cursor's base64, at any of the three alignments it could have in a token.
    for (size_t pad = 0; pad < 3; ++pad) {
      const std::string b64 = absl::WebSafeBase64Escape(std::string(pad, '\0') + kCursor);
      for (size_t at = 4; at + 8 <= b64.size() - 4; ++at) {
        EXPECT_FALSE(absl::StrContains(token, b64.substr(at, 8))) << "base64 " << pad << " " << at;
      }
    }
  }
}

TEST(PageTokenSealTest, EverySingleByteChangeIsRefused) {
  PageTokens tokens(Key('k'));
  const Caller an = As("principals/an");
  const std::string raw = Raw(MustEncode(tokens, an, kScope, kCursor));
  int accepted = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int delta = 1; delta < 256; ++delta) {
      std::string changed = raw;
      changed[i] = static_cast<char>(static_cast<unsigned char>(changed[i]) ^ delta);
      absl::Status status = tokens.Decode(an, absl::WebSafeBase64Escape(changed), kScope).status();
      if (!IsInvalidPageToken(status) && ++accepted <= 3) {
        ADD_FAILURE() << "byte " << i << " xor " << delta << ": " << status;
      }
    }
  }
  EXPECT_EQ(accepted, 0);
}

TEST(PageTokenSealTest, CutOrExtendedTokensAreRefused) {
  PageTokens tokens(Key('k'));
  const Caller an = As("principals/an");
  const std::string token = MustEncode(tokens, an, kScope, kCursor);
  const std::string raw = Raw(token);
  for (size_t n = 0; n < raw.size(); ++n) {
    const std::string cut = absl::WebSafeBase64Escape(raw.substr(0, n));
    if (cut.empty()) continue;  // the empty token asks for the first page
    EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, cut, kScope).status())) << n << " bytes";
  }
  for (size_t n = 1; n < token.size(); ++n) {
    EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, token.substr(0, n), kScope).status()))
        << n << " characters";
  }
  for (char extra : {'\0', 'x'}) {
    EXPECT_TRUE(IsInvalidPageToken(
        tokens.Decode(an, absl::WebSafeBase64Escape(raw + extra), kScope).status()));
  }
  EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, token + "A", kScope).status()));
  EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, token + "=", kScope).status()));
}

TEST(PageTokenSealTest, ATokenIsBoundToItsListAndPrincipal) {
  PageTokens tokens(Key('k'));
  const Caller an = As("principals/an");
  const std::string token = MustEncode(tokens, an, kScope, kCursor);
  EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, token, kScope + " ").status()));
  EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, token, "units\n").status()));
  EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(As("principals/binh"), token, kScope).status()));
  EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(Caller{}, token, kScope).status()));
  // Scope and principal are not one string that another split could reproduce.
  const std::string split = MustEncode(tokens, As("principals/an"), "units", kCursor);
  EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(As("s/an"), split, "unitsprincipal").status()));
  // With authentication off there is no principal: the actor, which the caller names
  // freely, is not bound.
  const std::string anonymous = MustEncode(tokens, Actor("an"), kScope, kCursor);
  absl::StatusOr<std::string> cursor = tokens.Decode(Actor("binh"), anonymous, kScope);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, kCursor);
  EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, anonymous, kScope).status()));
}

TEST(PageTokenSealTest, ATokenOfAnotherKeyOrFormatIsRefused) {
  PageTokens tokens(Key('k'));
  PageTokens other(Key('o'));
  const Caller an = As("principals/an");
  const std::string token = MustEncode(other, an, kScope, kCursor);
  EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, token, kScope).status()));
  // Version 2 was the cursor in the clear with a checksum.
  std::string old;
  keys::PutU8(&old, 2);
  old += kCursor;
  keys::PutU64(&old, 0x0123456789abcdef);
  EXPECT_TRUE(
      IsInvalidPageToken(tokens.Decode(an, absl::WebSafeBase64Escape(old), kScope).status()));
  for (const std::string& garbage :
       std::vector<std::string>{"garbage", "Zm9vYmFy", "%%%", std::string(2000, 'A')}) {
    EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, garbage, kScope).status())) << garbage;
  }
}

TEST(PageTokenSealTest, TheKeyIsMadeOncePerDataDirectoryAndKept) {
  testing::TempDir dir("d06-page-tokens");
  testing::TempDir elsewhere("d06-page-tokens-other");
  const Caller an = As("principals/an");
  std::string token;
  std::string key;
  {
    auto store = Store::Open({dir.path()});
    ASSERT_TRUE(store.ok()) << store.status();
    PageTokens tokens(store->get());
    token = MustEncode(tokens, an, kScope, kCursor);
    auto stored = (*store)->Snapshot()->Get(Cf::kMeta, keys::kMetaPageTokenKey);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    key = **stored;
    EXPECT_EQ(key.size(), PageTokens::kKeyBytes);
    EXPECT_NE(key, Key('\0'));
    EXPECT_EQ((*store)->revision(), 0);  // no event: nothing of it in the change feed
    // Another PageTokens over the same store (a second Core) takes the same key.
    PageTokens again(store->get());
    absl::StatusOr<std::string> cursor = again.Decode(an, token, kScope);
    ASSERT_TRUE(cursor.ok()) << cursor.status();
    EXPECT_EQ(*cursor, kCursor);
  }
  {
    auto store = Store::Open({dir.path()});  // reopened: the key was kept
    ASSERT_TRUE(store.ok()) << store.status();
    PageTokens tokens(store->get());
    absl::StatusOr<std::string> cursor = tokens.Decode(an, token, kScope);
    ASSERT_TRUE(cursor.ok()) << cursor.status();
    EXPECT_EQ(*cursor, kCursor);
    auto stored = (*store)->Snapshot()->Get(Cf::kMeta, keys::kMetaPageTokenKey);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ(**stored, key);
  }
  {
    auto store = Store::Open({elsewhere.path()});  // another data directory, another key
    ASSERT_TRUE(store.ok()) << store.status();
    PageTokens tokens(store->get());
    EXPECT_TRUE(IsInvalidPageToken(tokens.Decode(an, token, kScope).status()));
    auto stored = (*store)->Snapshot()->Get(Cf::kMeta, keys::kMetaPageTokenKey);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_NE(**stored, key);
  }
}

TEST(PageTokenSealTest, AMalformedStoredKeyIsDataLossNotAToken) {
  testing::TempDir dir("d06-page-tokens");
  auto store = Store::Open({dir.path()});
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)
                  ->Apply([](Txn& txn) {
                    txn.SetBookkeeping();
                    txn.Put(Cf::kMeta, keys::kMetaPageTokenKey, "short");
                    return absl::OkStatus();
                  })
                  .ok());
  PageTokens tokens(store->get());
  EXPECT_EQ(tokens.Encode(Caller{}, kScope, kCursor).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace d06
