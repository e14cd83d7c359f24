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

/* c1 + d (c2 + d (c3 + d (c4 + d c5))) from the table rows first .. first + 4 */
RECT_INLINE RT_V RT_NAME(rect_tab_slope)(const float (*t)[32], int first, RT_I j, RT_V d)
{
    RT_V s = RT_LOOK(t[first + 4], j);
    for (int k = 3; k >= 0; k--) {
        s = RT_FMA(s, d, RT_LOOK(t[first + k], j));
    }
    return s;
}

/* softplus(x) for beta = 1 and x <= th: max(x, 0) + L(-|x|) (family_f32_table.h). */
RECT_INLINE RT_V RT_NAME(rect_softplus_tab)(RT_V x)
{
    RT_I j;
    const RT_V d = RT_NAME(rect_tab_split)(x, &j);
    const RT_V s = RT_NAME(rect_tab_slope)(rect_tab_softplus, 2, j, d);
    const RT_V low = RT_FMA(s, d, RT_LOOK(rect_tab_softplus[1], j));
    const RT_V L = RT_ADD(RT_LOOK(rect_tab_softplus[0], j), low);
    return RT_ADD(RT_MAX0(x), L);
}

/* g sigmoid(x): S(-|x|) for x < 0, 1 - S(-|x|) for x >= 0 (family_f32_table.h). */
RECT_INLINE RT_V RT_NAME(rect_sigmoid_tab)(RT_V g, RT_V x)
{
    RT_I j;
    const RT_V d = RT_NAME(rect_tab_split)(x, &j);
    const RT_V s = RT_NAME(rect_tab_slope)(rect_tab_sigmoid, 4, j, d);
    const RT_M neg = RT_LT(x, RT_SET(0.0f));
    const RT_V hi = RT_SEL(neg, RT_LOOK(rect_tab_sigmoid[0], j), RT_LOOK(rect_tab_sigmoid[2], j));
    const RT_V lo = RT_SEL(neg, RT_LOOK(rect_tab_sigmoid[1], j), RT_LOOK(rect_tab_sigmoid[3], j));
    const RT_V rest = RT_FMA(s, RT_SEL(neg, d, RT_NEG(d)), lo);
    const RT_V v = RT_FMA(g, hi, RT_MUL(g, rest));
    return RT_SEL(RT_EQ(g, RT_SET(0.0f)), g, v); /* g = -0 gives -0 */
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
