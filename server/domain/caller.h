// d06::Caller: who is calling. Every operation of the core takes one, reads included, so
// that authorisation (roles scoped to the unit tree) can be added in one place for all.
// Today it is the actor the caller names itself (x-d06-actor or x-d06-actor-bin, checked by
// ActorFromMetadata in server/domain/names.h); later, the authenticated principal.
#ifndef D06_SERVER_DOMAIN_CALLER_H_
#define D06_SERVER_DOMAIN_CALLER_H_

#include <string>

namespace d06 {

// The actor of the changes the server makes by itself (deadline events).
inline constexpr char kServerActor[] = "d06d";

struct Caller {
  // Recorded as the actor of every event the call causes; never empty ("anonymous").
  std::string actor = "anonymous";
};

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_CALLER_H_
