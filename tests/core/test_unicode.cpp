// Unicode properties and normal forms (core/unicode.hpp) against Python 3.11's str.lower() and
// unicodedata.normalize on texts in many scripts and random code-point strings
// (tests/data/make_unicode_fixture.py), plus the properties the tokenizers rely on.
#include <catch2/catch.hpp>

#include <string>

#include <segkit/core/unicode.hpp>

#include "support/unicode_cases.hpp"

namespace uc = segkit::unicode;
using uc::category;

// The property functions work at compile time.
static_assert(uc::general_category(U'a') == category::Ll && uc::is_letter(0x4E2D) && uc::simple_lower(0x391) == 0x3B1);

TEST_CASE("unicode: lower case, NFC and NFD equal Python's on texts in many scripts and random code points", "[core][unicode]") {
  const auto cases = segkit::test::unicode_cases();
  REQUIRE(cases.size() > 600);
  CHECK(uc::version == "14.0.0");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    INFO("case " << i << ": " << c.text);
    const auto s = uc::decode_utf8(c.text);
    CHECK(uc::encode_utf8(s) == c.text);
    CHECK(uc::encode_utf8(uc::lower(s)) == c.lower);
    const auto composed = uc::nfc(s);
    const auto decomposed = uc::nfd(s);
    CHECK(uc::encode_utf8(composed) == c.nfc);
    CHECK(uc::encode_utf8(decomposed) == c.nfd);
    CHECK((uc::nfc(decomposed) == composed));  // the normal forms are stable under each other
    CHECK((uc::nfd(composed) == decomposed));
  }
}

TEST_CASE("unicode: categories, combining classes, Hangul, final sigma, malformed UTF-8", "[core][unicode]") {
  CHECK(uc::general_category(U'A') == category::Lu);
  CHECK(uc::general_category(0x01C5) == category::Lt);  // Dž
  CHECK(uc::general_category(0x0903) == category::Mc);  // Devanagari visarga
  CHECK(uc::general_category(0x0663) == category::Nd);  // Arabic-Indic three
  CHECK(uc::general_category(0x216B) == category::Nl);  // Roman numeral twelve
  CHECK(uc::general_category(0x00BD) == category::No);  // one half
  CHECK(uc::general_category(0x00AD) == category::Cf);  // soft hyphen
  CHECK(uc::general_category(0x0378) == category::Cn);  // unassigned
  CHECK(uc::general_category(0xE000) == category::Co);
  CHECK(uc::general_category(0x1D400) == category::Lu);  // mathematical bold A (plane 1)
  CHECK(uc::general_category(0x10FFFF) == category::Cn);
  CHECK(uc::general_category(0x110000) == category::Cn);  // beyond Unicode
  CHECK(uc::is_word_char(U'_'));
  CHECK_FALSE(uc::is_word_char(0x0301));  // marks are not \w in Python
  CHECK(uc::is_punctuation(0x3002));       // ideographic full stop
  CHECK(uc::combining_class(0x0301) == 230);
  CHECK(uc::combining_class(0x0323) == 220);
  CHECK(uc::combining_class(U'a') == 0);
  CHECK(uc::simple_lower(0x0130) == U'i');
  CHECK((uc::lower(U"\u0130") == U"i\u0307"));
  CHECK((uc::lower(U"ΟΔΟΣ Σ ΑΣ\u00ADΒ") == U"οδος σ ασ\u00ADβ"));  // final only at a word's end, soft hyphen skipped
  CHECK((uc::nfc(U"\u1100\u1161\u11A8") == U"\uAC01"));           // jamo L V T compose to one syllable
  CHECK((uc::nfd(U"\uAC01") == U"\u1100\u1161\u11A8"));
  CHECK((uc::nfc(U"a\u0323\u0301") == U"\u1EA1\u0301"));           // a + dot below make ạ; there is no ạ + acute, so the acute stays
  CHECK((uc::nfd(U"a\u0301\u0323") == U"a\u0323\u0301"));          // marks in canonical order
  CHECK((uc::nfc(U"\u212B") == U"\u00C5"));                        // a singleton never comes back
  CHECK((uc::decode_utf8("a\xC3") == U"a\uFFFD"));                 // truncated sequence
  CHECK((uc::decode_utf8("\xFF\x80z") == U"\uFFFD\uFFFDz"));
}
