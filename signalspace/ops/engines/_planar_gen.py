"""Writes :mod:`._planar_blocks`, the block kernels of the ``planar`` engine.

Run ``python -m signalspace.ops.engines._planar_gen`` after changing it.

numba compiles a loop over grid positions into AVX-512 / AVX2 code only when
that loop is the innermost and everything else in it is scalar: its SLP
vectorizer is off and constant-trip loops over the outputs get unrolled before
the loop vectorizer sees them (a kernel written with inner loops over outputs
and terms ran at 3-6 GFLOP/s, the spelled-out one at 120-220).  So every kernel
spells out its ``terms x outputs`` products; this module writes them, and a test
checks that the committed file is what it writes.
"""

from __future__ import annotations

from pathlib import Path

#: Outputs per block -> terms per pass (measured: 4 x 8 for eight outputs, 8 x 3 for three; GFLOP/s on one thread).
BLOCKS = {8: 4, 4: 8, 3: 8, 2: 8}

HEADER = '''"""Block kernels of the ``planar`` engine, written by :mod:`._planar_gen` (do not edit; run
``python -m signalspace.ops.engines._planar_gen`` after changing the generator).

``block<B>(xf, base, off, wt, yg, nq)`` computes ``B`` output planes over ``nq`` grid positions::

    yg[o, q] = sum_t wt[t, o] * xf[base + off[t] + q]      (o < B, q < nq)

``len(off)`` is a multiple of the block's terms per pass (:data:`TERMS`); padded terms have weight 0.
"""

from numba import njit

#: Outputs per block -> terms per pass.
TERMS = {terms}
'''


def _kernel(outputs: int, terms: int) -> str:
    i1, i2, i3, i4 = (" " * (4 * n) for n in range(1, 5))
    lines = [
        "",
        "@njit(fastmath=True, boundscheck=False, nogil=True, cache=True)",
        f"def block{outputs}(xf, base, off, wt, yg, nq):",
        f'{i1}"""{outputs} output planes, {terms} terms per pass."""',
        f"{i1}for tg in range(0, off.shape[0], {terms}):",
    ]
    lines += [f"{i2}a{t} = xf[base + off[tg + {t}]:]" for t in range(terms)]
    lines += [f"{i2}r{t} = wt[tg + {t}]" for t in range(terms)]
    for t in range(terms):
        lines.append(f"{i2}" + ", ".join(f"w{t}_{o}" for o in range(outputs)) + " = "
                     + ", ".join(f"r{t}[{o}]" for o in range(outputs)))
    lines += [f"{i2}y{o} = yg[{o}]" for o in range(outputs)]
    for first, op in ((True, "="), (False, "+=")):
        lines.append(f"{i2}if tg == 0:" if first else f"{i2}else:")
        lines.append(f"{i3}for q in range(nq):")
        lines += [f"{i4}x{t} = a{t}[q]" for t in range(terms)]
        lines += [f"{i4}y{o}[q] {op} " + " + ".join(f"w{t}_{o} * x{t}" for t in range(terms)) for o in range(outputs)]
    return "\n".join(lines)


def source() -> str:
    """The text of ``_planar_blocks.py``."""
    parts = [HEADER.format(terms=BLOCKS)]
    parts += [_kernel(outputs, terms) for outputs, terms in BLOCKS.items()]
    kernels = ", ".join(f"{o}: block{o}" for o in BLOCKS)
    parts.append(f"\n\n#: Outputs per block -> kernel.\nKERNELS = {{{kernels}}}\n")
    return "\n".join(parts)


def target() -> Path:
    """Where the generated module lives."""
    return Path(__file__).with_name("_planar_blocks.py")


if __name__ == "__main__":
    target().write_text(source())
