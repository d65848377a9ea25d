// Fuzz target: the WordPiece (BERT) and byte-level BPE (CLIP) tokenizers on any bytes.
#include <segkit/embed/clip_bpe.hpp>
#include <segkit/embed/wordpiece.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const segkit::embed::wordpiece_tokenizer bert(SEGKIT_TEST_DATA "/onnx/vocab.txt");
  static const segkit::embed::clip_bpe_tokenizer clip(SEGKIT_TEST_DATA "/onnx/clip_vocab.json", SEGKIT_TEST_DATA "/onnx/clip_merges.txt");
  const auto t = segkit::fuzz::text(data, size);
  SEGKIT_FUZZ_REFUSED((void)bert.encode(t);)
  SEGKIT_FUZZ_REFUSED((void)bert.pieces(t);)
  SEGKIT_FUZZ_REFUSED((void)clip.encode(t);)
  return 0;
}
