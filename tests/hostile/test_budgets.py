"""Hostile-input corpus, memory: every request that would allocate beyond the budget is refused first, by name.

One rule (signalspace.memory_budget; by default half the memory available): the error names what needs how many
bytes, the budget and where it comes from, and how to go past it.  Each case here would allocate a few MB at most
without its check, so a missing check fails the test instead of exhausting the machine.
"""

import numpy as np
import pytest
import soundfile as sf

import signalspace as ss
from signalspace.ops.matrices import block_toeplitz


@pytest.fixture
def files(tmp_path):
    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros((100_000, 2), np.float32), 8000, subtype="FLOAT")
    png = tmp_path / "big.png"  # 2000 x 2000 of zeros: a few KB on disk, 4 MB of pixels
    ss.save(ss.image.from_array(np.zeros((2000, 2000), np.uint8)), png)
    nc = tmp_path / "a.nc"
    ss.save(ss.Signal(np.zeros((100_000, 2)), ss.Domain.from_shape((100_000,))), nc, encoding={
        "__xarray_dataarray_variable__": {"zlib": True}})  # compressed: 1.6 MB of values in a few KB
    return {"wav": wav, "png": png, "nc": nc, "dir": tmp_path}


REQUESTS = {  # name: (request under a 100 KB budget, what the message names)
    "read a WAV": (lambda f: ss.load(f["wav"]), r"reading 100,000 frames x 2 channels"),
    "resample a WAV": (lambda f: ss.load(f["wav"], sr=8000 * 16, duration=0.1), r"resampled to 128000 Hz"),
    "decode a PNG": (lambda f: ss.load(f["png"]), r"the 1 x 2000 x 2000 x 1 uint8 pixels"),
    "read a compressed netCDF": (lambda f: ss.load(f["nc"]), r"the values \(100000, 2\) float64"),
    "offset": (lambda f: ss.Conv(np.ones(3)).offset((10**6,)), r"Conv.offset of 999998 outputs"),
    "FFT convolution": (lambda f: ss.Conv(np.ones((31, 31)), padding="same", method="fft")(np.zeros((300, 300))),
                        r"forward of a convolution \(fft\)"),
    "adjoint": (lambda f: ss.Conv(np.ones(5), padding="same").adjoint(np.zeros(100_000)), r"adjoint of a convolution"),
    "spectrogram": (lambda f: ss.analysis.spectrogram(ss.audio.from_array(np.zeros(80_000), sr=8000), n_fft=512,
                                                      hop_length=16), r"a spectrogram of 5,001 frames x 257 bins"),
    "sparse matrix": (lambda f: ss.Conv(np.ones((3, 3)), padding="same").to_matrix((100, 100)), r"csr matrix"),
    "todense": (lambda f: ss.Conv(np.ones(3)).operator((200,)).todense(), r"todense of a 198 x 200"),
    "phase-space field": (lambda f: ss.phasespace.hamiltonian(ss.phasespace.grid(spacetime=4, momentum=6)),
                          r"hamiltonian on Domain\(phasespace"),
}


@pytest.mark.parametrize(("request_", "match"), REQUESTS.values(), ids=REQUESTS.keys())
def test_requests_beyond_the_budget_are_refused_before_allocating(files, request_, match):
    if "zarr" in match:
        pytest.importorskip("zarr")
    with ss.memory_budget(100_000), pytest.raises(ss.MemoryBudgetError, match=match) as info:
        request_(files)
    message = str(info.value)
    assert "more than the memory budget of 100,000 bytes" in message
    assert "set by signalspace.memory_budget" in message and "signalspace.memory_budget(nbytes)" in message
    request_(files)  # the default budget (half the memory available) lets the same request through


ABSURD = {  # requests no machine could serve: refused under the default budget, whatever the machine
    "padding=10**18": lambda: ss.Conv(np.ones(3), padding=10**18)(np.zeros(1000)),
    "padding (10**18, 0) on one side": lambda: ss.Conv(np.ones(3), padding=[(10**18, 0)])(np.zeros(1000)),
    "8-D block Toeplitz of 40 samples per axis": lambda: block_toeplitz(np.ones((3,) * 8), (40,) * 8, ndim=8),
    "offset of 10**12 samples": lambda: ss.Conv(np.ones(3)).offset((10**12,)),
    "spectrogram with hop 1 and n_fft 2**19": lambda: ss.analysis.spectrogram(
        ss.audio.from_array(np.zeros(10**6), sr=8000), n_fft=2**19, hop_length=1),
}


@pytest.mark.parametrize("request_", ABSURD.values(), ids=ABSURD.keys())
def test_absurd_requests_are_refused_under_the_default_budget(request_):
    with pytest.raises(ss.MemoryBudgetError, match=r"of the [\d.]+ \w+ available\).*memory_budget"):
        request_()


def test_a_dilation_of_a_billion_is_refused_before_padding_16_gb():
    with ss.memory_budget(2**30), pytest.raises(ss.MemoryBudgetError, match=r"padded to \(2000001000,\)"):
        ss.Conv(np.ones(3), dilation=10**9, padding="same")(np.zeros(1000))


def test_lazy_reads_are_within_any_budget(files):
    pytest.importorskip("dask")
    with ss.memory_budget(100_000):
        assert ss.load(files["wav"], chunks=10_000).is_lazy and ss.load(files["nc"], chunks={}).is_lazy


def test_budgets_are_bytes_and_positive():
    with pytest.raises(ss.InvalidTypeError, match="nbytes must be an integer"):
        with ss.memory_budget(1.5e9):
            pass
    with pytest.raises(ss.InvalidParameterError, match="nbytes must be an integer >= 1"):
        with ss.memory_budget(0):
            pass
