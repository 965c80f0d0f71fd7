"""The documentation works as written: README.md and the pages of docs/.

1. Every relative link of README.md and docs/*.md points to a file of the repository, and a link's ``#anchor``
   into a markdown file to one of its headings, by GitHub's anchor rules.
2. Every ```python block runs as written, each in a fresh process of this interpreter, in a temporary folder that
   holds links to the repository's examples/ and configs/ (so that ``examples/face/astronaut.png`` is found, and
   what a block writes stays in that folder), offline (``HF_HUB_OFFLINE=1``), with ``$FOMM_CACHE`` pointing at a
   cache prepared so that the registered models a block would download load the bundled demo model instead:
   ``$FOMM_CACHE/vox-adv-256`` and ``$FOMM_CACHE/vox-256`` are copies of ``fomm_hf/bundled/procedural-faces-64``
   (a folder ``$FOMM_CACHE/<name>`` holding ``model_index.json`` is a converted registered model). The blocks
   thus run as written without a network, but those names animate with the demo model's weights here. Blocks
   that cannot run here (a GPU, several machines, an upload to the Hub, a running app) are ```text or ```bash
   blocks, which are not run.
3. The README stays short (at most 250 lines, its front matter included) and links every page of docs/.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
BUNDLED_MODEL = REPO_ROOT / "fomm_hf" / "bundled" / "procedural-faces-64"
STAND_INS = ("vox-adv-256", "vox-256")  # registered names used by the blocks, which would be downloaded
README_MAX_LINES = 250
PYTHON_FENCES = {"python", "py", "python3"}

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"(`+).*?\1")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def relative(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def split_blocks(text: str):
    """(prose lines, code blocks) of a markdown text: prose as (line number, line) outside fenced blocks; blocks
    as (line number of the opening fence, language, dedented code)."""
    prose, blocks = [], []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            prose.append((i + 1, lines[i]))
            i += 1
            continue
        indent, fence, language = opening.groups()
        body, start = [], i + 1
        i += 1
        while i < len(lines) and not re.match(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        i += 1  # the closing fence
        blocks.append((start, language.lower(), "\n".join(body) + "\n"))
    return prose, blocks


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text (links and images by their text, code without backticks),
    lower case, without punctuation other than hyphens and underscores, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set:
    """Every anchor of a markdown file's headings; repeated headings get -1, -2, ... as on GitHub."""
    found, seen = set(), {}
    for _, line in split_blocks(path.read_text())[0]:
        match = HEADING.match(line)
        if match:
            anchor = github_anchor(match.group(2))
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def links(path: Path):
    """(line number, target) of every link and image of a markdown file, outside code."""
    for number, line in split_blocks(path.read_text())[0]:
        for match in LINK.finditer(INLINE_CODE.sub("", line)):
            yield number, match.group(1)


def python_blocks():
    for page in PAGES:
        for line, language, code in split_blocks(page.read_text())[1]:
            if language in PYTHON_FENCES:
                yield pytest.param(page, line, code, id=f"{relative(page)}:{line}")


def test_every_relative_link_resolves():
    problems = []
    for page in PAGES:
        for line, target in links(page):
            if SCHEME.match(target):
                continue  # http(s), mailto: not checked offline
            file_part, _, anchor = target.partition("#")
            destination = (page.parent / file_part).resolve() if file_part else page
            where = f"{relative(page)}:{line}: {target}"
            if not destination.exists():
                problems.append(f"{where}: no such file")
            elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
                problems.append(f"{where}: no heading with the anchor #{anchor} in {destination.name}")
    assert problems == []


def test_github_anchor_rules():
    assert github_anchor("The `fomm` command") == "the-fomm-command"
    assert github_anchor("Exported graphs: ONNX, int8") == "exported-graphs-onnx-int8"
    assert github_anchor("fomm_hf — First Order Motion Model") == "fomm_hf--first-order-motion-model"
    assert github_anchor("[Models](models.md) and `align_corners`") == "models-and-align_corners"


def test_the_readme_is_short_and_links_every_page_of_the_docs():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; at most {README_MAX_LINES}"
    linked = {(README.parent / target.partition("#")[0]).resolve() for _, target in links(README)}
    pages = sorted(DOCS.glob("*.md"))
    assert pages, "docs/ has no pages"
    assert [relative(page) for page in pages if page.resolve() not in linked] == []


@pytest.fixture(scope="module")
def prepared_cache(tmp_path_factory):
    """A $FOMM_CACHE in which the registered models the blocks name are copies of the bundled demo model, so
    that they load offline without a download (see the module)."""
    cache = tmp_path_factory.mktemp("fomm-cache")
    for name in STAND_INS:
        shutil.copytree(BUNDLED_MODEL, cache / name)
        assert (cache / name / "model_index.json").is_file()
    return cache


@pytest.mark.parametrize("page, line, code", list(python_blocks()))
def test_python_block_runs_as_written(page, line, code, prepared_cache, tmp_path):
    for name in ("examples", "configs"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    environment = {key: value for key, value in os.environ.items() if key not in ("FOMM_MODEL", "SPACE_ID")}
    environment.update(HF_HUB_OFFLINE="1", FOMM_CACHE=str(prepared_cache))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, (
        f"The python block at {relative(page)}:{line} failed as written (run offline in a folder holding examples/ "
        f"and configs/, with $FOMM_CACHE prepared so that {' and '.join(STAND_INS)} are the bundled demo model):\n"
        f"{code}\n{result.stderr[-3000:]}"
    )
