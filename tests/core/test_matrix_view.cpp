#include <catch2/catch.hpp>

#include <xtensor/xarray.hpp>
#include <xtensor/xview.hpp>

#include <segkit/core/matrix_view.hpp>

using segkit::as_rows;
using segkit::matrix_view;

TEST_CASE("as_rows views xtensor containers and row-major strided views without copying", "[core][matrix_view]") {
  segkit::matrix<float> a = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}};
  const auto r = as_rows<float>(a);
  CHECK_FALSE(r.owns());
  CHECK(r->data() == a.data());
  CHECK(r->rows() == 4);
  CHECK(r->cols() == 3);

  auto rows_1_3 = xt::view(a, xt::range(1, 3), xt::all());
  const auto v = as_rows<float>(rows_1_3);
  CHECK_FALSE(v.owns());
  CHECK(v->data() == a.data() + 3);
  CHECK(v.view()(1, 2) == 9.0f);

  auto cols_0_2 = xt::view(a, xt::all(), xt::range(0, 2));  // row stride 3, unit column stride
  const auto c = as_rows<float>(cols_0_2);
  CHECK_FALSE(c.owns());
  CHECK(c->stride() == 3);
  CHECK(c->cols() == 2);
  CHECK(c.view()(3, 1) == 11.0f);
}

TEST_CASE("as_rows evaluates once what is not row-major data of the right type", "[core][matrix_view]") {
  segkit::matrix<float> a = {{1, 2}, {3, 4}};
  const auto lazy = as_rows<float>(a + 1.0f);
  CHECK(lazy.owns());
  CHECK(lazy.view()(1, 1) == 5.0f);

  const auto transposed = as_rows<float>(xt::transpose(a));
  CHECK(transposed.owns());
  CHECK(transposed.view()(0, 1) == 3.0f);

  segkit::matrix<double> d = {{1.5, 2.5}};
  const auto cast = as_rows<float>(d);
  CHECK(cast.owns());
  CHECK(cast.view()(0, 1) == 2.5f);

  xt::xarray<float, xt::layout_type::column_major> cm = {{1, 2, 3}, {4, 5, 6}};
  const auto from_cm = as_rows<float>(cm);
  CHECK(from_cm.owns());
  CHECK(from_cm.view()(1, 0) == 4.0f);
  CHECK(from_cm.view()(0, 2) == 3.0f);
}

TEST_CASE("as_rows rejects arrays that are not two-dimensional", "[core][matrix_view]") {
  xt::xarray<float> three = xt::zeros<float>({2, 2, 2});
  CHECK_THROWS_WITH(as_rows<float>(three), Catch::Contains("expected a 2-D matrix, got 3"));
}

TEST_CASE("matrix_view from raw pointers checks its arguments", "[core][matrix_view]") {
  const float data[6] = {1, 2, 3, 4, 5, 6};
  const matrix_view<float> v(data, 2, 2, 3);
  CHECK(v(1, 0) == 4.0f);
  CHECK(v.slice(1, 2)(0, 1) == 5.0f);
  CHECK_THROWS_AS(matrix_view<float>(data, 2, 3, 2), segkit::invalid_argument);
  CHECK_THROWS_AS(matrix_view<float>(nullptr, 2, 3), segkit::invalid_argument);
  CHECK_THROWS_WITH(v.slice(1, 3), Catch::Contains("row range [1, 3) outside 0..2"));
}

TEST_CASE("require_finite names the first NaN or Inf", "[core][matrix_view]") {
  segkit::matrix<float> a = {{1, 2}, {3, std::numeric_limits<float>::quiet_NaN()}};
  CHECK_THROWS_WITH(segkit::require_finite<float>("segkit::test", "x", as_rows<float>(a)),
                    Catch::Contains("segkit::test: x holds a non-finite value (nan) at row 1, column 1"));
  a(1, 1) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_AS(segkit::require_finite<float>("c", "x", as_rows<float>(a)), segkit::invalid_argument);
  a(1, 1) = 0;
  CHECK_NOTHROW(segkit::require_finite<float>("c", "x", as_rows<float>(a)));
}
