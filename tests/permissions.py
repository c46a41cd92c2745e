"""File permissions that bind even root, so the read-only-folder tests run under CI's root too.

Root writes into a folder of mode 0o500 because of its CAP_DAC_OVERRIDE capability (and reads
past modes through CAP_DAC_READ_SEARCH). `permissions_bind()` takes both out of the calling
thread's effective set for the length of a `with` block and puts them back after: the kernel then
checks the mode bits for this thread as it does for any user. A process may always lower its own
capabilities, so no privilege is needed. Linux capabilities belong to a thread: threads that
already run keep theirs, threads started inside the block inherit the lowered set. For anyone but
root it changes nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522  # two 32-bit words per set


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Sets(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _call(name: str, header: _Header, sets: ctypes.Array[_Sets]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(ctypes.byref(header), sets) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{name}: {os.strerror(error)}")


@contextmanager
def permissions_bind() -> Iterator[None]:
    """Within the block, this thread obeys file modes even as root (see the module's text)."""
    if os.name != "posix" or os.geteuid() != 0:
        yield
        return
    assert sys.platform.startswith("linux"), "root without CAP_DAC_OVERRIDE is done for Linux"
    header, sets = _Header(_LINUX_CAPABILITY_VERSION_3, 0), (_Sets * 2)()
    _call("capget", header, sets)
    before = sets[0].effective
    sets[0].effective &= ~((1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH))
    _call("capset", header, sets)
    try:
        yield
    finally:
        sets[0].effective = before
        _call("capset", header, sets)
