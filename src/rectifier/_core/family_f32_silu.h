/*
 * float32-lane cores of silu (see family_f32.h): rect_NAME_f32, rect_NAME_grad_f32 and
 * rect_NAME_backward_f32, chosen per function in kernels.c's RK_SMOOTH list (softplus's are in
 * family_f32_softplus.h).
 *
 * Error budgets below are in units of u = 2^-24 (float32's unit roundoff): a relative error of
 * c u before the last rounding costs at most c ulp, the last rounding 0.5 ulp, so the 2 ulp of
 * SEMANTICS.md leave c <= 1.5. "FMA" marks a*b + c that the AVX2/AVX-512 builds contract; the
 * baseline build rounds it twice, which the budgets allow for (measured on all three builds).
 */
#ifndef RECTIFIER_FAMILY_F32_SILU_H
#define RECTIFIER_FAMILY_F32_SILU_H

#include "family.h"
#include "family_f32.h"

/* ---- silu ------------------------------------------------------------------------------- */

/*
 * Forward in float lanes, with e^-x (not e^-|x|): silu(x) = x / (1 + e^-x) on both sides, so
 * the numerator is x itself, exact, and only 1 + e^-x rounds before the one division. With
 * e^-x = (1 + q) 2^k, the sum is scaled to stay a float: silu(x) = 2^j x / (A + B (1 + q)) with
 * (A, B) = (1, 2^k), j = 0 for k <= 0 (x >= -0.35) and (2^-k, 1), j = -k for k > 0.
 * Then d = B q + (1 + T), T = 2^-|k| the smaller of A and B: one rounding, as 1 + T is exact for
 * |k| <= 23. Beyond, 1 + T rounds: where k >= 24 (x <= -16.6), T = 2^-23 is used instead (exact)
 * and X = A - 2^-23 is folded into q before q's last rounding; where k <= -24 (x >= 16.6)
 * 1 + B = 1 loses B <= 2^-24 of d, half an ulp of x at most, and only at the binade's bottom.
 * The reduction r = a - k ln 2 (ln 2 = C1 + C2, k C1 exact) rounds once, not carried.
 *
 * Error budget (u = 2^-24 relative), by parts: 1 + q = e^r to <= 0.72 u (q's rounding, half an
 * ulp of |q| <= 0.42: <= 2^-26 absolute; r's rounding, half an ulp of |r| <= 0.35: <= 2^-26 Q;
 * the degree-6 minimax (tools/fit_silu_f32.py) 3.6e-9 = 0.06 u; the polynomial's roundings
 * < 0.05 u), entering d weighted by B Q / d <= 1; d's rounding <= u / m (m: d's mantissa, in
 * [1, 2)); the division's rounding is the last (0.5 ulp); the 2^j scaling (S then 2^-33,
 * S = 2^(j+33) normal for j >= -159) is exact where the result is normal and rounds once where
 * it is subnormal, after a division accurate to 2^-24 relative (far below a subnormal's ulp).
 * The parts' worst cases do not meet: where d's mantissa is near 1 (rounding near u), |q| and
 * |r| are small or B Q / d is (k <= 0: B Q / d < 0.59; k = 1: d >= 1.2; k = 2, d in [1, 1.25):
 * 1 + q's error <= 0.37 u of d; k >= 3: |q|, |r| < 0.25, so 0.28 u), so the sum stays
 * <= 1.4 u + 0.5 ulp = 1.9 ulp (case by case; the exhaustive run below is the proof).
 * Measured worst: 1.69 ulp at x = -91.16 (AVX-512, every finite float32), 1.68 on AVX2 and 1.62
 * on the baseline build (every 31st; no FMA: B q is exact, a power of two times q, so d still
 * rounds once; k C2 rounds, < 0.02 u); tools/exhaustive_f32.py at stride 101: 1.64.
 * The carried reduction error and the degree-7 Taylor it had cost 7 more vector ops (53) for
 * a worst of 1.62 ulp. Beyond |x| = 110 the limits: x, or -0 (silu(-110) < 2^-150).
 * (The form it replaces, x (1 + q) / (1 + z) in float-float, measured 0.88 ulp at 1.7x the cost.)
 */
/* i << 23 (multiplied: a negative i shifted is undefined), and 2^i from it */
#define RECT_SILU_SH(i) ((int32_t)(i) * 8388608)
#define RECT_SILU_E(s) rect_asfloat((uint32_t)(s) + (127u << 23))
RECT_INLINE float rect_silu_f32(float x, const float *p)
{
    (void)p;
    const float a = -x;
    const float kt = a * 1.44269504088896341f + RECT_SHIFTER_F;
    const float k = kt - RECT_SHIFTER_F;
    const float t = a - k * 0.693359375f; /* exact: k has <= 9 bits */
    const float r = t + k * 2.12194440e-4f;
    /* k << 23 from the shifter's bits: kt's are 0x4B400000 + k, and 0x4B400000 << 23 vanishes
       mod 2^32 (defined for every input: x beyond +-110 is selected below, and NaN passes
       through q); k >= -126 (x <= 87.7: beyond, 2^-126 e^r still leaves x / d = x), and every
       exponent is kept shifted by 23 bits */
    uint32_t kb;
    memcpy(&kb, &kt, 4);
    int32_t ik = (int32_t)(kb << 23);
    ik = ik < RECT_SILU_SH(-126) ? RECT_SILU_SH(-126) : ik;
    const int32_t iB = ik < 0 ? ik : 0;
    const int32_t nk = (int32_t)(0u - (uint32_t)ik);
    const int32_t j = nk < 0 ? nk : 0;
    const int32_t cT = nk > RECT_SILU_SH(-23) ? nk : RECT_SILU_SH(-23);
    const float B = RECT_SILU_E(iB);
    const float T = RECT_SILU_E(ik < cT ? ik : cT); /* 2^-|k|, at least 2^-23 where k > 0 */
    const float S = RECT_SILU_E(j + RECT_SILU_SH(33));
    /* 2^j: subnormal or 0 below j = -126 (x < -87.3), where A <= 2^-127 is nothing beside
       1 + q >= 0.7 in d */
    const float A = S * 0x1p-33f;
    const float X = A * B - T; /* 0 but where k >= 24: A - 2^-23 */
    float pp = 0.0013814539415761828f;
    pp = pp * r + 0.00836874544620514f;
    pp = pp * r + 0.04166838899254799f;
    pp = pp * r + 0.1666652113199234f;
    pp = pp * r + 0.4999999403953552f;
    const float q = r + ((r * r) * pp + X);
    const float d = B * q + (1.0f + T);
    const float y = ((x / d) * S) * 0x1p-33f;
    const float lo = x < -110.0f ? -0.0f : y;
    return x > 110.0f ? x : lo;
}

/*
 * silu'(x) = (1 + e^-x (1 + x)) / (1 + e^-x)^2 in double lanes (8 per AVX-512 vector): e^-x
 * = 2^k P(r) (r = -x - k ln 2, 2^k from the shifter's bits, k + 1023 in [13, 1456] for x in
 * [-300, 700]), N = E x + (1 + E), f' = N / D. The zero x0 = -1.2785 of N amplifies E's
 * relative error |E (1 + x) / N| ~ 0.22 / |x - x0| times; rather than switch to a root
 * polynomial there, P is fitted (tools/fit_silu_f32.py) with its error vanishing at
 * r0 = -x0 - 2 ln 2, x0's r (x0 has k = 2): P(r) - e^r = e^r (r - r0) h(r), |h| <= 1.06e-8,
 * and on k = 2's interval r - r0 = x0 - x, so near x0 E's error contributes
 * <= 0.22 * 1.06e-8 = 2.3e-9 relative (0.04 u). Elsewhere P's error is <= 4.8e-9 (0.08 u) and
 * the amplification <= 1.5 (0.12 u). The roundings (2^-53 each) are amplified by 1 / |N| near
 * x0 too: N >= 4.59 |x - x0| >= 6e-8 (the float nearest x0 is 1.3e-8 from it), so d's and
 * P's roundings stay < 0.25 u. Budget: < 0.4 u before the last rounding (0.5 ulp); the
 * backward's g f' rounds in double (2^-53) and then once to float, subnormal results included
 * (double's range holds g f' down to 2^-429: no scaling). Measured worst 0.62 ulp (grad) and
 * 0.62 ulp (backward, g ~ N(0, 4^2)) on every float32 (AVX-512), 0.61 and 0.62 on the
 * baseline build (every 31st). Beyond: f' = 1 above x = 700; below x = -300, -0 (f' < 0 there, and rounds to
 * 0), and +0 below -1e4 as the double core; backward 0 below x = -199.37135
 * (f' < 2^-280: a NaN or inf grad masked, as the double core), g above 700.
 * 54 vector ops per 16 lanes (79 with the root polynomial's window, |x - x0| < 2^-5, and a
 * minimax P); now bound by the two vdivpd (a float reciprocal refined in double, tried, costs
 * more in conversions than it saves). (The float-float form before it measured 0.75 ulp at
 * 1.8-2x the cost: the cancellation at x0 and the squared 1 + e^-x need carried low parts in
 * float, free in double.)
 */
RECT_INLINE double rect_silu_expn(double x)
{
    const double a = -x;
    /* the shifter carries the exponent bias: kt's low bits are k + 1023 */
    const double kt = a * 1.4426950408889634 + (0x1.8p52 + 1023.0);
    const double k = kt - (0x1.8p52 + 1023.0);
    const double r = a - k * 0.6931471805599453;
    double p = 0.0013619180504618902;
    p = p * r + 0.008367747320273913;
    p = p * r + 0.041671785305239746;
    p = p * r + 0.16666525401784907;
    p = p * r + 0.4999997875397469;
    p = p * r + 1.000000005287842;
    p = p * r + 1.000000001088278;
    uint64_t kb;
    memcpy(&kb, &kt, 8);
    return rect_asdouble(kb << 52) * p; /* 2^k: k + 1023 from kt's low bits */
}

RECT_INLINE double rect_silu_der_d(float xf)
{
    const double x = (double)xf;
    const double E = rect_silu_expn(x);
    const double d = 1.0 + E;
    const double N = E * x + d;
    return N / (d * d);
}

RECT_INLINE float rect_silu_grad_f32(float x, const float *p)
{
    (void)p;
    const float v = (float)rect_silu_der_d(x);
    const float lo = x < -300.0f ? (x < -1e4f ? 0.0f : -0.0f) : v;
    return x > 700.0f ? 1.0f : lo;
}

RECT_INLINE float rect_silu_backward_f32(float g, float x, const float *p)
{
    (void)p;
    const float v = (float)((double)g * rect_silu_der_d(x));
    const float lo = x < -199.37135f ? 0.0f : v;
    return x > 700.0f ? g : lo;
}

#endif
