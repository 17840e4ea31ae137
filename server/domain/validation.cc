#include "server/domain/validation.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/limits.h"
#include "google/protobuf/util/field_mask_util.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/text.h"
#include "storage/status_macros.h"

namespace d06 {

using google::protobuf::Message;

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.size() > kMaxRequestId) {
    return InvalidField("request_id", absl::StrCat("request_id is ", request_id.size(),
                                                   " characters; at most 36 are allowed"));
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7E) {
      return InvalidField("request_id",
                          "request_id must be printable ASCII without spaces (e.g. a UUID)");
    }
  }
  return absl::OkStatus();
}

absl::Status Required(absl::string_view field) {
  return InvalidField(field, absl::StrCat(field, " is required"));
}

// Normalises a required or optional text field in place.
absl::Status NormalizeText(absl::string_view field, std::string* value, size_t max_chars,
                           bool required) {
  ASSIGN_OR_RETURN(*value, NormalizeField(field, *value, max_chars));
  if (required && value->empty()) return Required(field);
  return absl::OkStatus();
}

// A required enum field: set (not *_UNSPECIFIED) and a known value.
absl::Status CheckRequiredEnum(absl::string_view field, int value, bool (*is_valid)(int)) {
  if (value == 0) return Required(field);
  if (!is_valid(value)) {
    return InvalidField(field, absl::StrCat(field, " has unknown value ", value));
  }
  return absl::OkStatus();
}

absl::Status ValidateDateRange(absl::string_view field, const v1::Date& from, const v1::Date& to) {
  if (!IsZeroDate(from) && !IsZeroDate(to) && ToCivilDay(to) < ToCivilDay(from)) {
    return InvalidField(field, absl::StrCat(field, " ", FormatDate(to), " is before valid_from ",
                                            FormatDate(from)));
  }
  return absl::OkStatus();
}

// Normalises and checks the client-settable fields of a unit.
absl::Status ValidateAdminCode(absl::string_view field, absl::string_view code) {
  if (code.empty()) return absl::OkStatus();
  const bool digits =
      std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits && (code.size() == 2 || code.size() == 3 || code.size() == 5)) {
    return absl::OkStatus();
  }
  return InvalidField(field, absl::StrCat(field,
                                          " must be 2 (province), 3 (district) or 5 (commune) "
                                          "digits, e.g. \"52\" or \"21550\""));
}

absl::Status PrepareUnitFields(v1::Unit* unit) {
  RETURN_IF_ERROR(NormalizeText("unit.display_name", unit->mutable_display_name(), kMaxUnitName,
                                /*required=*/true));
  RETURN_IF_ERROR(ValidateAdminCode("unit.admin_code", unit->admin_code()));
  RETURN_IF_ERROR(ValidateDate("unit.valid_from", unit->valid_from()));
  RETURN_IF_ERROR(ValidateDate("unit.valid_to", unit->valid_to()));
  return ValidateDateRange("unit.valid_to", unit->valid_from(), unit->valid_to());
}

// Normalises and checks the client-settable fields of a task.
absl::Status PrepareTaskFields(v1::Task* task) {
  RETURN_IF_ERROR(NormalizeText("task.title", task->mutable_title(), kMaxTitle, true));
  RETURN_IF_ERROR(NormalizeText("task.content", task->mutable_content(), kMaxContent, false));
  RETURN_IF_ERROR(NormalizeText("task.category", task->mutable_category(), kMaxCategory, false));
  if (task->has_directive()) {
    v1::Directive* d = task->mutable_directive();
    RETURN_IF_ERROR(
        NormalizeText("task.directive.number", d->mutable_number(), kMaxDirectiveNumber, false));
    RETURN_IF_ERROR(
        NormalizeText("task.directive.summary", d->mutable_summary(), kMaxDirectiveSummary, false));
    RETURN_IF_ERROR(NormalizeText("task.directive.issuer", d->mutable_issuer(), kMaxIssuer, false));
    RETURN_IF_ERROR(ValidateDate("task.directive.issue_date", d->issue_date()));
  }
  if (task->urgency() == v1::URGENCY_UNSPECIFIED) task->set_urgency(v1::URGENCY_ROUTINE);
  RETURN_IF_ERROR(CheckRequiredEnum("task.urgency", task->urgency(), v1::Urgency_IsValid));
  RETURN_IF_ERROR(CheckRequiredEnum("task.kind", task->kind(), v1::TaskKind_IsValid));
  RETURN_IF_ERROR(ValidateDate("task.deadline", task->deadline()));
  if (task->kind() == v1::TASK_KIND_RECURRING && !IsZeroDate(task->deadline())) {
    return InvalidField("task.deadline",
                        "task.deadline must be empty on a recurring task (thực hiện thường "
                        "xuyên tasks have no deadline)");
  }
  if (task->kind() == v1::TASK_KIND_RECURRING) {
    if (task->cadence() == v1::CADENCE_UNSPECIFIED) task->set_cadence(v1::CADENCE_MONTHLY);
    RETURN_IF_ERROR(CheckRequiredEnum("task.cadence", task->cadence(), v1::Cadence_IsValid));
  } else if (task->cadence() != v1::CADENCE_UNSPECIFIED) {
    return InvalidField("task.cadence",
                        "task.cadence is only for recurring tasks (TASK_KIND_RECURRING)");
  }
  if (task->labels_size() > kMaxLabels) {
    return InvalidField("task.labels", absl::StrCat("task.labels has ", task->labels_size(),
                                                    " labels; at most 20 are allowed"));
  }
  std::vector<std::string> labels;
  for (int i = 0; i < task->labels_size(); ++i) {
    std::string label = task->labels(i);
    RETURN_IF_ERROR(NormalizeText(absl::StrCat("task.labels[", i, "]"), &label, kMaxLabel, true));
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
      labels.push_back(std::move(label));
    }
  }
  task->clear_labels();
  for (std::string& label : labels) task->add_labels(std::move(label));
  if (task->has_kpi()) {
    v1::KpiTarget* kpi = task->mutable_kpi();
    RETURN_IF_ERROR(NormalizeText("task.kpi.description", kpi->mutable_description(),
                                  kMaxKpiDescription, true));
    RETURN_IF_ERROR(CheckRequiredEnum("task.kpi.type", kpi->type(), v1::KpiType_IsValid));
    const double v = kpi->target_value();
    if (!(v >= 0) || v > 1e15) {
      return InvalidField("task.kpi.target_value",
                          "task.kpi.target_value must be a finite number >= 0");
    }
    if (kpi->type() == v1::KPI_TYPE_PERCENT && v > 100) {
      return InvalidField("task.kpi.target_value", "a percent target must be within 0..100");
    }
    if (kpi->type() == v1::KPI_TYPE_YES_NO && v != 0 && v != 1) {
      return InvalidField("task.kpi.target_value", "a yes/no target must be 0 or 1");
    }
    if (kpi->type() == v1::KPI_TYPE_RATIO) {
      if (!(kpi->target_denominator() > 0) || kpi->target_denominator() > 1e15) {
        return InvalidField("task.kpi.target_denominator",
                            "a ratio target needs task.kpi.target_denominator > 0");
      }
      if (v > kpi->target_denominator()) {
        return InvalidField("task.kpi.target_value",
                            "task.kpi.target_value must not exceed target_denominator");
      }
    } else if (kpi->target_denominator() != 0) {
      return InvalidField("task.kpi.target_denominator",
                          "task.kpi.target_denominator is only for KPI_TYPE_RATIO");
    }
  }
  return absl::OkStatus();
}

// Checks an update mask against the settable paths; names what is wrong.
absl::Status CheckUpdateMask(absl::string_view resource, const google::protobuf::FieldMask& mask,
                             const std::vector<std::string>& settable,
                             const google::protobuf::Descriptor* descriptor) {
  if (mask.paths_size() == 0) {
    return InvalidField("update_mask", absl::StrCat("update_mask is required; settable paths: ",
                                                    absl::StrJoin(settable, ", ")));
  }
  for (const std::string& path : mask.paths()) {
    if (std::find(settable.begin(), settable.end(), path) != settable.end()) continue;
    const std::string top = path.substr(0, path.find('.'));
    if (top != path && std::find(settable.begin(), settable.end(), top) != settable.end()) {
      return InvalidField("update_mask",
                          absl::StrCat("update_mask must name whole fields: send the whole "
                                       "field as \"",
                                       top, "\" instead of its part ", Quote(path)));
    }
    if (google::protobuf::util::FieldMaskUtil::GetFieldDescriptors(descriptor, path, nullptr)) {
      return InvalidField("update_mask",
                          absl::StrCat(resource, ".", path,
                                       " cannot be changed by an update (immutable, output "
                                       "only, or changed by its own method); settable: ",
                                       absl::StrJoin(settable, ", ")));
    }
    return InvalidField(
        "update_mask",
        absl::StrCat("update_mask paths must be fields of ", resource, " settable by an update (",
                     absl::StrJoin(settable, ", "), "); got ", Quote(path)));
  }
  return absl::OkStatus();
}

// Replaces each masked top-level field of *to with its value in `from` (absent or empty
// in `from` clears it). Paths were checked by CheckUpdateMask.
void ApplyMask(const Message& from, const google::protobuf::FieldMask& mask, Message* to) {
  for (const std::string& path : mask.paths()) {
    to->GetReflection()->ClearField(to, to->GetDescriptor()->FindFieldByName(path));
  }
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(from, mask, {}, to);
}

absl::Status ValidateReason(std::string* reason, bool required) {
  return NormalizeText("reason", reason, kMaxReason, required);
}

// Parsing of list filters -------------------------------------------------------------

absl::Status ValidateKpiValue(absl::string_view field, const v1::Task& task, double value) {
  if (!task.has_kpi()) {
    return InvalidField(field, absl::StrCat(field, " is only for a task with a KPI target; ",
                                            task.name(), " has none"));
  }
  const v1::KpiTarget& kpi = task.kpi();
  if (!(value >= 0) || value > 1e15) {
    return InvalidField(field, absl::StrCat(field, " must be a finite number >= 0"));
  }
  if (kpi.type() == v1::KPI_TYPE_PERCENT && value > 100) {
    return InvalidField(field, absl::StrCat(field, " is a percent: within 0..100"));
  }
  if (kpi.type() == v1::KPI_TYPE_YES_NO && value != 0 && value != 1) {
    return InvalidField(field, absl::StrCat(field, " is yes/no: 0 or 1"));
  }
  if (kpi.type() == v1::KPI_TYPE_RATIO && value > kpi.target_denominator()) {
    return InvalidField(field, absl::StrCat(field, " must not exceed the target's denominator ",
                                            kpi.target_denominator()));
  }
  return absl::OkStatus();
}

}  // namespace d06
