/*
 * The table kernels of family_f32_table.h, written once over a lane type. family_f32_table.h
 * includes this file twice: with RT_V = float (the scalar kernels, which the full kernels select
 * per element, so a value never depends on the layout or on its neighbours) and with RT_V =
 * __m512 (the block kernels of the AVX-512 build). Every step is one IEEE operation, FMAs
 * explicit, so both give the same bits (tests/test_table_kernels.py compares them). No include
 * guard: it is meant to be included once per lane type; the includer defines the RT_* lane
 * operations and this file undefines them at its end.
 */

/* y = -|x| in (-15.5, 0] (the callers' range) split as y = -j/2 + d: j = round(-2y) in [0, 31]
   from the shifter's low bits, d = y + j/2 exact (Sterbenz: y and -j/2 are within a factor 2,
   or j = 0), |d| <= 1/4. */
RECT_INLINE RT_V RT_NAME(rect_tab_split)(RT_V x, RT_I *j)
{
    const RT_V y = RT_NEGABS(x);
    const RT_V js = RT_FMA(y, RT_SET(-2.0f), RT_SET(RECT_SHIFTER_F));
    *j = RT_INDEX(js);
    return RT_FMA(RT_SUB(js, RT_SET(RECT_SHIFTER_F)), RT_SET(0.5f), y);
}

/* x = j + d in (-15.5, 15.5): j = round(x) in [-15, 15] from the shifter's low bits (two's
   complement: slot j mod 32), d = x - j exact (|d| <= 1/2: a multiple of x's ulp, or of 2^-24,
   below 1). */
RECT_INLINE RT_V RT_NAME(rect_tab_split_x)(RT_V x, RT_I *j)
{
    const RT_V js = RT_ADD(x, RT_SET(RECT_SHIFTER_F));
    *j = RT_INDEX(js);
    return RT_SUB(x, RT_SUB(js, RT_SET(RECT_SHIFTER_F)));
}

/* x = j/4 + d in (-3.875, 3.875): j = round(4x) in [-15, 15] from the shifter's low bits (slot
   j mod 32), d = x - j/4 exact (|d| <= 1/8: for |x| >= 1/4 both are multiples of x's ulp; below,
   j/4 is 0 or +-1/4, a multiple of it too). */
RECT_INLINE RT_V RT_NAME(rect_tab_split_q)(RT_V x, RT_I *j)
{
    const RT_V js = RT_FMA(x, RT_SET(4.0f), RT_SET(RECT_SHIFTER_F));
    *j = RT_INDEX(js);
    return RT_FMA(RT_SUB(js, RT_SET(RECT_SHIFTER_F)), RT_SET(-0.25f), x);
}

/* c1 + d (c2 + d (... + d cn)) from the table rows first .. first + n - 1 */
RECT_INLINE RT_V RT_NAME(rect_tab_slope)(const float (*t)[32], int first, int n, RT_I j, RT_V d)
{
    RT_V s = RT_LOOK(t[first + n - 1], j);
    for (int k = n - 2; k >= 0; k--) {
        s = RT_FMA(s, d, RT_LOOK(t[first + k], j));
    }
    return s;
}

/* softplus(x) for beta = 1 and x <= th: max(x, 0) + L(-|x|) (family_f32_table.h). */
RECT_INLINE RT_V RT_NAME(rect_softplus_tab)(RT_V x)
{
    RT_I j;
    const RT_V d = RT_NAME(rect_tab_split)(x, &j);
    const RT_V s = RT_NAME(rect_tab_slope)(rect_tab_softplus, 2, 5, j, d);
    const RT_V low = RT_FMA(s, d, RT_LOOK(rect_tab_softplus[1], j));
    const RT_V L = RT_ADD(RT_LOOK(rect_tab_softplus[0], j), low);
    return RT_ADD(RT_MAX0(x), L);
}

/* g sigmoid(x): S(-|x|) for x < 0, 1 - S(-|x|) for x >= 0 (family_f32_table.h). */
RECT_INLINE RT_V RT_NAME(rect_sigmoid_tab)(RT_V g, RT_V x)
{
    RT_I j;
    const RT_V d = RT_NAME(rect_tab_split)(x, &j);
    const RT_V s = RT_NAME(rect_tab_slope)(rect_tab_sigmoid, 4, 5, j, d);
    const RT_M neg = RT_LT(x, RT_SET(0.0f));
    const RT_V hi = RT_SEL(neg, RT_LOOK(rect_tab_sigmoid[0], j), RT_LOOK(rect_tab_sigmoid[2], j));
    const RT_V lo = RT_SEL(neg, RT_LOOK(rect_tab_sigmoid[1], j), RT_LOOK(rect_tab_sigmoid[3], j));
    const RT_V rest = RT_FMA(s, RT_SEL(neg, d, RT_NEG(d)), lo);
    const RT_V v = RT_FMA(g, hi, RT_MUL(g, rest));
    return RT_SEL(RT_EQ(g, RT_SET(0.0f)), g, v); /* g = -0 gives -0 */
}

/* a + b = s + *e exactly (2Sum: whatever the sizes); family_f32.h's rect_two_sumf and
   rect_two_prodf over the lane type, so that the vector copy is the same steps */
RECT_INLINE RT_V RT_NAME(rect_tab_two_sum)(RT_V a, RT_V b, RT_V *e)
{
    const RT_V s = RT_ADD(a, b);
    const RT_V bb = RT_SUB(s, a);
    *e = RT_ADD(RT_SUB(a, RT_SUB(s, bb)), RT_SUB(b, bb));
    return s;
}

/* a b = p + *e exactly (an FMA's residual; p's other uses are adds, but this use keeps
   -ffp-contract from fusing it into them) */
RECT_INLINE RT_V RT_NAME(rect_tab_two_prod)(RT_V a, RT_V b, RT_V *e)
{
    const RT_V p = RT_MUL(a, b);
    *e = RT_FMA(a, b, RT_NEG(p));
    return p;
}

/* hi + d c1 = S + *Se (to ~u^2 of S: the two residuals' sum rounds) */
RECT_INLINE RT_V RT_NAME(rect_tab_sum_exact)(RT_V hi, RT_V d, RT_V c1, RT_V *Se)
{
    RT_V ae, e;
    const RT_V a = RT_NAME(rect_tab_two_prod)(d, c1, &ae);
    const RT_V S = RT_NAME(rect_tab_two_sum)(hi, a, &e);
    *Se = RT_ADD(e, ae);
    return S;
}

/* x T(x) for a table t in x (rows hi, lo, c1, then the nq rows of Q = c2 + d c3 + ...), given
   the split x = c_j + d: T(c_j + d) = hi + lo + d c1 + d^2 Q(d), hi + d c1 = S + Se exactly
   (rect_tab_sum_exact), so the roundings of the large terms never scale with |d c1| / T (up
   to 0.65 for mish at x << 0): fma(x, S, x rest), rest = Se + (lo + d^2 Q); x = +-0 gives x
   (the sum's zero would be +0 where rest < 0) (family_f32_table.h). */
RECT_INLINE RT_V RT_NAME(rect_x_tab)(const float (*t)[32], int nq, RT_V x, RT_V d, RT_I j)
{
    const RT_V q = RT_NAME(rect_tab_slope)(t, 3, nq, j, d);
    RT_V Se;
    const RT_V S = RT_NAME(rect_tab_sum_exact)(RT_LOOK(t[0], j), d, RT_LOOK(t[2], j), &Se);
    const RT_V rest = RT_ADD(Se, RT_FMA(RT_MUL(d, q), d, RT_LOOK(t[1], j)));
    const RT_V v = RT_FMA(x, S, RT_MUL(x, rest));
    return RT_SEL(RT_EQ(x, RT_SET(0.0f)), x, v);
}

/* mish(x) = x T(x), T = tanh(softplus(x)) at the integers */
RECT_INLINE RT_V RT_NAME(rect_mish_tab)(RT_V x)
{
    RT_I j;
    const RT_V d = RT_NAME(rect_tab_split_x)(x, &j);
    return RT_NAME(rect_x_tab)(rect_tab_mish, 7, x, d, j);
}

/* gelu(x) = x Phi(x), Phi at the quarters */
RECT_INLINE RT_V RT_NAME(rect_gelu_tab)(RT_V x)
{
    RT_I j;
    const RT_V d = RT_NAME(rect_tab_split_q)(x, &j);
    return RT_NAME(rect_x_tab)(rect_tab_gelu, 6, x, d, j);
}

/* g F'(x) from a derivative table t (mish's or silu's): F'(c_j + d) = hi + lo + d (c1 + c1l) +
   d^2 Q(d), d = x - c_j exact (c_j = j, or x0h, F''s zero, for j = -1: both multiples of 2^-23
   within 1 of x). hi + d c1 + d (d Q) = S2 + small with only d Q's relative error scaled by
   |d^2 Q| / |F'| (up to 0.6 next to the zero): d c1 and d (d Q) split into products and
   residuals, the large parts summed by 2Sum, the residuals and lo in `small` (family_f32_table.h).
   g = +-0 gives g (S2 + small): the sign of F' at x. */
RECT_INLINE RT_V RT_NAME(rect_der_tab)(const float (*t)[32], RT_V g, RT_V x)
{
    RT_I j;
    (void)RT_NAME(rect_tab_split_x)(x, &j);
    const RT_V d = RT_SUB(x, RT_LOOK(t[0], j));
    const RT_V q = RT_NAME(rect_tab_slope)(t, 5, 8, j, d);
    RT_V Se, wl, bl, e;
    const RT_V S = RT_NAME(rect_tab_sum_exact)(RT_LOOK(t[1], j), d, RT_LOOK(t[4], j), &Se);
    const RT_V w = RT_NAME(rect_tab_two_prod)(d, q, &wl);
    const RT_V b = RT_NAME(rect_tab_two_prod)(d, w, &bl);
    const RT_V S2 = RT_NAME(rect_tab_two_sum)(S, b, &e);
    const RT_V lo = RT_FMA(d, RT_LOOK(t[3], j), RT_LOOK(t[2], j));
    const RT_V small = RT_ADD(e, RT_ADD(Se, RT_ADD(lo, RT_FMA(d, wl, bl))));
    const RT_V v = RT_FMA(g, S2, RT_MUL(g, small));
    return RT_SEL(RT_EQ(g, RT_SET(0.0f)), RT_MUL(g, RT_ADD(S2, small)), v);
}

#undef RT_V
#undef RT_M
#undef RT_I
#undef RT_NAME
#undef RT_SET
#undef RT_ADD
#undef RT_SUB
#undef RT_MUL
#undef RT_FMA
#undef RT_NEG
#undef RT_NEGABS
#undef RT_MAX0
#undef RT_INDEX
#undef RT_LOOK
#undef RT_LT
#undef RT_GT
#undef RT_EQ
#undef RT_SEL
