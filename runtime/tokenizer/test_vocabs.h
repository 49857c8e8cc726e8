// Small hand-made vocabularies for unit tests (testonly).
#ifndef EDGELLM_RUNTIME_TOKENIZER_TEST_VOCABS_H_
#define EDGELLM_RUNTIME_TOKENIZER_TEST_VOCABS_H_

#include <string>

#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer::testing {

// SPM: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then
// 259 "▁" 260 "h" 261 "e" 262 "l" 263 "o" 264 "w" 265 "r" 266 "d"
// 267 "ll" 268 "he" 269 "hell" 270 "hello" 271 "▁hello" 272 "▁w" 273 "or"
// 274 "▁wor" 275 "a" 276 "aa" 277 "<|im_end|>" (control).
Vocab SmallSpmVocab();

// Byte-level BPE: ids 0..255 are the GPT-2 byte characters of bytes 0..255,
// then 256 "he" 257 "ll" 258 "hell" 259 "hello" 260 "Ġw" 261 "or"
// 262 "Ġwor" 263 "ld" 264 "Ġworld" 265 "<|endoftext|>" (control)
// 266 "<user>" (user-defined) 267 "hx"; merges "l l", "h e", "he ll",
// "hell o", "o r", "Ġ w", "Ġw or", "l d", "Ġwor ld". pre = "gpt-2".
Vocab SmallBpeVocab();

// WordPiece (GGUF form): 0 [PAD], 1..99 [unusedN], 100 [UNK], 101 [CLS],
// 102 [SEP], 103 [MASK], 104 "▁hello" 105 "▁world" 106 "▁," 107 "▁!"
// 108 "▁cafe" 109 "▁un" 110 "aff" 111 "able" 112 "▁你" 113 "▁好".
Vocab SmallWordPieceVocab();

// A llama2.c tokenizer.bin image: 0 <unk>, 1 "\n<s>\n", 2 "\n</s>\n",
// 3..258 <0x00>..<0xFF> (score 0), then 259 " " 260 "a" 261 "b"
// 262 " a" 263 "ab" 264 "é" 265 " ab", with score -(id - 259).
std::string SmallLlama2cFile();

}  // namespace edgellm::tokenizer::testing

#endif  // EDGELLM_RUNTIME_TOKENIZER_TEST_VOCABS_H_
