"""The pipeline, the front door of the package: every animation runs through :class:`FOMMPipeline`.

Its names are imported on first use (with diffusers), so that ``import fomm_hf.pipelines`` is cheap.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "AnimationResult": "fomm_hf.pipelines.animation_result",
    "FOMMPipeline": "fomm_hf.pipelines.pipeline_fomm",
    "FOMMPipelineOutput": "fomm_hf.pipelines.pipeline_fomm",
    "keypoints_video_path": "fomm_hf.pipelines.video_job",
}
__all__ = [
    "AnimationResult",
    "FOMMPipeline",
    "FOMMPipelineOutput",
    "keypoints_video_path",
]

if TYPE_CHECKING:
    from .animation_result import AnimationResult
    from .pipeline_fomm import FOMMPipeline, FOMMPipelineOutput
    from .video_job import keypoints_video_path

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
