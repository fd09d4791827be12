"""Nothing lost, nothing doubled (issue 20): each experiment breaks one
service of a running lab with short timings and asserts the counts.
`make chaos` runs the same experiments with the production values."""

import pytest

from .experiments import EXPERIMENTS


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda e: e.__name__)
def test_it_holds(lab, experiment):
    result = experiment(lab)
    assert result.held, result.line()
