"""FOMMPipeline: saving and loading (offline), Hub upload up to the client, inputs of every supported kind."""

import os
import shutil
from unittest import mock

import diffusers.utils.hub_utils
import numpy as np
import PIL.Image
import pytest
import torch
import torch.nn.functional as F

from fomm_hf import FOMMPipeline, KeypointDetector, MultiScaleDiscriminator, OcclusionAwareGenerator
from fomm_hf.errors import InvalidInputError
from fomm_hf.model_store import folders, hub_access

from .helpers import REFERENCE, needs


@pytest.fixture
def source():
    return torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))


@pytest.fixture
def driving():
    return torch.rand(5, 3, 32, 32, generator=torch.Generator().manual_seed(2))


def uint8(frames: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) float -> (N, H, W, 3) uint8, and the float frames those bytes stand for."""
    return (frames.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()


def test_output_types(tiny_pipeline, source, driving):
    pt = tiny_pipeline(source, driving).frames
    assert pt.shape == (5, 3, 32, 32) and pt.dtype == torch.float32 and 0 <= pt.min() and pt.max() <= 1
    np_frames = tiny_pipeline(source, driving, output_type="np").frames
    assert np_frames.shape == (5, 32, 32, 3) and np_frames.dtype == np.uint8
    assert np.array_equal(np_frames, uint8(pt))
    pil_frames = tiny_pipeline(source, driving, output_type="pil").frames
    assert len(pil_frames) == 5 and pil_frames[0].size == (32, 32)
    (tuple_frames,) = tiny_pipeline(source, driving, return_dict=False)
    assert torch.equal(tuple_frames, pt)


def test_every_input_kind_gives_the_same_frames(tiny_pipeline):
    rng = np.random.default_rng(0)
    source_u8 = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    driving_u8 = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    source_pt = torch.from_numpy(source_u8).permute(2, 0, 1).float() / 255
    driving_pt = torch.from_numpy(driving_u8).permute(0, 3, 1, 2).float() / 255
    expected = tiny_pipeline(source_pt.unsqueeze(0), driving_pt).frames

    sources = [source_u8, source_pt, PIL.Image.fromarray(source_u8), torch.from_numpy(source_u8).permute(2, 0, 1)]
    drivings = [driving_u8, list(driving_u8), [PIL.Image.fromarray(f) for f in driving_u8], list(driving_pt)]
    for source in sources:
        for driving in drivings:
            torch.testing.assert_close(tiny_pipeline(source, driving).frames, expected, atol=1e-6, rtol=0)


def test_image_files_alpha_and_grey_are_converted(tiny_pipeline, tmp_path, driving):
    rgb = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    PIL.Image.fromarray(rgb).save(tmp_path / "source.png")
    expected = tiny_pipeline(rgb, driving).frames
    assert torch.equal(tiny_pipeline(str(tmp_path / "source.png"), driving).frames, expected)

    opaque = np.dstack([rgb, np.full((32, 32), 255, np.uint8)])
    assert torch.equal(tiny_pipeline(PIL.Image.fromarray(opaque), driving).frames, expected)
    transparent = np.dstack([rgb, np.zeros((32, 32), np.uint8)])  # composited onto white
    white = tiny_pipeline(np.full((32, 32, 3), 255, np.uint8), driving).frames
    assert torch.equal(tiny_pipeline(transparent, driving).frames, white)

    grey = rgb[:, :, 0]
    as_rgb = tiny_pipeline(np.dstack([grey] * 3), driving).frames
    assert torch.equal(tiny_pipeline(PIL.Image.fromarray(grey), driving).frames, as_rgb)
    assert torch.equal(tiny_pipeline(torch.from_numpy(grey).float()[None] / 255, driving).frames, as_rgb)


@pytest.mark.parametrize("fit", ["crop", "stretch"])
def test_other_sizes_are_made_square_and_resized_with_antialiasing(tiny_pipeline, driving, fit):
    large = torch.rand(1, 3, 80, 64)
    frames = tiny_pipeline(large, driving, fit=fit).frames
    assert frames.shape == (5, 3, 32, 32)
    square = large[:, :, 8:72] if fit == "crop" else large  # crop: the centred 64x64 square
    resized = F.interpolate(square, size=(32, 32), mode="bilinear", antialias=True, align_corners=False)
    assert torch.equal(frames, tiny_pipeline(resized.clamp(0, 1), driving).frames)


def test_initial_frame_selects_the_reference_pose(tiny_pipeline, source, driving):
    # In relative mode the initial driving frame reproduces the source's own pose: kp_target == kp_source.
    with torch.no_grad():
        kp_source = tiny_pipeline.kp_detector(source)
        source_pose = tiny_pipeline.generator(source, kp_driving=kp_source, kp_source=kp_source).prediction
    from_first = tiny_pipeline(source, driving).frames
    from_third = tiny_pipeline(source, driving, initial_frame=2).frames
    torch.testing.assert_close(from_first[:1], source_pose, atol=1e-5, rtol=0)
    torch.testing.assert_close(from_third[2:3], source_pose, atol=1e-5, rtol=0)
    assert torch.equal(tiny_pipeline(source, driving, initial_frame=-3).frames, from_third)


@pytest.mark.parametrize(
    "source, driving, kwargs, message",
    [
        (42, None, {}, "source_image must be a PIL image"),
        ("no/such/file.png", None, {}, "no/such/file.png does not exist"),
        (torch.rand(1, 3, 32, 32) * 255, None, {}, "must lie in \\[0, 1\\]"),
        (torch.rand(1, 5, 32, 32), None, {}, "source_image"),
        (torch.rand(2, 3, 32, 32), None, {}, "must be a single image"),
        (torch.rand(1, 3, 1, 32), None, {}, "at least 2x2"),
        (None, [], {}, "driving_frames is empty"),
        (None, torch.rand(0, 3, 32, 32), {}, "driving_frames is empty"),
        (None, torch.zeros(2, 3, 32, 32, dtype=torch.int64), {}, "dtype"),
        (None, None, {"output_type": "latent"}, "output_type"),
        (None, None, {"initial_frame": 7}, "initial_frame 7"),
        (None, None, {"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_inputs_get_clear_messages(tiny_pipeline, source, driving, kwargs, message):
    source = torch.rand(1, 3, 32, 32) if source is None else source
    driving = torch.rand(3, 3, 32, 32) if driving is None else driving
    with pytest.raises(InvalidInputError, match=message):
        tiny_pipeline(source, driving, **kwargs)


def test_save_and_load_round_trip_offline(tiny_pipeline, tmp_path, source, driving):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    tiny_pipeline.save_pretrained(tmp_path / "pipe")
    weights = sorted(p.relative_to(tmp_path / "pipe").as_posix() for p in (tmp_path / "pipe").rglob("*.safetensors"))
    assert weights == ["generator/diffusion_pytorch_model.safetensors",
                       "kp_detector/diffusion_pytorch_model.safetensors"]
    loaded = FOMMPipeline.from_pretrained(tmp_path / "pipe")
    loaded.set_progress_bar_config(disable=True)
    assert loaded.image_size == 32
    assert torch.equal(loaded(source, driving).frames, tiny_pipeline(source, driving).frames)

    for name, cls in [("kp_detector", KeypointDetector), ("generator", OcclusionAwareGenerator)]:
        model = getattr(tiny_pipeline, name)
        model.save_pretrained(tmp_path / name)
        reloaded = cls.from_pretrained(tmp_path / name)
        assert {k: v for k, v in reloaded.config.items() if not k.startswith("_")} == {
            k: v for k, v in model.config.items() if not k.startswith("_")
        }
        for key, tensor in model.state_dict().items():
            assert torch.equal(reloaded.state_dict()[key], tensor), key


def test_discriminator_round_trip_with_spectral_norm(tmp_path):
    discriminator = MultiScaleDiscriminator(scales=(1,), block_expansion=4, max_features=16, sn=True).eval()
    discriminator.save_pretrained(tmp_path)
    reloaded = MultiScaleDiscriminator.from_pretrained(tmp_path)
    image = torch.rand(1, 3, 64, 64)
    for key, tensor in discriminator.state_dict().items():
        assert torch.equal(reloaded.state_dict()[key], tensor), key
    with torch.no_grad():  # same weights; convolution kernels may order sums differently for reloaded storage
        torch.testing.assert_close(reloaded(image).prediction_maps["1"], discriminator(image).prediction_maps["1"])


def test_load_from_a_populated_hub_cache_offline(tiny_pipeline, tmp_path, source, driving):
    # The layout huggingface_hub writes when downloading: models--org--name/{refs/main, snapshots/<sha>/...}.
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo_cache = tmp_path / "hub" / "models--someone--fomm-tiny"
    tiny_pipeline.save_pretrained(repo_cache / "snapshots" / commit)
    (repo_cache / "refs").mkdir()
    (repo_cache / "refs" / "main").write_text(commit)
    loaded = FOMMPipeline.from_pretrained("someone/fomm-tiny", cache_dir=tmp_path / "hub")
    loaded.set_progress_bar_config(disable=True)
    assert torch.equal(loaded(source, driving).frames, tiny_pipeline(source, driving).frames)


def uploaded_files(folder_path):
    return sorted(
        os.path.relpath(os.path.join(root, name), folder_path)
        for root, _, names in os.walk(folder_path)
        for name in names
    )


def test_push_to_hub_reaches_the_client_with_the_pipeline_folder(tiny_pipeline):
    uploads = []

    def fake_upload_folder(**kwargs):
        uploads.append((kwargs["repo_id"], uploaded_files(kwargs["folder_path"])))
        return "commit-url"

    created = mock.Mock(repo_id="someone/fomm-tiny")
    with mock.patch.object(diffusers.utils.hub_utils, "create_repo", return_value=created) as create_repo, \
            mock.patch.object(diffusers.utils.hub_utils, "upload_folder", side_effect=fake_upload_folder):
        tiny_pipeline.push_to_hub("someone/fomm-tiny")
    create_repo.assert_called_once()
    assert uploads == [("someone/fomm-tiny", [
        "README.md", "generator/config.json", "generator/diffusion_pytorch_model.safetensors",
        "kp_detector/config.json", "kp_detector/diffusion_pytorch_model.safetensors", "model_index.json"])]


@needs(REFERENCE)
def test_converter_pushes_the_converted_folder(tmp_path):
    from fomm_hf.cli import main

    uploads = []

    def fake_upload_folder(**kwargs):
        uploads.append((kwargs["repo_id"], uploaded_files(kwargs["folder_path"])))
        return "commit-url"

    with mock.patch.object(folders, "create_repo") as create_repo, \
            mock.patch.object(folders, "upload_folder", side_effect=fake_upload_folder), \
            mock.patch.object(hub_access, "check_hub_upload") as check_hub_upload:
        code = main(["convert", "--config", str(REFERENCE / "config.yaml"), "--checkpoint",
                     str(REFERENCE / "checkpoint.pth.tar"), "--output", str(tmp_path / "out"),
                     "--push-to-hub", "someone/fomm-tiny"])
    assert code == 0
    check_hub_upload.assert_called_once_with("someone/fomm-tiny")
    create_repo.assert_called_once_with("someone/fomm-tiny", private=False, exist_ok=True, repo_type="model")
    repo_id, files = uploads[0]
    assert repo_id == "someone/fomm-tiny"
    assert "discriminator/diffusion_pytorch_model.safetensors" in files and "README.md" in files
    assert "repo_id" not in (tmp_path / "out" / "README.md").read_text()
    assert 'from_pretrained("someone/fomm-tiny")' in (tmp_path / "out" / "README.md").read_text()
    shutil.rmtree(tmp_path / "out")
