// Images without a model: decoding through stb (round trip of PNGs written by stb_image_write),
// CIELAB against published values, the histogram and thumbnail blocks, corrupt files.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <utility>
#include <string>
#include <vector>

#include <stb_image_write.h>

#include <segkit/core/npy.hpp>
#include <segkit/embed/image.hpp>

namespace em = segkit::embed;

namespace {
em::image solid(std::size_t w, std::size_t h, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  em::image img{w, h, std::vector<std::uint8_t>(w * h * 3)};
  for (std::size_t i = 0; i < w * h; ++i) {
    img.rgb[i * 3] = r;
    img.rgb[i * 3 + 1] = g;
    img.rgb[i * 3 + 2] = b;
  }
  return img;
}

std::vector<char> png(const em::image& img) {
  std::vector<char> out;
  const auto append = [](void* context, void* data, int size) {
    auto* o = static_cast<std::vector<char>*>(context);
    o->insert(o->end(), static_cast<char*>(data), static_cast<char*>(data) + size);
  };
  REQUIRE(stbi_write_png_to_func(append, &out, static_cast<int>(img.width), static_cast<int>(img.height), 3, img.rgb.data(),
                                 static_cast<int>(img.width * 3)) != 0);
  return out;
}
}  // namespace

TEST_CASE("images decode through stb: a PNG round trip keeps every pixel; corrupt bytes are reported", "[embed][image]") {
  auto img = solid(17, 9, 200, 30, 60);
  img.rgb[(4 * 17 + 3) * 3 + 1] = 255;  // one green-ish pixel
  const auto back = em::decode_image(png(img), "mem.png");
  CHECK(back.width == 17);
  CHECK(back.height == 9);
  CHECK(back.rgb == img.rgb);
  using Catch::Matchers::Contains;
  const std::vector<char> junk{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'};
  CHECK_THROWS_WITH(em::decode_image(junk, "junk.png"), Contains("junk.png: cannot decode the image"));
  auto truncated = png(img);
  truncated.resize(truncated.size() / 2);
  CHECK_THROWS_AS(em::decode_image(truncated, "half.png"), segkit::format_error);
}

TEST_CASE("CIELAB of sRGB colors equals the published values", "[embed][image]") {
  // Reference values (D65): white (100, 0, 0); black (0, 0, 0); sRGB red (53.24, 80.09, 67.20);
  // green (87.73, -86.18, 83.18); blue (32.30, 79.19, -107.86); mid gray 128 (53.59, 0, 0).
  const auto near = [](std::array<double, 3> got, double l, double a, double b) {
    CHECK(got[0] == Approx(l).margin(0.02));
    CHECK(got[1] == Approx(a).margin(0.02));
    CHECK(got[2] == Approx(b).margin(0.02));
  };
  near(em::srgb_to_lab(255, 255, 255), 100.0, 0.0, 0.0);
  near(em::srgb_to_lab(0, 0, 0), 0.0, 0.0, 0.0);
  near(em::srgb_to_lab(255, 0, 0), 53.24, 80.09, 67.20);
  near(em::srgb_to_lab(0, 255, 0), 87.73, -86.18, 83.18);
  near(em::srgb_to_lab(0, 0, 255), 32.30, 79.19, -107.86);
  near(em::srgb_to_lab(128, 128, 128), 53.59, 0.0, 0.0);
}

TEST_CASE("image features: histogram mass where the colors are, thumbnails, similar images closer", "[embed][image]") {
  const em::image_features f({.thumbnail = 4});
  REQUIRE(f.dim() == 4 * 6 * 6 + 48);
  // Half red, half blue: two histogram bins with sqrt(0.5) each, and the thumbnail's left cells red.
  auto img = solid(16, 16, 255, 0, 0);
  for (std::size_t y = 0; y < 16; ++y) {
    for (std::size_t x = 8; x < 16; ++x) {
      img.rgb[(y * 16 + x) * 3] = 0;
      img.rgb[(y * 16 + x) * 3 + 2] = 255;
    }
  }
  const auto v = f.features(img);
  std::vector<float> hist(v.begin(), v.begin() + 144);
  std::sort(hist.rbegin(), hist.rend());
  CHECK(hist[0] == Approx(std::sqrt(0.5)));
  CHECK(hist[1] == Approx(std::sqrt(0.5)));
  CHECK(hist[2] == 0.0f);
  const double scale = 2.0 / std::sqrt(48.0);
  CHECK(v[144 + 0] == Approx(scale * 0.5));   // cell (0, 0), red channel: 255
  CHECK(v[144 + 2] == Approx(-scale * 0.5));  // cell (0, 0), blue channel: 0
  CHECK(v[144 + 3 * 3 + 2] == Approx(scale * 0.5));  // cell (3, 0), blue
  // A wide image uses its center square: a red border outside it does not reach the thumbnail.
  auto wide = solid(32, 16, 0, 0, 255);
  for (std::size_t y = 0; y < 16; ++y) {
    for (std::size_t x = 0; x < 8; ++x) wide.rgb[(y * 32 + x) * 3] = 255, wide.rgb[(y * 32 + x) * 3 + 2] = 0;
  }
  CHECK(f.features(wide)[144] == Approx(-scale * 0.5));
  // Embedding: two orange-ish images are closer to each other than to a teal one.
  const std::vector<em::image> imgs{solid(10, 10, 250, 140, 20), solid(12, 8, 240, 150, 30), solid(10, 10, 20, 160, 160)};
  const auto e = f.embed(imgs);
  const auto dist = [&](std::size_t a, std::size_t b) {
    double s = 0.0;
    for (std::size_t j = 0; j < f.dim(); ++j) s += (e(a, j) - e(b, j)) * (e(a, j) - e(b, j));
    return s;
  };
  CHECK(dist(0, 1) < dist(0, 2));
  CHECK_THROWS_WITH(f.features(em::image{}), Catch::Matchers::Contains("image of 0 x 0"));
}

TEST_CASE("bicubic resize equals Pillow's, down, up and along one axis; CLIP preprocessing equals the reference", "[embed][image]") {
  const auto dir = std::filesystem::path(SEGKIT_TEST_DATA) / "images";
  const auto src = segkit::load_npy_array<std::int32_t>(dir / "src.npy");
  em::image img{src.shape(1), src.shape(0), {}};
  for (const auto v : src) img.rgb.push_back(static_cast<std::uint8_t>(v));
  for (const auto& [w, h] : {std::pair<std::size_t, std::size_t>{15, 9}, {60, 41}, {37, 11}, {20, 23}}) {
    const auto want = segkit::load_npy_array<std::int32_t>(dir / fmt::format("bicubic_{}x{}.npy", w, h));
    const auto got = em::resize_bicubic(img, w, h);
    REQUIRE(got.width == w);
    REQUIRE(got.height == h);
    CAPTURE(w, h);
    std::vector<std::uint8_t> w8;
    for (const auto v : want) w8.push_back(static_cast<std::uint8_t>(v));
    CHECK(got.rgb == w8);
  }
  const auto want = segkit::load_npy_array<float>(dir / "clip.npy");
  const auto got = em::clip_pixels(img, {.size = 16});
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == Approx(want.data()[i]).margin(1e-5));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(em::resize_bicubic(img, 0, 4), Contains("cannot resize"));
  CHECK_THROWS_WITH(em::center_crop(img, 40, 4), Contains("cannot crop"));
}
