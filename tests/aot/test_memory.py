# SPDX-License-Identifier: Apache-2.0
"""Static memory plan: lifetimes decide sharing; offsets 16-byte aligned."""

from __future__ import annotations

from platformio_tinyml.aot.memory import Buffer, plan_memory

# A chain a -> b -> c: a and c never live at the same time.
TEST_CHAIN = (Buffer("a", 100, 0, 1), Buffer("b", 40, 1, 2), Buffer("c", 100, 2, 3))
CHAIN_EXPECTED = ({"a": 0, "b": 112, "c": 0}, 160)

# Three buffers alive together: no overlap at all.
TEST_OVERLAP = (Buffer("x", 16, 0, 5), Buffer("y", 17, 1, 4), Buffer("z", 1, 2, 3))
OVERLAP_EXPECTED = ({"y": 0, "x": 32, "z": 48}, 64)


def test_chain_reuses_dead_memory() -> None:
    plan = plan_memory(TEST_CHAIN)
    offsets, size = CHAIN_EXPECTED
    assert dict(plan.offsets) == offsets
    assert plan.arena_size == size


def test_live_buffers_never_overlap() -> None:
    plan = plan_memory(TEST_OVERLAP)
    offsets, size = OVERLAP_EXPECTED
    assert dict(plan.offsets) == offsets
    assert plan.arena_size == size


def test_empty_plan_still_declares_an_arena() -> None:
    assert plan_memory(()).arena_size == 16  # C has no zero-size arrays
