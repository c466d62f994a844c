"""The benchmark's row 6 is the rebuild's own peak memory, not the benchmark's."""

from __future__ import annotations

import inspect
import subprocess
import sys

from tests.perf.benchmark import peak_rss_mb


def test_a_child_process_reports_its_own_peak_not_its_parents():
    ballast = bytearray(200 * 2**20)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # resident, not just reserved
    code = f"import sys\nfrom pathlib import Path\n{inspect.getsource(peak_rss_mb)}\nprint(peak_rss_mb())\n"
    child = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert 1 < child < 100, child  # a bare interpreter; getrusage's ru_maxrss said over 200 here
    assert peak_rss_mb() >= 200
    del ballast
