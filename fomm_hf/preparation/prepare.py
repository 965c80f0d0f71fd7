"""A training dataset from raw videos, in the original layout: ``fomm prepare-data``.

    fomm prepare-data --input raw/ --output data/faces --category face --size 256

Every video under the input folder (at any depth) is read twice, one frame at a time: first the subject tubes
are found (:mod:`.tubes`), then every tube long, large and sharp enough is cut into a clip (:mod:`.clips`)::

    DATA_DIR/train/<identity>#<video>#<k>/00000.png ...   (.jpg frames, or one .mp4 per clip, with --format)
    DATA_DIR/test/...
    DATA_DIR/index.csv          one row per clip: where it came from (video, frames, seconds, square) and its
                                subject's centre error
    DATA_DIR/preparation.json   the settings, and what was kept and dropped (and why)

Identities: a video named ``ID#rest.mp4`` belongs to ``ID`` (the training's ``id_sampling`` convention); one in
a sub-folder belongs to its first folder (VoxCeleb's ``id10001/<youtube id>/00001.mp4``); any other video is an
identity of its own. The split is by identity, so that no identity is in both train/ and test/: an identity is
in test/ when its name's hash falls in the first ``test_fraction`` of the range (adding videos does not move
the others), and, where there are at least two identities, each split has at least one. If a split ends up with
no clips (its identities gave none), the clips of one identity of the other move to it.

Resuming: a video's clips are written in ``DATA_DIR/.partial/`` and moved into place when complete, and the
video is recorded as done in ``DATA_DIR/.progress/`` after its last clip. A killed run, run again with the same
settings, removes what the unfinished video had written and goes on from it; it gives the same files as an
uninterrupted run.
"""

import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

from ..errors import InvalidInputError
from ..images import VIDEO_EXTENSIONS
from ..permissions import give_ordinary_permissions
from .clips import ClipPlan, ClipWriter, clip_crop
from .preparation_settings import PreparationSettings
from .tubes import find_tubes

DROP_REASONS = ("too short", "too small", "too blurred")
INDEX_COLUMNS = (
    "clip", "split", "identity", "video", "start_frame", "end_frame", "start_seconds", "end_seconds", "frames",
    "left", "top", "side", "found_fraction", "sharpness", "centre_error_mean", "centre_error_max",
)


@dataclass(frozen=True)
class RawVideo:
    path: Path
    name: str  # its path under the input folder
    identity: str
    clip_prefix: str  # its clips are named <clip_prefix>#<k>


def prepare_dataset(input_dir, output_dir, settings: PreparationSettings = PreparationSettings(),
                    progress: bool = True) -> dict:
    """Prepares ``output_dir`` from the videos under ``input_dir`` (see the module); returns the summary that
    ``preparation.json`` holds."""
    from tqdm.auto import tqdm

    from ..framing import subject_detector

    videos = find_videos(Path(input_dir))
    detector, rule, why_not = subject_detector(settings.category)
    if detector is None:
        raise InvalidInputError(f"Cannot prepare {settings.category} clips: {why_not}.")
    output = Path(output_dir)
    start_or_resume(output, settings)
    splits = split_identities(sorted({video.identity for video in videos}), settings.test_fraction)

    records = []
    bar = tqdm(videos, desc="Preparing clips", unit="video", disable=not progress)
    for video in bar:
        record_file = output / ".progress" / f"{video.clip_prefix}.json"  # unique: find_videos checks it
        if not record_file.is_file():
            record = prepare_video(video, splits[video.identity], settings, detector, rule, output, progress)
            write_atomically(record_file, json.dumps(record, indent=1, sort_keys=True) + "\n")
        records.append(json.loads(record_file.read_text()))
        bar.set_postfix(clips=sum(len(r["clips"]) for r in records))

    shutil.rmtree(output / ".partial", ignore_errors=True)
    if settings.test_fraction > 0:
        balance_splits(records, output)
    rows = [row for record in records for row in record["clips"]]
    summary = summarise(records, rows)
    write_atomically(output / "index.csv", index_csv(rows))
    write_atomically(output / "preparation.json",
                     json.dumps({"settings": dataclasses.asdict(settings), "summary": summary}, indent=2) + "\n")
    give_ordinary_permissions(output)
    return summary


def find_videos(input_dir: Path) -> List[RawVideo]:
    if not input_dir.is_dir():
        raise InvalidInputError(f"{input_dir} is not a folder of videos.")
    paths = sorted(p for p in input_dir.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS + (".gif",)
                   and p.is_file() and not any(part.startswith(".") for part in p.relative_to(input_dir).parts))
    if not paths:
        raise InvalidInputError(f"{input_dir} holds no videos ({', '.join(VIDEO_EXTENSIONS)}, .gif).")
    videos, prefixes = [], {}
    for path in paths:
        relative = path.relative_to(input_dir)
        if "#" in path.stem:
            identity, rest = path.stem.split("#", 1)
            parts = [*relative.parent.parts, rest]
        elif len(relative.parts) > 1:
            identity, parts = relative.parts[0], [*relative.parent.parts[1:], path.stem]
        else:
            identity, parts = path.stem, []
        identity = safe_name(identity)
        prefix = "#".join([identity, safe_name("_".join(parts))] if parts else [identity])
        if prefix in prefixes:
            raise InvalidInputError(f"{prefixes[prefix]} and {relative} would give clips of the same name ({prefix}): "
                                    "rename one.")
        prefixes[prefix] = relative
        videos.append(RawVideo(path, relative.as_posix(), identity, prefix))
    return videos


def safe_name(text: str) -> str:
    """``text`` with what is not a letter, digit, dot, dash or underscore replaced by underscores."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def hash_position(identity: str) -> float:
    """Where an identity's name falls in [0, 1), by its hash: the same wherever and whenever it is computed."""
    return int(hashlib.sha256(identity.encode()).hexdigest()[:15], 16) / 16**15


def split_identities(identities: List[str], test_fraction: float) -> Dict[str, str]:
    """{identity: "train" or "test"}, decided by each identity's hash (see the module)."""
    splits = {i: "test" if hash_position(i) < test_fraction else "train" for i in identities}
    if len(identities) >= 2 and test_fraction > 0:
        by_position = sorted(identities, key=hash_position)
        if "test" not in splits.values():
            splits[by_position[0]] = "test"
        if "train" not in splits.values():
            splits[by_position[-1]] = "train"
    return splits


def balance_splits(records: List[dict], output: Path) -> None:
    """Where a split got no clips (its identities gave none: unreadable, blurred, ...) and the other holds clips of
    two identities or more, the clips of one of those (the first by hash for test/, the last for train/) move
    over, and their videos' records say so: both splits hold clips, and no identity is in both."""
    for empty, full in (("test", "train"), ("train", "test")):
        with_clips = sorted({r["identity"] for r in records if r["clips"] and r["split"] == full}, key=hash_position)
        if any(r["clips"] and r["split"] == empty for r in records) or len(with_clips) < 2:
            continue
        identity = with_clips[0] if empty == "test" else with_clips[-1]
        for record in (r for r in records if r["identity"] == identity):
            for row in record["clips"]:
                for name in (row["clip"], f"{row['clip']}.mp4"):  # a folder of frames, or an mp4 file
                    if (output / full / name).exists():
                        (output / full / name).rename(output / empty / name)
                row["split"] = empty
            record["split"] = empty
            write_atomically(output / ".progress" / f"{record['clip_prefix']}.json",
                             json.dumps(record, indent=1, sort_keys=True) + "\n")


def start_or_resume(output: Path, settings: PreparationSettings) -> None:
    """Makes ``output`` ready: new, or resumed with the same settings; clears the unfinished video's staging."""
    settings_file = output / ".progress" / "settings.json"
    wanted = json.dumps(dataclasses.asdict(settings), indent=1, sort_keys=True) + "\n"
    if settings_file.is_file():
        if settings_file.read_text() != wanted:
            raise InvalidInputError(
                f"{output} was prepared with other settings (see {settings_file}): run with the same settings to "
                "resume, or prepare into a new folder."
            )
    elif output.exists() and not output.is_dir():
        raise InvalidInputError(f"{output} is a file, not a folder: give a folder to prepare the dataset in.")
    elif output.is_dir() and any(output.iterdir()):
        raise InvalidInputError(f"{output} is not empty and was not made by fomm prepare-data: use a new folder.")
    try:
        for folder in ("train", "test", ".progress"):
            (output / folder).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInputError(f"Cannot create the dataset folder {output}: {error.strerror}.") from None
    if not settings_file.is_file():
        write_atomically(settings_file, wanted)
    shutil.rmtree(output / ".partial", ignore_errors=True)


def prepare_video(video: RawVideo, split: str, settings: PreparationSettings, detector, rule, output: Path,
                  progress: bool) -> dict:
    """Finds the video's tubes and writes its clips; returns the record of what was kept and dropped."""
    from tqdm.auto import tqdm

    from ..video import open_video

    record = {"video": video.name, "clip_prefix": video.clip_prefix, "identity": video.identity, "split": split,
              "clips": [],
              "dropped": dict.fromkeys(DROP_REASONS, 0), "tubes": 0}
    for folder in ("train", "test"):  # what a killed run wrote of this video before it was recorded as done
        for clip in (output / folder).glob(f"{glob_escape(video.clip_prefix)}#*"):
            shutil.rmtree(clip) if clip.is_dir() else clip.unlink()
    try:
        reader = open_video(video.path)
    except InvalidInputError as error:
        return {**record, "unreadable": str(error).replace(str(video.path), video.name)}
    with reader:
        stride = max(1, round(reader.fps / detector.detections_per_second))
        frames = tqdm(reader.frames(), total=reader.num_frames, desc=f"{video.name}: finding", unit="frame",
                      leave=False, disable=not progress)
        tubes, num_frames = find_tubes(frames, detector, rule.square, stride, reader.fps,
                                       settings.max_gap_seconds, settings.iou_with_first)
        width, height = reader.size
        plans = []
        for tube in tubes:
            plan = ClipPlan.of(tube, rule.square, width, height)
            reason = plan.drop_reason(settings.min_frames, settings.smallest_side, settings.min_sharpness)
            if reason:
                record["dropped"][reason] += 1
            else:
                plans.append(plan)
        record.update(tubes=len(tubes), frames=num_frames, fps=reader.fps)
        if plans:
            frames = tqdm(reader.frames(), total=num_frames, desc=f"{video.name}: cutting", unit="frame",
                          leave=False, disable=not progress)
            names = [f"{video.clip_prefix}#{k:03d}" for k in range(len(plans))]
            write_clips(frames, plans, names, output, split, settings, reader.fps)
            record["clips"] = [index_row(plan, name, video, split, reader.fps) for plan, name in zip(plans, names)]
    return record


def write_clips(frames, plans: List[ClipPlan], names: List[str], output: Path, split: str,
                settings: PreparationSettings, fps: float) -> None:
    """Cuts every planned clip out of one pass over ``frames``; each is moved into ``output/split`` when done."""
    staging = output / ".partial"
    staging.mkdir(exist_ok=True)
    writers, index = {}, -1
    try:
        for index, frame in enumerate(frames):
            for k, plan in enumerate(plans):
                if plan.tube.start <= index < plan.tube.end:
                    if k not in writers:
                        writers[k] = ClipWriter(staging / names[k], settings.clip_format, fps)
                    writers[k].write(clip_crop(frame, plan.square, settings.size))
                    if index == plan.tube.end - 1:
                        writers.pop(k).finish(output / split)
        if writers:
            raise InvalidInputError(f"The video gave fewer frames the second time it was read ({index + 1}).")
    finally:
        for writer in writers.values():
            writer.discard()


def index_row(plan: ClipPlan, name: str, video: RawVideo, split: str, fps: float) -> dict:
    tube, square = plan.tube, plan.square
    return {
        "clip": name, "split": split, "identity": video.identity, "video": video.name,
        "start_frame": tube.start, "end_frame": tube.end,
        "start_seconds": round(tube.start / fps, 3), "end_seconds": round(tube.end / fps, 3),
        "frames": tube.num_frames, "left": square.left, "top": square.top, "side": square.side,
        "found_fraction": round(tube.found_fraction, 3), "sharpness": round(tube.sharpness, 1),
        "centre_error_mean": round(float(plan.centre_errors.mean()), 4),
        "centre_error_max": round(float(plan.centre_errors.max()), 4),
    }


def summarise(records: List[dict], rows: List[dict]) -> dict:
    errors = [row["centre_error_mean"] for row in rows]
    return {
        "videos": len(records),
        "unreadable": {r["video"]: r["unreadable"] for r in records if "unreadable" in r},
        "tubes": sum(r["tubes"] for r in records),
        "clips": {split: sum(row["split"] == split for row in rows) for split in ("train", "test")},
        "frames": sum(row["frames"] for row in rows),
        "dropped": {reason: sum(r["dropped"][reason] for r in records) for reason in DROP_REASONS},
        "identities": {split: sorted({row["identity"] for row in rows if row["split"] == split})
                       for split in ("train", "test")},  # those that gave clips
        "centre_error": {
            "mean": round(sum(errors) / len(errors), 4) if errors else None,
            "worst": max((row["centre_error_max"] for row in rows), default=None),
        },
    }


def index_csv(rows: List[dict]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=INDEX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
