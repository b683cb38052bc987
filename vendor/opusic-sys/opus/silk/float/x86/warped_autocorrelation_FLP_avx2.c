/***********************************************************************
Copyright (c) 2026 the AMA engine's authors (fork of libopus 1.5, see
vendor/opusic-sys/README-FORK.md). Same licence as libopus:
Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions
are met:
- Redistributions of source code must retain the above copyright notice,
this list of conditions and the following disclaimer.
- Redistributions in binary form must reproduce the above copyright
notice, this list of conditions and the following disclaimer in the
documentation and/or other materials provided with the distribution.
- Neither the name of Internet Society, IETF or IETF Trust, nor the
names of specific contributors, may be used to endorse or promote
products derived from this software without specific prior written
permission.
THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
POSSIBILITY OF SUCH DAMAGE.
***********************************************************************/

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "main_FLP.h"
#include <immintrin.h>

/* Warped autocorrelation, the same result as silk_warped_autocorrelation_FLP_c to the bit.

   The C version runs the all-pass chain stage after stage for each sample: a dependency chain
   of a multiply and a subtraction per stage, order stages per sample. With V_0(n) = x(n) and
   V_j(n) the output of stage j - 1, each stage is
       V_j(n) = (V_{j-1}(n-1) + w * V_j(n-1)) - w * V_{j-1}(n),   C[j] += x(n) * V_j(n),
   so V_j(n) needs only stage j - 1 of the same sample and stages j - 1 and j of the one
   before. Skewing the samples by one per stage, lane j of the vector W at step t holds
   V_j(t - j), and every stage advances at once:
       W_t = (S_{t-1} + w * W_{t-1}) - w * S_t,  S_t = W_{t-1} moved up one lane, W_t[0] = x(t).
   Each lane does exactly the C version's operations in its order (a double product, then the
   sum, then the difference, each rounded; this file is compiled with -ffp-contract=off so
   that no multiply-add is fused), and C[j] still sums over n in increasing order. Lanes whose
   sample is before the start see zeros (and stay exactly +0); lanes past the end multiply by a
   zero input, adding +-0 to a sum that is never -0, which leaves it unchanged. */

#define WARPED_MAX_REGS ((MAX_SHAPE_LPC_ORDER + 1 + 3) / 4)
#define WARPED_PAD (4 * WARPED_MAX_REGS)

#if defined(__GNUC__)
#define WARPED_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define WARPED_ALWAYS_INLINE static OPUS_INLINE
#endif

WARPED_ALWAYS_INLINE void warped_autocorrelation_regs(
    double                          *C_out,                             /* O    4 * nregs sums                              */
    const double                    *xr,                                /* I    input, reversed and zero padded             */
    const double                    warping,                            /* I    Warping coefficient                         */
    const opus_int                  length,                             /* I    Length of input                             */
    const opus_int                  order,                              /* I    Correlation order                           */
    const int                       nregs                               /* I    registers of 4 lanes, > order / 4           */
)
{
    __m256d W[WARPED_MAX_REGS], S[WARPED_MAX_REGS], C[WARPED_MAX_REGS];
    const __m256d w = _mm256_set1_pd(warping);
    /* lane j at step t reads x(t - j) = xr[(length - 1 + WARPED_PAD) - t + j] */
    const double *xt = &xr[length - 1 + WARPED_PAD];
    int r, t;

    for (r = 0; r < nregs; r++)
    {
        W[r] = _mm256_setzero_pd();
        S[r] = _mm256_setzero_pd();
        C[r] = _mm256_setzero_pd();
    }
    for (t = 0; t < length + order; t++, xt--)
    {
        __m256d P_prev = _mm256_setzero_pd();
        for (r = 0; r < nregs; r++)
        {
            /* S_t: lanes [W3 of the register below, W0, W1, W2] */
            __m256d P = _mm256_permute4x64_pd(W[r], _MM_SHUFFLE(2, 1, 0, 3));
            __m256d S_t = _mm256_blend_pd(P, P_prev, 0x1);
            __m256d X = _mm256_loadu_pd(&xt[4 * r]);
            __m256d W_t = _mm256_sub_pd(_mm256_add_pd(S[r], _mm256_mul_pd(w, W[r])), _mm256_mul_pd(w, S_t));
            if (r == 0)
            {
                W_t = _mm256_blend_pd(W_t, X, 0x1); /* V_0(t) = x(t) */
            }
            C[r] = _mm256_add_pd(C[r], _mm256_mul_pd(X, W_t));
            P_prev = P;
            S[r] = S_t;
            W[r] = W_t;
        }
    }
    for (r = 0; r < nregs; r++)
    {
        _mm256_storeu_pd(&C_out[4 * r], C[r]);
    }
}

void silk_warped_autocorrelation_FLP_avx2(
    silk_float                      *corr,                              /* O    Result [order + 1]                          */
    const silk_float                *input,                             /* I    Input data to correlate                     */
    const silk_float                warping,                            /* I    Warping coefficient                         */
    const opus_int                  length,                             /* I    Length of input                             */
    const opus_int                  order                               /* I    Correlation order (even)                    */
)
{
    double xr[SHAPE_LPC_WIN_MAX + 2 * WARPED_PAD];
    double C[4 * WARPED_MAX_REGS];
    int i, nregs;

    celt_assert( ( order & 1 ) == 0 );
    if (length > SHAPE_LPC_WIN_MAX || order > MAX_SHAPE_LPC_ORDER || order < 0)
    {
        silk_warped_autocorrelation_FLP_c(corr, input, warping, length, order);
        return;
    }
    /* xr[q] = x(length - 1 + WARPED_PAD - q), zero outside the input */
    for (i = 0; i < WARPED_PAD; i++)
    {
        xr[i] = 0.0;
        xr[length + WARPED_PAD + i] = 0.0;
    }
    for (i = 0; i < length; i++)
    {
        xr[WARPED_PAD + i] = input[length - 1 - i];
    }

    nregs = (order + 1 + 3) / 4;
    switch (nregs)
    {
    case 1: warped_autocorrelation_regs(C, xr, warping, length, order, 1); break;
    case 2: warped_autocorrelation_regs(C, xr, warping, length, order, 2); break;
    case 3: warped_autocorrelation_regs(C, xr, warping, length, order, 3); break;
    case 4: warped_autocorrelation_regs(C, xr, warping, length, order, 4); break;
    case 5: warped_autocorrelation_regs(C, xr, warping, length, order, 5); break;
    case 6: warped_autocorrelation_regs(C, xr, warping, length, order, 6); break;
    default: warped_autocorrelation_regs(C, xr, warping, length, order, WARPED_MAX_REGS); break;
    }

    /* Copy correlations in silk_float output format */
    for (i = 0; i < order + 1; i++)
    {
        corr[i] = (silk_float)C[i];
    }
}
