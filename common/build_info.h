// The build of this program: the release and the source revision, as d06d's metric
// d06_build_info and AccessService.GetServerInfo report them, and `d06ctl version`. Set
// by common/CMakeLists.txt from the project's version and `git describe`; "unknown" when
// built without them.
// Pure functions; thread-safe.
#ifndef D06_COMMON_BUILD_INFO_H_
#define D06_COMMON_BUILD_INFO_H_

namespace d06 {

// The release, e.g. "0.1.0".
const char* BuildVersion();
// The source revision it was built from, or "unknown".
const char* BuildRevision();

}  // namespace d06

#endif  // D06_COMMON_BUILD_INFO_H_
