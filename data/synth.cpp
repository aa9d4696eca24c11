// Synthetic street scenes: a ground plane in one-point perspective (road trapezoid to a vanishing
// point), facades along both sides, then objects scaled by depth and drawn far to near.
#include "data/synth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "data/synth_canvas.h"
#include "data/worker_threads.h"
#include "engine/random.h"

namespace segrun::data {

namespace {

// Cityscapes labelIds (docs/REFERENCE.md section 5.1).
enum LabelId : uint8_t {
  kEgoVehicle = 1,
  kRoad = 7,
  kSidewalk = 8,
  kBuilding = 11,
  kWall = 12,
  kFence = 13,
  kPole = 17,
  kTrafficLight = 19,
  kTrafficSign = 20,
  kVegetation = 21,
  kTerrain = 22,
  kSky = 23,
  kPerson = 24,
  kRider = 25,
  kCar = 26,
  kTruck = 27,
  kBus = 28,
  kTrain = 31,
  kMotorcycle = 32,
  kBicycle = 33,
};

struct Scene {
  Canvas canvas;
  Generator gen;
  float horizon, vanish_x;
  float road_left, road_right;  // road edges at the bottom row
  float walk_left, walk_right;  // outer sidewalk edges at the bottom row

  float uniform(float lo, float hi) { return static_cast<float>(gen.next_uniform(lo, hi)); }
  bool chance(float p) { return gen.next_unit() < p; }
  int count(int lo, int hi) { return lo + static_cast<int>(gen.next_below(static_cast<uint64_t>(hi - lo + 1))); }
  Colour jitter(Colour c, float amount) {
    return {c.r + uniform(-amount, amount), c.g + uniform(-amount, amount), c.b + uniform(-amount, amount)};
  }
  float bottom() const { return static_cast<float>(canvas.height()); }
  // x of a line through the vanishing point that meets the bottom row at `bottom_x`.
  float edge_x(float bottom_x, float y) const { return vanish_x + (bottom_x - vanish_x) * depth(y); }
  // Ground-plane scale at row y: 0 at the horizon, 1 at the bottom row.
  float depth(float y) const { return std::max(0.0f, (y - horizon) / (bottom() - horizon)); }
};

void draw_sky_and_skyline(Scene& s) {
  const int w = s.canvas.width();
  for (int y = 0; y < s.canvas.height(); ++y) {
    const float t = static_cast<float>(y) / s.canvas.height();
    for (int x = 0; x < w; ++x) s.canvas.put(x, y, kSky, {110 + 90 * t, 150 + 60 * t, 215 + 20 * t});
  }
  // Distant blocks and tree tops along the horizon.
  for (float x = 0; x < w;) {
    const float width = s.uniform(0.04f, 0.12f) * w, height = s.uniform(0.02f, 0.12f) * s.canvas.height();
    if (s.chance(0.45f)) {
      s.canvas.ellipse(x + width / 2, s.horizon, width / 2, height, kVegetation, s.jitter({60, 95, 45}, 10));
    } else {
      s.canvas.rect(x, s.horizon - height, x + width, s.horizon + 1, kBuilding, s.jitter({135, 130, 130}, 15));
    }
    x += width;
  }
}

void draw_ground(Scene& s) {
  const float h = s.bottom(), far = s.horizon;
  const float w = static_cast<float>(s.canvas.width());
  s.canvas.polygon({s.vanish_x, -w, -w, s.walk_left}, {far, far, h, h}, kTerrain, s.jitter({120, 150, 75}, 15));
  s.canvas.polygon({s.vanish_x, 2 * w, 2 * w, s.walk_right}, {far, far, h, h}, kTerrain, s.jitter({120, 150, 75}, 15));
  const Colour walk = s.jitter({165, 150, 155}, 12);
  s.canvas.polygon({s.vanish_x, s.walk_left, s.road_left}, {far, h, h}, kSidewalk, walk);
  s.canvas.polygon({s.vanish_x, s.road_right, s.walk_right}, {far, h, h}, kSidewalk, walk);
  s.canvas.polygon({s.vanish_x, s.road_left, s.road_right}, {far, h, h}, kRoad, s.jitter({85, 85, 92}, 8));
  // Dashed centre line: still road, a lighter paint.
  const float centre = 0.5f * (s.road_left + s.road_right);
  for (float t = 0.05f; t < 1.0f; t += 0.12f) {
    const float y0 = far + t * (h - far), y1 = far + (t + 0.06f) * (h - far);
    s.canvas.line(s.edge_x(centre, y0), y0, s.edge_x(centre, y1), y1, std::max(1.0f, 0.012f * h * t), kRoad,
                  {200, 200, 190});
  }
}

// One side of the street: segments of facade whose top and bottom converge to the vanishing point.
void draw_facades(Scene& s, bool left) {
  const float w = static_cast<float>(s.canvas.width()), h = s.bottom();
  const float outer = left ? s.walk_left : s.walk_right;
  const float near_x = left ? 0.0f : w - 1, far_x = s.vanish_x + (left ? -0.06f : 0.06f) * w;
  float x = near_x;
  while (left ? x < far_x : x > far_x) {
    const float span = s.uniform(0.06f, 0.2f) * w;
    const float next = left ? std::min(far_x, x + span) : std::max(far_x, x - span);
    const float kind = s.uniform(0, 1), tall = s.uniform(0.4f, 1.3f);
    const uint8_t label = kind < 0.62f ? kBuilding : kind < 0.84f ? kVegetation : kind < 0.92f ? kWall : kFence;
    const float height = label == kBuilding ? tall : label == kVegetation ? 0.8f * tall : s.uniform(0.08f, 0.16f);
    const Colour colour = label == kBuilding     ? s.jitter({125, 112, 100}, 30)
                          : label == kVegetation ? s.jitter({70, 115, 40}, 12)
                          : label == kWall       ? s.jitter({150, 145, 130}, 10)
                                                 : s.jitter({135, 125, 100}, 10);
    for (int col = static_cast<int>(std::min(x, next)); col <= static_cast<int>(std::max(x, next)); ++col) {
      // Facade foot: where the outer sidewalk edge passes this column (or the bottom row).
      const float t = (col - s.vanish_x) / (outer - s.vanish_x);
      const float foot = t > 1 ? h : s.horizon + t * (h - s.horizon);
      const float top = s.horizon - height * t * (h - s.horizon) * 1.4f;
      for (int y = std::max(0, static_cast<int>(top)); y < std::min(h, foot); ++y) {
        const bool window = label == kBuilding && (y % 7 < 3) && (col % 6 < 3) && t > 0.25f;
        s.canvas.put(col, y, label, window ? colour.scaled(0.55f) : colour);
      }
    }
    x = next;
  }
}

// A pole on the outer sidewalk edge, sometimes carrying a sign or a traffic light.
void draw_pole(Scene& s, float foot_y, float unit) {
  const bool left = s.chance(0.5f);
  const float x = s.edge_x(
      left ? s.walk_left + 0.15f * (s.road_left - s.walk_left) : s.walk_right - 0.15f * (s.walk_right - s.road_right),
      foot_y);
  const float top = foot_y - 1.1f * unit, thick = std::max(1.0f, 0.03f * unit);
  s.canvas.line(x, foot_y, x, top, thick, kPole, s.jitter({120, 120, 125}, 10));
  if (s.chance(0.45f)) {
    const float r = std::max(1.5f, 0.09f * unit);
    const Colour sign = s.chance(0.5f) ? Colour{205, 180, 40} : Colour{40, 80, 175};
    if (s.chance(0.5f)) {
      s.canvas.ellipse(x, top + r, r, r, kTrafficSign, s.jitter(sign, 15));
    } else {
      s.canvas.rect(x - r, top, x + r, top + 1.6f * r, kTrafficSign, s.jitter(sign, 15));
    }
  } else if (s.chance(0.5f)) {
    const float lw = std::max(1.5f, 0.06f * unit), lh = std::max(3.0f, 0.16f * unit);
    s.canvas.rect(x - lw, top, x + lw, top + lh, kTrafficLight, {35, 35, 30});
    const Colour lamp = s.chance(0.5f) ? Colour{230, 40, 30} : Colour{40, 220, 80};
    s.canvas.ellipse(x, top + lh * (s.chance(0.5f) ? 0.25f : 0.75f), lw * 0.7f, lw * 0.7f, kTrafficLight, lamp);
  }
}

void draw_person(Scene& s, float x, float foot_y, float unit, uint8_t label) {
  const float height = 0.42f * unit, width = 0.09f * unit;
  const Colour clothes = s.jitter({110, 70, 80}, 60);
  s.canvas.line(x - width * 0.3f, foot_y, x - width * 0.2f, foot_y - 0.45f * height, width * 0.4f, label,
                clothes.scaled(0.6f));
  s.canvas.line(x + width * 0.3f, foot_y, x + width * 0.2f, foot_y - 0.45f * height, width * 0.4f, label,
                clothes.scaled(0.6f));
  s.canvas.rect(x - width / 2, foot_y - 0.85f * height, x + width / 2, foot_y - 0.42f * height, label, clothes);
  s.canvas.ellipse(x, foot_y - 0.92f * height, width * 0.4f, height * 0.08f, label, s.jitter({200, 160, 130}, 25));
}

void draw_two_wheeler(Scene& s, float x, float foot_y, float unit, bool motor, bool ridden) {
  const uint8_t label = motor ? kMotorcycle : kBicycle;
  const float r = 0.08f * unit, gap = 0.14f * unit;
  const Colour frame = motor ? s.jitter({55, 55, 65}, 20) : s.jitter({90, 40, 40}, 30);
  s.canvas.ring(x - gap, foot_y - r, r, motor ? 0.4f * r : 0.2f * r, label, {30, 30, 30});
  s.canvas.ring(x + gap, foot_y - r, r, motor ? 0.4f * r : 0.2f * r, label, {30, 30, 30});
  if (motor) {
    s.canvas.ellipse(x, foot_y - 1.6f * r, gap * 0.9f, r * 0.7f, label, frame);
  } else {
    s.canvas.line(x - gap, foot_y - r, x, foot_y - 2.2f * r, std::max(1.0f, 0.15f * r), label, frame);
    s.canvas.line(x + gap, foot_y - r, x, foot_y - 2.2f * r, std::max(1.0f, 0.15f * r), label, frame);
  }
  if (ridden) draw_person(s, x, foot_y - 1.4f * r, unit * 0.85f, kRider);
}

void draw_vehicle(Scene& s, float x, float foot_y, float unit, uint8_t label) {
  const float width = label == kCar ? 0.45f * unit : label == kTrain ? 1.4f * unit : 0.6f * unit;
  const float height = label == kCar ? 0.3f * unit : 0.6f * unit;
  const Colour paint = label == kCar     ? Colour{s.uniform(20, 230), s.uniform(20, 230), s.uniform(20, 230)}
                       : label == kBus   ? s.jitter({200, 170, 40}, 30)
                       : label == kTrain ? s.jitter({190, 60, 50}, 20)
                                         : s.jitter({200, 200, 205}, 25);
  const float body_top = label == kCar ? foot_y - 0.6f * height : foot_y - height;
  s.canvas.rect(x - width / 2, body_top, x + width / 2, foot_y - 0.08f * height, label, paint);
  if (label == kCar) {
    s.canvas.rect(x - 0.33f * width, foot_y - height, x + 0.33f * width, body_top + 1, label, {60, 70, 85});
  } else {
    s.canvas.rect(x - 0.45f * width, body_top + 0.15f * height, x + 0.45f * width, body_top + 0.4f * height, label,
                  {55, 65, 80});
  }
  const float r = 0.1f * height + 0.5f;
  s.canvas.ellipse(x - 0.32f * width, foot_y - r, r, r, label, {25, 25, 25});
  s.canvas.ellipse(x + 0.32f * width, foot_y - r, r, r, label, {25, 25, 25});
}

struct Placement {
  float foot_y;
  int kind;  // 0 car, 1 truck, 2 bus, 3 train, 4 person, 5 bicycle, 6 motorcycle, 7 pole
};

void draw_object(Scene& s, const Placement& p) {
  const float unit = s.depth(p.foot_y) * s.bottom();
  const float road_l = s.edge_x(s.road_left, p.foot_y), road_r = s.edge_x(s.road_right, p.foot_y);
  const float walk_l = s.edge_x(s.walk_left, p.foot_y), walk_r = s.edge_x(s.walk_right, p.foot_y);
  const float on_road = s.uniform(road_l + 0.15f * (road_r - road_l), road_r - 0.15f * (road_r - road_l));
  const float on_walk = s.chance(0.5f) ? s.uniform(walk_l, road_l) : s.uniform(road_r, walk_r);
  switch (p.kind) {
    case 0:
      draw_vehicle(s, on_road, p.foot_y, unit, kCar);
      break;
    case 1:
      draw_vehicle(s, on_road, p.foot_y, unit, kTruck);
      break;
    case 2:
      draw_vehicle(s, on_road, p.foot_y, unit, kBus);
      break;
    case 3:
      draw_vehicle(s, on_road, p.foot_y, unit, kTrain);
      break;
    case 4:
      draw_person(s, on_walk, p.foot_y, unit, kPerson);
      break;
    case 5:
      draw_two_wheeler(s, s.chance(0.6f) ? on_road : on_walk, p.foot_y, unit, false, s.chance(0.6f));
      break;
    case 6:
      draw_two_wheeler(s, on_road, p.foot_y, unit, true, s.chance(0.8f));
      break;
    default:
      draw_pole(s, p.foot_y, unit);
      break;
  }
}

void draw_objects(Scene& s) {
  // Expected counts per scene, rare classes rare (Cityscapes-like imbalance).
  const float expected[8] = {3.0f, 0.3f, 0.2f, 0.06f, 3.0f, 0.8f, 0.35f, 4.0f};
  std::vector<Placement> placements;
  for (int kind = 0; kind < 8; ++kind) {
    const int n = static_cast<int>(expected[kind] * s.uniform(0.0f, 2.0f) + s.uniform(0.0f, 1.0f));
    for (int i = 0; i < n; ++i) {
      placements.push_back({s.horizon + s.uniform(0.08f, 1.1f) * (s.bottom() - s.horizon), kind});
    }
  }
  // Painter's order: far (small foot_y) first, so nearer objects occlude them.
  std::stable_sort(placements.begin(), placements.end(),
                   [](const Placement& a, const Placement& b) { return a.foot_y < b.foot_y; });
  for (const Placement& p : placements) draw_object(s, p);
}

// Smooth value noise in [-1, 1] on a lattice of `cell` pixels.
float value_noise(uint64_t key, int x, int y, int cell) {
  const int cx = x / cell, cy = y / cell;
  const float fx = static_cast<float>(x % cell) / cell, fy = static_cast<float>(y % cell) / cell;
  auto corner = [&](int i, int j) {
    return static_cast<float>(random_unit(key, (static_cast<uint64_t>(cy + j) << 32) + static_cast<uint64_t>(cx + i)));
  };
  const float top = corner(0, 0) * (1 - fx) + corner(1, 0) * fx;
  const float bottom = corner(0, 1) * (1 - fx) + corner(1, 1) * fx;
  return 2.0f * (top * (1 - fy) + bottom * fy) - 1.0f;
}

SynthScene colourise(Scene& s, uint64_t key) {
  const int w = s.canvas.width(), h = s.canvas.height();
  SynthScene out{make_image(w, h, 3), make_image(w, h, 1)};
  const float light = s.uniform(0.8f, 1.15f);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const uint8_t label = s.canvas.label(x, y);
      const bool rough = label == kVegetation || label == kTerrain;
      const float texture = (rough ? 28.0f : 10.0f) * value_noise(key, x, y, rough ? 3 : 9);
      const Colour c = s.canvas.colour(x, y);
      const float rgb[3] = {c.r, c.g, c.b};
      for (int ch = 0; ch < 3; ++ch) {
        const float noise =
            16.0f *
            (static_cast<float>(random_unit(key ^ 0x5bd1e995ull, (static_cast<uint64_t>(y) * w + x) * 3 + ch)) - 0.5f);
        out.image.at(x, y, ch) = static_cast<uint8_t>(std::clamp(light * rgb[ch] + texture + noise, 0.0f, 255.0f));
      }
      out.label_ids.at(x, y) = label;
    }
  }
  return out;
}

}  // namespace

SynthScene draw_synth_scene(int width, int height, uint64_t seed, uint64_t index) {
  const uint64_t key = random_bits(seed, index);
  Scene s{Canvas(width, height), Generator(key), 0, 0, 0, 0, 0, 0};
  s.horizon = s.uniform(0.35f, 0.5f) * height;
  s.vanish_x = s.uniform(0.4f, 0.6f) * width;
  const float road_half = s.uniform(0.35f, 0.55f) * width, walk = s.uniform(0.15f, 0.35f) * width;
  s.road_left = s.vanish_x - road_half;
  s.road_right = s.vanish_x + road_half;
  s.walk_left = s.road_left - walk;
  s.walk_right = s.road_right + walk * s.uniform(0.7f, 1.3f);
  draw_sky_and_skyline(s);
  draw_ground(s);
  draw_facades(s, true);
  draw_facades(s, false);
  draw_objects(s);
  // The car's own bonnet along the bottom in some scenes: an ignored class.
  if (s.chance(0.3f)) {
    s.canvas.ellipse(0.5f * width, 1.05f * height, 0.6f * width, 0.08f * height, kEgoVehicle, {30, 30, 35});
  }
  return colourise(s, key);
}

void write_synth_dataset(const SynthOptions& options) {
  if (options.width < 16 || options.height < 16 || options.train_count < 0 || options.val_count < 0) {
    throw std::invalid_argument("synth: size must be at least 16x16 and counts non-negative");
  }
  namespace fs = std::filesystem;
  const char* cities[2] = {"synthburg", "synthval"};
  const int total = options.train_count + options.val_count;
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](int first, int stride) {
    try {
      for (int i = first; i < total; i += stride) {
        const bool train = i < options.train_count;
        const int local = train ? i : i - options.train_count;
        const std::string split = train ? "train" : "val", city = cities[train ? 0 : 1];
        char id[96];
        std::snprintf(id, sizeof id, "%s_%06d_%06d", city.c_str(), local / 100, local % 100 * 19);
        const SynthScene scene = draw_synth_scene(options.width, options.height, options.seed,
                                                  static_cast<uint64_t>(i) + (train ? 0 : 1ull << 40));
        const fs::path root(options.out_dir);
        write_png((root / "leftImg8bit" / split / city / (std::string(id) + "_leftImg8bit.png")).string(), scene.image);
        write_png((root / "gtFine" / split / city / (std::string(id) + "_gtFine_labelIds.png")).string(),
                  scene.label_ids);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  const int threads = std::max(1, options.threads);
  run_on_threads(
      threads, [&](int t) { work(t, threads); }, "synth");
  if (error) std::rethrow_exception(error);
}

}  // namespace segrun::data
