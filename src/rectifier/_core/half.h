/*
 * IEEE 754 binary16 <-> binary32 conversions on raw bits.
 *
 * float16 is stored as npy_uint16. Functions compute in float32 and round once (SEMANTICS.md);
 * the piecewise-linear ones work on the bits directly and never convert.
 * With F16C (x86) the hardware instruction is used; otherwise a portable bit version.
 */
#ifndef RECTIFIER_HALF_H
#define RECTIFIER_HALF_H

#include <stdint.h>
#include <string.h>

#if defined(__F16C__)
#include <immintrin.h>
static inline float rect_h2f(uint16_t h) { return _cvtsh_ss(h); }
static inline uint16_t rect_f2h(float f) { return (uint16_t)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }
#else
static inline float rect_bits_to_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t rect_float_to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static inline float rect_h2f(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1fu) {                       /* inf or NaN: keep the payload */
        return rect_bits_to_float(sign | 0x7f800000u | (mant << 13));
    }
    if (exp != 0) {                           /* normal */
        return rect_bits_to_float(sign | ((exp + 112u) << 23) | (mant << 13));
    }
    /* zero or subnormal: the value is mant * 2^-24, exact in float32 */
    const float mag = (float)mant * 5.9604644775390625e-08f;
    return sign ? -mag : mag;
}

static inline uint16_t rect_f2h(float f)
{
    const uint32_t u = rect_float_to_bits(f);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    const uint32_t absu = u & 0x7fffffffu;
    if (absu >= 0x7f800000u) {                /* inf or NaN (quiet the NaN) */
        return sign | 0x7c00u | (absu > 0x7f800000u ? (uint16_t)(0x200u | ((absu >> 13) & 0x3ffu)) : 0u);
    }
    if (absu >= 0x477ff000u) {                /* rounds to >= 65520: overflow to inf */
        return sign | 0x7c00u;
    }
    if (absu < 0x38800000u) {                 /* below the smallest normal half: subnormal or 0 */
        /* Adding 0.5 (2^-1) aligns the half's subnormal grid with float's last place;
           the FPU does the round-to-nearest-even. */
        const float mag = rect_bits_to_float(absu) + 0.5f;
        return sign | (uint16_t)(rect_float_to_bits(mag) - 0x3f000000u);
    }
    /* normal: round to nearest even on the 13 dropped bits */
    const uint32_t odd = (absu >> 13) & 1u;
    const uint32_t r = absu + 0xc8000fffu + odd; /* rebias exponent (-112 << 23) and round */
    return sign | (uint16_t)(r >> 13);
}
#endif

/* Classification on raw float16 bits. */
static inline int rect_h_isnan(uint16_t h) { return (h & 0x7fffu) > 0x7c00u; }
static inline int rect_h_iszero(uint16_t h) { return (h & 0x7fffu) == 0; }
static inline int rect_h_ispos(uint16_t h) { return !(h & 0x8000u) && (h & 0x7fffu) != 0 && (h & 0x7fffu) <= 0x7c00u; }

#endif
