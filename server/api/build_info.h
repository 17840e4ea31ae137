// The build of this d06d: the release and the source revision, as the metrics' d06_build_info
// and AccessService.GetServerInfo report them. Set by server/api/CMakeLists.txt from the
// project's version and `git describe`; "unknown" when built without them.
// Pure functions; thread-safe.
#ifndef D06_SERVER_API_BUILD_INFO_H_
#define D06_SERVER_API_BUILD_INFO_H_

namespace d06::api {

// The release, e.g. "0.1.0".
const char* BuildVersion();
// The source revision it was built from, or "unknown".
const char* BuildRevision();

}  // namespace d06::api

#endif  // D06_SERVER_API_BUILD_INFO_H_
