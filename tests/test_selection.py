"""The two test runs: ``python -m pytest`` skips the tests marked slow, ``--full`` runs them.

Each case runs pytest on a small test file with this project's own conftest.py
and pyproject.toml, so a slip in either (an option misspelt, the marker not
registered, the skip applied to everything) fails here.
"""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SAMPLE = """
import pytest

def test_everyday():
    pass

class TestEveryday:
    def test_in_a_class(self):
        pass

@pytest.mark.slow
def test_slow():
    pass

@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_slow_seeds(seed):
    pass

@pytest.mark.slow
class TestSlow:
    def test_in_a_slow_class(self):
        pass
"""

ONLY_SLOW = """
import pytest

@pytest.mark.slow
def test_a():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest((REPO / "conftest.py").read_text())
    pytester.makepyprojecttoml((REPO / "pyproject.toml").read_text())
    pytester.makepyfile(test_sample=SAMPLE)
    return pytester


def test_the_everyday_run_skips_only_the_slow_tests_and_says_why(project):
    result = project.runpytest("test_sample.py")
    result.assert_outcomes(passed=2, skipped=4)
    result.stdout.fnmatch_lines(["SKIPPED * runs with --full"])
    result.stdout.no_fnmatch_line("SKIPPED *test_everyday*")


def test_full_runs_every_test(project):
    result = project.runpytest("test_sample.py", "--full")
    result.assert_outcomes(passed=6)


def test_full_with_the_marker_runs_only_the_slow_tests(project):
    result = project.runpytest("test_sample.py", "--full", "-m", "slow")
    result.assert_outcomes(passed=4, deselected=2)


def test_selecting_only_slow_tests_without_full_is_refused_not_skipped(project):
    result = project.runpytest("test_sample.py", "-m", "slow")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*-m 'slow' selects only tests marked slow, and the everyday run skips those; "
         "add --full*"]
    )  # fmt: skip


def test_a_file_of_slow_tests_only_without_full_is_refused_not_skipped(project):
    project.makepyfile(test_only_slow=ONLY_SLOW)
    result = project.runpytest("test_only_slow.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*the 1 test selected is marked slow, and the everyday run skips those; add --full*"]
    )


@pytest.mark.parametrize("args", [("-m", "slow"), ("test_only_slow.py",)])
def test_with_two_workers_the_refusal_is_one_sentence_not_a_traceback(project, args):
    """-n 2 (the README's command): -m is refused before the workers start; a file of slow
    tests only is collected by the workers, which skip each test with the sentence."""
    project.makepyfile(test_only_slow=ONLY_SLOW)
    result = project.runpytest_subprocess("-n", "2", *args)
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output and "Traceback" not in output, output
    assert "marked slow, and the everyday run skips those; add --full to run them." in output


def test_a_misspelt_marker_is_an_error_not_a_silent_everyday_test(project):
    project.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.slwo
        def test_meant_to_be_slow():
            pass
        """
    )
    result = project.runpytest("test_typo.py")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*'slwo' not found in `markers`*"])


def test_the_slow_marker_is_registered_with_its_meaning():
    import tomllib

    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]
    markers = options["ini_options"]["markers"]
    assert any(m.startswith("slow:") and "--full" in m for m in markers)
    assert "--strict-markers" in options["ini_options"]["addopts"]
