"""``sosim locustfile``: the path of the locustfile shipped in the package, for ``locust -f``."""

from __future__ import annotations

from click.testing import CliRunner

from simulator.cli import main
from simulator.locust import LOCUSTFILE


def test_locustfile_prints_the_path_of_the_shipped_locustfile() -> None:
    """``sosim locustfile`` prints one line, the absolute path ``locust -f`` takes."""
    result = CliRunner().invoke(main, ["locustfile"])
    assert result.exit_code == 0
    assert result.stdout.strip() == str(LOCUSTFILE)
    assert LOCUSTFILE.is_file()


def test_locustfile_options_lists_sosims_options_for_locust() -> None:
    """``sosim locustfile --options`` lists every sosim option that Locust accepts."""
    result = CliRunner().invoke(main, ["locustfile", "--options"])
    assert result.exit_code == 0
    for flag in ("--scenario", "--secret-env", "--seed", "--speed", "--rate", "--fail-if"):
        assert flag in result.stdout
    for flag in ("--sosim-report", "--sosim-junit", "--sosim-html"):
        assert flag in result.stdout
