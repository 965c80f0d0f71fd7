"""The reference pose of relative motion: the driving frame whose pose is closest to the source's.

Where the ``faces`` extra is installed and finds a face in the source and in the driving frames, their 68 face
landmarks are compared: the original demo's method (it used face_alignment's landmarks on its 256x256 frames).
Otherwise the model's own keypoints are, which works for any subject the model knows. Either way poses are
compared after removing position and scale (:func:`~fomm_hf.motion.closest_pose`). Both look at the frames as the
models see them, each made a square of ``LANDMARK_SIDE`` pixels for the landmarks.
"""

import collections
from dataclasses import dataclass
from typing import Iterable, Iterator, Tuple

import torch

from ..categories import FACE_CATEGORIES
from ..faces import face_landmarks, why_no_faces
from ..images import prepare_images, to_uint8
from ..motion import KeypointOutput, best_matching_frame, closest_pose

LANDMARK_SIDE = 256  # pixels: the side of the squares whose landmarks are compared, as the original demo's frames
LANDMARKS, KEYPOINTS = "face landmarks", "the model's keypoints"  # how the frame was chosen


@dataclass(frozen=True)
class BestFrame:
    index: int  # the driving frame taken as the reference pose
    method: str  # LANDMARKS or KEYPOINTS
    note: str = ""  # why the keypoints were compared for a face model; "" otherwise


def landmark_squares(frames: Iterable[torch.Tensor]) -> Iterator:
    """Frames (3, S, S) float in [0, 1] as the models see them -> uint8 squares (LANDMARK_SIDE, LANDMARK_SIDE, 3)."""
    for frame in frames:
        yield to_uint8(prepare_images(frame[None], LANDMARK_SIDE))[0]


def best_frame(kp_source: KeypointOutput, source: torch.Tensor, batches: Iterable[Tuple[torch.Tensor, KeypointOutput]],
               category) -> Tuple[BestFrame, KeypointOutput]:
    """(the driving frame closest to the source's pose, every driving frame's keypoints), from ``source`` (1, 3, S, S)
    and its keypoints, and ``batches`` of driving frames (B, 3, S, S) with their keypoints, read once (a video's
    frames are not kept): by face landmarks where they can be compared, else by the keypoints."""
    reason = why_no_faces(category)
    if not reason:
        source_landmarks = face_landmarks(landmark_squares(source))
        reason = "" if source_landmarks.found[0] else "no face landmarks were found in the source"
    keypoints = []

    def driving_frames():  # the driving frames one at a time, their keypoints kept
        for frames, kp_batch in batches:
            keypoints.append(kp_batch)
            yield from frames

    driving_landmarks = None if reason else face_landmarks(landmark_squares(driving_frames()))
    if reason:
        collections.deque(driving_frames(), maxlen=0)  # the keypoints only
    kp_driving = KeypointOutput.concat(keypoints)
    if driving_landmarks is not None:
        index = closest_pose(torch.from_numpy(source_landmarks.points[0]), torch.from_numpy(driving_landmarks.points))
        if index is not None:
            return BestFrame(index, LANDMARKS), kp_driving
        reason = "no face landmarks were found in the driving frames"
    note = "" if category not in FACE_CATEGORIES else reason
    return BestFrame(best_matching_frame(kp_source, kp_driving), KEYPOINTS, note), kp_driving
