"""The documentation is real: its Python examples run and print what the pages show, its
command-line examples print what the pages show, and its links lead somewhere."""

from __future__ import annotations

import doctest
import re
import shlex
import textwrap
from pathlib import Path

import pytest

from usage_engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
FENCE = re.compile(r"^([ \t]*)```(\w*)\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")
EXPECTED_PAGES = {
    "index.md",
    "quickstart.md",
    "event-account.md",
    "rows.md",
    "simulation.md",
    "repricing.md",
    "attribution.md",
    "corrections.md",
    "periods.md",
    "aggregations.md",
    "charge-models.md",
    "projection.md",
    "past-usage.md",
    "lago-differences.md",
    "cli.md",
    "scale.md",
    "scale-out.md",
    "columnar.md",
    "invariants.md",
}


def _blocks(page: Path, *languages: str) -> list[tuple[int, str]]:
    """The fenced blocks of ``page`` in ``languages``, with the line each starts on."""
    text = page.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 2, textwrap.dedent(match.group(3)))
        for match in FENCE.finditer(text)
        if match.group(2) in languages
    ]


def test_every_page_is_there_and_listed_in_the_index():
    """docs/ has a page per concept, each linked from index.md."""
    assert {page.name for page in PAGES} >= EXPECTED_PAGES
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for name in EXPECTED_PAGES - {"index.md"}:
        assert f"({name})" in index, name


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_python_examples_run_and_print_what_the_page_shows(page):
    """Each page's python blocks run in order in one namespace; >>> outputs match exactly."""
    run_page(page, {})


def run_page(page: Path, namespace: dict[str, object]) -> None:
    """Run ``page``'s python blocks in ``namespace``, checking each >>> output."""
    namespace["__name__"] = f"docs.{page.stem}"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for line, block in _blocks(page, "python", "pycon"):
        if ">>>" in block:
            test = parser.get_doctest(block, namespace, page.name, str(page), line - 1)
            result = runner.run(test, clear_globs=False)
            assert result.failed == 0, f"{page.name}, block at line {line}"
            namespace.update(test.globs)  # DocTest works on a copy
        else:
            code = compile(block, f"{page.name}:{line}", "exec")
            exec(code, namespace)


def test_indented_blocks_are_found():
    """Blocks inside list items count too."""
    blocks = _blocks(DOCS / "past-usage.md", "python")
    assert any(block.startswith(">>> (true_up,) = frozen.true_ups") for _, block in blocks)


def test_quickstart_has_examples():
    """The quick start is examples first."""
    blocks = _blocks(DOCS / "quickstart.md", "python", "pycon")
    assert sum(block.count(">>>") for _, block in blocks) >= 15


def _console_examples(page: Path) -> list[tuple[int, list[str], str]]:
    """``$ usage-engine ...`` commands of the console blocks, each with the output shown."""
    examples = []
    for line, block in _blocks(page, "console"):
        command: list[str] | None = None
        output: list[str] = []
        # A command may go on over several lines ending with a backslash.
        joined = re.sub(r"\\\n\s*", "", block)
        for text in [*joined.splitlines(), "$ "]:
            if text.startswith("$ "):
                if command is not None:
                    examples.append((line, command, "\n".join(output)))
                command = shlex.split(text[2:])[1:] if text.strip() != "$" else None
                output = []
            else:
                output.append(text)
    return examples


CLI_EXAMPLES = _console_examples(DOCS / "cli.md")


def test_the_cli_page_has_examples():
    """The CLI page shows every command at work."""
    shown = {command[0] for _, command, _ in CLI_EXAMPLES}
    assert shown >= {"demo", "sample", "period", "current", "projected", "past", "report"}


@pytest.mark.parametrize(
    ("line", "command", "output"),
    CLI_EXAMPLES,
    ids=[f"line {line}: {' '.join(command[:1])}" for line, command, _ in CLI_EXAMPLES],
)
def test_cli_examples_print_what_the_page_shows(
    line, command, output, tmp_path_factory, monkeypatch, capsys
):
    """Each console example, run in a directory holding the sample, prints what is shown."""
    directory = tmp_path_factory.getbasetemp() / "cli-docs"
    directory.mkdir(exist_ok=True)
    monkeypatch.chdir(directory)
    if not (directory / "sample").exists():
        main(["sample", "sample"])
        capsys.readouterr()
    main(command)
    captured = capsys.readouterr()
    got = "\n".join(text.rstrip() for text in (captured.err + captured.out).splitlines())
    want = "\n".join(text.rstrip() for text in output.strip("\n").splitlines())
    checker = doctest.OutputChecker()
    assert checker.check_output(want + "\n", got + "\n", doctest.ELLIPSIS), (
        f"cli.md line {line}: {' '.join(command)}\n--- shown\n{want}\n--- printed\n{got}"
    )


@pytest.mark.parametrize("page", [*PAGES, ROOT / "README.md"], ids=lambda page: page.name)
def test_relative_links_lead_to_files(page):
    """Every relative link of the docs and the README names a file or directory that exists."""
    text = page.read_text(encoding="utf-8")
    for target, _ in LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name}: {target}"
