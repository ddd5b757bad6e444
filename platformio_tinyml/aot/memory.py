# SPDX-License-Identifier: Apache-2.0
"""Static memory plan: buffer lifetimes and greedy placement, largest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ALIGNMENT = 16


@dataclass(frozen=True)
class Buffer:
    """Arena memory needed from step ``first`` to step ``last`` (inclusive)."""

    key: str
    size: int
    first: int
    last: int


@dataclass(frozen=True)
class MemoryPlan:
    """Offsets in the arena for every buffer, and the arena size (a multiple of 16)."""

    offsets: tuple[tuple[str, int], ...]
    arena_size: int

    def offset(self, key: str) -> int:
        return dict(self.offsets)[key]


def _align(value: int) -> int:
    return (value + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def plan_memory(buffers: Sequence[Buffer]) -> MemoryPlan:
    """Place buffers greedily, largest first, at the lowest offset that is free.

    Two buffers may overlap in memory only if their lifetimes do not overlap.

    Args:
        buffers: the buffers with their lifetimes, in op steps.

    Returns:
        The offsets (16-byte aligned) and the arena size (at least 16 bytes).
    """
    placed: list[tuple[Buffer, int]] = []
    order = sorted(buffers, key=lambda b: (-b.size, b.first, b.key))
    for buf in order:
        conflicts = sorted(
            (off, off + _align(other.size))
            for other, off in placed
            if not (other.last < buf.first or buf.last < other.first)
        )
        offset = 0
        for start, end in conflicts:
            if offset + _align(buf.size) <= start:
                break
            offset = max(offset, end)
        placed.append((buf, offset))
    arena = max((off + _align(b.size) for b, off in placed), default=0)
    offsets = tuple(sorted(((b.key, off) for b, off in placed), key=lambda kv: kv[0]))
    # Never 0: the caller declares an array of this size, and C has no empty arrays.
    return MemoryPlan(offsets=offsets, arena_size=max(_align(arena), ALIGNMENT))
