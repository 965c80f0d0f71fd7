"""The documentation works as written: README.md and the pages of docs/.

1. Every relative link of README.md and docs/*.md points to a file of the repository, and a link's ``#anchor``
   into a markdown file to one of its headings, by GitHub's anchor rules.
2. Every ```python block runs as written, each in a fresh process of this interpreter, in a temporary folder that
   holds links to the repository's examples/ and configs/ (so that ``examples/face/astronaut.png`` is found, and
   what a block writes stays in that folder), offline (``HF_HUB_OFFLINE=1``), with ``$FOMM_CACHE`` pointing at a
   cache prepared so that the registered models a block would download load the bundled demo model instead
   (conftest's ``converted_cache``: a folder ``$FOMM_CACHE/<name>`` holding ``model_index.json`` is a converted
   registered model). The blocks thus run as written without a network, but those names animate with the demo
   model's weights here; a block that reads camera 0 reads a video file. Blocks that cannot run here (a GPU,
   several machines, an upload to the Hub, a running app) are ```text or ```bash blocks, which are not run.
3. The README stays short (at most 250 lines, its front matter included) and links every page of docs/.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
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


# The blocks run one after the other in one fresh process, each in a namespace of its own (a name one block
# defines is unknown to the next, as in a reader's fresh session) and in a folder of its own holding examples/ and
# configs/. A block that opens camera 0 and shows a window reads a video file instead of the camera, and the
# window's calls do nothing: the project's machines have no camera, no screen, and a headless OpenCV.
RUNNER = """
import contextlib, json, os, pathlib, sys, tempfile, traceback

blocks, repo = json.loads(sys.argv[1]), pathlib.Path(sys.argv[2])

@contextlib.contextmanager
def camera_from_a_file(code):
    if "cv2.VideoCapture(0)" not in code:
        yield
        return
    import cv2
    saved = cv2.VideoCapture, cv2.imshow, cv2.waitKey
    cv2.VideoCapture = lambda source, *args: saved[0](
        "examples/cartoon-face/driving.mp4" if source == 0 else source, *args)
    cv2.imshow, cv2.waitKey = (lambda *args: None), (lambda *args: -1)
    try:
        yield
    finally:
        cv2.VideoCapture, cv2.imshow, cv2.waitKey = saved

failures = {}
for name, code in blocks.items():
    folder = pathlib.Path(tempfile.mkdtemp(prefix="block-"))
    for link in ("examples", "configs"):
        (folder / link).symlink_to(repo / link)
    os.chdir(folder)
    try:
        with camera_from_a_file(code):
            exec(compile(code, name, "exec"), {"__name__": "__main__"})
    except BaseException:
        failures[name] = traceback.format_exc()
print(json.dumps(failures))
"""


@pytest.fixture(scope="module")
def block_failures(converted_cache) -> dict:
    """{block id: its traceback} of the Python blocks that failed (see RUNNER)."""
    blocks = {block.id: block.values[2] for block in python_blocks()}
    environment = {key: value for key, value in os.environ.items() if key not in ("FOMM_MODEL", "SPACE_ID")}
    environment.update(HF_HUB_OFFLINE="1", FOMM_CACHE=str(converted_cache))
    result = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(blocks), str(REPO_ROOT)], env=environment,
                            capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("page, line, code", list(python_blocks()))
def test_python_block_runs_as_written(page, line, code, block_failures):
    assert f"{relative(page)}:{line}" not in block_failures, (
        f"The python block at {relative(page)}:{line} failed as written (run offline in a folder holding examples/ "
        "and configs/, with $FOMM_CACHE prepared so that vox-256, vox-adv-256 and nemo-256 are the bundled demo "
        "model, and a video file for camera 0):\n"
        f"{code}\n{block_failures[f'{relative(page)}:{line}'][-3000:]}"
    )
