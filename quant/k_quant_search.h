// The scale searches of ggml's K-quant reference quantizers
// (ggml-quants.c make_qx_quants, make_q3_quants, make_qkx2_quants), written
// to the same float operation order so their choices, and therefore the
// quantized bytes, equal llama-quantize's (internal to quant/).
#ifndef EDGELLM_QUANT_K_QUANT_SEARCH_H_
#define EDGELLM_QUANT_K_QUANT_SEARCH_H_

#include <cstdint>

namespace edgellm::quant {

// Symmetric levels L[i] in [0, 2 nmax) for x[i] ~ scale * (L[i] - nmax),
// weighting each value by x^2 (make_qx_quants with rmse_type 1 and no
// importance weights): starts from the largest-magnitude value and tries 18
// nearby scales, keeping the best weighted least-squares fit. Returns the
// scale (0 for an all-zero group).
float MakeQxQuants(int n, int nmax, const float* x, int8_t* L);

// Q3_K's variant (make_q3_quants with do_rmse): the same start, then up to 5
// passes that move single levels while the weighted fit improves.
float MakeQ3Quants(int n, int nmax, const float* x, int8_t* L);

// Asymmetric levels L[i] in [0, nmax] for x[i] ~ scale * L[i] - *the_min
// (make_qkx2_quants): a weighted least-squares fit of scale and minimum over
// nstep + 1 trial scales (rmin + rdelta * is + nmax) / (max - min); use_mad
// scores by absolute instead of squared error. Laux is n bytes of scratch.
float MakeQkx2Quants(int n, int nmax, const float* x, const float* weights,
                     uint8_t* L, float* the_min, uint8_t* Laux, float rmin,
                     float rdelta, int nstep, bool use_mad);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_K_QUANT_SEARCH_H_
