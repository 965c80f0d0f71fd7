"""Evaluation on the held-out procedural set, where every animation has an exact ground truth.

    fomm evaluate --model runs/faces/pipeline --category cartoon-face --json results.json

For test clip i (source identity A = clip i, motion B = clip i+1, cyclically):

- reconstruction_l1: clip i animated from its own first frame by its own frames (the paper's protocol,
  absolute motion as the original reconstruction), mean |prediction - frame| over pixels and frames;
- animation_l1: A rendered in B's first pose, animated (relative motion) by B's clip, against the ground
  truth A rendered in all of B's poses;
- akd: mean distance (pixels) between the landmarks of the reconstruction and the ground-truth landmarks
  of the frames. Landmarks of an image are estimated the same way for every method: a linear map,
  fitted by least squares on training clips, from the model's keypoints to the ground-truth landmarks.

Baselines: ``static_source`` (the source image for every frame) and ``global_affine`` (for each frame, the
source image moved by the single affine map that best fits the target frame: an oracle that sees the
target but can only move the whole image. It is found by minimising the L1 error with Adam from two
starts, the identity and the least-squares fit of the ground-truth landmarks, keeping the better).
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..procedural import get_category

METHODS = ("model", "static_source", "global_affine")
METRICS = ("reconstruction_l1", "animation_l1", "akd")


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) in [0, 1]."""
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255


def fit_affine(source_points: np.ndarray, target_points: np.ndarray) -> np.ndarray:
    """Least-squares 2x3 affine map taking (L, 2) source points to (L, 2) target points."""
    design = np.concatenate([source_points, np.ones((len(source_points), 1))], axis=1)  # (L, 3)
    solution, *_ = np.linalg.lstsq(design, target_points, rcond=None)  # (3, 2)
    return solution.T


def sampling_theta(affine: np.ndarray, height: int, width: int) -> np.ndarray:
    """The ``affine_grid`` matrix (normalised coordinates, output -> input) that moves an image by the
    pixel-space map ``affine`` (2x3, pixel corners at integers): out(p) = image(affine^-1 p)."""
    to_normalised = np.array([[2 / width, 0, -1], [0, 2 / height, -1], [0, 0, 1]])
    inverse = to_normalised @ np.linalg.inv(np.vstack([affine, [0, 0, 1]])) @ np.linalg.inv(to_normalised)
    return inverse[:2]


def warp(source: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """source (3, H, W) sampled through N affine_grid matrices (N, 2, 3) -> (N, 3, H, W)."""
    grid = F.affine_grid(theta, (len(theta), *source.shape), align_corners=False)
    return F.grid_sample(source.expand(len(theta), -1, -1, -1), grid, padding_mode="border", align_corners=False)


def global_affine_baseline(source: torch.Tensor, targets: torch.Tensor, source_landmarks: np.ndarray,
                           target_landmarks: np.ndarray, iterations: int = 60) -> torch.Tensor:
    """(T, 3, H, W): for each target frame, the source moved by the affine map with the lowest L1 error."""
    height, width = source.shape[1:]
    from_landmarks = [sampling_theta(fit_affine(source_landmarks, t), height, width) for t in target_landmarks]
    starts = torch.cat([torch.eye(2, 3).expand(len(targets), 2, 3),
                        torch.tensor(np.stack(from_landmarks), dtype=torch.float32)])
    theta = starts.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([theta], lr=0.005)
    doubled = targets.repeat(2, 1, 1, 1)
    for _ in range(iterations):
        optimizer.zero_grad()
        (warp(source, theta) - doubled).abs().mean(dim=(1, 2, 3)).sum().backward()
        optimizer.step()
    with torch.no_grad():
        candidates = warp(source, theta)  # (2T, 3, H, W)
        errors = (candidates - doubled).abs().mean(dim=(1, 2, 3)).view(2, -1)
        best = errors.argmin(dim=0)  # per frame: 0 = from the identity, 1 = from the landmarks
        return candidates.view(2, len(targets), *source.shape)[best, torch.arange(len(targets))]


@dataclass
class LandmarkRegressor:
    """Linear map from the model's keypoints (K, 2) to ground-truth landmarks (L, 2) in pixels."""

    weights: np.ndarray  # (2K + 1, 2L)

    @classmethod
    def fit(cls, keypoints: np.ndarray, landmarks: np.ndarray, ridge: float = 1e-3) -> "LandmarkRegressor":
        design = np.concatenate([keypoints.reshape(len(keypoints), -1), np.ones((len(keypoints), 1))], axis=1)
        gram = design.T @ design + ridge * np.eye(design.shape[1])
        return cls(np.linalg.solve(gram, design.T @ landmarks.reshape(len(landmarks), -1)))

    def __call__(self, keypoints: np.ndarray) -> np.ndarray:
        design = np.concatenate([keypoints.reshape(len(keypoints), -1), np.ones((len(keypoints), 1))], axis=1)
        return (design @ self.weights).reshape(len(keypoints), -1, 2)


class ProceduralEvaluation:
    """Evaluates the pipeline ``pipe`` on ``num_test`` held-out clips of ``category`` (see the module).

    ``run()`` returns ``{category: {method: {metric: value}}}``.
    """

    def __init__(self, pipe, category: str = "cartoon-face", num_test: int = 30, num_frames: int = 64, seed: int = 0,
                 num_regression_clips: int = 40, batch_size: int = 8):
        self.pipe, self.size, self.batch_size = pipe, pipe.image_size, batch_size
        self.num_frames, self.seed = num_frames, seed
        self.category = get_category(category)
        self.num_test = num_test
        self.regressor = self.fit_regressor(num_regression_clips)

    def clip(self, split: str, index: int):
        return self.category.sample_clip(split, index, self.num_frames, self.seed)

    def keypoints(self, frames: torch.Tensor) -> np.ndarray:
        return self.pipe.detect_keypoints(frames, batch_size=self.batch_size).value.float().cpu().numpy()

    def landmarks_of(self, frames: torch.Tensor) -> np.ndarray:
        """Estimated landmarks (T, L, 2) in pixels of any frames."""
        return self.regressor(self.keypoints(frames))

    def fit_regressor(self, num_clips: int) -> LandmarkRegressor:
        keypoints, landmarks = [], []
        for index in range(num_clips):
            identity, poses = self.clip("train", index)
            frames, clip_landmarks = self.category.render(identity, poses[::8], self.size)
            keypoints.append(self.keypoints(to_tensor(frames)))
            landmarks.append(clip_landmarks)
        return LandmarkRegressor.fit(np.concatenate(keypoints), np.concatenate(landmarks))

    def animate(self, source: torch.Tensor, driving: torch.Tensor, relative: bool) -> torch.Tensor:
        return self.pipe(source, driving, relative=relative, batch_size=self.batch_size, progress=False).frames

    def predictions(self, driving: torch.Tensor, truth: torch.Tensor, truth_landmarks: np.ndarray, relative: bool):
        """Each method's frames for ground truth ``truth`` (T, 3, H, W), whose first frame is the source."""
        source = truth[0]
        return {
            "model": self.animate(source, driving, relative=relative),
            "static_source": source[None].expand_as(truth),
            "global_affine": global_affine_baseline(source, truth, truth_landmarks[0], truth_landmarks),
        }

    def run(self) -> dict:
        totals = {method: {metric: 0.0 for metric in METRICS} for method in METHODS}
        for index in tqdm(range(self.num_test), desc=f"Evaluating {self.category.name}", unit="clip"):
            identity_a, poses_a = self.clip("test", index)
            identity_b, poses_b = self.clip("test", (index + 1) % self.num_test)

            # Reconstruction: clip A from its first frame, driven by itself (absolute motion).
            frames, landmarks = self.category.render(identity_a, poses_a, self.size)
            video = to_tensor(frames)
            for method, output in self.predictions(video, video, landmarks, relative=False).items():
                totals[method]["reconstruction_l1"] += (output - video).abs().mean().item()
                totals[method]["akd"] += np.linalg.norm(self.landmarks_of(output) - landmarks, axis=-1).mean()

            # Animation: A in B's first pose, driven by clip B; ground truth A in all of B's poses.
            truth_frames, truth_landmarks = self.category.render(identity_a, poses_b, self.size)
            truth = to_tensor(truth_frames)
            driving = to_tensor(self.category.render(identity_b, poses_b, self.size)[0])
            for method, output in self.predictions(driving, truth, truth_landmarks, relative=True).items():
                totals[method]["animation_l1"] += (output - truth).abs().mean().item()
        means = {method: {k: v / self.num_test for k, v in metrics.items()} for method, metrics in totals.items()}
        return {self.category.name: means}


def markdown_table(results: dict) -> str:
    lines = []
    for category, methods in results.items():
        lines += [f"| {category} | reconstruction L1 | animation L1 (cross-identity) | AKD (px) |",
                  "| --- | --- | --- | --- |"]
        for method, metrics in methods.items():
            lines.append(f"| {method} | {metrics['reconstruction_l1']:.4f} | {metrics['animation_l1']:.4f} | "
                         f"{metrics['akd']:.2f} |")
    return "\n".join(lines)
