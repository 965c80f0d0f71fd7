"""The one image loader (fomm_hf.images): odd files, fits, and the same pixels through every way in."""

from pathlib import Path

import numpy as np
import PIL.Image
import pytest
import torch

from fomm_hf.animation import TorchEngine
from fomm_hf.errors import InvalidInputError
from fomm_hf.images import fit_square, prepare_image, prepare_images, read_image

from .helpers import make_clip

# Odd image files ------------------------------------------------------------------------------------------------


def palette_with_transparency(path: Path) -> Path:
    """Left half palette index 0 (red, marked transparent), right half index 1 (blue)."""
    indices = np.zeros((24, 32), np.uint8)
    indices[:, 16:] = 1
    image = PIL.Image.fromarray(indices, mode="P")
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.save(path, transparency=0)
    return path


def sixteen_bit_grey(path: Path) -> Path:
    ramp = np.linspace(0, 65535, 40 * 30).reshape(30, 40).astype(np.uint16)
    PIL.Image.fromarray(ramp).save(path)
    return path


def cmyk_jpeg(path: Path) -> Path:
    PIL.Image.new("CMYK", (32, 24), (0, 255, 255, 0)).save(path, quality=100)  # red in CMYK
    return path


def exif_rotated_jpeg(path: Path) -> Path:
    """Stored 40 wide and 20 high with a white left quarter; EXIF orientation 6: shown rotated 90° clockwise."""
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :10] = 255
    exif = PIL.Image.Exif()
    exif[0x0112] = 6
    PIL.Image.fromarray(pixels).save(path, exif=exif, quality=100)
    return path


def grey_with_alpha(path: Path) -> Path:
    grey = np.full((24, 32), 100, np.uint8)
    alpha = np.full((24, 32), 255, np.uint8)
    alpha[:, :16] = 0
    PIL.Image.fromarray(np.dstack([grey, alpha]), mode="LA").save(path)
    return path


ODD_FILES = {
    "palette-transparency.png": palette_with_transparency,
    "16-bit.png": sixteen_bit_grey,
    "cmyk.jpg": cmyk_jpeg,
    "exif-rotated.jpg": exif_rotated_jpeg,
    "grey-alpha.png": grey_with_alpha,
}


@pytest.fixture(scope="module")
def odd_files(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("odd-images")
    return {name: make(folder / name) for name, make in ODD_FILES.items()}


def test_palette_transparency_becomes_white_not_the_palette_colour(odd_files):
    image = read_image(odd_files["palette-transparency.png"])
    assert image.shape == (24, 32, 3) and image.dtype == np.uint8
    assert (image[:, :16] == 255).all()  # transparent red: white
    assert (image[:, 16:] == (0, 0, 255)).all()


def test_sixteen_bit_grey_is_scaled_not_clipped(odd_files):
    image = read_image(odd_files["16-bit.png"])
    ramp = np.linspace(0, 65535, 40 * 30).reshape(30, 40).astype(np.uint16)
    np.testing.assert_array_equal(image[..., 0], np.round(ramp / 257).astype(np.uint8))
    assert (image == image[..., :1]).all() and image.max() == 255 and image.min() == 0


def test_cmyk_jpeg_comes_out_rgb(odd_files):
    image = read_image(odd_files["cmyk.jpg"])
    assert image.shape == (24, 32, 3)
    np.testing.assert_allclose(image.reshape(-1, 3).mean(0), [255, 0, 0], atol=3)


def test_exif_orientation_is_applied(odd_files):
    image = read_image(odd_files["exif-rotated.jpg"])
    assert image.shape == (40, 20, 3)  # upright: portrait
    assert image[:8].mean() > 200 and image[12:].mean() < 30  # the white quarter is now at the top


def test_grey_with_alpha_is_composited_onto_white(odd_files):
    image = read_image(odd_files["grey-alpha.png"])
    assert (image[:, :16] == 255).all() and (image[:, 16:] == 100).all()


def test_an_rgba_array_and_the_png_it_was_saved_as_give_the_same_pixels(tmp_path):
    rgba = np.random.default_rng(0).integers(0, 256, (20, 20, 4), dtype=np.uint8)
    PIL.Image.fromarray(rgba).save(tmp_path / "rgba.png")
    from_file = prepare_image(tmp_path / "rgba.png", 16)
    assert torch.equal(from_file, prepare_image(rgba, 16))
    assert torch.equal(from_file, prepare_image(torch.from_numpy(rgba).permute(2, 0, 1), 16))
    assert torch.equal(from_file, prepare_image(PIL.Image.fromarray(rgba), 16))


@pytest.mark.parametrize(
    "content, message",
    [(b"", "Cannot read"), (b"not an image at all", "Cannot read"), (b"\x00\x00\x00\x18ftypmp42", "is a video")],
)
def test_unreadable_files_are_reported(tmp_path, content, message):
    path = tmp_path / ("clip.mp4" if message == "is a video" else "broken.png")
    path.write_bytes(content)
    with pytest.raises(InvalidInputError, match=message):
        read_image(path)
    with pytest.raises(InvalidInputError, match="does not exist"):
        read_image(tmp_path / "missing.png")


# Fits -----------------------------------------------------------------------------------------------------------


def portrait_image() -> np.ndarray:
    """96 high, 64 wide: a red band of 16 rows at the top, a blue one at the bottom, a green square between."""
    image = np.zeros((96, 64, 3), dtype=np.uint8)
    image[:16] = (255, 0, 0)
    image[16:80] = (0, 255, 0)
    image[80:] = (0, 0, 255)
    return image


def as_tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1)[None]


def test_crop_keeps_the_centre():
    square = fit_square(as_tensor(portrait_image()), "crop")
    assert square.shape == (1, 3, 64, 64)
    assert (square == torch.tensor([0, 255, 0], dtype=torch.uint8).view(1, 3, 1, 1)).all()
    landscape = as_tensor(portrait_image().transpose(1, 0, 2))
    assert torch.equal(fit_square(landscape, "crop"), square.transpose(2, 3))


def test_pad_centres_the_image_on_black():
    image = as_tensor(portrait_image())
    square = fit_square(image, "pad")
    assert square.shape == (1, 3, 96, 96)
    assert torch.equal(square[..., 16:80], image)
    assert (square[..., :16] == 0).all() and (square[..., 80:] == 0).all()


def test_stretch_keeps_the_whole_image():
    stretched = prepare_images(portrait_image(), 16, fit="stretch")
    assert stretched.shape == (1, 3, 16, 16)
    assert stretched[0, 0, 0].mean() > 0.9 and stretched[0, 2, -1].mean() > 0.9  # red top, blue bottom rows


def test_fit_must_be_known():
    with pytest.raises(InvalidInputError, match="fit must be one of crop, pad, stretch"):
        prepare_images(portrait_image(), 16, fit="squash")


def test_prepare_resizes_the_centre_crop():
    prepared = prepare_images(np.stack([portrait_image()] * 2), 16, fit="crop")
    torch.testing.assert_close(prepared, torch.tensor([0.0, 1.0, 0.0]).view(1, 3, 1, 1).expand(2, 3, 16, 16))


def test_padded_video_frames_have_black_sides():
    padded = prepare_images(np.stack([portrait_image()] * 3), 32, fit="pad")
    assert padded.shape == (3, 3, 32, 32) and padded.dtype == torch.float32
    side_bands = torch.cat([padded[..., :4], padded[..., -4:]], dim=-1)  # 16 of 96 columns each, before resizing
    assert side_bands.max() < 0.02


# The same pixels through pipe(...), fomm animate and the app ----------------------------------------------------


@pytest.fixture
def encoded_sources(monkeypatch) -> list:
    """Every source image tensor the engines encode during a test, in order."""
    seen = []
    encode = TorchEngine.encode_source

    def recording(engine, source):
        seen.append(source.clone())
        return encode(engine, source)

    monkeypatch.setattr(TorchEngine, "encode_source", recording)
    return seen


@pytest.mark.parametrize("name", sorted(ODD_FILES))
@pytest.mark.parametrize("fit, crop", [("crop", "crop"), ("pad", "pad")])
def test_the_same_file_gives_the_same_source_pixels_through_pipe_cli_and_app(
    tiny_pipeline, odd_files, encoded_sources, tmp_path, monkeypatch, name, fit, crop
):
    from fomm_hf.app import Animator, AppSettings
    from fomm_hf.cli import main

    model = tmp_path / "model"
    tiny_pipeline.save_pretrained(model)
    clip = make_clip(tmp_path / "driving.mp4", size="32x32", seconds=0.12)
    path = odd_files[name]

    tiny_pipeline(str(path), torch.rand(2, 3, 32, 32), fit=fit)
    assert main(["animate", "--model", str(model), "--source", str(path), "--driving", str(clip),
                 "--output", str(tmp_path / "cli.mp4"), "--fit", fit]) == 0
    monkeypatch.setenv("FOMM_MODEL", str(model))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    Animator(AppSettings(min_image_side=16)).animate(str(path), str(clip), crop=crop)

    through_pipe, through_cli, through_app = encoded_sources
    assert through_pipe.shape == (1, 3, 32, 32)
    assert torch.equal(through_cli, through_pipe) and torch.equal(through_app, through_pipe)
