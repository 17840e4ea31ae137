// d06::Caller: who is calling. Every operation of the core takes one, reads included, so
// that authorisation (roles scoped to the unit tree) is decided in one place for all.
//
// With authentication on (d06d --auth=required, the default) the transports' single
// entry point (server/api/method_table.h) builds it from the verified credential: the
// principal, its bindings, and the portal it came through when a portal acts for
// someone. With authentication off (development only) it is the actor the caller names
// itself (x-d06-actor, checked by ActorFromMetadata in server/domain/names.h).
#ifndef D06_SERVER_DOMAIN_CALLER_H_
#define D06_SERVER_DOMAIN_CALLER_H_

#include <memory>
#include <string>

#include "d06/v1/access.pb.h"
#include "d06/v1/policy.pb.h"

namespace d06 {

// The actor of the changes the server makes by itself (deadline events).
inline constexpr char kServerActor[] = "d06d";

struct Caller {
  // Recorded as the actor of every event the call causes; never empty: the principal's
  // name ("principals/an"), or with authentication off the x-d06-actor ("anonymous").
  std::string actor = "anonymous";
  // The portal principal acting for `actor` ("principals/cong-dvc-h40"); empty when the
  // actor calls itself. Recorded with the actor.
  std::string via;
  // The principal the call is authorised as (the acted-for one when impersonating), with
  // its bindings; null when authentication is off.
  std::shared_ptr<const v1::Principal> principal;
  // How it authenticated: "token", "certificate"; "none" with authentication off.
  std::string method = "none";
  // The credential, so that an open stream can be checked again (revocation): the token's
  // name, or the certificate subject that matched.
  std::string credential;
  // The RPC being called ("ApproveAssignment") and its declared policy (the method
  // option d06.v1.policy), set by the method table; null for the server's own work and
  // for direct calls of the core (tests), which then are not authorised further.
  std::string rpc;
  const v1::Policy* policy = nullptr;
};

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_CALLER_H_
