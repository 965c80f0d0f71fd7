"""``train_accelerate.py --mode reconstruction``: a trained pipeline evaluated on the test videos of its config's
dataset, as the original's reconstruction mode."""

import os
from typing import Optional, Union

from torch.utils.data import Subset

from ..errors import InvalidInputError
from ..evaluation import evaluate_reconstruction
from ..faces import require_extra
from ..model_store import resolve_model
from ..pipelines import FOMMPipeline
from .builders import dataset_root
from .frames_dataset import FramesDataset
from .training_config import TrainingConfig, load_training_config


def reconstruct_test_videos(
    config: Union[TrainingConfig, str, os.PathLike],
    model: str,
    data_dir: Optional[str] = None,
    output_dir: Optional[str] = None,
    batch_size: int = 4,
    face_metrics: Optional[bool] = None,
) -> dict:
    """Reconstructs each test video of the dataset from its first frame with the pipeline ``model`` (a folder or
    Hub id) and measures the mean L1 error.

    ``config``: a training config or its path; its dataset_params give the frame shape (default: the models'
    image size) and, without ``data_dir``, the dataset root; reconstruction_params.num_videos limits the number
    of videos. ``batch_size``: frames per generator call. ``face_metrics``: AKD, MKR and AED too (None: for face
    models where the extra fomm_hf[faces] is installed). Returns :func:`~fomm_hf.evaluation.evaluate_reconstruction`'s
    results; with ``output_dir``, also writes them to ``output_dir/reconstruction.json``.
    """
    if not isinstance(config, TrainingConfig):
        config = load_training_config(config)
    if face_metrics:
        require_extra()  # before anything is read
    dataset = FramesDataset(dataset_root(config, data_dir), config.frame_shape, is_train=False)
    # After the data is found: a wrong folder is reported at once.
    pipe = FOMMPipeline.from_pretrained(resolve_model(model))
    height, width, _ = config.frame_shape
    if (height, width) != (pipe.image_size, pipe.image_size):
        raise InvalidInputError(
            f"The model animates {pipe.image_size}x{pipe.image_size} frames, and the config {config.path.name} reads "
            f"the videos at {width}x{height}: give the config the model was trained with."
        )
    num_videos = config.reconstruction_params.num_videos
    videos = dataset if num_videos is None else Subset(dataset, range(min(num_videos, len(dataset))))
    return evaluate_reconstruction(pipe, videos, output_dir, batch_size, face_metrics)
