"""How torch's CPU threads wait for work: spin briefly, then sleep (libgomp's ``GOMP_SPINCOUNT``).

Implements: no part of the paper; the companion's CPU set-up for training and sampling DreamLite-Nano
(``notebooks/04_stage1_t2i.py``, 05 and 06 call it first thing). Call :func:`wait_briefly` before torch is imported.

torch's Linux CPU wheels run their thread pool on GNU OpenMP. Between parallel regions an idle thread either spins
(``OMP_WAIT_POLICY=ACTIVE``), sleeps at once (``PASSIVE``) or spins ``GOMP_SPINCOUNT`` times and then sleeps (the
default: 300,000 spins). The nano U-Net's training step is thousands of small kernels: threads that sleep at once
spend the step being woken, threads that spin long starve everything else on a busy machine.
``benchmarks/openmp_waiting.py`` on the 2-core machine (batch 32, 2 threads, training samples/s, ranges over two
runs of two repeats each; the runs are noisy):

=================================  =======  =========================
policy                             idle     beside 2 busy processes
=================================  =======  =========================
PASSIVE (the companion until now)  49-61    44-60
ACTIVE                             106-127  12-34
libgomp default (300,000 spins)    113-136  15-34
30,000 spins                       102-103  16-18
3,000 spins (:data:`SPIN_COUNT`)   44-116   45-53
=================================  =======  =========================

3,000 spins keeps PASSIVE's behaviour on a busy machine and is faster when the machine is idle, though less
steadily than the long-spinning policies. The policy changes only speed, never the arithmetic: 20 training steps
gave the same weight bytes under PASSIVE, ACTIVE and 3,000 spins. In the real loop, the default stage 1 retrained
with 3,000 spins took 747 s (90 samples/s) where PASSIVE took 1,013 s (64) on the same machine, and its U-Net came
out byte-identical. The next cold ``make reproduce`` on that machine type, with 3,000 spins, trained stage 1
in 542 s (121 samples/s), again byte-identical.
"""

from __future__ import annotations

import os
import sys

#: Spins before an idle OpenMP thread sleeps (libgomp's default is 300,000).
SPIN_COUNT = 3000


def wait_briefly(spin_count: int = SPIN_COUNT) -> bool:
    """Set ``GOMP_SPINCOUNT`` unless the user chose ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` already.

    Returns whether the setting can take effect: libgomp reads it once, when torch loads it, so this must run
    before the first ``import torch`` in the process.
    """
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ.setdefault("GOMP_SPINCOUNT", str(int(spin_count)))
    return "torch" not in sys.modules
