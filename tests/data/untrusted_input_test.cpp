// The data layer against changed, damaged or oversized input: the cache notices changed sources
// and damaged labels, runs out of disk with an error (never SIGBUS), and image headers that
// claim absurd sizes are named as such.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "data/cache.h"
#include "data/image_io.h"
#include "data/stale_temp_files.h"
#include "data/worker_threads.h"
#include "tests/data/data_test_util.h"

using namespace segrun;

namespace {

namespace fs = std::filesystem;

void write_sample(const test::ScratchDir& dir, const std::string& id, uint8_t label_id, uint8_t pixel) {
  data::write_png(dir.str("leftImg8bit/train/c/" + id + "_leftImg8bit.png"), test::filled(4, 2, 3, pixel));
  data::write_png(dir.str("gtFine/train/c/" + id + "_gtFine_labelIds.png"), test::filled(4, 2, 1, label_id));
}

data::SplitCache open_cache(const test::ScratchDir& dir) {
  return data::SplitCache::open_or_build(data::open_cityscapes(dir.str(), "train"), dir.str("cache/train.bin"), 4, 2);
}

// Moves a file's modification time, as an edit a second later would.
void touch_later(const std::string& path) {
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(2));
}

}  // namespace

TEST_CASE("the cache notices a changed source image and rebuilds its entry") {
  test::ScratchDir dir("cache_changed");
  write_sample(dir, "c_000000_000001", 7, 10);
  CHECK(open_cache(dir).was_rebuilt());
  CHECK_FALSE(open_cache(dir).was_rebuilt());
  // Same path, same size, other pixels: only the modification time tells.
  write_sample(dir, "c_000000_000001", 7, 200);
  touch_later(dir.str("leftImg8bit/train/c/c_000000_000001_leftImg8bit.png"));
  const data::SplitCache changed = open_cache(dir);
  CHECK(changed.was_rebuilt());
  CHECK(changed.image(0)[0] == 200);
  // A changed label file too.
  write_sample(dir, "c_000000_000001", 26, 200);  // labelId 26 = car = train id 13
  touch_later(dir.str("gtFine/train/c/c_000000_000001_gtFine_labelIds.png"));
  const data::SplitCache relabelled = open_cache(dir);
  CHECK(relabelled.was_rebuilt());
  CHECK(relabelled.labels(0)[0] == 13);
}

TEST_CASE("a damaged cached label is found and the cache rebuilt instead of blaming the loss") {
  test::ScratchDir dir("cache_damaged");
  write_sample(dir, "c_000000_000001", 7, 10);
  const std::string path = dir.str("cache/train.bin");
  CHECK(open_cache(dir).was_rebuilt());
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(sizeof(data::CacheHeader) + 4 * 2 * 3));  // first label byte
    file.put(static_cast<char>(77));                                                 // not a class, not 255
  }
  const data::SplitCache repaired = open_cache(dir);
  CHECK(repaired.was_rebuilt());
  CHECK(repaired.labels(0)[0] == 0);
}

TEST_CASE("building the cache on a full disk fails naming the cache and leaves no temporary file") {
  test::ScratchDir dir("cache_full");
  write_sample(dir, "c_000000_000001", 7, 10);
  write_sample(dir, "c_000000_000002", 7, 20);
  const std::string path = dir.str("cache/train.bin");
  // A child process whose files may not exceed 64 bytes: every write past that fails (EFBIG), as
  // on a full disk. The child reports what it saw through its exit status.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{64, 64};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      (void)open_cache(dir);
      ::_exit(1);  // built although it cannot fit
    } catch (const std::exception& e) {
      ::_exit(std::string(e.what()).find(path) != std::string::npos ? 0 : 2);
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK_MESSAGE(WIFEXITED(status), "the cache build died of signal " << WTERMSIG(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_FALSE(fs::exists(path));
  for (const auto& entry : fs::directory_iterator(dir.str("cache"))) {
    CHECK_MESSAGE(entry.path().string().find(".tmp.") == std::string::npos, entry.path().string());
  }
}

TEST_CASE("a PNG header claiming 100000x100000 pixels is named as too large") {
  test::ScratchDir dir("huge_png");
  const std::string path = dir.str("huge.png");
  test::write_raw_png(path, 100000, 100000, 8, 0, "", std::string(2, '\0'));
  try {
    (void)data::read_rgb_image(path);
    FAIL("decoded a 100000x100000 header");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK_MESSAGE(what.find(path) != std::string::npos, what);
    CHECK_MESSAGE(what.find("100000x100000") != std::string::npos, what);
  }
}

TEST_CASE("temporary files of dead writers are removed, those of live ones kept") {
  test::ScratchDir dir("stale");
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  const std::string dead = dir.str("a.png.tmp." + std::to_string(child));
  const std::string live = dir.str("b.png.tmp." + std::to_string(::getpid()));
  const std::string other = dir.str("notes.tmp.txt");
  for (const std::string& p : {dead, live, other}) std::ofstream(p) << "x";
  CHECK(data::remove_stale_temp_files(dir.str()) == 1);
  CHECK_FALSE(fs::exists(dead));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other));
  CHECK(data::temp_file_owner("x.tmp.123") == 123);
  CHECK(data::temp_file_owner("x.tmp.12a") == -1);
  CHECK(data::remove_stale_temp_files(dir.str("missing")) == 0);
}

TEST_CASE("worker threads run every index once and are joined") {
  std::vector<int> seen(8, 0);
  data::run_on_threads(
      8, [&](int t) { seen[static_cast<size_t>(t)] += 1; }, "test");
  CHECK(seen == std::vector<int>(8, 1));
}

TEST_CASE("threads the system refuses to start are an error, not std::terminate") {
#if defined(__SANITIZE_ADDRESS__)
  std::printf("SKIPPED: an address-space limit cannot be combined with AddressSanitizer\n");
#else
  // A child process whose address space leaves room for a few thread stacks only.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::ifstream status("/proc/self/status");
    std::string key;
    unsigned long vm_kb = 0;
    while (status >> key && key != "VmSize:") status.ignore(1 << 12, '\n');
    status >> vm_kb;
    const rlimit limit{(vm_kb << 10) + (64ul << 20), (vm_kb << 10) + (64ul << 20)};
    ::setrlimit(RLIMIT_AS, &limit);
    try {
      data::run_on_threads(
          256, [](int) {}, "test");
      ::_exit(1);  // 256 stacks of 8 MiB fitted in 64 MiB
    } catch (const std::runtime_error& e) {
      ::_exit(std::string(e.what()).find("cannot start thread") != std::string::npos ? 0 : 2);
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK_MESSAGE(WIFEXITED(status), "died of signal " << WTERMSIG(status));
  CHECK(WEXITSTATUS(status) == 0);
#endif
}
