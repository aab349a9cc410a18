import pytest

from slots import free_slots, merge_busy


def test_merge_unsorted():
    assert merge_busy([(300, 360), (60, 120), (100, 200)]) == [(60, 200), (300, 360)]


def test_merge_contained():
    assert merge_busy([(60, 240), (90, 120)]) == [(60, 240)]
    assert merge_busy([(90, 120), (60, 240)]) == [(60, 240)]


def test_merge_touching():
    assert merge_busy([(60, 120), (120, 180)]) == [(60, 180)]


def test_merge_keeps_gaps_and_input():
    busy = [(200, 210), (10, 20), (21, 30)]
    copy = list(busy)
    assert merge_busy(busy) == [(10, 20), (21, 30), (200, 210)]
    assert busy == copy


def test_merge_ignores_empty_and_handles_nothing():
    assert merge_busy([]) == []
    assert merge_busy([(50, 50), (70, 60), (10, 20)]) == [(10, 20)]


def test_free_example():
    assert free_slots([(600, 660), (540, 570)], 480, 720) == [
        (480, 540), (570, 600), (660, 720)
    ]


def test_free_whole_day():
    assert free_slots([], 480, 1020) == [(480, 1020)]


def test_free_busy_outside_and_across_edges():
    busy = [(0, 500), (1000, 1440), (300, 310)]
    assert free_slots(busy, 480, 1020) == [(500, 1000)]
    assert free_slots([(0, 2000)], 480, 1020) == []


def test_free_overlapping_and_touching():
    busy = [(540, 600), (570, 630), (630, 660), (700, 720)]
    assert free_slots(busy, 540, 720) == [(660, 700)]


def test_free_min_length():
    busy = [(500, 510), (515, 600), (610, 700)]
    assert free_slots(busy, 480, 720, min_length=15) == [(480, 500), (700, 720)]
    assert free_slots(busy, 480, 720, min_length=5) == [
        (480, 500), (510, 515), (600, 610), (700, 720)
    ]


def test_free_bad_day():
    with pytest.raises(ValueError):
        free_slots([], 600, 600)
    with pytest.raises(ValueError):
        free_slots([], 700, 600)
