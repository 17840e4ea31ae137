#include "client/ctl/catalog.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace d06::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

// A resource noun as words, e.g. {"Period", "Report"}, and its plural's words.
struct Noun {
  std::vector<std::string> singular;
  std::vector<std::string> plural;
  std::string group;  // "period-reports"
};

Noun MakeNoun(const std::vector<std::string>& words) {
  Noun noun;
  noun.singular = words;
  noun.plural = words;
  noun.plural.back() = PluralOf(words.back());
  noun.group = KebabCase(noun.plural);
  return noun;
}

bool WordsAt(const std::vector<std::string>& words, size_t at,
             const std::vector<std::string>& part) {
  if (at + part.size() > words.size()) return false;
  return std::equal(part.begin(), part.end(), words.begin() + at);
}

// The collections of the first quoted resource pattern in `comment`:
// "\"tasks/{id}/assignments/{unit code}\"" -> {"tasks", "assignments"}.
std::vector<std::string> CollectionsInComment(absl::string_view comment) {
  std::vector<std::string> parts = absl::StrSplit(comment, '"');
  for (size_t i = 1; i < parts.size(); i += 2) {
    if (!absl::StrContains(parts[i], "/{")) continue;
    std::vector<std::string> collections;
    std::vector<std::string> segments = absl::StrSplit(parts[i], '/');
    for (size_t s = 0; s + 1 < segments.size(); ++s) {
      if (absl::StartsWith(segments[s + 1], "{") && !absl::StartsWith(segments[s], "{")) {
        collections.push_back(segments[s]);
      }
    }
    return collections;
  }
  return {};
}

std::string CleanComment(const std::string& raw) {
  std::vector<std::string> lines = absl::StrSplit(raw, '\n');
  for (std::string& line : lines) {
    if (absl::StartsWith(line, " ")) line.erase(0, 1);
    absl::StripTrailingAsciiWhitespace(&line);
  }
  std::string text = absl::StrJoin(lines, "\n");
  absl::StripAsciiWhitespace(&text);
  return text;
}

// Services whose methods form one group, named here, each verb the whole method name
// kebab-cased, instead of following the naming rule. AccessService manages principals
// and their tokens (and answers WhoAmI), which operators look for together under
// "access" (`d06ctl access create-token`, `d06ctl access who-am-i`); by the rule its
// methods would scatter over "principals" and "accesses". AdminService likewise is
// "admin" (`d06ctl admin create-backup`, `d06ctl admin check-consistency`).
constexpr std::pair<const char*, const char*> kServiceGroups[] = {
    {"d06.v1.AccessService", "access"},
    {"d06.v1.AdminService", "admin"},
};

const char* FixedGroupOf(const ServiceDescriptor& service) {
  for (const auto& [name, group] : kServiceGroups) {
    if (service.full_name() == name) return group;
  }
  return nullptr;
}

template <typename D>
std::string LeadingComment(const D& d) {
  google::protobuf::SourceLocation location;
  if (!d.GetSourceLocation(&location)) return "";
  return CleanComment(location.leading_comments);
}

}  // namespace

std::vector<std::string> SplitCamelCase(absl::string_view name) {
  std::vector<std::string> words;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_') continue;
    const bool starts_word =
        words.empty() || name[i - 1] == '_' ||
        (std::isupper(static_cast<unsigned char>(c)) &&
         (!std::isupper(static_cast<unsigned char>(name[i - 1])) ||
          (i + 1 < name.size() && std::islower(static_cast<unsigned char>(name[i + 1])))));
    if (starts_word) words.emplace_back();
    words.back().push_back(c);
  }
  return words;
}

std::string PluralOf(absl::string_view noun) {
  if (noun.empty()) return "";
  const char last = static_cast<char>(std::tolower(static_cast<unsigned char>(noun.back())));
  const char before =
      noun.size() > 1
          ? static_cast<char>(std::tolower(static_cast<unsigned char>(noun[noun.size() - 2])))
          : '\0';
  if (last == 'y' && !absl::StrContains("aeiou", before)) {
    return absl::StrCat(noun.substr(0, noun.size() - 1), "ies");
  }
  if (last == 's' || last == 'x' || last == 'z' ||
      (last == 'h' && (before == 'c' || before == 's'))) {
    return absl::StrCat(noun, "es");
  }
  return absl::StrCat(noun, "s");
}

std::string KebabCase(const std::vector<std::string>& words) {
  return absl::AsciiStrToLower(absl::StrJoin(words, "-"));
}

const FieldDescriptor* PositionalField(const google::protobuf::Descriptor& request) {
  for (const char* name : {"name", "parent"}) {
    const FieldDescriptor* field = request.FindFieldByName(name);
    if (field != nullptr && !field->is_repeated() &&
        field->type() == FieldDescriptor::TYPE_STRING) {
      return field;
    }
  }
  return nullptr;
}

std::string EnumValuePrefix(const google::protobuf::EnumDescriptor& type) {
  return absl::StrCat(absl::AsciiStrToUpper(absl::StrJoin(SplitCamelCase(type.name()), "_")), "_");
}

std::string ShortEnumName(const google::protobuf::EnumValueDescriptor& value) {
  absl::string_view name = value.name();
  absl::ConsumePrefix(&name, EnumValuePrefix(*value.type()));
  return std::string(name);
}

bool IsDateType(const google::protobuf::Descriptor& type) {
  if (type.field_count() != 3) return false;
  for (const char* name : {"year", "month", "day"}) {
    const FieldDescriptor* field = type.FindFieldByName(name);
    if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_INT32 ||
        field->is_repeated()) {
      return false;
    }
  }
  return true;
}

std::string CommentOf(const MethodDescriptor& d) { return LeadingComment(d); }
std::string CommentOf(const ServiceDescriptor& d) { return LeadingComment(d); }
std::string CommentOf(const FieldDescriptor& d) { return LeadingComment(d); }
std::string CommentOf(const google::protobuf::Descriptor& d) { return LeadingComment(d); }

std::string SummaryOf(absl::string_view comment) {
  std::string first = std::string(comment.substr(0, comment.find("\n\n")));
  std::replace(first.begin(), first.end(), '\n', ' ');
  for (size_t i = 0; i + 1 < first.size(); ++i) {
    if (first[i] != '.' || first[i + 1] != ' ') continue;
    const absl::string_view before = absl::string_view(first).substr(0, i);
    if (absl::EndsWith(before, "e.g") || absl::EndsWith(before, "i.e")) continue;
    return first.substr(0, i + 1);
  }
  return first;
}

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Load(absl::string_view descriptor_set) {
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromArray(descriptor_set.data(), static_cast<int>(descriptor_set.size()))) {
    return absl::InternalError("the embedded descriptor set does not parse");
  }
  std::unique_ptr<Catalog> catalog(new Catalog());
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    const google::protobuf::FileDescriptor* built = catalog->pool_.BuildFile(file);
    if (built == nullptr) {
      return absl::InternalError(
          absl::StrCat("the embedded descriptor of ", file.name(), " does not build"));
    }
    for (int i = 0; i < built->service_count(); ++i) {
      catalog->services_.push_back(built->service(i));
    }
  }
  catalog->NameCommands();
  return catalog;
}

void Catalog::NameCommands() {
  std::set<std::pair<std::string, std::string>> taken;
  for (const ServiceDescriptor* service : services_) {
    if (const char* group = FixedGroupOf(*service); group != nullptr) {
      CommandGroup fixed{group, service, {}};
      for (int i = 0; i < service->method_count(); ++i) {
        const MethodDescriptor* method = service->method(i);
        fixed.commands.push_back(
            MethodCommand{group, KebabCase(SplitCamelCase(method->name())), method});
      }
      groups_.push_back(std::move(fixed));
      continue;
    }
    const std::string own(absl::StripSuffix(service->name(), "Service"));
    std::vector<Noun> nouns = {MakeNoun(SplitCamelCase(own))};
    std::set<std::string> method_names;
    for (int i = 0; i < service->method_count(); ++i)
      method_names.insert(service->method(i)->name());
    for (int i = 0; i < service->method_count(); ++i) {
      absl::string_view name = service->method(i)->name();
      if (!absl::ConsumePrefix(&name, "Get") || name.empty() || name == own) continue;
      Noun noun = MakeNoun(SplitCamelCase(name));
      if (method_names.count(absl::StrCat("List", absl::StrJoin(noun.plural, ""))) > 0) {
        nouns.push_back(std::move(noun));
      }
    }

    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      const std::vector<std::string> words = SplitCamelCase(method->name());
      // The last resource noun in the name, singular or plural (longest at a position).
      const Noun* found = nullptr;
      size_t found_at = 0, found_length = 0;
      for (const Noun& noun : nouns) {
        for (size_t at = 0; at < words.size(); ++at) {
          for (const auto* form : {&noun.singular, &noun.plural}) {
            if (!WordsAt(words, at, *form)) continue;
            if (found == nullptr || at > found_at ||
                (at == found_at && form->size() > found_length)) {
              found = &noun;
              found_at = at;
              found_length = form->size();
            }
          }
        }
      }
      std::string verb;
      if (found != nullptr) {
        std::vector<std::string> rest = words;
        rest.erase(rest.begin() + found_at, rest.begin() + found_at + found_length);
        verb = KebabCase(rest.empty() ? words : rest);
      } else {
        verb = KebabCase(words);
        // The resource the request's name/parent field names, per its comment.
        const FieldDescriptor* name_field = PositionalField(*method->input_type());
        if (name_field != nullptr) {
          std::vector<std::string> collections = CollectionsInComment(CommentOf(*name_field));
          if (!collections.empty()) {
            for (const Noun& noun : nouns) {
              if (noun.group == collections.back()) found = &noun;
            }
          }
        }
        if (found == nullptr) found = &nouns.front();
      }
      if (!taken.insert({found->group, verb}).second) {
        verb = KebabCase(words);
        taken.insert({found->group, verb});
      }
      auto group = std::find_if(groups_.begin(), groups_.end(),
                                [&](const CommandGroup& g) { return g.name == found->group; });
      if (group == groups_.end()) {
        groups_.push_back(CommandGroup{found->group, service, {}});
        group = groups_.end() - 1;
      }
      group->commands.push_back(MethodCommand{found->group, verb, method});
    }
  }
}

const CommandGroup* Catalog::FindGroup(absl::string_view name) const {
  for (const CommandGroup& group : groups_) {
    if (group.name == name) return &group;
  }
  for (const CommandGroup& group : groups_) {
    if (group.service->name() == name || group.service->full_name() == name) return &group;
  }
  return nullptr;
}

const MethodCommand* Catalog::CommandOf(const MethodDescriptor& method) const {
  for (const CommandGroup& group : groups_) {
    for (const MethodCommand& command : group.commands) {
      if (command.method->full_name() == method.full_name()) return &command;
    }
  }
  return nullptr;
}

const MethodCommand* Catalog::Find(absl::string_view group, absl::string_view verb,
                                   bool* used_verb) const {
  *used_verb = true;
  for (const CommandGroup& g : groups_) {
    if (g.name != group) continue;
    for (const MethodCommand& command : g.commands) {
      if (command.verb == verb || command.method->name() == verb) return &command;
    }
  }
  // `TaskService GetTask` or `d06.v1.TaskService GetTask`.
  for (const ServiceDescriptor* service : services_) {
    if (service->name() != group && service->full_name() != group) continue;
    const MethodDescriptor* method = service->FindMethodByName(std::string(verb));
    if (method != nullptr) return CommandOf(*method);
  }
  // `d06.v1.TaskService.GetTask` or `d06.v1.TaskService/GetTask`.
  std::string full(group);
  std::replace(full.begin(), full.end(), '/', '.');
  const MethodDescriptor* method = pool_.FindMethodByName(full);
  if (method != nullptr) {
    *used_verb = false;
    return CommandOf(*method);
  }
  return nullptr;
}

std::unique_ptr<google::protobuf::Message> Catalog::NewMessage(
    const google::protobuf::Descriptor& descriptor) const {
  return std::unique_ptr<google::protobuf::Message>(factory_.GetPrototype(&descriptor)->New());
}

}  // namespace d06::ctl
