// libFuzzer target: any bytes as a config file. Beyond "no crash" (toml++ throws, and only
// config_loader.cc may catch), it checks the promise of the error messages: a refused config
// names the file.
// Seeds: test/fuzz/corpus/config_loader_fuzzer/ (conf/sluice.toml and variations).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto settings = sluice::config::ParseConfig(text, "fuzz.toml");
  if (!settings && !settings.error().message().starts_with("fuzz.toml")) {
    std::fprintf(stderr, "config_loader_fuzzer: error without the file name: %s\n",
                 settings.error().message().c_str());
    std::abort();
  }
  return 0;
}
