"""cosine_of, the meaning score of a pair when a join is explained: same, opposed and
orthogonal vectors, and a damaged (all-zero) stored vector, which scores 0 instead of
raising ZeroDivisionError."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.stories.evidence import cosine_of


@pytest.mark.parametrize(
    ("one", "other", "cosine"),
    [
        ([1.0, 0.0], [1.0, 0.0], 1.0),
        ([1.0, 0.0], [-2.0, 0.0], -1.0),
        ([3.0, 4.0], [4.0, -3.0], 0.0),
        ([0.0, 0.0], [1.0, 0.0], 0.0),
        ([1.0, 0.0], [0.0, 0.0], 0.0),
    ],
)
def test_cosine_of(one: list[float], other: list[float], cosine: float) -> None:
    vectors = np.array(one, dtype=np.float32), np.array(other, dtype=np.float32)
    assert cosine_of(*vectors) == pytest.approx(cosine)
