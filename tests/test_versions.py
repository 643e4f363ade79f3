"""Version checks: a clear warning for untested versions, silence for the tested ones."""

import warnings

import pytest

from yamnet_lesson import versions


def test_installed_versions_are_the_tested_ones():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert versions.check_versions()
    assert any(line.startswith("tensorflow 2.21") and "(ok)" in line for line in versions.report())


def test_an_untested_version_gets_one_clear_warning(monkeypatch):
    monkeypatch.setattr(versions, "TESTED", {"tensorflow": "9.9", "no-such-package": "1."})
    with pytest.warns(UserWarning) as caught:
        assert not versions.check_versions()
    messages = [str(w.message) for w in caught]
    assert any("tensorflow 2.21" in m and "tested with 9.9x" in m for m in messages)
    assert any("no-such-package is not installed" in m for m in messages)


def test_colabs_stack_is_a_tested_one(monkeypatch):
    """TensorFlow 2.19 and ipywidgets 7.7 (Colab's) pass without a warning; 2.18 does not."""
    seen = {"tensorflow": "2.19.0", "ipywidgets": "7.7.1", "keras": "3.10.0"}
    monkeypatch.setattr(versions, "_installed", lambda package: seen.get(package, "0"))
    monkeypatch.setattr(versions, "TESTED", {p: versions.TESTED[p] for p in seen})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert versions.check_versions()
    seen["tensorflow"] = "2.18.1"
    with pytest.warns(UserWarning, match=r"tensorflow 2\.18\.1: .*tested with 2\.21x or 2\.19x"):
        assert not versions.check_versions()
