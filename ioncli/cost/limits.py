"""What Cloud Run allows a service to be: CPU, memory, concurrency and billing together.

From Cloud Run's "Configure CPU limits" and "Configure memory limits" pages for services:
CPU is 0.08 to 1 vCPU (in steps of 0.001) or a whole 1, 2, 4, 6 or 8; below 1 vCPU the
concurrency must be 1, billing request-based, and memory at most 512 MiB (1 GiB from 0.5
vCPU). Memory is 128 MiB to 32 GiB; more than 4, 8, 16 and 24 GiB need at least 2, 4, 6 and
8 vCPU; 4 vCPU need at least 2 GiB, 6 and 8 vCPU at least 4 GiB. Concurrency is 1 to 1000.
"""

from __future__ import annotations

import math

WHOLE_CPUS = (1.0, 2.0, 4.0, 6.0, 8.0)
MIN_MEMORY_GIB = 128 / 1024
MAX_MEMORY_GIB = 32.0
MAX_CONCURRENCY = 1000
# (memory above this many GiB, needs at least this many vCPU)
MEMORY_NEEDS_CPU = ((24.0, 8.0), (16.0, 6.0), (8.0, 4.0), (4.0, 2.0))
CPU_NEEDS_MEMORY = {4.0: 2.0, 6.0: 4.0, 8.0: 4.0}
# Memory sizes ion proposes when right-sizing (GiB): the common steps of the console.
MEMORY_STEPS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 24.0, 32.0)


def size_problem(cpu: float, memory_gib: float) -> str | None:
    """Why Cloud Run would refuse this CPU/memory pair, or None when it allows it."""
    if not math.isfinite(cpu) or cpu < 0.08 or cpu > 8:
        return f"cpu {cpu:g}: Cloud Run allows 0.08 to 1 vCPU, or 1, 2, 4, 6 or 8"
    if cpu > 1 and cpu not in WHOLE_CPUS:
        return f"cpu {cpu:g}: above 1 vCPU, Cloud Run allows only 2, 4, 6 or 8"
    if not math.isfinite(memory_gib) or not MIN_MEMORY_GIB <= memory_gib <= MAX_MEMORY_GIB:
        return f"memory {_gib(memory_gib)}: Cloud Run allows 128 MiB to 32 GiB"
    for above, need in MEMORY_NEEDS_CPU:
        if memory_gib > above and cpu < need:
            return (
                f"memory {_gib(memory_gib)} with cpu {cpu:g}: more than {above:g} GiB needs at "
                f"least {need:g} vCPU"
            )
    floor = CPU_NEEDS_MEMORY.get(cpu)
    if floor is not None and memory_gib < floor:
        return (
            f"cpu {cpu:g} with memory {_gib(memory_gib)}: {cpu:g} vCPU need at least {floor:g} GiB"
        )
    if cpu < 1:
        cap = 1.0 if cpu >= 0.5 else 0.5
        if memory_gib > cap:
            return (
                f"cpu {cpu:g} with memory {_gib(memory_gib)}: below "
                f"{'1' if cap == 1.0 else '0.5'} vCPU, memory is at most {_gib(cap)}"
            )
    return None


def service_problem(cpu: float, memory_gib: float, concurrency: int, billing: str) -> str | None:
    """Why Cloud Run would refuse this service configuration, or None."""
    problem = size_problem(cpu, memory_gib)
    if problem:
        return problem
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        return f"concurrency {concurrency}: Cloud Run allows 1 to {MAX_CONCURRENCY}"
    if cpu < 1 and concurrency != 1:
        return f"cpu {cpu:g} with concurrency {concurrency}: below 1 vCPU, concurrency must be 1"
    if cpu < 1 and billing != "request-based":
        return f"cpu {cpu:g} with {billing} billing: below 1 vCPU, billing must be request-based"
    return None


def smallest_memory(cpu: float, needed_gib: float) -> float | None:
    """The smallest memory step at or above `needed_gib` that Cloud Run allows with `cpu`."""
    for step in MEMORY_STEPS:
        if step >= needed_gib - 1e-9 and size_problem(cpu, step) is None:
            return step
    return None


def _gib(value: float) -> str:
    if value < 1:
        return f"{value * 1024:g} MiB"
    return f"{value:g} GiB"
