"""The models known by name: the bundled demo model and the eight models of the original implementation.

The original authors published their checkpoints on Google Drive and Yandex, whose links have died more than
once; copies of the same files live in Hugging Face Hub repositories. Each original model lists the copies known
to hold it (``mirrors``, tried in order) and, where it is known, the file's SHA-256, which every download must
match. A mirror is pinned to a commit where its full hash is known, so the file cannot change under the name.
How a registered model is downloaded and converted is :mod:`.conversion_cache`'s business.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

PACKAGE = Path(__file__).resolve().parent.parent
CONFIGS = PACKAGE / "configs"
BUNDLED_MODEL = PACKAGE / "bundled" / "procedural-faces-64"

ORIGINAL_LICENCE = (
    "Weights by Siarohin et al. (first-order-model): MIT since June 2023, CC BY-NC 4.0 before; the terms of the "
    "training data ({dataset}) apply too"
)


@dataclass(frozen=True)
class HubFile:
    """A file in a Hub repository, at a pinned commit where one is known (else its main branch)."""

    repo_id: str
    filename: str
    repo_type: str = "model"  # "model", "space" or "dataset"
    revision: Optional[str] = None  # a full commit hash

    def __str__(self) -> str:
        kind = "" if self.repo_type == "model" else f"{self.repo_type}s/"
        at = f"@{self.revision[:7]}" if self.revision else ""
        return f"{kind}{self.repo_id}{at}/{self.filename}"


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    category: str  # what it animates: a key of fomm_hf.categories.CATEGORIES
    description: str
    licence: str
    config: Path  # its yaml config: model, data and training parameters
    folder: Optional[Path] = None  # a pipeline folder shipped with the package; else converted on first use
    checkpoint_name: str = ""  # the original checkpoint's file name
    checkpoint_megabytes: int = 0  # its size, as the Hub shows it (10^6 bytes)
    sha256: Optional[str] = None  # its hash, where known: every download must match it
    mirrors: Tuple[HubFile, ...] = ()  # copies of the original checkpoint on the Hub, tried in order

    @property
    def is_original(self) -> bool:
        return self.folder is None


def _original(name, category, dataset, description, checkpoint_name, megabytes, sha256=None, mirrors=()):
    thinplates = HubFile("MCMLXXXVII/thinplatesv1", checkpoint_name)  # holds all eight original checkpoints
    return RegisteredModel(
        name=name,
        category=category,
        description=description,
        licence=ORIGINAL_LICENCE.format(dataset=dataset),
        config=CONFIGS / f"{name}.yaml",
        checkpoint_name=checkpoint_name,
        checkpoint_megabytes=megabytes,
        sha256=sha256,
        mirrors=(*mirrors, thinplates),
    )


# Sizes and hashes as the Hub's pages show them for these copies (the hashes of the other files were not shown).
VOX_ADV_SHA256 = "6792d6810d7f46e3c5c487a1cfec916b96fad8912c3c6cc81baa1fc300c820d3"
MODELS: Dict[str, RegisteredModel] = {
    model.name: model
    for model in [
        RegisteredModel(
            name="procedural-faces-64",
            category="cartoon-face",
            description="the bundled demo model: procedural cartoon faces, 64x64, trained on a 2-core CPU",
            licence="MIT (this project)",
            config=CONFIGS / "procedural-faces-64.yaml",
            folder=BUNDLED_MODEL,
        ),
        _original(
            "vox-256", "face", "VoxCeleb", "talking faces (VoxCeleb), 256x256", "vox-cpk.pth.tar", 729,
            sha256="abb41ab1f279f26326c0d6e4d20702de6658364665aa1313daa7a63e89ea2b23",
        ),
        _original(
            "vox-adv-256", "face", "VoxCeleb", "talking faces (VoxCeleb), 256x256, trained with an adversarial loss",
            "vox-adv-cpk.pth.tar", 751, sha256=VOX_ADV_SHA256,
            mirrors=(
                HubFile("abhishek/first-order-motion-model", "weights/vox-adv-cpk.pth.tar", "space",
                        "331ab4cec82a51ee6aa9bfb0560b3c55988e048a"),
                HubFile("ashpexx/my-models", "vox-adv-cpk.pth.tar", "model",
                        "14eb0c66a25dd2641f15fda32adbc6a568f97d3c"),
            ),
        ),
        _original("taichi-256", "body", "Tai-Chi-HD", "tai chi (Tai-Chi-HD): whole bodies, 256x256",
                  "taichi-cpk.pth.tar", 751),
        _original(
            "taichi-adv-256", "body", "Tai-Chi-HD",
            "tai chi (Tai-Chi-HD): whole bodies, 256x256, trained with an adversarial loss",
            "taichi-adv-cpk.pth.tar", 751,
            sha256="cf17bbb05bece3a75f353e42699a4c3ddc8152f486065c2c6741f4d1edecda64",
        ),
        _original("mgif-256", "cartoon-animal", "MGif", "cartoon animals (MGif, from animated GIFs), 256x256",
                  "mgif-cpk.pth.tar", 750),
        _original("bair-256", "robot-arm", "BAIR robot pushing", "a robot arm pushing objects (BAIR), 256x256",
                  "bair-cpk.pth.tar", 751),
        _original("fashion-256", "body", "Fashion (DwNet)", "fashion models posing: whole bodies, 256x256",
                  "fashion.pth.tar", 751),
        _original("nemo-256", "face", "UvA-NEMO", "smiling faces (UvA-NEMO), 256x256", "nemo-cpk.pth.tar",
                  751),
    ]
}

# The model to name for real faces (the bundled model knows cartoon faces only), and the default on a Space.
REAL_FACE_MODEL = "vox-adv-256"


def registered_model(name: str) -> Optional[RegisteredModel]:
    """The registered model called ``name``, or None."""
    return MODELS.get(name)


def config_category(config) -> Optional[str]:
    """The category of the registered model whose config has the file name of ``config`` (the original
    repository's ``config/vox-256.yaml`` is vox-256's), if any."""
    return next((model.category for model in MODELS.values() if model.config.name == Path(config).name), None)


def registered_original(name: str) -> RegisteredModel:
    """The registered original model called ``name``; raises InvalidInputError, listing them, for another name."""
    from ..errors import InvalidInputError
    from ..schema import closest_key

    registered = registered_model(name)
    if registered is None or not registered.is_original:
        originals = ", ".join(name for name, model in MODELS.items() if model.is_original)
        raise InvalidInputError(f"{name!r} is not a registered original model{closest_key(name, MODELS)}; "
                                f"they are: {originals}.")
    return registered
