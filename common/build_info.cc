#include "common/build_info.h"

#ifndef D06_VERSION
#define D06_VERSION "unknown"
#endif
#ifndef D06_REVISION
#define D06_REVISION "unknown"
#endif

namespace d06 {

const char* BuildVersion() { return D06_VERSION; }
const char* BuildRevision() { return D06_REVISION; }

}  // namespace d06
