"""Images in, model-ready tensors out: the one loader for source images and driving frames.

Every input takes the same steps, so the same picture gives the same pixels whichever way it comes in
(``pipe(...)``, ``pipe.animate_video(...)``, ``fomm animate``, the app):

1. Files and PIL images are decoded by :func:`read_image` into uint8 RGB: EXIF orientation applied,
   palette, CMYK, YCbCr, 1-bit and 16-bit images converted, transparency composited onto white.
   Numpy arrays are channels-last ((H, W), (H, W, C) or (N, H, W, C)), tensors channels-first ((C, H, W) or
   (N, C, H, W)); lists hold any of these.
2. Values: uint8 is 0-255, uint16 0-65535, float must lie in [0, 1]. One or two channels (grey, grey +
   alpha) become RGB, and an alpha channel is composited onto white (uint8 images with the same integer
   arithmetic as files, so an RGBA array and the PNG it was saved as agree).
3. The image is made square (``fit``): "crop" keeps the centred square, "pad" centres it on a black square,
   "stretch" keeps the whole image and changes its aspect ratio (what the original demo's resize did).
4. It is resized to the model's resolution, bilinear with antialiasing.
"""

from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageOps
import torch
import torch.nn.functional as F

from .errors import InvalidInputError

FITS = ("crop", "pad", "stretch")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".avi", ".mkv", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")
SUPPORTED = "a PIL image, a numpy array, a torch tensor or an image file path"
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def read_image(path) -> np.ndarray:
    """An image file as uint8 RGB (H, W, 3); raises InvalidInputError if it is not an image that can be read."""
    path = Path(path)
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder, not an image file.")
    try:
        with PIL.Image.open(path) as image:
            return pil_to_rgb(image)
    except FileNotFoundError:
        raise InvalidInputError(f"{path} does not exist.") from None
    except (OSError, ValueError, SyntaxError) as error:  # PIL's errors for unknown, damaged or truncated files
        if path.suffix.lower() in VIDEO_EXTENSIONS:
            raise InvalidInputError(f"{path} is a video; a still image (png, jpg, webp, ...) is needed here.") from None
        raise InvalidInputError(f"Cannot read {path} as an image ({error}).") from None


def pil_to_rgb(image: PIL.Image.Image) -> np.ndarray:
    """A PIL image as uint8 RGB (H, W, 3), upright as its EXIF orientation says, transparency on white."""
    image = PIL.ImageOps.exif_transpose(image)
    if image.mode in SIXTEEN_BIT_MODES:
        # 16-bit grey (PNG): scaled to 8 bits, not clipped at 255 as PIL's own conversion does.
        values = np.asarray(image, dtype=np.float64)
        return uint8_to_rgb(np.round(np.clip(values, 0, 65535) / 257).astype(np.uint8))
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        has_alpha = "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif "transparency" in image.info:  # L or RGB with one colour marked transparent (tRNS)
        image = image.convert("LA" if image.mode == "L" else "RGBA")
    return uint8_to_rgb(np.asarray(image))


def uint8_to_rgb(image: np.ndarray) -> np.ndarray:
    """uint8 (..., H, W[, C]) with C in 1..4 -> uint8 RGB (..., H, W, 3); alpha composited onto white, rounded."""
    if image.ndim == 2 or image.shape[-1] > 4:  # no channel axis: grey
        image = image[..., None]
    channels = image.shape[-1]
    if channels in (2, 4):
        colour = image[..., :-1].astype(np.uint32)
        alpha = image[..., -1:].astype(np.uint32)
        image = ((colour * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
        channels -= 1
    if channels == 1:
        image = np.repeat(image, 3, axis=-1)
    return np.require(image, requirements=["C", "W"])  # contiguous and writable (torch.from_numpy wants both)


def check_fit(fit: str) -> None:
    if fit not in FITS:
        raise InvalidInputError(f"fit must be one of {', '.join(FITS)}; got {fit!r}.")


def prepare_images(images, size: int, fit: str = "crop", name: str = "image") -> torch.Tensor:
    """Any supported image, batch or list of images -> float (N, 3, size, size) in [0, 1] (see the module)."""
    check_fit(fit)
    if isinstance(images, (list, tuple)):
        if len(images) == 0:
            raise InvalidInputError(f"{name} is empty: at least one image is needed.")
        return torch.cat([prepare_images(image, size, fit, f"{name}[{i}]") for i, image in enumerate(images)])
    batch = as_rgb_batch(images, name)
    if batch.shape[0] == 0:
        raise InvalidInputError(f"{name} is empty: at least one image is needed.")
    if min(batch.shape[2:]) < 2:
        raise InvalidInputError(f"{name} has size {tuple(batch.shape[2:])}; an image needs at least 2x2 pixels.")
    batch = fit_square(batch, fit)
    if batch.dtype == torch.uint8:
        batch = batch.float() / 255
    return resize(batch, size)


def prepare_image(image, size: int, fit: str = "crop", name: str = "image") -> torch.Tensor:
    """One image -> float (1, 3, size, size) in [0, 1]."""
    batch = prepare_images(image, size, fit, name)
    if batch.shape[0] != 1:
        raise InvalidInputError(f"{name} must be a single image; got {batch.shape[0]}.")
    return batch


def rgb_array(image, name: str = "image") -> np.ndarray:
    """One image (any supported input) as uint8 RGB (H, W, 3), at its own size."""
    batch = as_rgb_batch(image, name)
    if batch.shape[0] != 1:
        raise InvalidInputError(f"{name} must be one image; got a batch of {batch.shape[0]}.")
    if batch.dtype != torch.uint8:
        batch = (batch.clamp(0, 1) * 255).round().to(torch.uint8)
    return batch[0].permute(1, 2, 0).contiguous().numpy()


def as_rgb_batch(images, name: str) -> torch.Tensor:
    """An image or a batch of them -> RGB (N, 3, H, W): uint8 for 8-bit inputs, float in [0, 1] otherwise."""
    if isinstance(images, (str, Path)):
        images = read_image(images)
    elif isinstance(images, PIL.Image.Image):
        images = pil_to_rgb(images)
    if isinstance(images, np.ndarray):
        return numpy_to_batch(images, name)
    if isinstance(images, torch.Tensor):
        return tensor_to_batch(images, name)
    raise InvalidInputError(f"{name} must be {SUPPORTED}; got {type(images).__name__}.")


def numpy_to_batch(array: np.ndarray, name: str) -> torch.Tensor:
    if array.ndim == 2 or (array.ndim == 3 and array.shape[2] > 4):  # (H, W) grey, or (N, H, W) grey frames
        array = array[..., None]
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or not 1 <= array.shape[3] <= 4:
        raise InvalidInputError(
            f"{name}: a numpy image must be (H, W), (H, W, C) or (N, H, W, C) with C <= 4; got shape {array.shape}."
        )
    if array.dtype == np.uint8:
        return torch.from_numpy(uint8_to_rgb(array)).permute(0, 3, 1, 2)
    if array.dtype == np.uint16:
        array = array.astype(np.float32) / 65535
    elif not np.issubdtype(array.dtype, np.floating):
        raise InvalidInputError(f"{name} has dtype {array.dtype}; use uint8 (0-255), uint16 or float (0-1) values.")
    return float_to_rgb(torch.from_numpy(np.array(array, dtype=np.float32)).permute(0, 3, 1, 2), name)


def tensor_to_batch(tensor: torch.Tensor, name: str) -> torch.Tensor:
    if tensor.ndim == 2:
        tensor = tensor[None]
    if tensor.ndim == 3:
        tensor = tensor[None]
    if tensor.ndim != 4 or not 1 <= tensor.shape[1] <= 4:
        raise InvalidInputError(
            f"{name}: a tensor image must be (C, H, W) or (N, C, H, W) with C <= 4; got {tuple(tensor.shape)}."
        )
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.uint8:
        rgb = uint8_to_rgb(tensor.permute(0, 2, 3, 1).numpy())
        return torch.from_numpy(rgb).permute(0, 3, 1, 2)
    if not tensor.is_floating_point():
        raise InvalidInputError(f"{name} has dtype {tensor.dtype}; use uint8 (0-255) or float (0-1) values.")
    return float_to_rgb(tensor.float(), name)


def float_to_rgb(batch: torch.Tensor, name: str) -> torch.Tensor:
    """Float (N, C, H, W) in [0, 1] with C in 1..4 -> (N, 3, H, W); alpha composited onto white."""
    if batch.numel() and (batch.min() < -1e-3 or batch.max() > 1 + 1e-3):
        raise InvalidInputError(
            f"{name} is float with values in [{batch.min():.3g}, {batch.max():.3g}]; float images must lie in "
            "[0, 1] (divide 0-255 values by 255, or pass uint8)."
        )
    batch = batch.clamp(0, 1)
    channels = batch.shape[1]
    if channels in (2, 4):
        colour, alpha = batch[:, :-1], batch[:, -1:]
        batch = colour * alpha + (1 - alpha)
    return batch.expand(-1, 3, -1, -1) if batch.shape[1] == 1 else batch


def fit_square(batch: torch.Tensor, fit: str = "crop") -> torch.Tensor:
    """Makes (N, C, H, W) images square: "crop" keeps the centred square of side min(H, W), "pad" centres them
    on a black square of side max(H, W), "stretch" leaves them for the resize to stretch."""
    check_fit(fit)
    height, width = batch.shape[-2:]
    if fit == "stretch" or height == width:
        return batch
    if fit == "crop":
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        return batch[..., top : top + side, left : left + side]
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    return F.pad(batch, (left, side - width - left, top, side - height - top))


def resize(batch: torch.Tensor, size) -> torch.Tensor:
    """Antialiased bilinear resize of float (N, C, H, W) images to ``size`` (an int, or (height, width))."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(batch.shape[-2:]) == size:
        return batch.contiguous()
    return F.interpolate(batch, size=size, mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)


def to_uint8(frames: torch.Tensor) -> np.ndarray:
    """Float frames (N, 3, H, W) in [0, 1] -> uint8 (N, H, W, 3), rounded."""
    return (frames.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def frames_as(frames: torch.Tensor, output_type: str):
    """Float frames (N, 3, H, W) in [0, 1] as ``output_type`` asks: "pt" (as they are), "np" (uint8 array
    (N, H, W, 3)) or "pil" (a list of PIL images)."""
    if output_type == "pt":
        return frames
    array = to_uint8(frames)
    return array if output_type == "np" else [PIL.Image.fromarray(frame) for frame in array]
