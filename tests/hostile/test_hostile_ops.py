"""Hostile-input corpus, operators: malformed kernels and inputs give a named error, never a traceback from numpy.

(Memory: tests/hostile/test_budgets.py.  NaN and infinity: tests/ops/test_nonfinite.py.)
"""

import numpy as np
import pytest

import signalspace as ss

BAD_CONV = {  # name: (call, error, message)
    "ragged kernel": (lambda: ss.Conv([[1.0, 2.0], [3.0]]), ss.InvalidTypeError, "kernel must be array-like"),
    "ragged input": (lambda: ss.Conv([1.0, 2.0])([[1.0, 2.0], [3.0]]), ss.InvalidTypeError, "x must be array-like"),
    "ragged adjoint input": (lambda: ss.Conv([1.0, 2.0]).adjoint([[1.0], [2.0, 3.0]]), ss.InvalidTypeError,
                             "y must be array-like"),
    "text input": (lambda: ss.Conv([1.0, 2.0])(np.array(["a", "b"])), ss.InvalidTypeError, "numeric dtype"),
    "masked input": (lambda: ss.Conv([1.0, 2.0])(np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])),
                     ss.InvalidTypeError, "masked array hiding 1 of 3"),
    "NaN in the kernel": (lambda: ss.Conv([1.0, np.nan]), ss.InvalidParameterError, "kernel must be finite"),
    "dilation 10**9 without padding": (lambda: ss.Conv(np.ones(3), dilation=10**9)(np.zeros(1000)), ss.ShapeError,
                                       "the kernel reaches 2000000001 samples"),
    "negative padding": (lambda: ss.Conv(np.ones(3), padding=-1), ss.InvalidParameterError, "padding"),
    "float input_shape of offset": (lambda: ss.Conv(np.ones(3)).offset((1e10,)), ss.InvalidTypeError,
                                    r"input_shape\[0\] must be an integer"),
}


@pytest.mark.parametrize(("call", "error", "match"), BAD_CONV.values(), ids=BAD_CONV.keys())
def test_malformed_convolutions_are_named_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_stride_longer_than_the_input_gives_the_first_window():
    x = np.arange(10.0)
    np.testing.assert_allclose(ss.Conv(np.ones(3), stride=10**18)(x), [3.0], rtol=1e-12)
