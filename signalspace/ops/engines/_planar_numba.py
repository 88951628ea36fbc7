"""The numba side of the ``planar`` engine: band tasks, layout copies and the block-kernel dispatch.

Imported on the engine's first call (numba's import costs ~0.4 s).  Every function is compiled with
``nogil=True`` (the engine runs tasks on two threads) and cached on disk (``cache=True``).

Arrays are flat.  A *planar buffer* holds ``c`` planes of ``L`` grid positions, plane ``ch`` at ``ch * L``.
A *run table* ``(n_runs, 3)`` lists, for one row of the grid, the runs of consecutive positions that map to
consecutive samples of a channels-last array: ``(first grid position, length, first sample)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._planar_blocks import block2, block3, block4, block8


@njit(boundscheck=False, nogil=True, cache=True)
def block(outputs, xf, base, off, wt, yg, nq):
    """The block kernel for ``outputs`` planes (8, 4, 3 or 2)."""
    if outputs == 8:
        block8(xf, base, off, wt, yg, nq)
    elif outputs == 4:
        block4(xf, base, off, wt, yg, nq)
    elif outputs == 3:
        block3(xf, base, off, wt, yg, nq)
    else:
        block2(xf, base, off, wt, yg, nq)


@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def copy_run(src, s, c, dst, d, L, n):
    """``src[(s + k) * c + ch] -> dst[ch * L + d + k]`` for ``k < n`` and every channel (8, 4, then 1 at a time).

    numba writes no shuffles: one load and one store per sample is the floor (0.19 ns per sample with 8
    channels per pass, against 0.38-0.70 ns for a per-position loop over channels)."""
    ch = 0
    while ch + 8 <= c:
        d0, d1, d2, d3 = dst[ch * L + d:], dst[(ch + 1) * L + d:], dst[(ch + 2) * L + d:], dst[(ch + 3) * L + d:]
        d4, d5, d6, d7 = dst[(ch + 4) * L + d:], dst[(ch + 5) * L + d:], dst[(ch + 6) * L + d:], dst[(ch + 7) * L + d:]
        sv = src[s * c + ch:]
        for k in range(n):
            kc = k * c
            d0[k], d1[k], d2[k], d3[k] = sv[kc], sv[kc + 1], sv[kc + 2], sv[kc + 3]
            d4[k], d5[k], d6[k], d7[k] = sv[kc + 4], sv[kc + 5], sv[kc + 6], sv[kc + 7]
        ch += 8
    while ch + 4 <= c:
        d0, d1, d2, d3 = dst[ch * L + d:], dst[(ch + 1) * L + d:], dst[(ch + 2) * L + d:], dst[(ch + 3) * L + d:]
        sv = src[s * c + ch:]
        for k in range(n):
            kc = k * c
            d0[k], d1[k], d2[k], d3[k] = sv[kc], sv[kc + 1], sv[kc + 2], sv[kc + 3]
        ch += 4
    while ch < c:
        d0 = dst[ch * L + d:]
        sv = src[s * c + ch:]
        for k in range(n):
            d0[k] = sv[k * c]
        ch += 1


@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def store_run(src, q, L, c, dst, d, n):
    """``src[ch * L + q + k] -> dst[(d + k) * c + ch]`` for ``k < n`` and every channel (8, 4, then 1 at a time)."""
    ch = 0
    while ch + 8 <= c:
        s0, s1, s2, s3 = src[ch * L + q:], src[(ch + 1) * L + q:], src[(ch + 2) * L + q:], src[(ch + 3) * L + q:]
        s4, s5, s6, s7 = src[(ch + 4) * L + q:], src[(ch + 5) * L + q:], src[(ch + 6) * L + q:], src[(ch + 7) * L + q:]
        dv = dst[d * c + ch:]
        for k in range(n):
            kc = k * c
            dv[kc], dv[kc + 1], dv[kc + 2], dv[kc + 3] = s0[k], s1[k], s2[k], s3[k]
            dv[kc + 4], dv[kc + 5], dv[kc + 6], dv[kc + 7] = s4[k], s5[k], s6[k], s7[k]
        ch += 8
    while ch + 4 <= c:
        s0, s1, s2, s3 = src[ch * L + q:], src[(ch + 1) * L + q:], src[(ch + 2) * L + q:], src[(ch + 3) * L + q:]
        dv = dst[d * c + ch:]
        for k in range(n):
            kc = k * c
            dv[kc], dv[kc + 1], dv[kc + 2], dv[kc + 3] = s0[k], s1[k], s2[k], s3[k]
        ch += 4
    while ch < c:
        s0 = src[ch * L + q:]
        dv = dst[d * c + ch:]
        for k in range(n):
            dv[k * c] = s0[k]
        ch += 1


@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def fill(src, c, buf, L, u0, s0, runs, src_row0, n_src_rows, src_row_len, image):
    """``buf``: the planar buffer of grid positions ``u0 .. u0 + L - 1`` of one image of ``src`` (zeros around).

    Grid row ``row`` holds source row ``row - src_row0`` when that is in ``0 .. n_src_rows - 1``; each run of
    ``runs`` copies its samples of that row, every other position is 0."""
    for m in range(c * L):
        buf[m] = 0
    row = u0 // s0
    while row * s0 < u0 + L:
        sr = row - src_row0
        if 0 <= sr < n_src_rows:
            first = (image * n_src_rows + sr) * src_row_len
            g0 = row * s0 - u0  # buffer position of the grid row's first sample
            for j in range(runs.shape[0]):
                r, n, d = runs[j, 0], runs[j, 1], runs[j, 2]
                lo = max(r, -g0)
                hi = min(r + n, L - g0)
                if hi > lo:
                    copy_run(src, first + d + lo - r, c, buf, g0 + lo, L, hi - lo)
        row += 1


@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)
def bands(src, c_src, src_runs, src_row0, n_src_rows, src_row_len, blocks, offsets, weights, n_planes, out, c_out,
          out_runs, out_row_len, s0, lead, L, band_rows, first_row, n_rows, tile, first, last):
    """Run tasks ``first .. last - 1``; task ``t`` is band ``t % n_bands`` of image ``t // n_bands``.

    A band is ``band_rows`` computed grid rows from ``first_row + band * band_rows`` (of ``n_rows``).  Its
    planar buffer holds the source from grid position ``R0 * s0 - lead``; tiles of ``tile`` positions are
    computed block by block (``blocks[k] = (first plane, planes, terms, first offset, first weight)``), and
    computed row ``R`` position ``r`` goes to ``out[((image * n_rows + R - first_row) * out_row_len + sample)
    * c_out + o]`` through ``out_runs``.
    """
    n_bands = (n_rows + band_rows - 1) // band_rows
    buf = np.empty(c_src * L, dtype=out.dtype)
    stride = tile + 16  # output planes not a multiple of 4 KiB apart (L1 set conflicts: 119 vs 131 GFLOP/s)
    ygf = np.empty(n_planes * stride, dtype=out.dtype)
    yg = ygf.reshape((n_planes, stride))
    for t in range(first, last):
        image = t // n_bands
        r0 = first_row + (t - image * n_bands) * band_rows
        span = min(band_rows, first_row + n_rows - r0) * s0
        fill(src, c_src, buf, L, r0 * s0 - lead, s0, src_runs, src_row0, n_src_rows, src_row_len, image)
        for q0 in range(0, span, tile):
            nq = min(tile, span - q0)
            for k in range(blocks.shape[0]):
                o0, ob, terms, fo, wo = blocks[k, 0], blocks[k, 1], blocks[k, 2], blocks[k, 3], blocks[k, 4]
                block(ob, buf, q0, offsets[fo:fo + terms], weights[wo:wo + terms * ob].reshape((terms, ob)),
                      yg[o0:o0 + ob], nq)
            out_row = image * n_rows + r0 - first_row
            i = q0 // s0
            while i * s0 < q0 + nq:  # the valid positions of the tile, run by run
                g0 = i * s0 - q0
                for j in range(out_runs.shape[0]):
                    r, n, d = out_runs[j, 0], out_runs[j, 1], out_runs[j, 2]
                    lo = max(r, -g0)
                    hi = min(r + n, nq - g0)
                    if hi > lo:
                        store_run(ygf, g0 + lo, stride, c_out, out, (out_row + i) * out_row_len + d + lo - r, hi - lo)
                i += 1
