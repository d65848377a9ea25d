// Teaching example: color quantization, k-means on the pixels of an image.
//
//   color_quantization [--image in.png] [--k 16] [--out DIR]
//
// Without --image it draws a built-in 480 x 320 test picture (sky gradient, sun, hills, a lake
// with reflections and some noise) and saves it as DIR/original.png. Each pixel is a point in
// CIELAB space (distances there follow perceived color differences better than in RGB); k-means
// finds k colors, every pixel is replaced by its segment's color, and the program writes
// DIR/quantized.png, DIR/palette.png (one swatch per color, by share) and DIR/report.html. Images
// above 250,000 pixels use mini-batch k-means, which looks at batches instead of every pixel per
// step. It prints the PSNR and compares full and mini-batch k-means on the same pixels; exits
// with status 3 if the PSNR is below 26 dB or mini-batch's inertia is more than 10 % above full
// k-means' (CI runs it as a test).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <stb_image_write.h>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/cluster/minibatch_kmeans.hpp>
#include <segkit/core/random.hpp>
#include <segkit/embed/image.hpp>
#include <segkit/report/html.hpp>
#include <segkit/report/svg.hpp>

#include "../common/example.hpp"

namespace {

using segkit::embed::image;

image test_picture(std::size_t w, std::size_t h) {
  image img{w, h, std::vector<std::uint8_t>(w * h * 3)};
  segkit::rng r(5, 0);
  const auto put = [&](std::size_t x, std::size_t y, double cr, double cg, double cb) {
    const double noise = 6.0 * r.normal();
    auto* p = img.rgb.data() + (y * w + x) * 3;
    p[0] = static_cast<std::uint8_t>(std::clamp(cr + noise, 0.0, 255.0));
    p[1] = static_cast<std::uint8_t>(std::clamp(cg + noise, 0.0, 255.0));
    p[2] = static_cast<std::uint8_t>(std::clamp(cb + noise, 0.0, 255.0));
  };
  const double horizon = 0.62 * static_cast<double>(h);
  for (std::size_t y = 0; y < h; ++y) {
    for (std::size_t x = 0; x < w; ++x) {
      const double fx = static_cast<double>(x), fy = static_cast<double>(y);
      const double sun = std::hypot(fx - 0.72 * static_cast<double>(w), fy - 0.25 * static_cast<double>(h));
      const double hill = horizon - 40.0 - 30.0 * std::sin(fx / 55.0) - 15.0 * std::sin(fx / 17.0);
      if (fy < horizon) {
        if (sun < 34.0) {
          put(x, y, 255, 214, 90);
        } else if (fy > hill) {
          const double t = (fy - hill) / 80.0;
          put(x, y, 40 + 30 * t, 110 - 20 * t, 50 + 10 * t);
        } else {
          const double t = fy / horizon;  // sky: deep blue at the top to orange near the horizon
          put(x, y, 30 + 210 * t * t, 80 + 90 * t, 170 - 60 * t);
        }
      } else {
        // Lake: the sky mirrored and darkened, with ripples.
        const double mirror = 2.0 * horizon - fy + 4.0 * std::sin(fx / 6.0 + fy / 3.0);
        const double t = std::clamp(mirror / horizon, 0.0, 1.0);
        put(x, y, 0.6 * (30 + 210 * t * t), 0.6 * (80 + 90 * t), 0.7 * (170 - 60 * t) + 20);
      }
    }
  }
  return img;
}

void write_png(const std::filesystem::path& path, const image& img) {
  if (stbi_write_png(path.c_str(), static_cast<int>(img.width), static_cast<int>(img.height), 3, img.rgb.data(), static_cast<int>(img.width * 3)) == 0) {
    throw segkit::io_error(fmt::format("cannot write '{}'", path.string()));
  }
}

// CIELAB to sRGB (D65), the inverse of segkit::embed::srgb_to_lab.
std::array<std::uint8_t, 3> lab_to_srgb(double l, double a, double b) {
  const double fy = (l + 16.0) / 116.0, fx = fy + a / 500.0, fz = fy - b / 200.0;
  const auto finv = [](double t) { return t > 6.0 / 29.0 ? t * t * t : 3.0 * (6.0 / 29.0) * (6.0 / 29.0) * (t - 4.0 / 29.0); };
  const double x = 0.95047 * finv(fx), y = finv(fy), z = 1.08883 * finv(fz);
  const double lin[3] = {3.2404542 * x - 1.5371385 * y - 0.4985314 * z, -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
                         0.0556434 * x - 0.2040259 * y + 1.0572252 * z};
  std::array<std::uint8_t, 3> out{};
  for (int c = 0; c < 3; ++c) {
    const double v = std::clamp(lin[c], 0.0, 1.0);
    const double s = v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
    out[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(std::lround(s * 255.0));
  }
  return out;
}

double psnr(const image& a, const image& b) {
  double se = 0.0;
  for (std::size_t i = 0; i < a.rgb.size(); ++i) se += std::pow(static_cast<double>(a.rgb[i]) - static_cast<double>(b.rgb[i]), 2.0);
  const double mse = se / static_cast<double>(a.rgb.size());
  return 10.0 * std::log10(255.0 * 255.0 / std::max(mse, 1e-12));
}

int run(int argc, char** argv) {
  auto opt = segkit::examples::parse_options(argc, argv, {{"out", "color-quantization"}, {"k", "16"}});
  const std::filesystem::path out = opt["out"];
  std::filesystem::create_directories(out);
  const image img = opt.count("image") ? segkit::embed::load_image(opt["image"]) : test_picture(480, 320);
  if (!opt.count("image")) write_png(out / "original.png", img);
  const std::size_t k = std::stoul(opt["k"]), n = img.width * img.height;

  // [pixels]
  segkit::matrix<float> lab = segkit::matrix<float>::from_shape({n, 3});
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = segkit::embed::srgb_to_lab(img.rgb[i * 3], img.rgb[i * 3 + 1], img.rgb[i * 3 + 2]);
    for (std::size_t j = 0; j < 3; ++j) lab(i, j) = static_cast<float>(c[j]);
  }
  const bool large = n > 250000;
  const auto model = large ? segkit::cluster::minibatch_kmeans<float>({.k = k, .batch_size = 4096, .seed = 1}).fit(lab)
                           : segkit::cluster::kmeans<float>({.k = k, .n_init = 2, .seed = 1}).fit(lab);
  // [pixels]
  // The other algorithm on the same pixels, to compare.
  const auto other = large ? segkit::cluster::kmeans<float>({.k = k, .seed = 1}).fit(lab)
                           : segkit::cluster::minibatch_kmeans<float>({.k = k, .batch_size = 4096, .seed = 1}).fit(lab);
  const double full_inertia = large ? other.inertia : model.inertia, mini_inertia = large ? model.inertia : other.inertia;

  // [recolor]
  std::vector<std::array<std::uint8_t, 3>> palette(k);
  for (std::size_t c = 0; c < k; ++c) palette[c] = lab_to_srgb(model.centers(c, 0), model.centers(c, 1), model.centers(c, 2));
  image q{img.width, img.height, std::vector<std::uint8_t>(n * 3)};
  std::vector<std::size_t> count(k, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::size_t>(model.labels()(i));
    ++count[c];
    std::copy(palette[c].begin(), palette[c].end(), q.rgb.begin() + static_cast<std::ptrdiff_t>(i * 3));
  }
  write_png(out / "quantized.png", q);
  // [recolor]

  // Palette image: swatches 40 px wide, by decreasing share.
  std::vector<std::size_t> order(k);
  for (std::size_t c = 0; c < k; ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return count[a] > count[b]; });
  image pal{40 * k, 40, std::vector<std::uint8_t>(40 * k * 40 * 3)};
  for (std::size_t y = 0; y < 40; ++y) {
    for (std::size_t x = 0; x < 40 * k; ++x) std::copy(palette[order[x / 40]].begin(), palette[order[x / 40]].end(), pal.rgb.begin() + static_cast<std::ptrdiff_t>((y * 40 * k + x) * 3));
  }
  write_png(out / "palette.png", pal);

  const double p = psnr(img, q);
  fmt::print("{} x {} pixels, {} colors with {} k-means\n", img.width, img.height, k, large ? "mini-batch" : "full");
  fmt::print("PSNR {:.2f} dB; inertia full k-means {:.4g}, mini-batch {:.4g} ({:+.1f} %)\n", p, full_inertia, mini_inertia,
             100.0 * (mini_inertia / full_inertia - 1.0));

  namespace rp = segkit::report;
  rp::html_report page("Color quantization with k-means");
  page.paragraph(fmt::format("{} x {} pixels reduced to {} colors (k-means in CIELAB). PSNR {:.2f} dB. Images: original.png, quantized.png, palette.png "
                             "beside this report.", img.width, img.height, k, p));
  std::vector<std::string> names, colors;
  std::vector<double> shares;
  for (const std::size_t c : order) {
    colors.push_back(fmt::format("#{:02x}{:02x}{:02x}", palette[c][0], palette[c][1], palette[c][2]));
    names.push_back(colors.back());
    shares.push_back(100.0 * static_cast<double>(count[c]) / static_cast<double>(n));
  }
  page.figure(rp::bar_svg(names, shares, colors, {.title = "Palette", .value_title = "% of pixels"}));
  page.table({"", "full k-means inertia", "mini-batch inertia"}, {{"CIELAB", fmt::format("{:.4g}", full_inertia), fmt::format("{:.4g}", mini_inertia)}});
  page.save(out / "report.html");

  if (p < 26.0 || mini_inertia > 1.10 * full_inertia) {
    std::fprintf(stderr, "color_quantization: expected PSNR >= 26 dB and mini-batch inertia within 10 %% of full k-means\n");
    return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return segkit::examples::guarded_main("color_quantization", [&] { return run(argc, argv); });
}
