// Fuzz target: the tokenizers on any bytes. An input that starts with '{' is read as a
// tokenizer.json document, one that starts with 0x0A as a SentencePiece model file (hostile files:
// components, vocabularies, merges, templates, protocol-buffer fields, normalization tries), and
// the tokenizer it describes, if accepted, encodes a fixed text and the input itself; any other
// input is a text for the WordPiece (BERT) and byte-level BPE (CLIP) tokenizers.
#include <segkit/embed/clip_bpe.hpp>
#include <segkit/embed/hf_tokenizer.hpp>
#include <segkit/embed/wordpiece.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto t = segkit::fuzz::text(data, size);
  if (!t.empty() && (t.front() == '{' || t.front() == '\x0a')) {
    SEGKIT_FUZZ_REFUSED(const auto tok = t.front() == '{' ? segkit::embed::hf_tokenizer::from_json(t, "fuzz.json")
                                                            : segkit::embed::hf_tokenizer::from_sentencepiece_data(t, "fuzz.model");
                        (void)tok.encode("Hello, World! naïve café 中文 don't 2024 <s>[CLS]  \u200d x");
                        (void)tok.encode(t); (void)tok.words(t); (void)tok.describe();)
    return 0;
  }
  static const segkit::embed::wordpiece_tokenizer bert(SEGKIT_TEST_DATA "/onnx/vocab.txt");
  static const segkit::embed::clip_bpe_tokenizer clip(SEGKIT_TEST_DATA "/onnx/clip_vocab.json", SEGKIT_TEST_DATA "/onnx/clip_merges.txt");
  SEGKIT_FUZZ_REFUSED((void)bert.encode(t);)
  SEGKIT_FUZZ_REFUSED((void)bert.pieces(t);)
  SEGKIT_FUZZ_REFUSED((void)clip.encode(t);)
  SEGKIT_FUZZ_REFUSED((void)clip.words(t);)
  return 0;
}
