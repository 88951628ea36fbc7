"""Block kernels of the ``planar`` engine, written by :mod:`._planar_gen` (do not edit; run
``python -m signalspace.ops.engines._planar_gen`` after changing the generator).

``block<B>(xf, base, off, wt, yg, nq)`` computes ``B`` output planes over ``nq`` grid positions::

    yg[o, q] = sum_t wt[t, o] * xf[base + off[t] + q]      (o < B, q < nq)

``len(off)`` is a multiple of the block's terms per pass (:data:`TERMS`); padded terms have weight 0.
"""

from numba import njit

#: Outputs per block -> terms per pass.
TERMS = {8: 4, 4: 8, 3: 8, 2: 8}


@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def block8(xf, base, off, wt, yg, nq):
    """8 output planes, 4 terms per pass."""
    for tg in range(0, off.shape[0], 4):
        a0 = xf[base + off[tg + 0]:]
        a1 = xf[base + off[tg + 1]:]
        a2 = xf[base + off[tg + 2]:]
        a3 = xf[base + off[tg + 3]:]
        r0 = wt[tg + 0]
        r1 = wt[tg + 1]
        r2 = wt[tg + 2]
        r3 = wt[tg + 3]
        w0_0, w0_1, w0_2, w0_3, w0_4, w0_5, w0_6, w0_7 = r0[0], r0[1], r0[2], r0[3], r0[4], r0[5], r0[6], r0[7]
        w1_0, w1_1, w1_2, w1_3, w1_4, w1_5, w1_6, w1_7 = r1[0], r1[1], r1[2], r1[3], r1[4], r1[5], r1[6], r1[7]
        w2_0, w2_1, w2_2, w2_3, w2_4, w2_5, w2_6, w2_7 = r2[0], r2[1], r2[2], r2[3], r2[4], r2[5], r2[6], r2[7]
        w3_0, w3_1, w3_2, w3_3, w3_4, w3_5, w3_6, w3_7 = r3[0], r3[1], r3[2], r3[3], r3[4], r3[5], r3[6], r3[7]
        y0 = yg[0]
        y1 = yg[1]
        y2 = yg[2]
        y3 = yg[3]
        y4 = yg[4]
        y5 = yg[5]
        y6 = yg[6]
        y7 = yg[7]
        if tg == 0:
            for q in range(nq):
                x0 = a0[q]
                x1 = a1[q]
                x2 = a2[q]
                x3 = a3[q]
                y0[q] = w0_0 * x0 + w1_0 * x1 + w2_0 * x2 + w3_0 * x3
                y1[q] = w0_1 * x0 + w1_1 * x1 + w2_1 * x2 + w3_1 * x3
                y2[q] = w0_2 * x0 + w1_2 * x1 + w2_2 * x2 + w3_2 * x3
                y3[q] = w0_3 * x0 + w1_3 * x1 + w2_3 * x2 + w3_3 * x3
                y4[q] = w0_4 * x0 + w1_4 * x1 + w2_4 * x2 + w3_4 * x3
                y5[q] = w0_5 * x0 + w1_5 * x1 + w2_5 * x2 + w3_5 * x3
                y6[q] = w0_6 * x0 + w1_6 * x1 + w2_6 * x2 + w3_6 * x3
                y7[q] = w0_7 * x0 + w1_7 * x1 + w2_7 * x2 + w3_7 * x3
        else:
            for q in range(nq):
                x0 = a0[q]
                x1 = a1[q]
                x2 = a2[q]
                x3 = a3[q]
                y0[q] += w0_0 * x0 + w1_0 * x1 + w2_0 * x2 + w3_0 * x3
                y1[q] += w0_1 * x0 + w1_1 * x1 + w2_1 * x2 + w3_1 * x3
                y2[q] += w0_2 * x0 + w1_2 * x1 + w2_2 * x2 + w3_2 * x3
                y3[q] += w0_3 * x0 + w1_3 * x1 + w2_3 * x2 + w3_3 * x3
                y4[q] += w0_4 * x0 + w1_4 * x1 + w2_4 * x2 + w3_4 * x3
                y5[q] += w0_5 * x0 + w1_5 * x1 + w2_5 * x2 + w3_5 * x3
                y6[q] += w0_6 * x0 + w1_6 * x1 + w2_6 * x2 + w3_6 * x3
                y7[q] += w0_7 * x0 + w1_7 * x1 + w2_7 * x2 + w3_7 * x3

@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def block4(xf, base, off, wt, yg, nq):
    """4 output planes, 8 terms per pass."""
    for tg in range(0, off.shape[0], 8):
        a0 = xf[base + off[tg + 0]:]
        a1 = xf[base + off[tg + 1]:]
        a2 = xf[base + off[tg + 2]:]
        a3 = xf[base + off[tg + 3]:]
        a4 = xf[base + off[tg + 4]:]
        a5 = xf[base + off[tg + 5]:]
        a6 = xf[base + off[tg + 6]:]
        a7 = xf[base + off[tg + 7]:]
        r0 = wt[tg + 0]
        r1 = wt[tg + 1]
        r2 = wt[tg + 2]
        r3 = wt[tg + 3]
        r4 = wt[tg + 4]
        r5 = wt[tg + 5]
        r6 = wt[tg + 6]
        r7 = wt[tg + 7]
        w0_0, w0_1, w0_2, w0_3 = r0[0], r0[1], r0[2], r0[3]
        w1_0, w1_1, w1_2, w1_3 = r1[0], r1[1], r1[2], r1[3]
        w2_0, w2_1, w2_2, w2_3 = r2[0], r2[1], r2[2], r2[3]
        w3_0, w3_1, w3_2, w3_3 = r3[0], r3[1], r3[2], r3[3]
        w4_0, w4_1, w4_2, w4_3 = r4[0], r4[1], r4[2], r4[3]
        w5_0, w5_1, w5_2, w5_3 = r5[0], r5[1], r5[2], r5[3]
        w6_0, w6_1, w6_2, w6_3 = r6[0], r6[1], r6[2], r6[3]
        w7_0, w7_1, w7_2, w7_3 = r7[0], r7[1], r7[2], r7[3]
        y0 = yg[0]
        y1 = yg[1]
        y2 = yg[2]
        y3 = yg[3]
        if tg == 0:
            for q in range(nq):
                x0 = a0[q]
                x1 = a1[q]
                x2 = a2[q]
                x3 = a3[q]
                x4 = a4[q]
                x5 = a5[q]
                x6 = a6[q]
                x7 = a7[q]
                y0[q] = w0_0 * x0 + w1_0 * x1 + w2_0 * x2 + w3_0 * x3 + w4_0 * x4 + w5_0 * x5 + w6_0 * x6 + w7_0 * x7
                y1[q] = w0_1 * x0 + w1_1 * x1 + w2_1 * x2 + w3_1 * x3 + w4_1 * x4 + w5_1 * x5 + w6_1 * x6 + w7_1 * x7
                y2[q] = w0_2 * x0 + w1_2 * x1 + w2_2 * x2 + w3_2 * x3 + w4_2 * x4 + w5_2 * x5 + w6_2 * x6 + w7_2 * x7
                y3[q] = w0_3 * x0 + w1_3 * x1 + w2_3 * x2 + w3_3 * x3 + w4_3 * x4 + w5_3 * x5 + w6_3 * x6 + w7_3 * x7
        else:
            for q in range(nq):
                x0 = a0[q]
                x1 = a1[q]
                x2 = a2[q]
                x3 = a3[q]
                x4 = a4[q]
                x5 = a5[q]
                x6 = a6[q]
                x7 = a7[q]
                y0[q] += w0_0 * x0 + w1_0 * x1 + w2_0 * x2 + w3_0 * x3 + w4_0 * x4 + w5_0 * x5 + w6_0 * x6 + w7_0 * x7
                y1[q] += w0_1 * x0 + w1_1 * x1 + w2_1 * x2 + w3_1 * x3 + w4_1 * x4 + w5_1 * x5 + w6_1 * x6 + w7_1 * x7
                y2[q] += w0_2 * x0 + w1_2 * x1 + w2_2 * x2 + w3_2 * x3 + w4_2 * x4 + w5_2 * x5 + w6_2 * x6 + w7_2 * x7
                y3[q] += w0_3 * x0 + w1_3 * x1 + w2_3 * x2 + w3_3 * x3 + w4_3 * x4 + w5_3 * x5 + w6_3 * x6 + w7_3 * x7

@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def block3(xf, base, off, wt, yg, nq):
    """3 output planes, 8 terms per pass."""
    for tg in range(0, off.shape[0], 8):
        a0 = xf[base + off[tg + 0]:]
        a1 = xf[base + off[tg + 1]:]
        a2 = xf[base + off[tg + 2]:]
        a3 = xf[base + off[tg + 3]:]
        a4 = xf[base + off[tg + 4]:]
        a5 = xf[base + off[tg + 5]:]
        a6 = xf[base + off[tg + 6]:]
        a7 = xf[base + off[tg + 7]:]
        r0 = wt[tg + 0]
        r1 = wt[tg + 1]
        r2 = wt[tg + 2]
        r3 = wt[tg + 3]
        r4 = wt[tg + 4]
        r5 = wt[tg + 5]
        r6 = wt[tg + 6]
        r7 = wt[tg + 7]
        w0_0, w0_1, w0_2 = r0[0], r0[1], r0[2]
        w1_0, w1_1, w1_2 = r1[0], r1[1], r1[2]
        w2_0, w2_1, w2_2 = r2[0], r2[1], r2[2]
        w3_0, w3_1, w3_2 = r3[0], r3[1], r3[2]
        w4_0, w4_1, w4_2 = r4[0], r4[1], r4[2]
        w5_0, w5_1, w5_2 = r5[0], r5[1], r5[2]
        w6_0, w6_1, w6_2 = r6[0], r6[1], r6[2]
        w7_0, w7_1, w7_2 = r7[0], r7[1], r7[2]
        y0 = yg[0]
        y1 = yg[1]
        y2 = yg[2]
        if tg == 0:
            for q in range(nq):
                x0 = a0[q]
                x1 = a1[q]
                x2 = a2[q]
                x3 = a3[q]
                x4 = a4[q]
                x5 = a5[q]
                x6 = a6[q]
                x7 = a7[q]
                y0[q] = w0_0 * x0 + w1_0 * x1 + w2_0 * x2 + w3_0 * x3 + w4_0 * x4 + w5_0 * x5 + w6_0 * x6 + w7_0 * x7
                y1[q] = w0_1 * x0 + w1_1 * x1 + w2_1 * x2 + w3_1 * x3 + w4_1 * x4 + w5_1 * x5 + w6_1 * x6 + w7_1 * x7
                y2[q] = w0_2 * x0 + w1_2 * x1 + w2_2 * x2 + w3_2 * x3 + w4_2 * x4 + w5_2 * x5 + w6_2 * x6 + w7_2 * x7
        else:
            for q in range(nq):
                x0 = a0[q]
                x1 = a1[q]
                x2 = a2[q]
                x3 = a3[q]
                x4 = a4[q]
                x5 = a5[q]
                x6 = a6[q]
                x7 = a7[q]
                y0[q] += w0_0 * x0 + w1_0 * x1 + w2_0 * x2 + w3_0 * x3 + w4_0 * x4 + w5_0 * x5 + w6_0 * x6 + w7_0 * x7
                y1[q] += w0_1 * x0 + w1_1 * x1 + w2_1 * x2 + w3_1 * x3 + w4_1 * x4 + w5_1 * x5 + w6_1 * x6 + w7_1 * x7
                y2[q] += w0_2 * x0 + w1_2 * x1 + w2_2 * x2 + w3_2 * x3 + w4_2 * x4 + w5_2 * x5 + w6_2 * x6 + w7_2 * x7

@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def block2(xf, base, off, wt, yg, nq):
    """2 output planes, 8 terms per pass."""
    for tg in range(0, off.shape[0], 8):
        a0 = xf[base + off[tg + 0]:]
        a1 = xf[base + off[tg + 1]:]
        a2 = xf[base + off[tg + 2]:]
        a3 = xf[base + off[tg + 3]:]
        a4 = xf[base + off[tg + 4]:]
        a5 = xf[base + off[tg + 5]:]
        a6 = xf[base + off[tg + 6]:]
        a7 = xf[base + off[tg + 7]:]
        r0 = wt[tg + 0]
        r1 = wt[tg + 1]
        r2 = wt[tg + 2]
        r3 = wt[tg + 3]
        r4 = wt[tg + 4]
        r5 = wt[tg + 5]
        r6 = wt[tg + 6]
        r7 = wt[tg + 7]
        w0_0, w0_1 = r0[0], r0[1]
        w1_0, w1_1 = r1[0], r1[1]
        w2_0, w2_1 = r2[0], r2[1]
        w3_0, w3_1 = r3[0], r3[1]
        w4_0, w4_1 = r4[0], r4[1]
        w5_0, w5_1 = r5[0], r5[1]
        w6_0, w6_1 = r6[0], r6[1]
        w7_0, w7_1 = r7[0], r7[1]
        y0 = yg[0]
        y1 = yg[1]
        if tg == 0:
            for q in range(nq):
                x0 = a0[q]
                x1 = a1[q]
                x2 = a2[q]
                x3 = a3[q]
                x4 = a4[q]
                x5 = a5[q]
                x6 = a6[q]
                x7 = a7[q]
                y0[q] = w0_0 * x0 + w1_0 * x1 + w2_0 * x2 + w3_0 * x3 + w4_0 * x4 + w5_0 * x5 + w6_0 * x6 + w7_0 * x7
                y1[q] = w0_1 * x0 + w1_1 * x1 + w2_1 * x2 + w3_1 * x3 + w4_1 * x4 + w5_1 * x5 + w6_1 * x6 + w7_1 * x7
        else:
            for q in range(nq):
                x0 = a0[q]
                x1 = a1[q]
                x2 = a2[q]
                x3 = a3[q]
                x4 = a4[q]
                x5 = a5[q]
                x6 = a6[q]
                x7 = a7[q]
                y0[q] += w0_0 * x0 + w1_0 * x1 + w2_0 * x2 + w3_0 * x3 + w4_0 * x4 + w5_0 * x5 + w6_0 * x6 + w7_0 * x7
                y1[q] += w0_1 * x0 + w1_1 * x1 + w2_1 * x2 + w3_1 * x3 + w4_1 * x4 + w5_1 * x5 + w6_1 * x6 + w7_1 * x7


#: Outputs per block -> kernel.
KERNELS = {8: block8, 4: block4, 3: block3, 2: block2}
