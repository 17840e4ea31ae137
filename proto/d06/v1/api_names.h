// Names the d06 server and its clients share beyond the .proto files: request metadata
// keys, where the ErrorInfo travels, and every ErrorInfo reason a client can switch on
// (documented on d06.v1.ErrorInfo in common.proto and on each RPC).
#ifndef D06_PROTO_D06_V1_API_NAMES_H_
#define D06_PROTO_D06_V1_API_NAMES_H_

namespace d06::v1 {

// Request metadata naming the actor recorded in the audit history with authentication off
// (d06d --auth=off, development only; with authentication the principal is the actor).
// gRPC metadata values are printable ASCII: an actor such as "Nguyễn Văn An" travels as
// its UTF-8 bytes under the binary key (gRPC base64-codes "-bin" keys on the wire and hands
// the server the bytes; over HTTP the header is base64, padded or not, standard or
// URL-safe alphabet, as Connect's binary headers). Over HTTP x-d06-actor may also carry
// UTF-8 as it is. A call may send either key, or both with the same value.
inline constexpr char kActorMetadataKey[] = "x-d06-actor";
inline constexpr char kActorBinMetadataKey[] = "x-d06-actor-bin";

// Authentication (d06d --auth=required, the default): a bearer token as
// "authorization: Bearer d06_..." (gRPC metadata or HTTP header), or a client
// certificate over mutual TLS. With authentication on, x-d06-actor is ignored.
inline constexpr char kAuthorizationMetadataKey[] = "authorization";
inline constexpr char kBearerPrefix[] = "Bearer ";
// A portal granted ROLE_IMPERSONATOR names the principal it acts for ("principals/an"),
// as text or (UTF-8, as the actor keys) under the binary key.
inline constexpr char kImpersonateMetadataKey[] = "x-d06-impersonate";
inline constexpr char kImpersonateBinMetadataKey[] = "x-d06-impersonate-bin";
// Every token d06 issues starts with this (then 43 letters and digits of randomness and
// a 6-character CRC-32 checksum), so that secret scanners can find and check them.
inline constexpr char kTokenPrefix[] = "d06_";

// The ErrorInfo domain of every d06 error, and the type URL under which an ErrorInfo is
// attached to an absl::Status (and packed in the gRPC status details).
inline constexpr char kErrorDomain[] = "d06.gov.vn";
inline constexpr char kErrorInfoTypeUrl[] = "type.googleapis.com/d06.v1.ErrorInfo";

// RESOURCE_EXHAUSTED/RATE_LIMITED says how long to wait before retrying, in milliseconds,
// under this ErrorInfo metadata key; over gRPC the status details also carry a
// google.rpc.RetryInfo (type URL below) with that retry_delay, and over HTTP the answer
// (429) has a Retry-After header in whole seconds.
inline constexpr char kRetryAfterMsKey[] = "retry_after_ms";
inline constexpr char kRetryInfoTypeUrl[] = "type.googleapis.com/google.rpc.RetryInfo";

// ErrorInfo reasons.
namespace reason {
inline constexpr char kAlreadyExists[] = "ALREADY_EXISTS";
inline constexpr char kBackupsDisabled[] = "BACKUPS_DISABLED";
inline constexpr char kCertificateExpired[] = "CERTIFICATE_EXPIRED";
inline constexpr char kCertificateUnknown[] = "CERTIFICATE_UNKNOWN";
inline constexpr char kCertificateUntrusted[] = "CERTIFICATE_UNTRUSTED";
inline constexpr char kCredentialMissing[] = "CREDENTIAL_MISSING";
inline constexpr char kImpersonationDenied[] = "IMPERSONATION_DENIED";
inline constexpr char kPrincipalDisabled[] = "PRINCIPAL_DISABLED";
inline constexpr char kRoleRequired[] = "ROLE_REQUIRED";
inline constexpr char kTokenExpired[] = "TOKEN_EXPIRED";
inline constexpr char kTokenMalformed[] = "TOKEN_MALFORMED";
inline constexpr char kTokenRevoked[] = "TOKEN_REVOKED";
inline constexpr char kTokenUnknown[] = "TOKEN_UNKNOWN";
inline constexpr char kTooManyFailures[] = "TOO_MANY_FAILURES";
inline constexpr char kEffectiveDateConflict[] = "EFFECTIVE_DATE_CONFLICT";
inline constexpr char kExtensionLimit[] = "EXTENSION_LIMIT";
inline constexpr char kExtensionPending[] = "EXTENSION_PENDING";
inline constexpr char kHostNotAllowed[] = "HOST_NOT_ALLOWED";
inline constexpr char kInvalidField[] = "INVALID_FIELD";
inline constexpr char kInvalidFilter[] = "INVALID_FILTER";
inline constexpr char kInvalidName[] = "INVALID_NAME";
inline constexpr char kInvalidPageToken[] = "INVALID_PAGE_TOKEN";
inline constexpr char kInvalidTransition[] = "INVALID_TRANSITION";
inline constexpr char kLeadExists[] = "LEAD_EXISTS";
inline constexpr char kMalformedRequest[] = "MALFORMED_REQUEST";
inline constexpr char kNoPendingExtension[] = "NO_PENDING_EXTENSION";
inline constexpr char kNotFound[] = "NOT_FOUND";
inline constexpr char kPeriodNotNext[] = "PERIOD_NOT_NEXT";
inline constexpr char kRateLimited[] = "RATE_LIMITED";
inline constexpr char kRequestIdReused[] = "REQUEST_ID_REUSED";
inline constexpr char kRevisionCompacted[] = "REVISION_COMPACTED";
inline constexpr char kServerBusy[] = "SERVER_BUSY";
inline constexpr char kStaleEtag[] = "STALE_ETAG";
inline constexpr char kTaskCancelled[] = "TASK_CANCELLED";
inline constexpr char kTooManyExports[] = "TOO_MANY_EXPORTS";
inline constexpr char kTooManyWatchers[] = "TOO_MANY_WATCHERS";
inline constexpr char kUnitNotActive[] = "UNIT_NOT_ACTIVE";
inline constexpr char kUnitTreeCycle[] = "UNIT_TREE_CYCLE";
inline constexpr char kUnitTreeTooDeep[] = "UNIT_TREE_TOO_DEEP";
inline constexpr char kWatcherTooSlow[] = "WATCHER_TOO_SLOW";
}  // namespace reason

}  // namespace d06::v1

#endif  // D06_PROTO_D06_V1_API_NAMES_H_
