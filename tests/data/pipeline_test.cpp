#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <tuple>

#include "data/cache.h"
#include "data/class_frequencies.h"
#include "data/loader.h"
#include "data/synth.h"
#include "tests/data/data_test_util.h"

using namespace segrun;

namespace {

void write_sample(const test::ScratchDir& dir, const std::string& id, const data::Image& label_ids) {
  data::Image image = data::make_image(label_ids.width, label_ids.height, 3);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i * 37 % 256);
  data::write_png(dir.str("leftImg8bit/train/c/" + id + "_leftImg8bit.png"), image);
  data::write_png(dir.str("gtFine/train/c/" + id + "_gtFine_labelIds.png"), label_ids);
}

}  // namespace

TEST_CASE("cache: built once, reused, rebuilt when the list, the size or the image filter changes; class frequencies") {
  test::ScratchDir dir("cache");
  write_sample(dir, "c_000000_000001", test::filled(4, 2, 1, 7));  // 8 road pixels
  data::Image half = test::filled(4, 2, 1, 26);                    // 4 car pixels, 4 ego vehicle (ignored)
  for (int x = 0; x < 4; ++x) half.at(x, 1) = 1;
  write_sample(dir, "c_000000_000002", half);
  const std::string path = dir.str("cache/train_4x2.bin");
  {
    const data::SplitCache cache =
        data::SplitCache::open_or_build(data::open_cityscapes(dir.str(), "train"), path, 4, 2);
    CHECK(cache.was_rebuilt());
    CHECK(cache.count() == 2);
    CHECK(cache.labels(0)[0] == 0);
    CHECK(cache.labels(1)[7] == 255);
    CHECK(cache.image(0)[4] == 4 * 37 % 256);
    CHECK(std::filesystem::file_size(path) == sizeof(data::CacheHeader) + 2 * 4 * 2 * 4);
    const data::ClassFrequencies f = data::class_frequencies(cache, 19);
    CHECK(f.valid_pixels == 12);
    CHECK(f.pixel_counts[0] == 8);
    CHECK(f.pixel_counts[13] == 4);
    CHECK(f.frequencies[13] == doctest::Approx(1.0 / 3));
    CHECK(std::filesystem::exists(path + ".classfreq.json"));
  }
  {
    const data::SplitCache again =
        data::SplitCache::open_or_build(data::open_cityscapes(dir.str(), "train"), path, 4, 2);
    CHECK_FALSE(again.was_rebuilt());
    CHECK(data::class_frequencies(again, 19).pixel_counts[13] == 4);
  }
  write_sample(dir, "c_000000_000003", test::filled(4, 2, 1, 23));
  {
    const data::SplitCache grown =
        data::SplitCache::open_or_build(data::open_cityscapes(dir.str(), "train"), path, 4, 2);
    CHECK(grown.was_rebuilt());
    CHECK(grown.count() == 3);
    CHECK(grown.labels(2)[0] == 10);
    CHECK(data::class_frequencies(grown, 19).pixel_counts[10] == 8);
  }
  {
    // Another image filter is another cache content.
    const auto open_antialiased = [&] {
      return data::SplitCache::open_or_build(data::open_cityscapes(dir.str(), "train"), path, 4, 2,
                                             data::ImageResize::Antialias);
    };
    CHECK(open_antialiased().was_rebuilt());
    CHECK_FALSE(open_antialiased().was_rebuilt());
  }
  const data::SplitCache smaller =
      data::SplitCache::open_or_build(data::open_cityscapes(dir.str(), "train"), path, 2, 1);
  CHECK(smaller.was_rebuilt());
  CHECK(smaller.width() == 2);
  CHECK_FALSE(std::filesystem::exists(data::temporary_path(path)));
}

TEST_CASE("synth: deterministic scenes that the cityscapes loader reads") {
  const data::SynthScene a = data::draw_synth_scene(96, 48, 5, 2), b = data::draw_synth_scene(96, 48, 5, 2);
  CHECK(a.image.pixels == b.image.pixels);
  CHECK(a.label_ids.pixels == b.label_ids.pixels);
  CHECK(data::draw_synth_scene(96, 48, 5, 3).image.pixels != a.image.pixels);

  test::ScratchDir dir("synth");
  data::write_synth_dataset({dir.str(), 3, 2, 64, 32, 7, 2});
  CHECK(std::filesystem::exists(dir.str("gtFine/val/synthval/synthval_000000_000019_gtFine_labelIds.png")));
  const data::Dataset train = data::open_cityscapes(dir.str(), "train");
  REQUIRE(train.samples.size() == 3);
  CHECK(data::open_cityscapes(dir.str(), "val").samples.size() == 2);
  for (size_t i = 0; i < train.samples.size(); ++i) {
    const data::LoadedSample s = data::load_sample(train, i);
    CHECK(s.image.width == 64);
    for (uint8_t v : s.labels.pixels) CHECK((v < 19 || v == 255));
  }
  const data::SynthScene first = data::draw_synth_scene(64, 32, 7, 0);
  CHECK(data::read_label_image(train.samples[0].label_path).pixels == first.label_ids.pixels);
}

TEST_CASE("synth: all 19 classes occur, sky and road dominate, thin classes are rare") {
  const data::LabelMap map = data::cityscapes_label_ids_map();
  std::vector<double> count(19, 0);
  for (uint64_t i = 0; i < 80; ++i) {
    const data::SynthScene s = data::draw_synth_scene(128, 64, 42, i);
    for (uint8_t v : s.label_ids.pixels) {
      if (map.train_id[v] != 255) count[map.train_id[v]] += 1;
    }
  }
  for (int c = 0; c < 19; ++c) CHECK_MESSAGE(count[c] > 0, "class " << c << " never drawn");
  const double road = count[0], sky = count[10];
  for (int c : {5, 6, 7, 11, 12, 17, 18}) {  // pole, lights, signs, persons, riders, motorcycles, bicycles
    CHECK(count[c] * 10 < road);
    CHECK(count[c] * 10 < sky);
  }
  CHECK(count[13] < road);      // cars
  CHECK(count[2] > count[13]);  // buildings larger than cars
}

TEST_CASE("cache: antialiased split identical whatever the decoding thread count") {
  test::ScratchDir dir("cache-threads");
  data::write_synth_dataset({dir.str(), 7, 0, 96, 48, 3, 2});
  const auto build = [&](int threads) {
    const std::string path = dir.str("train-" + std::to_string(threads) + ".bin");
    const data::SplitCache cache = data::SplitCache::open_or_build(data::open_cityscapes(dir.str(), "train"), path, 32,
                                                                   16, data::ImageResize::Antialias, threads);
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i < cache.count(); ++i) bytes.insert(bytes.end(), cache.image(i), cache.image(i) + 32 * 16 * 3);
    return bytes;
  };
  CHECK(build(1) == build(3));
}

TEST_CASE("loader: same batches whatever the thread count; order and augmentation keyed by seed and epoch") {
  test::ScratchDir dir("loader");
  data::write_synth_dataset({dir.str(), 10, 0, 48, 24, 3, 2});
  const data::SplitCache cache = data::SplitCache::open_or_build(
      data::open_cityscapes(dir.str(), "train"), dir.str("train.bin"), 32, 16, data::ImageResize::Area, 3);
  auto run = [&](int threads, uint64_t epoch) {
    data::LoaderOptions options;
    options.batch_size = 3;
    options.threads = threads;
    options.queue_depth = 2;
    data::BatchLoader loader(cache, options, epoch);
    CHECK(loader.num_batches() == 4);  // 10 samples: 3 + 3 + 3 + 1
    std::vector<float> images;
    std::vector<uint8_t> labels;
    std::vector<size_t> order;
    data::Batch batch;
    while (loader.next(batch)) {
      CHECK(batch.images.shape() == Shape{static_cast<int64_t>(batch.indices.size()), 16, 32, 3});
      CHECK(batch.labels.dtype() == DType::U8);
      const float* im = batch.images.data<float>();
      images.insert(images.end(), im, im + batch.images.numel());
      const uint8_t* lb = batch.labels.data<uint8_t>();
      labels.insert(labels.end(), lb, lb + batch.labels.numel());
      order.insert(order.end(), batch.indices.begin(), batch.indices.end());
    }
    return std::make_tuple(images, labels, order);
  };
  const auto one = run(1, 1), three = run(3, 1), next_epoch = run(3, 2);
  CHECK(std::get<0>(one) == std::get<0>(three));
  CHECK(std::get<1>(one) == std::get<1>(three));
  CHECK(std::get<2>(one) == std::get<2>(three));
  CHECK(std::get<2>(one) != std::get<2>(next_epoch));
  CHECK(std::set<size_t>(std::get<2>(one).begin(), std::get<2>(one).end()).size() == 10);
  CHECK(std::get<2>(one) == data::epoch_order(10, 42, 1, true));
  CHECK(data::epoch_order(4, 42, 1, false) == std::vector<size_t>{0, 1, 2, 3});

  // A final batch below min_last_batch is dropped (DeepLabV3+ cannot train on one image);
  // drop_last drops any short one.
  for (const auto& [min_last, drop_last, batches] :
       {std::tuple{2, false, size_t{3}}, std::tuple{1, false, size_t{4}}, std::tuple{1, true, size_t{3}}}) {
    data::LoaderOptions options;
    options.batch_size = 3;
    options.min_last_batch = min_last;
    options.drop_last = drop_last;
    CHECK(data::BatchLoader(cache, options, 1).num_batches() == batches);
  }

  data::LoaderOptions half;
  half.batch_size = 10;
  half.image_dtype = DType::F16;
  data::BatchLoader half_loader(cache, half, 1);
  data::Batch batch;
  REQUIRE(half_loader.next(batch));
  CHECK(batch.images.dtype() == DType::F16);
  const std::vector<float>& full = std::get<0>(one);
  for (int64_t i = 0; i < batch.images.numel(); i += 97)
    CHECK(batch.images.at(i) == doctest::Approx(full[i]).epsilon(2e-3));
}
